"""Schemas of the admin endpoints (sign-in, and the Bearer-token admin API)."""

from marshmallow import Schema, fields, validate

from ..fields import (
    MAX_POINTS,
    Phone,
    StrictInteger,
    Text,
    TransactionReference,
    UTCDateTime,
    customer_name,
    search_query,
)
from .shared import CustomerCardSchema, OutcomeSchema, StrictSchema


class AdjustmentRequestSchema(StrictSchema):
    points = StrictInteger(
        required=True,
        validate=[
            validate.Range(min=-MAX_POINTS, max=MAX_POINTS),
            validate.NoneOf([0], error="Must not be zero."),
        ],
        metadata={
            "description": "Points to add (positive) or remove (negative); never zero",
            "not": {"enum": [0]},
        },
    )
    reason = Text(multiline=True, required=True, validate=validate.Length(min=1, max=500))
    transaction_reference = TransactionReference(
        "The adjustment's own id, for a safe retry (default: a new one)",
        load_default=None,
        allow_none=True,
    )


class AdjustmentSchema(OutcomeSchema):
    points_adjusted = fields.Integer(required=True, attribute="points_amount")


class NewCustomerRequestSchema(StrictSchema):
    phone = Phone(
        required=True, metadata={"description": "Any form the till accepts (E.164 or national)"}
    )
    name = customer_name(load_default=None, allow_none=True)


class CustomerChangeRequestSchema(StrictSchema):
    name = customer_name("The new name; null clears it", required=True, allow_none=True)


class CustomerExportQuerySchema(StrictSchema):
    q = search_query()


class AdminSessionRequestSchema(StrictSchema):
    tenant = Text(required=True, validate=validate.Length(min=1, max=64))
    email = Text(required=True, validate=validate.Length(min=1, max=254))
    password = Text(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class AdminSessionSchema(Schema):
    token = fields.String(required=True)
    expires_at = UTCDateTime(required=True)
    tenant = fields.String(required=True)
    tenant_name = fields.String(required=True)


class CustomerListQuerySchema(StrictSchema):
    q = search_query()
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "next_cursor of the previous page; omit for the first"},
    )


class CustomerPageSchema(Schema):
    items = fields.List(fields.Nested(CustomerCardSchema), required=True)
    per_page = fields.Integer(required=True)
    next_cursor = fields.String(
        required=True, allow_none=True, metadata={"description": "null on the last page"}
    )
    total = fields.Integer(required=True, metadata={"description": "Matches, up to 10,000"})
    total_is_exact = fields.Boolean(
        required=True, metadata={"description": "false when there are more than `total`"}
    )
