"""Schemas of the tills' endpoints (``X-API-Key``)."""

from marshmallow import fields, validate

from ..fields import (
    MAX_POINTS,
    Phone,
    StrictInteger,
    TransactionReference,
    customer_name,
    small_json_object,
)
from .shared import PageQuerySchema, StrictSchema


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


class EarnRequestSchema(PointsChangeRequestSchema):
    name = customer_name(
        "Used when the phone is new and the customer is enrolled",
        load_default=None,
        allow_none=True,
    )


class PhoneHistoryQuerySchema(PageQuerySchema):
    phone = Phone(required=True)
