"""Marshmallow schemas: what the API accepts and the one shape each endpoint answers with."""

import itertools
import json
import math
import re
import unicodedata
from datetime import UTC

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate

from ..exceptions import InvalidPhone
from .strict_query import QueryInteger

MAX_POINTS = 1_000_000
MAX_DETAILS_BYTES = 4096
# MariaDB refuses JSON nested deeper than 32 levels; well below that is plenty for a till.
MAX_DETAILS_DEPTH = 16
# Digits with the separators tills type; at least five digits, so "0" is refused by the schema
# (whether a number exists in the shop's region is still for the server to say: invalid_phone).
PHONE_PATTERN = r"^\+?[ ()./-]*(?:[0-9][ ()./-]*){5,20}$"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE  # an unknown field is a client bug worth reporting, not ignoring


class StrictInteger(fields.Integer):
    """An integer given as a JSON number: no strings, no floats, no booleans."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class Text(fields.String):
    """A string with no unpaired surrogates (not Unicode: the database cannot store them) and no
    control characters (only ``multiline=True`` allows newlines and tabs).

    Use it for every string the API accepts; a plain ``fields.String`` lets "\\ud800" through
    to the database driver, which fails with a 500.
    """

    default_error_messages = {  # noqa: RUF012 (marshmallow's convention)
        "surrogate": "Must be valid Unicode: no unpaired surrogate code points.",
        "control": "Must not contain control characters.",
    }

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.control = _CONTROL_EXCEPT_LINES if multiline else _CONTROL
        pattern = (
            r"^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$"
            if multiline
            else r"^[^\u0000-\u001f\u007f-\u009f]*$"
        )
        metadata = {"pattern": pattern, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if _SURROGATE.search(text):
            raise self.make_error("surrogate")
        if self.control.search(text):
            raise self.make_error("control")
        return text


def _phone_shape(value: str) -> None:
    # The same code as a number the region cannot read: to a till both are "not a phone".
    if not re.match(PHONE_PATTERN, value):
        raise InvalidPhone("A phone number is 5 to 20 digits, with an optional + and separators.")


class Phone(Text):
    """A phone number as tills type it (OpenAPI ``pattern``); raises InvalidPhone otherwise."""

    def __init__(self, **kwargs):
        metadata = {"pattern": PHONE_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(
            validate=[validate.Length(min=1, max=40), _phone_shape], metadata=metadata, **kwargs
        )


class UTCDateTime(fields.DateTime):
    """ISO 8601 with an explicit UTC offset; the database stores naive UTC times."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


MAX_REFERENCE_LENGTH = 64
REFERENCE_RULES = (
    f"1 to {MAX_REFERENCE_LENGTH} characters: letters, digits, punctuation, symbols and inner "
    "spaces (`/` too); no leading or trailing space, no control or invisible formatting "
    "character (Unicode Cc, Cf, Zl, Zp on any plane: tab, newline, soft hyphen, zero-width "
    "space, tag characters...), no unassigned code point and no unpaired surrogate. Compared "
    "byte for byte: `A-1` and `a-1`, `é` and `e`, are different orders."
)


def _invisible_class() -> str:
    """A regex character-class body of every BMP code point in Cc, Cf, Zl or Zp (unpaired
    surrogates never get this far: ``Text`` refuses them first)."""
    bad = [cp for cp in range(0x10000) if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp")]
    ranges, start = [], bad[0]
    for prev, cp in itertools.pairwise([*bad, None]):
        if cp != prev + 1 if cp is not None else True:
            ranges.append(f"\\u{start:04x}" + (f"-\\u{prev:04x}" if prev != start else ""))
            start = cp
    return "".join(ranges)


_INVISIBLE = _invisible_class()
# What a receipt cannot show, a person cannot retype: such characters are refused. Padding is
# refused rather than trimmed: trimming would make two byte sequences one identity again. The
# same expression validates and is published as the schema's pattern.
REFERENCE_PATTERN = f"^[^\\s{_INVISIBLE}](?:[^{_INVISIBLE}]*[^\\s{_INVISIBLE}])?$"


# The categories a reference may not hold anywhere, on any plane: what a receipt cannot show
# (control, format, line and paragraph separators) and code points Unicode has not assigned
# (which no font draws, and a later Unicode may make invisible). The pattern above is what an
# OpenAPI client can check (it names the BMP's invisible characters); this is the rule.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn"})


def _visible_on_every_plane(value: str) -> None:
    for ch in value:
        if unicodedata.category(ch) in INVISIBLE_CATEGORIES:
            raise ValidationError(
                f"U+{ord(ch):04X} is invisible or unassigned; use characters a receipt shows."
            )


class TransactionReference(Text):
    """A till's reference for one operation: an opaque identity (see REFERENCE_RULES)."""

    def __init__(self, description: str, **kwargs):
        super().__init__(
            validate=[
                validate.Length(min=1, max=MAX_REFERENCE_LENGTH),
                validate.Regexp(
                    REFERENCE_PATTERN,
                    error="No leading or trailing space, no control or invisible characters.",
                ),
                _visible_on_every_plane,
            ],
            metadata={
                "description": f"{description}. {REFERENCE_RULES}",
                "pattern": REFERENCE_PATTERN,
                "minLength": 1,
                "maxLength": MAX_REFERENCE_LENGTH,
            },
            **kwargs,
        )


def _check_json_value(value, depth: int = 1) -> None:
    """Raise ValidationError for what the database's JSON type cannot hold."""
    if depth > MAX_DETAILS_DEPTH:
        raise ValidationError(f"Must not be nested deeper than {MAX_DETAILS_DEPTH} levels.")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError("Numbers must be finite (no NaN, Infinity or 1e309).")
    if isinstance(value, str) and _SURROGATE.search(value):
        raise ValidationError("Strings must be valid Unicode: no unpaired surrogate code points.")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_json_value(key, depth)
            _check_json_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json_value(item, depth + 1)


def _small_json_object(value: dict) -> None:
    _check_json_value(value)
    if len(json.dumps(value).encode()) > MAX_DETAILS_BYTES:
        raise ValidationError(f"At most {MAX_DETAILS_BYTES} bytes of JSON.")


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


class PhoneLookupQuery(StrictSchema):
    phone = Phone(
        required=True,
        metadata={
            "description": "E.164, or national format in the shop's region; spaces, dashes, "
            "parentheses and a 00 prefix are accepted",
            "example": "+447306506797",
        },
    )


class CustomerCardSchema(Schema):
    customer_id = fields.Integer(required=True)
    phone = fields.String(required=True, metadata={"description": "E.164"})
    name = fields.String(allow_none=True)
    points_balance = fields.Integer(required=True)
    total_points_earned = fields.Integer(required=True)
    total_points_redeemed = fields.Integer(required=True)
    updated_at = UTCDateTime(required=True)


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
        validate=_small_json_object,
        metadata={"description": "Free JSON object stored as operation_details (at most 4 KB)"},
    )


class EarnRequestSchema(PointsChangeRequestSchema):
    name = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Used when the phone is new and the customer is enrolled"},
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
        "The refund's own id (default rev-<redemption id>)", load_default=None, allow_none=True
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


class AdjustmentSchema(OutcomeSchema):
    points_adjusted = fields.Integer(required=True, attribute="points_amount")


class NewCustomerRequestSchema(StrictSchema):
    phone = Phone(
        required=True, metadata={"description": "Any form the till accepts (E.164 or national)"}
    )
    name = Text(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))


class CustomerChangeRequestSchema(StrictSchema):
    name = Text(
        required=True,
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The new name; null clears it"},
    )


class CustomerExportQuerySchema(StrictSchema):
    q = Text(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "The list's search: a phone number, its beginning or last "
                  "digits, or name words"},
    )  # fmt: skip


class AdminSessionRequestSchema(StrictSchema):
    tenant = Text(required=True, validate=validate.Length(min=1, max=64))
    email = Text(required=True, validate=validate.Length(min=1, max=254))
    password = Text(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class AdminSessionSchema(Schema):
    token = fields.String(required=True)
    expires_at = UTCDateTime(required=True)
    tenant = fields.String(required=True)
    tenant_name = fields.String(required=True)


class PageQuerySchema(StrictSchema):
    page = QueryInteger(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = QueryInteger(load_default=50, validate=validate.Range(min=1, max=200))


class CustomerListQuerySchema(StrictSchema):
    q = Text(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "A phone number, its beginning or last digits, or name words"},
    )
    per_page = QueryInteger(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "next_cursor of the previous page; omit for the first"},
    )


class PageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


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


class PhoneHistoryQuerySchema(PageQuerySchema):
    phone = Phone(required=True)


class LedgerEntrySchema(Schema):
    transaction_id = fields.Integer(required=True, attribute="id")
    operation_type = fields.String(
        required=True,
        metadata={
            "description": "earn_points, redeem_points, reverse_redemption, "
            "adjust_points or open_account"
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
