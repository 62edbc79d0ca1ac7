"""Field machinery: the marshmallow fields and validators every schema is built from.

Each field refuses what the database or a till would choke on (unpaired surrogates, control
characters, invisible characters in references, non-finite numbers, over-deep JSON), so a
schema built from them never lets such input reach a domain function.
"""

import itertools
import json
import math
import re
import unicodedata
from datetime import UTC

from marshmallow import ValidationError, fields, validate

from ..phones import PHONE_PATTERN
from ..programme import currency_codes, is_currency_code, is_timezone
from ..rules import COMPUTED_DETAILS, MAX_PURCHASE_MINOR

# Keys of a till's free ``details`` that the service writes itself.
RESERVED_DETAILS = frozenset({*COMPUTED_DETAILS, "purchase"})

MAX_POINTS = 1_000_000
MAX_DETAILS_BYTES = 4096
# MariaDB refuses JSON nested deeper than 32 levels; well below that is plenty for a till.
MAX_DETAILS_DEPTH = 16

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


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


class Phone(Text):
    """A phone number as tills type it (published as the OpenAPI ``pattern``). Whether it is
    one is the domain's to say (``phones.normalize_phone``: 422 invalid_phone), so a number
    of the wrong shape and one the shop's region cannot read are the same problem to a till."""

    def __init__(self, **kwargs):
        metadata = {"pattern": PHONE_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(validate=validate.Length(min=1, max=40), metadata=metadata, **kwargs)


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


def small_json_object(value: dict) -> None:
    _check_json_value(value)
    if len(json.dumps(value).encode()) > MAX_DETAILS_BYTES:
        raise ValidationError(f"At most {MAX_DETAILS_BYTES} bytes of JSON.")
    reserved = sorted(set(value) & RESERVED_DETAILS)
    if reserved:
        # The service writes these itself (how points were computed, who did it): a till
        # cannot make its details say otherwise.
        raise ValidationError(f"Reserved keys, written by the service: {', '.join(reserved)}.")


def minor_units(description: str, *, minimum: int = 0, **kwargs) -> StrictInteger:
    """An amount of money in minor units (pence, cents): an integer, never a float."""
    return StrictInteger(
        validate=validate.Range(min=minimum, max=MAX_PURCHASE_MINOR),
        metadata={"description": f"{description}, in minor units (integer)"},
        **kwargs,
    )


def _currency_code(value: str) -> None:
    if not is_currency_code(value):
        raise ValidationError("Must be an ISO 4217 currency code such as GBP.")


class CurrencyCode(fields.String):
    """An ISO 4217 currency code, upper case (Babel's list)."""

    def __init__(self, **kwargs):
        super().__init__(
            validate=_currency_code,
            metadata={"enum": currency_codes(), "example": "GBP"},
            **kwargs,
        )


def _timezone_name(value: str) -> None:
    if not is_timezone(value):
        raise ValidationError("Must be an IANA time zone name such as Europe/London.")


class TimezoneName(Text):
    """An IANA time zone name (the shop's days and months)."""

    def __init__(self, **kwargs):
        super().__init__(
            validate=[validate.Length(max=64), _timezone_name],
            metadata={"example": "Europe/London"},
            **kwargs,
        )


def customer_name(description: str | None = None, **kwargs) -> Text:
    """A customer's name: 1 to 200 characters of text (every schema that takes one uses this)."""
    metadata = {"description": description} if description else {}
    return Text(validate=validate.Length(min=1, max=200), metadata=metadata, **kwargs)


def search_query() -> Text:
    """The customer list's search ``q`` (the list and its CSV export read it alike)."""
    return Text(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "A phone number, its beginning or last digits, or name words"},
    )
