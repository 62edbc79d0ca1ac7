"""Schemas both audiences share: problems, strictness, cards, outcomes and ledger pages."""

from marshmallow import INCLUDE, RAISE, Schema, fields, validate

from ...rules import OPERATION_TYPES
from ..fields import MAX_POINTS, StrictInteger, Text, TransactionReference, UTCDateTime


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE  # an unknown field is a client bug worth reporting, not ignoring


class ProblemSchema(Schema):
    """RFC 9457 problem details, with a stable machine-readable ``code``.

    Some problems carry extension members (listed below); clients must ignore others.
    """

    class Meta:
        unknown = INCLUDE  # documents additionalProperties: extension members may be added

    type = fields.String(metadata={"example": "urn:loyalty:problem:insufficient_points"})
    title = fields.String(metadata={"example": "Not enough points"})
    status = fields.Integer(metadata={"example": 409})
    detail = fields.String()
    code = fields.String(metadata={"example": "insufficient_points"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "validation_error only: messages by field"},
    )
    points_balance = fields.Integer(metadata={"description": "insufficient_points only"})
    points_requested = fields.Integer(metadata={"description": "insufficient_points only"})
    points_remaining = fields.Integer(
        metadata={"description": "reversal_exceeds_redemption only: what can still be given back"}
    )
    transaction_reference = fields.String(
        metadata={"description": "transaction_reference_reused only"}
    )
    phone = fields.String(
        metadata={"description": "customer_not_found by phone, customer_exists: the E.164 read"}
    )
    customer_id = fields.Integer(metadata={"description": "customer_exists only"})
    expired = fields.Boolean(metadata={"description": "unauthorized only: the session expired"})


class CustomerCardSchema(Schema):
    customer_id = fields.Integer(required=True)
    phone = fields.String(required=True, metadata={"description": "E.164"})
    name = fields.String(allow_none=True)
    points_balance = fields.Integer(required=True)
    total_points_earned = fields.Integer(required=True)
    total_points_redeemed = fields.Integer(required=True)
    updated_at = UTCDateTime(required=True)


class ReverseRequestSchema(StrictSchema):
    points = StrictInteger(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_POINTS),
        metadata={"description": "Points to give back; all that is left when omitted"},
    )
    reason = Text(
        multiline=True, load_default=None, allow_none=True, validate=validate.Length(max=500)
    )
    transaction_reference = TransactionReference(
        "The reversal's own id (default rev-<redemption id>)", load_default=None, allow_none=True
    )


class OutcomeSchema(Schema):
    transaction_id = fields.Integer(required=True)
    customer_id = fields.Integer(required=True)
    phone = fields.String(required=True)
    points_balance = fields.Integer(required=True, metadata={"description": "Balance after"})
    transaction_reference = fields.String(required=True)
    created_at = UTCDateTime(required=True)
    replayed = fields.Boolean(
        required=True, metadata={"description": "True when this answers a repeated reference"}
    )


class RedemptionSchema(OutcomeSchema):
    points_redeemed = fields.Integer(required=True, attribute="points_amount")
    total_points_redeemed = fields.Integer(required=True)


class EarningSchema(OutcomeSchema):
    points_earned = fields.Integer(required=True, attribute="points_amount")
    total_points_earned = fields.Integer(required=True)


class ReversalSchema(OutcomeSchema):
    points_reversed = fields.Integer(required=True, attribute="points_amount")
    total_points_redeemed = fields.Integer(required=True)


class PageQuerySchema(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class PageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class LedgerEntrySchema(Schema):
    transaction_id = fields.Integer(required=True, attribute="id")
    operation_type = fields.String(
        required=True,
        metadata={
            "description": " or ".join(
                [", ".join(list(OPERATION_TYPES)[:-1]), list(OPERATION_TYPES)[-1]]
            )
        },
    )
    points_amount = fields.Integer(required=True)
    transaction_reference = fields.String(required=True)
    operation_details = fields.Dict(allow_none=True)
    created_at = UTCDateTime(required=True)
    balance_after = fields.Integer(
        required=True, metadata={"description": "The customer's balance right after this entry"}
    )


class LedgerPageSchema(PageSchema):
    items = fields.List(fields.Nested(LedgerEntrySchema), required=True)


class IndexSchema(Schema):
    name = fields.String(required=True)
    links = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
