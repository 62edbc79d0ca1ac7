"""Schemas of the admin's Toast pages (``/api/admin/toast/...``)."""

from marshmallow import Schema, fields

from ..fields import UTCDateTime


class ToastRestaurantSchema(Schema):
    restaurant_guid = fields.String(required=True)
    location_code = fields.String(required=True, allow_none=True)
    created_at = UTCDateTime(required=True)


class ToastRestaurantListSchema(Schema):
    items = fields.List(fields.Nested(ToastRestaurantSchema), required=True)


class UnknownOutcomeSchema(Schema):
    id = fields.Integer(required=True)
    received_at = UTCDateTime(required=True)
    transaction_guid = fields.String(required=True, metadata={"description": "Toast's GUID"})
    loyalty_identifier = fields.String(required=True)
    restaurant_guid = fields.String(required=True)
    check_guid = fields.String(required=True, allow_none=True)
    customer_id = fields.Integer(required=True, allow_none=True)
    redemptions = fields.List(
        fields.Dict(),
        required=True,
        metadata={
            "description": "The redemptions as Toast sent them (identifier = reward id); "
            'amounts as exact decimal strings ("5.00"), never floats'
        },
    )
    committed = fields.Boolean(
        required=True,
        metadata={"description": "Read now: true, the points were taken; false, nothing was"},
    )
    transaction_ids = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "The redeem_points ledger rows it wrote (empty if none)"},
    )


class UnknownOutcomeListSchema(Schema):
    items = fields.List(fields.Nested(UnknownOutcomeSchema), required=True)


class LoyaltyIdentifierSchema(Schema):
    customer_id = fields.Integer(required=True)
    loyalty_identifier = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Opaque; null until Toast first finds or signs up the customer"},
    )
