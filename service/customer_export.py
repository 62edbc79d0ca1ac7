"""The customer list as a CSV download: spreadsheet-safe cells, streamed a batch at a time."""

import csv
import io
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from .customer_list import walk_customers
from .tenancy import Tenant

EXPORT_BATCH = 1000
EXPORT_COLUMNS = (
    "customer_id",
    "phone",
    "name",
    "points_balance",
    "total_points_earned",
    "total_points_redeemed",
    "updated_at",
)
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def export_customers_csv(
    batch_connection: Callable[[], AbstractContextManager], tenant: Tenant, query: str
) -> Iterator[str]:
    """The tenant's customers matching ``query`` (as the list searches) as CSV text: a header
    line, then one chunk per batch of EXPORT_BATCH rows (``customer_list.walk_customers``:
    memory stays flat, nobody is skipped or written twice). ``batch_connection`` gives each
    batch its connection: a streamed response is read after the view returned. Text cells
    that a spreadsheet would run as a formula get a leading apostrophe. Reads only.
    """
    yield csv_text([EXPORT_COLUMNS])
    for batch in walk_customers(batch_connection, tenant, query, EXPORT_BATCH):
        yield csv_text([_export_row(card) for card in batch])


def spreadsheet_safe(value: str) -> str:
    """The text with a leading apostrophe when a spreadsheet would read it as a formula: its
    first visible character, after spaces and invisible characters, is a formula trigger in
    any width (full-width U+FF1D is "=" to a spreadsheet that folds widths; OWASP CSV
    injection)."""
    return "'" + value if _first_visible(value).startswith(FORMULA_TRIGGERS) else value


def _first_visible(value: str) -> str:
    """``value`` from its first character that is neither a space nor invisible (Zs, Cc, Cf,
    Zl, Zp: tab and CR are triggers themselves), folded to its narrow form (NFKC)."""
    for i, ch in enumerate(value):
        if ch in FORMULA_TRIGGERS or unicodedata.category(ch) not in _SKIPPED_CATEGORIES:
            return unicodedata.normalize("NFKC", value[i : i + 1])
    return ""


_SKIPPED_CATEGORIES = frozenset({"Zs", "Cc", "Cf", "Zl", "Zp"})


def _export_row(card: dict) -> list:
    updated = card["updated_at"]
    return [
        card["customer_id"],
        spreadsheet_safe(card["phone"]),
        spreadsheet_safe(card["name"] or ""),
        card["points_balance"],
        card["total_points_earned"],
        card["total_points_redeemed"],
        updated.strftime("%Y-%m-%dT%H:%M:%S") + "Z" if updated else "",
    ]


def csv_text(rows: list) -> str:
    """Rows as CSV text (CRLF line ends, as spreadsheets expect)."""
    buffer = io.StringIO()
    # Every text cell quoted: a spreadsheet that splits on ";" or "," cannot cut a formula
    # out of the middle of a cell (numbers stay numbers).
    csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC).writerows(rows)
    return buffer.getvalue()
