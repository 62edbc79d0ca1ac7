"""Schemas of the tills' endpoints (``X-API-Key``)."""

from marshmallow import ValidationError, fields, validate, validates_schema

from ..fields import (
    MAX_POINTS,
    Phone,
    StrictInteger,
    Text,
    TransactionReference,
    customer_name,
    minor_units,
    small_json_object,
)
from .shared import PageQuerySchema, PurchaseSchema, StrictSchema


class PhoneLookupQuery(StrictSchema):
    phone = Phone(
        required=True,
        metadata={
            "description": "E.164, or national format in the shop's region; spaces, dashes, "
            "parentheses and a 00 prefix are accepted",
            "example": "+447306506797",
        },
    )


class PointsChangeRequestSchema(StrictSchema):
    phone = Phone(required=True)
    points = StrictInteger(
        required=True,
        validate=validate.Range(min=1, max=MAX_POINTS),
        metadata={"description": f"A whole number from 1 to {MAX_POINTS:,}"},
    )
    transaction_reference = TransactionReference(
        "The POS order id; a repeat of it is answered as a replay", required=True
    )
    details = fields.Dict(
        load_default=None,
        allow_none=True,
        validate=small_json_object,
        metadata={"description": "Free JSON object stored as operation_details (at most 4 KB)"},
    )


class EarnRequestSchema(StrictSchema):
    phone = Phone(required=True)
    points = StrictInteger(
        load_default=None,
        allow_none=False,
        validate=validate.Range(min=1, max=MAX_POINTS),
        metadata={
            "description": f"Points to add, 1 to {MAX_POINTS:,}; or send `purchase` instead "
            "(exactly one of the two)"
        },
    )
    purchase = fields.Nested(
        PurchaseSchema,
        load_default=None,
        allow_none=False,
        metadata={"description": "The bill: the shop's programme computes the points"},
    )
    transaction_reference = TransactionReference(
        "The POS order id; a repeat of it (with the same points or bill) is a replay",
        required=True,
    )
    details = fields.Dict(
        load_default=None,
        allow_none=True,
        validate=small_json_object,
        metadata={"description": "Free JSON object stored as operation_details (at most 4 KB)"},
    )
    name = customer_name(
        "Used when the phone is new and the customer is enrolled",
        load_default=None,
        allow_none=True,
    )

    @validates_schema
    def _points_or_purchase(self, data, **_kwargs):
        if (data.get("points") is None) == (data.get("purchase") is None):
            field = "purchase" if data.get("points") is not None else "points"
            raise ValidationError("Send exactly one of points and purchase.", field)


class CalculateRequestSchema(StrictSchema):
    purchase = fields.Nested(PurchaseSchema, required=True)


class EarnReverseRequestSchema(StrictSchema):
    transaction_reference = TransactionReference(
        "The return's own id; a repeat of it is answered as a replay", required=True
    )
    returned_minor = minor_units(
        "The part of the bill returned; all that is left of it when omitted",
        minimum=1,
        load_default=None,
    )
    reason = Text(
        multiline=True, load_default=None, allow_none=True, validate=validate.Length(max=500)
    )


class PhoneHistoryQuerySchema(PageQuerySchema):
    phone = Phone(required=True)
