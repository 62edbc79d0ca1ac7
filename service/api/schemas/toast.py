"""Schemas of Toast's Loyalty Integration API (v1.1.0): the LoyaltyTransaction Toast sends and
the LoyaltyTransactionResponse it reads. Toast's field names are the contract.

How strict: the objects of the loyalty API itself (LoyaltyTransaction, the
``*TransactionInformation`` objects, searchCriteria, Redemption, ItemRedemptionInfo) accept
exactly Toast's documented fields and refuse any other (ERROR_INVALID_INPUT_PROPERTIES, as the
rest of our API refuses unknown fields). The ``check`` and its selections are Toast's orders-API
Check and Selection: dozens of documented fields, more with each Toast release, of which we read
a few. Those we read are checked (a price that is not a number, a voided that is not a boolean
is refused); the others are let through unread, so a Toast release that adds a field to its
Check does not stop a restaurant's tills.
"""

from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from ...toast import MAX_GUID, TRANSACTION_TYPES
from ..fields import Text
from .shared import StrictSchema

MAX_IDENTIFIER = 255
MAX_SELECTIONS = 500
MAX_REDEMPTIONS = 50
MAX_AMOUNT = 10**9
# Toast's error codes (transactionStatus): 400 all but ERROR_ACCOUNT_INVALID (404) and ERROR
# (503, database trouble).
TOAST_ERRORS = (
    "ERROR_INVALID_TOKEN",
    "ERROR_INVALID_RESTAURANT",
    "ERROR_INVALID_TOAST_TRANSACTION_TYPE",
    "ERROR_INVALID_INPUT_PROPERTIES",
    "ERROR_ACCOUNT_INVALID",
    "ERROR_ALREADY_REGISTERED",
    "ERROR_TRANSACTION_DOES_NOT_EXIST",
    "ERROR_TRANSACTION_CANNOT_BE_REVERSED",
    "ERROR_INVALID_TRANSFER",
    "ERROR",
)


class ToastNumber(fields.Field):
    """A JSON number (never a string or boolean), kept exact as a Decimal."""

    default_error_messages = {  # noqa: RUF012
        "invalid": "Not a number.",
        "range": f"Must be between -{MAX_AMOUNT} and {MAX_AMOUNT}.",
    }

    def __init__(self, **kwargs):
        limits = {"type": "number", "minimum": -MAX_AMOUNT, "maximum": MAX_AMOUNT}
        super().__init__(metadata={**limits, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise self.make_error("invalid")
        if isinstance(value, Decimal) and not value.is_finite():
            raise self.make_error("invalid")
        if abs(value) > MAX_AMOUNT:  # any check's money; keeps Decimal's arithmetic exact
            raise self.make_error("range")
        return Decimal(value)


class StrictBoolean(fields.Boolean):
    """true or false, as JSON writes them (not 1, 0 or "yes")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def guid(**kwargs) -> Text:
    return Text(validate=validate.Length(min=1, max=MAX_GUID), **kwargs)


def identifier(**kwargs) -> Text:
    return Text(validate=validate.Length(min=1, max=MAX_IDENTIFIER), **kwargs)


def optional_text(length: int = 200) -> Text:
    return Text(load_default=None, allow_none=True, validate=validate.Length(max=length))


class ToastSearchCriteriaSchema(StrictSchema):
    firstName = optional_text()
    lastName = optional_text()
    email = optional_text(254)
    phone = optional_text(32)

    @validates_schema
    def _something(self, data, **_kwargs):
        if not any(data.get(k) for k in ("firstName", "lastName", "email", "phone")):
            raise ValidationError("Send a phone, an e-mail, or a first or last name.")


class ToastSearchInformationSchema(StrictSchema):
    searchCriteria = fields.Nested(ToastSearchCriteriaSchema, required=True)


class ToastSignupInformationSchema(StrictSchema):
    phone = optional_text(32)
    email = optional_text(254)

    @validates_schema
    def _one(self, data, **_kwargs):
        if bool(data.get("phone")) == bool(data.get("email")):
            raise ValidationError("Send exactly one of phone and email.")


class ToastItemRedemptionInfoSchema(StrictSchema):
    selectionIdentifier = Text(allow_none=True)
    amount = ToastNumber(allow_none=True)
    appliedDiscountIdentifier = fields.Raw(allow_none=True)


class ToastRedemptionSchema(StrictSchema):
    identifier = Text(allow_none=True, validate=validate.Length(max=MAX_IDENTIFIER))
    appliedDiscountGuid = guid(allow_none=True)
    multiItemDiscountGuid = guid(allow_none=True)
    selectionGuid = guid(allow_none=True)
    amount = ToastNumber(allow_none=True)
    quantity = fields.Integer(strict=True, allow_none=True)
    itemApplication = fields.List(fields.Nested(ToastItemRedemptionInfoSchema), allow_none=True)


def redemption_list() -> fields.List:
    """A check's or a reverse's ``redemptions``: at most MAX_REDEMPTIONS, or null."""
    return fields.List(
        fields.Nested(ToastRedemptionSchema),
        allow_none=True,
        validate=validate.Length(max=MAX_REDEMPTIONS),
    )


class ToastSelectionSchema(Schema):
    """Toast's Selection: the fields the accrual reads are checked, the rest let through."""

    class Meta:
        unknown = EXCLUDE

    guid = Text(allow_none=True)
    voided = StrictBoolean(allow_none=True)
    deferred = StrictBoolean(allow_none=True)
    price = ToastNumber(allow_none=True)
    tax = ToastNumber(allow_none=True)
    taxInclusion = Text(allow_none=True)


class ToastCheckSchema(Schema):
    """Toast's Check: ``guid`` and ``selections`` are read; the rest let through."""

    class Meta:
        unknown = EXCLUDE

    guid = guid(allow_none=True)
    selections = fields.List(
        fields.Nested(ToastSelectionSchema),
        allow_none=True,
        validate=validate.Length(max=MAX_SELECTIONS),
    )


class ToastCheckInformationSchema(StrictSchema):
    loyaltyIdentifier = identifier(allow_none=True, load_default=None)
    orderGuid = guid(allow_none=True)
    check = fields.Nested(ToastCheckSchema, allow_none=True)
    redemptions = redemption_list()


class ToastReverseInformationSchema(StrictSchema):
    loyaltyIdentifier = identifier(allow_none=True, load_default=None)
    transactionId = guid(required=True)
    redemptions = redemption_list()


class ToastTransferInformationSchema(StrictSchema):
    fromLoyaltyIdentifier = identifier(required=True)
    toLoyaltyIdentifier = identifier(required=True)


class LoyaltyTransactionSchema(StrictSchema):
    """The body: ``toastTransactionType`` (the header's, repeated) and the information object
    of that type; the others absent or null."""

    toastTransactionType = Text(allow_none=True, validate=validate.OneOf(TRANSACTION_TYPES))
    searchTransactionInformation = fields.Nested(ToastSearchInformationSchema, allow_none=True)
    signupTransactionInformation = fields.Nested(ToastSignupInformationSchema, allow_none=True)
    checkTransactionInformation = fields.Nested(ToastCheckInformationSchema, allow_none=True)
    reverseTransactionInformation = fields.Nested(ToastReverseInformationSchema, allow_none=True)
    transferTransactionInformation = fields.Nested(ToastTransferInformationSchema, allow_none=True)


# ---- what Toast reads back ---------------------------------------------------------------


class ToastAccountInfoSchema(Schema):
    identifier = fields.String(required=True)
    firstName = fields.String()
    lastName = fields.String()
    phone = fields.String()
    email = fields.String()
    pointsBalance = fields.String(
        metadata={"description": 'Digits, e.g. "1420"', "pattern": "^[0-9]+$"}
    )


class ToastOfferSchema(Schema):
    identifier = fields.String(required=True, metadata={"description": "The reward's id"})
    name = fields.String(required=True)
    applicable = fields.Boolean(
        required=True, metadata={"description": "The points left cover the reward"}
    )
    selectionType = fields.String(required=True, metadata={"enum": ["CHECK"]})
    amount = ToastNumber(
        required=True, metadata={"description": "Money off, in major units (exact: 5.00)"}
    )
    quantity = fields.Integer()


class ToastRejectedRedemptionSchema(Schema):
    redemption = fields.Nested(ToastRedemptionSchema, required=True)
    message = fields.String(required=True)


class ToastCheckResponseSchema(Schema):
    accountInfo = fields.Nested(ToastAccountInfoSchema)
    offers = fields.List(fields.Nested(ToastOfferSchema))
    appliedRedemptions = fields.List(fields.Nested(ToastRedemptionSchema))
    rejectedRedemptions = fields.List(fields.Nested(ToastRejectedRedemptionSchema))
    userMessage = fields.String()


class ToastSearchResponseSchema(Schema):
    accounts = fields.List(fields.Nested(ToastAccountInfoSchema), required=True)


class ToastIdentifierResponseSchema(Schema):
    loyaltyIdentifier = fields.String(required=True)


class ToastResponseSchema(Schema):
    """LoyaltyTransactionResponse with ACCEPT: the object of the transaction's type."""

    transactionStatus = fields.String(required=True, metadata={"enum": ["ACCEPT"]})
    checkResponse = fields.Nested(ToastCheckResponseSchema)
    searchResponse = fields.Nested(ToastSearchResponseSchema)
    signupResponse = fields.Nested(ToastIdentifierResponseSchema)
    transferResponse = fields.Nested(ToastIdentifierResponseSchema)


class ToastErrorSchema(Schema):
    """LoyaltyTransactionResponse refusing the transaction (Toast's codes), with a message."""

    transactionStatus = fields.String(required=True, metadata={"enum": list(TOAST_ERRORS)})
    message = fields.String()
