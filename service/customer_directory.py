"""The admin's customer directory: add a customer, rename one, export the list as CSV, and
refund a redemption picked from a customer's ledger.

Points only move through ``loyalty.py`` (the refund calls ``reverse_redemption``). A rename
marks the customer changed (``_mark_changed``) and an enrolment writes a new balance row, so
live admin pages see either on their next poll.
"""

import csv
import io
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from .customer_search import plan_search
from .db import run_in_transaction
from .exceptions import CustomerExists, CustomerNotFound, TransactionNotFound
from .loyalty import enrol_customer, reverse_redemption
from .phones import normalize_phone
from .rules import REDEEM
from .store import balances, customers, ledger
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


def add_customer(conn, tenant: Tenant, phone: str, name: str | None) -> dict:
    """Enrol a new customer (zero balance, opening ledger entry) and return its card.

    Raises InvalidPhone, and CustomerExists when the phone is already enrolled in this shop:
    an admin adding a customer must not be told it was created when it was not. (Two admins
    adding the same new phone at the same instant both succeed, with the one customer.)
    """
    e164 = normalize_phone(phone, tenant.phone_region)
    with conn.cursor() as cur:
        existing = customers.find_by_phone(cur, tenant.id, e164)
    if existing is not None:
        raise CustomerExists(
            f"{e164} is already enrolled (customer {existing['id']}); nothing was changed.",
            customer_id=existing["id"],
            phone=e164,
        )
    customer = enrol_customer(conn, tenant, e164, name)
    with conn.cursor() as cur:
        return customers.card(cur, tenant.id, customer["id"])


def rename_customer(conn, tenant: Tenant, customer_id: int, name: str | None) -> dict:
    """Set (or clear, with None) the customer's name; returns its card.

    Raises CustomerNotFound when the customer is not the tenant's; writes nothing then.
    """

    def work(cur) -> dict:
        if customers.get(cur, tenant.id, customer_id) is None:
            raise CustomerNotFound(f"No customer {customer_id} in this shop.")
        customers.set_name(cur, tenant.id, customer_id, name)
        _mark_changed(cur, customer_id)
        return customers.card(cur, tenant.id, customer_id)

    return run_in_transaction(conn, work)


def refund_redemption(
    conn,
    tenant: Tenant,
    customer_id: int,
    transaction_id: int,
    points: int | None,
    reason: str | None,
    reference: str | None,
) -> dict:
    """Give back all (``points`` None) or part of the customer's redemption ``transaction_id``
    (see ``loyalty.reverse_redemption``, which does it in one transaction).

    Raises TransactionNotFound when it is not a redemption of this customer of this shop,
    ReversalExceedsRedemption, TransactionReferenceReused.
    """
    with conn.cursor() as cur:
        row = ledger.get(cur, transaction_id)
    if (
        row is None
        or row["tenant_id"] != tenant.id
        or row["customer_id"] != customer_id
        or row["operation_type"] != REDEEM
    ):
        raise TransactionNotFound(f"Customer {customer_id} has no redemption {transaction_id}.")
    return reverse_redemption(
        conn,
        tenant,
        row["transaction_reference"],
        points=points,
        reason=reason,
        reference=reference,
    )


def export_customers_csv(
    batch_connection: Callable[[], AbstractContextManager], tenant: Tenant, query: str
) -> Iterator[str]:
    """The tenant's customers matching ``query`` (as the list searches, ``plan_search``) as
    CSV text: a header line, then one chunk per batch of EXPORT_BATCH rows.

    A generator with keyset iteration, so memory stays constant however many customers there
    are. Everyone (an empty query) is walked by id; a search by its listing's own key (number,
    or name word), which no points change moves, so a row that changes during a long export
    is neither skipped nor written twice. ``with batch_connection() as conn`` gives the
    connection for one batch: a streamed response is read after the view returned, and each
    batch gets its own time budget. Text cells that a spreadsheet would run as a formula get
    a leading apostrophe. Reads only.
    """
    yield _csv_lines([EXPORT_COLUMNS])
    for batch in _batches(batch_connection, tenant, query):
        yield _csv_lines([_export_row(card) for card in batch])


def _batches(batch_connection, tenant: Tenant, query: str) -> Iterator[list[dict]]:
    kind, pattern, other_words = plan_search(query, tenant.phone_region)
    after = None
    while True:
        with batch_connection() as conn, conn.cursor() as cur:
            if kind == "recent":
                batch = customers.cards_after(cur, tenant.id, after or 0, EXPORT_BATCH)
            else:
                batch = customers.page(
                    cur, kind, tenant.id, pattern=pattern, other_words=other_words,
                    after=after, limit=EXPORT_BATCH,
                )  # fmt: skip
        if not batch:
            return
        yield batch
        last = batch[-1]
        after = last["customer_id"] if kind == "recent" else last["sort_key"]


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


def _csv_lines(rows: list) -> str:
    buffer = io.StringIO()
    # Every text cell quoted: a spreadsheet that splits on ";" or "," cannot cut a formula
    # out of the middle of a cell (numbers stay numbers).
    csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC).writerows(rows)
    return buffer.getvalue()


def _mark_changed(cur, customer_id: int) -> None:
    """Tell live admin pages the customer changed (its list position, the list's and its
    history's ETags move), inside the caller's transaction: the one place this module does."""
    balances.touch(cur, customer_id)
