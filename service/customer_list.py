"""The admin's customer list: search, cursors, keyset pages, a bounded count, its change marker,
and the walker over every match that the CSV export reads.

A query is read as one of four listings (``store.customers.LISTINGS``), each served by one
index in its own order, so any page of any tenant costs one short index range:

- empty: everyone, most recently changed first;
- a phone number as a till takes it (E.164, national with spaces, 00-prefix): that customer;
- the beginning of a number (``+44 7306``, ``07306 5``): numbers starting so, in order;
- four or more digits alone (``6797``): numbers ending so;
- anything else: customers with a word of the name starting with each word of the query,
  case- and accent-insensitively (``jose`` finds ``José Núñez``, ``nun jo`` too).

Pages are linked by an opaque cursor (the sort key of the last row shown), so they stay
stable while rows change: a customer who moves up is not shown twice on the way down, and
nobody is skipped because someone else moved.
"""

import base64
import binascii
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

import phonenumbers

from .customers import with_expiring
from .db import run_query
from .exceptions import InvalidCursor, InvalidPhone
from .phones import normalize_phone
from .store import balances, customers
from .tenancy import Tenant

COUNT_CAP = 10_000  # counting stops here: "10,000+ customers" (never a scan of the tenant)
MIN_SUFFIX_DIGITS = 4
DRIVER_PROBE = 1_000  # how far each query word's matches are counted to pick the rarest


def plan_search(query: str, region: str) -> tuple[str, str | None, list[str]]:
    """(listing kind, LIKE pattern, other words' LIKE patterns) for a search ``query``.

    Pure: no database. Raises nothing; an unreadable query is a name search.
    """
    text = query.strip()
    if not text:
        return "recent", None, []
    if all(ch.isdigit() or ch in " +-().\u00a0/" for ch in text):
        digits = "".join(ch for ch in text if ch.isdigit())
        try:
            return "phone_prefix", customers.escape_like(normalize_phone(text, region)), []
        except InvalidPhone:
            pass
        prefix = _international_prefix(text, digits, region)
        if prefix is not None:
            return "phone_prefix", prefix + "%", []
        if len(digits) >= MIN_SUFFIX_DIGITS:
            return "phone_suffix", digits[::-1] + "%", []
    words = [customers.escape_like(w[: customers.MAX_TERM_LENGTH]) + "%" for w in text.split()]
    return "name", words[0], words[1:]


def _international_prefix(text: str, digits: str, region: str) -> str | None:
    """``+44 7306`` or ``07306`` (national, read in ``region``) as an E.164 beginning."""
    if not digits:
        return None
    if text.startswith("+"):
        return "+" + digits
    if digits.startswith("00") and len(digits) > 2:
        return "+" + digits[2:]
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    national = metadata.national_prefix if metadata else None
    if national and digits.startswith(national) and len(digits) > len(national):
        return f"+{metadata.country_code}{digits[len(national) :]}"
    return None


def encode_cursor(kind: str, sort_key: list) -> str:
    key = [v.isoformat() if isinstance(v, datetime) else v for v in sort_key]
    raw = json.dumps({"k": kind, "a": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> list:
    """The sort key a cursor carries; raises InvalidCursor when it is not one of this
    listing's (forged, truncated, or from another search)."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if data["k"] != kind or not isinstance(data["a"], list):
            raise ValueError("another listing's cursor")
        key = data["a"]
        if len(key) != len(customers.LISTINGS[kind]["key"]):
            raise ValueError("wrong length")
        _check_cursor_parts(kind, key)
        if kind == "recent":
            key = [datetime.fromisoformat(key[0]), key[1]]
        return key
    except (ValueError, KeyError, TypeError, IndexError, binascii.Error) as exc:
        raise InvalidCursor(
            "The cursor is not one this search returned; start from the first page."
        ) from exc


def list_customers(
    conn, tenant: Tenant, query: str, per_page: int, cursor: str | None = None
) -> dict:
    """One page of the tenant's customers matching ``query`` (see the module's docstring).

    ``next_cursor`` continues the listing (None on its last page); ``total`` counts matches
    up to COUNT_CAP, with ``total_is_exact`` False beyond it. Raises InvalidCursor.
    """
    kind, pattern, other_words = plan_search(query, tenant.phone_region)
    after = decode_cursor(cursor, kind) if cursor else None

    def read(cur) -> tuple[list[dict], int]:
        nonlocal pattern, other_words
        if kind == "name" and other_words:
            pattern, other_words = _rarest_first(cur, tenant, [pattern, *other_words])
        filters = {"pattern": pattern, "other_words": other_words}
        rows = customers.page(cur, kind, tenant.id, after=after, limit=per_page + 1, **filters)
        with_expiring(cur, rows[:per_page])
        return rows, customers.count_up_to(cur, kind, tenant.id, COUNT_CAP + 1, **filters)

    rows, total = run_query(conn, read)
    items, more = rows[:per_page], len(rows) > per_page
    return {
        "items": items,
        "per_page": per_page,
        "next_cursor": encode_cursor(kind, rows[per_page - 1]["sort_key"]) if more else None,
        "total": min(total, COUNT_CAP),
        "total_is_exact": total <= COUNT_CAP,
    }


def _rarest_first(cur, tenant: Tenant, words: list[str]) -> tuple[str, list[str]]:
    """Let the query word with the fewest matches drive the index range, the others filter."""
    counts = [customers.count_terms_up_to(cur, tenant.id, w, DRIVER_PROBE) for w in words]
    rarest = counts.index(min(counts))
    return words[rarest], words[:rarest] + words[rarest + 1 :]


def customers_change_marker(conn, tenant: Tenant, settle_seconds: float) -> str | None:
    """A value that changes whenever any customer or balance of the tenant changes, or None
    while that cannot be promised.

    The marker is the newest ``updated_at`` of the tenant's balance rows (one index dive).
    A transaction still in flight may commit a row stamped earlier than a newer committed
    one and leave that maximum unchanged; but no transaction lives longer than
    ``settle_seconds`` (the request's database budget, with margin). So once the newest
    change is older than that, nothing older can still appear and the marker is safe; before
    then, None tells the caller not to answer "unchanged".
    """
    row = run_query(conn, lambda cur: balances.latest_change(cur, tenant.id))
    latest = row["latest"]
    if latest is None:
        return "empty"
    if row["now"] - latest < timedelta(seconds=settle_seconds):
        return None
    return latest.isoformat()


def walk_customers(
    batch_connection: Callable[[], AbstractContextManager], tenant: Tenant, query: str, batch: int
) -> Iterator[list[dict]]:
    """Every customer matching ``query`` (as ``list_customers`` searches), ``batch`` cards at a
    time, by keyset: memory stays flat however many there are.

    Everyone (an empty query) is walked by id, a search by its listing's own key (number, or
    name word); no points change moves either, so a row that changes during a long walk is
    neither skipped nor given twice. ``with batch_connection() as conn`` gives the connection
    for one batch, so each batch has its own time budget. Reads only.
    """
    kind, pattern, other_words = plan_search(query, tenant.phone_region)

    def read_after(after):
        def read(cur) -> list[dict]:
            if kind == "recent":
                return customers.cards_after(cur, tenant.id, after or 0, batch)
            return customers.page(
                cur, kind, tenant.id, pattern=pattern, other_words=other_words,
                after=after, limit=batch,
            )  # fmt: skip

        return read

    after = None
    while True:
        with batch_connection() as conn:
            rows = run_query(conn, read_after(after))
        if not rows:
            return
        yield rows
        last = rows[-1]
        after = last["customer_id"] if kind == "recent" else last["sort_key"]


# What each part of a listing's sort key is (store.customers.LISTINGS' "key"): a cursor is
# decoded from client text, so every part is checked before it reaches SQL (issue 19, item 6).
_CURSOR_PARTS = {
    "recent": (str, int),  # updated_at (ISO 8601), balance row id
    "phone_prefix": (str,),  # phone
    "phone_suffix": (str, int),  # phone_rev, customer id
    "name": (str, int),  # search term, customer id
}
MAX_CURSOR_ID = 2**63 - 1
MAX_CURSOR_TEXT = 200


def _check_cursor_parts(kind: str, key: list) -> None:
    """Raise ValueError unless every part of ``key`` has its listing's type and a sane size."""
    for part, expected in zip(key, _CURSOR_PARTS[kind], strict=True):
        if type(part) is not expected:  # not bool for int, not float, list, dict or None
            raise ValueError("a cursor part of the wrong type")
        if expected is int and not 0 <= part <= MAX_CURSOR_ID:
            raise ValueError("a cursor id out of range")
        if expected is str and len(part) > MAX_CURSOR_TEXT:
            raise ValueError("a cursor text too long")
