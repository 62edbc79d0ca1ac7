"""Schemas of the admin endpoints (sign-in, and the Bearer-token admin API)."""

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_dump,
    validate,
    validates_schema,
)

from ...locations import CODE_PATTERN, MAX_NAME_LENGTH
from ...report import MAX_DAYS as MAX_REPORT_DAYS
from ...rules import MAX_PURCHASE_MINOR, REPORT_COLUMNS
from ..fields import (
    MAX_POINTS,
    CurrencyCode,
    Phone,
    StrictInteger,
    Text,
    TimezoneName,
    TransactionReference,
    UTCDateTime,
    customer_name,
    minor_units,
    search_query,
)
from ..strict_query import QueryInteger
from .shared import (
    CustomerCardSchema,
    LedgerEntrySchema,
    LocationSchema,
    OutcomeSchema,
    PurchaseSchema,
    ReverseRequestSchema,
    StrictSchema,
)


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
    per_page = QueryInteger(load_default=50, validate=validate.Range(min=1, max=200))
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


class AdminReverseRequestSchema(ReverseRequestSchema):
    returned_minor = minor_units(
        "For an earn: the part of its bill returned (all that is left when omitted); not for "
        "a redemption",
        minimum=1,
        load_default=None,
    )


class SpendRuleSchema(StrictSchema):
    points = StrictInteger(required=True, validate=validate.Range(min=0, max=MAX_POINTS))
    per_amount_minor = minor_units("Per this much spent", minimum=1, required=True)


class VisitRuleSchema(StrictSchema):
    points = StrictInteger(required=True, validate=validate.Range(min=0, max=MAX_POINTS))
    min_spend_minor = minor_units("When the eligible amount is at least this", required=True)


class ProgrammeSettingsSchema(StrictSchema):
    """The programme as an owner sets it (the whole object): how a bill earns points, when
    points expire, what a point is worth. Loads into the flat settings of ``rules.Programme``."""

    currency = CurrencyCode(required=True)
    timezone = TimezoneName(required=True)
    spend_rule = fields.Nested(
        SpendRuleSchema,
        required=True,
        allow_none=True,
        metadata={"description": "floor(eligible / per_amount_minor) x points; null: none"},
    )
    visit_rule = fields.Nested(
        VisitRuleSchema,
        required=True,
        metadata={"description": "points per visit whose eligible amount is at least "
                  "min_spend_minor"},
    )  # fmt: skip
    expiry_months = StrictInteger(
        required=True,
        allow_none=True,
        validate=validate.Range(min=1, max=120),
        metadata={"description": "Points earned in a month expire at the end of the month "
                  "this many months later (the shop's timezone); null: never"},
    )  # fmt: skip
    point_value_minor = StrictInteger(
        required=True,
        validate=validate.Range(min=0, max=MAX_PURCHASE_MINOR),
        metadata={"description": "What one point is worth to the shop, in minor units"},
    )

    @post_load
    def _flat(self, data, **_kwargs) -> dict:
        spend, visit = data.pop("spend_rule"), data.pop("visit_rule")
        return {
            **data,
            "spend_points": spend["points"] if spend else None,
            "spend_per_amount_minor": spend["per_amount_minor"] if spend else None,
            "visit_points": visit["points"],
            "visit_min_spend_minor": visit["min_spend_minor"],
        }


class ProgrammeSchema(ProgrammeSettingsSchema):
    version = fields.Integer(dump_only=True, metadata={"description": "0: never set"})
    updated_at = UTCDateTime(dump_only=True, allow_none=True)
    set_by = fields.String(
        dump_only=True, allow_none=True, metadata={"description": "Who made this version"}
    )

    @pre_dump
    def _nested(self, programme: dict, **_kwargs) -> dict:
        spend = None
        if programme["spend_points"] is not None:
            spend = {
                "points": programme["spend_points"],
                "per_amount_minor": programme["spend_per_amount_minor"],
            }
        visit = {
            "points": programme["visit_points"],
            "min_spend_minor": programme["visit_min_spend_minor"],
        }
        return {**programme, "spend_rule": spend, "visit_rule": visit}


class ProgrammeCalculateRequestSchema(StrictSchema):
    programme = fields.Nested(
        ProgrammeSettingsSchema,
        required=True,
        metadata={"description": "The draft settings (unsaved)"},
    )
    purchase = fields.Nested(PurchaseSchema, required=True)


# Text with at least one visible character (and, like every Text, no control character).
_TEXT_CHAR = "[^\\u0000-\\u001f\\u007f-\\u009f]"
NAME_PATTERN = f"^{_TEXT_CHAR}*[^\\s\\u0000-\\u001f\\u007f-\\u009f]{_TEXT_CHAR}*$"


class NewLocationRequestSchema(StrictSchema):
    name = Text(
        required=True,
        validate=[
            validate.Length(min=1, max=MAX_NAME_LENGTH),
            validate.Regexp(r"\S", error="Must not be only spaces."),
        ],
        metadata={"pattern": NAME_PATTERN},
    )
    code = fields.String(
        load_default=None,
        validate=validate.Regexp(CODE_PATTERN, error="1 to 32 lower-case letters, digits, dashes"),
        metadata={
            "description": "A short slug, unique in the shop (default: from the name)",
            "pattern": CODE_PATTERN,
        },
    )


class LocationListSchema(Schema):
    items = fields.List(fields.Nested(LocationSchema), required=True)


class ReportQuerySchema(StrictSchema):
    first = fields.Date(
        required=True, data_key="from", metadata={"description": "First day (YYYY-MM-DD)"}
    )
    last = fields.Date(
        required=True,
        data_key="to",
        metadata={"description": "Last day, included (YYYY-MM-DD); days in the shop's timezone"},
    )
    location = Text(
        load_default=None,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "Only this location's flows (its code)"},
    )

    @validates_schema
    def _period(self, data, **_kwargs):
        first, last = data.get("first"), data.get("last")
        if first is None or last is None:
            return
        if first > last:
            raise ValidationError("Must not be after to.", "from")
        if (last - first).days + 1 > MAX_REPORT_DAYS:
            raise ValidationError(f"A report covers at most {MAX_REPORT_DAYS} days.", "to")


def _flow_fields() -> dict:
    return {column: fields.Integer(required=True) for column in REPORT_COLUMNS}


FlowsSchema = Schema.from_dict(_flow_fields(), name="FlowsSchema")
DayFlowsSchema = Schema.from_dict(
    {"date": fields.String(required=True), **_flow_fields()}, name="DayFlowsSchema"
)
LocationFlowsSchema = Schema.from_dict(
    {
        "location": fields.String(
            required=True, allow_none=True, metadata={"description": "null: no location"}
        ),
        **_flow_fields(),
    },
    name="LocationFlowsSchema",
)


class PointsReportSchema(FlowsSchema):
    """Every ledger type lands in exactly one flow column; opening_balance + the signed flows
    (earned, redemptions_reversed, adjusted_up and imported add; the others take away) =
    closing_balance, exactly. With `location`, the balances and liability are null."""

    first = fields.String(required=True, attribute="from", data_key="from")
    last = fields.String(required=True, attribute="to", data_key="to")
    timezone = fields.String(required=True)
    currency = fields.String(required=True)
    point_value_minor = fields.Integer(required=True)
    opening_balance = fields.Integer(required=True, allow_none=True)
    closing_balance = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The sum of all customers' balances at the end of `to`"},
    )
    liability_minor = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "closing_balance x point_value_minor"},
    )
    redemption_rate = fields.Float(
        required=True, allow_none=True, metadata={"description": "redeemed / earned"}
    )
    breakage_rate = fields.Float(
        required=True, allow_none=True, metadata={"description": "expired / earned"}
    )
    by_location = fields.List(fields.Nested(LocationFlowsSchema), required=True)
    by_day = fields.List(fields.Nested(DayFlowsSchema), required=True)


# ---- members in and out (issue 18) -------------------------------------------------------


class ImportQuerySchema(StrictSchema):
    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "Check and count only: nothing is written (the preview)"},
    )
    skip_invalid = fields.Boolean(
        load_default=False,
        metadata={"description": "Import the valid rows even when some are refused"},
    )


class ImportReportSchema(Schema):
    rows = fields.Integer(required=True, metadata={"description": "Data rows read"})
    valid = fields.Integer(required=True)
    refused = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "`line N: reason` for each refused row (the first 1,000)"},
    )
    refused_count = fields.Integer(required=True)
    to_import = fields.Integer(
        required=True, metadata={"description": "New customers (dry run: that would be imported)"}
    )
    imported = fields.Integer(required=True)
    points_imported = fields.Integer(required=True)
    already_imported = fields.Integer(
        required=True, metadata={"description": "Rows this same file imported on an earlier run"}
    )
    already_enrolled = fields.Integer(
        required=True, metadata={"description": "Phones enrolled otherwise: skipped, never changed"}
    )
    written = fields.Boolean(required=True)
    complete = fields.Boolean(
        required=True,
        metadata={
            "description": "false: the request's time ran out part-way; send the same file "
            "again to carry on (nothing is imported twice)"
        },
    )
    file_sha256 = fields.String(required=True)


class ErasureRequestSchema(StrictSchema):
    reason = Text(
        multiline=True,
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "Why (e.g. the customer's request of a date); kept"},
    )


class ErasureSchema(Schema):
    customer_id = fields.Integer(required=True)
    reason = fields.String(required=True)
    points_forfeited = fields.Integer(required=True)
    erased_by = fields.Function(
        lambda e: {"kind": e["erased_by_kind"], "label": e["erased_by_label"]},
        required=True,
        metadata={"type": "object", "description": "Who erased: kind and label"},
    )
    erased_at = UTCDateTime(required=True)
    replayed = fields.Boolean(
        metadata={"description": "true: it had been erased already; nothing was changed"}
    )


class DeliveryStatusSchema(Schema):
    endpoint_id = fields.Integer(required=True)
    status = fields.String(required=True)
    attempts = fields.Integer(required=True)
    delivered_at = UTCDateTime(required=True, allow_none=True)


class WebhookEventRecordSchema(Schema):
    event_id = fields.Integer(required=True, attribute="id")
    event_type = fields.String(required=True)
    created_at = UTCDateTime(required=True)
    payload = fields.Dict(required=True)
    deliveries = fields.List(fields.Nested(DeliveryStatusSchema), required=True)


class CustomerDataSchema(Schema):
    customer = fields.Nested(CustomerCardSchema, required=True)
    transactions = fields.List(
        fields.Nested(LedgerEntrySchema),
        required=True,
        metadata={"description": "Every ledger entry, oldest first"},
    )
    webhook_events = fields.List(
        fields.Nested(WebhookEventRecordSchema),
        required=True,
        metadata={"description": "Every webhook event about the customer, oldest first"},
    )
    erasure = fields.Nested(ErasureSchema, required=True, allow_none=True)
    exported_at = UTCDateTime(required=True)
