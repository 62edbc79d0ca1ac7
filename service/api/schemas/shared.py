"""Schemas both audiences share: problems, strictness, cards, outcomes and ledger pages."""

from marshmallow import (
    INCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ...actors import ACTOR_KINDS, actor_of_row
from ...rules import OPERATION_TYPES, Purchase, balance_change
from ..fields import (
    MAX_POINTS,
    CurrencyCode,
    StrictInteger,
    Text,
    TransactionReference,
    UTCDateTime,
    minor_units,
)
from ..strict_query import QueryInteger


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


class ExpiringSchema(Schema):
    points = fields.Integer(required=True, metadata={"description": "Points that expire then"})
    expires_at = UTCDateTime(
        required=True, metadata={"description": "The end of a month in the shop's timezone"}
    )


class CustomerCardSchema(Schema):
    customer_id = fields.Integer(required=True)
    phone = fields.String(required=True, metadata={"description": "E.164"})
    name = fields.String(allow_none=True)
    points_balance = fields.Integer(required=True)
    total_points_earned = fields.Integer(required=True)
    total_points_redeemed = fields.Integer(required=True)
    updated_at = UTCDateTime(required=True)
    expiring = fields.Nested(
        ExpiringSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The next date with points due to expire; null if none"},
    )


class PurchaseSchema(StrictSchema):
    """A bill, in minor units of its currency (integers: 2350 is £23.50)."""

    total_minor = minor_units("The bill's total", required=True)
    currency = CurrencyCode(required=True)
    excluded_minor = minor_units(
        "What earns nothing (tips, gift cards, tobacco...); at most total_minor", load_default=0
    )

    @validates_schema
    def _excluded_within_total(self, data, **_kwargs):
        if data.get("excluded_minor", 0) > data.get("total_minor", 0):
            raise ValidationError("Must not be more than total_minor.", "excluded_minor")

    @post_load
    def _purchase(self, data, **_kwargs) -> Purchase:
        return Purchase(**data)


class CalculationSchema(Schema):
    """What a bill earns, and how it was computed."""

    points = fields.Integer(required=True)
    programme_version = fields.Integer(required=True)
    eligible_minor = fields.Integer(
        required=True, metadata={"description": "total_minor less excluded_minor"}
    )
    spend_points = fields.Integer(
        required=True, metadata={"description": "floor(eligible / per_amount_minor) x points"}
    )
    visit_points = fields.Integer(
        required=True, metadata={"description": "The visit rule's points, when it applied"}
    )


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
        "The reversal's own id (default rev-<redemption id>, ret-<earn id>)",
        load_default=None,
        allow_none=True,
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
    programme_version = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The programme version a bill was computed under; null for "
                  "an earn of `points`"},
    )  # fmt: skip
    expires_at = UTCDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When these points expire; null: never"},
    )


class ReversalSchema(OutcomeSchema):
    operation_type = fields.String(
        required=True,
        metadata={"description": "reverse_redemption (points given back) or reverse_earn "
                  "(a purchase returned: points taken back)"},
    )  # fmt: skip
    points_reversed = fields.Integer(required=True, attribute="points_amount")
    points_unrecovered = fields.Integer(
        required=True,
        metadata={"description": "reverse_earn: points the customer had already spent, so "
                  "not taken back (the balance never goes below zero); 0 otherwise"},
    )  # fmt: skip
    returned_minor = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "reverse_earn of a bill: the money returned; null otherwise"},
    )
    total_points_earned = fields.Integer(required=True)
    total_points_redeemed = fields.Integer(required=True)


class PageQuerySchema(StrictSchema):
    page = QueryInteger(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = QueryInteger(load_default=50, validate=validate.Range(min=1, max=200))


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
    points_change = fields.Function(
        lambda row: balance_change(row["operation_type"], row["points_amount"]),
        required=True,
        metadata={"type": "integer", "description": "How this entry moved the balance (signed)"},
    )
    expires_at = UTCDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the points this entry added expire; null: never or none"},
    )
    actor = fields.Function(
        actor_of_row,
        required=True,
        allow_none=True,
        metadata={
            "type": "object",
            "nullable": True,
            "description": f"Who made the change: {{kind: {' | '.join(ACTOR_KINDS)}, label, "
            "location (code or null)}; null for entries made before actors were recorded",
        },
    )


class LedgerPageSchema(PageSchema):
    items = fields.List(fields.Nested(LedgerEntrySchema), required=True)


class IndexSchema(Schema):
    name = fields.String(required=True)
    links = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)


class LocationSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    created_at = UTCDateTime(required=True)
