"""The loyalty domain: look customers up, earn and redeem points, list customers.

Every function that changes points runs as ONE transaction (``run_in_transaction``): the
balance row, the ledger row and the tenant's data version commit together or not at all.
Writes of one customer are serialised by a lock on the balance row, so no update is lost and
no balance is overdrawn; a ``transaction_reference`` already used makes the call a replay.
"""

import uuid
from dataclasses import dataclass

import pymysql

from .db import run_in_transaction
from .exceptions import (
    CustomerNotFound,
    InsufficientPoints,
    RetryableConflict,
    ReversalExceedsRedemption,
    TransactionNotFound,
    TransactionReferenceReused,
)
from .mysql_codes import ER_DUP_ENTRY
from .phones import digit_fragments, normalize_phone
from .store import balances, customers, ledger, tenants
from .tenancy import Tenant
from .webhooks import record_event


@dataclass(frozen=True)
class PointsChange:
    """A request to move points, as the POS sent it (``phone`` not yet normalised)."""

    phone: str
    points: int
    transaction_reference: str
    details: dict | None = None


def lookup_customer(conn, tenant: Tenant, phone: str) -> dict:
    """The customer's card (balance and totals); raises InvalidPhone, CustomerNotFound."""
    e164 = normalize_phone(phone, tenant.phone_region)
    with conn.cursor() as cur:
        card = customers.card_by_phone(cur, tenant.id, e164)
    if card is None:
        raise CustomerNotFound(f"No customer with phone {e164} in this shop.", phone=e164)
    return card


def redeem_points(conn, tenant: Tenant, change: PointsChange) -> dict:
    """Take ``change.points`` from the customer's balance and log ``redeem_points``.

    Returns the outcome (``replayed`` True when the reference was already redeemed with the
    same body: nothing is written then). Raises InvalidPhone, CustomerNotFound,
    InsufficientPoints (with the current balance), TransactionReferenceReused; writes nothing
    when it raises.
    """
    e164 = normalize_phone(change.phone, tenant.phone_region)

    def work(cur) -> dict:
        customer = customers.find_by_phone(cur, tenant.id, e164)
        if customer is None:
            raise CustomerNotFound(f"No customer with phone {e164} in this shop.", phone=e164)
        balance = balances.lock(cur, customer["id"])
        replay = _replay_if_known(
            cur, tenant, ledger.REDEEM, change.transaction_reference, _same_change(customer, change)
        )
        if replay:
            return replay
        if balance["points_balance"] < change.points:
            raise InsufficientPoints(
                f"The customer has {balance['points_balance']} points; "
                f"{change.points} were asked for.",
                points_balance=balance["points_balance"],
                points_requested=change.points,
            )
        return _record(cur, tenant, customer, ledger.REDEEM, change)

    return run_in_transaction(conn, work)


def earn_points(conn, tenant: Tenant, change: PointsChange, name: str | None = None) -> dict:
    """Add ``change.points`` to the customer's balance and log ``earn_points``.

    An unknown phone enrols the customer (with ``name``) in the same transaction. Replays as
    ``redeem_points`` does. Raises InvalidPhone, TransactionReferenceReused.
    """
    e164 = normalize_phone(change.phone, tenant.phone_region)

    def work(cur) -> dict:
        customer = customers.find_by_phone(cur, tenant.id, e164) or _enrol(cur, tenant, e164, name)
        balances.lock(cur, customer["id"])
        replay = _replay_if_known(
            cur, tenant, ledger.EARN, change.transaction_reference, _same_change(customer, change)
        )
        if replay:
            return replay
        return _record(cur, tenant, customer, ledger.EARN, change)

    return run_in_transaction(conn, work)


def reverse_redemption(
    conn,
    tenant: Tenant,
    redemption_reference: str,
    points: int | None = None,
    reason: str | None = None,
    reference: str | None = None,
) -> dict:
    """Give back all (``points`` None) or part of a redemption, as for a refunded order.

    Logs ``reverse_redemption`` pointing at the original (``operation_details``) and lowers
    ``total_points_redeemed``. Reversals of one redemption never add up to more than it took.
    ``reference`` (default ``rev-<original id>``) makes the call idempotent. Raises
    TransactionNotFound, ReversalExceedsRedemption, TransactionReferenceReused.
    """

    def work(cur) -> dict:
        original = ledger.find_by_reference(cur, tenant.id, ledger.REDEEM, redemption_reference)
        if original is None:
            raise TransactionNotFound(f"No redemption with reference {redemption_reference!r}.")
        customer = customers.get(cur, tenant.id, original["customer_id"])
        balances.lock(cur, customer["id"])
        details = {
            "reverses_transaction_id": original["id"],
            "reverses_reference": redemption_reference,
        }
        if reason:
            details["reason"] = reason
        own_reference = reference or f"rev-{original['id']}"

        def matches(row: dict) -> bool:
            return row["operation_details"] == details and points in (None, row["points_amount"])

        replay = _replay_if_known(cur, tenant, ledger.REVERSE, own_reference, matches)
        if replay:
            return replay
        remaining = original["points_amount"] - ledger.reversed_total(
            cur, customer["id"], original["id"]
        )
        amount = remaining if points is None else points
        if amount <= 0 or amount > remaining:
            raise ReversalExceedsRedemption(
                f"Only {remaining} of the {original['points_amount']} points redeemed by "
                f"{redemption_reference!r} can still be given back.",
                points_remaining=remaining,
            )
        change = PointsChange(customer["phone"], amount, own_reference, details)
        return _record(cur, tenant, customer, ledger.REVERSE, change)

    return run_in_transaction(conn, work)


def adjust_points(
    conn, tenant: Tenant, customer_id: int, points: int, reason: str, reference: str | None = None
) -> dict:
    """An admin's correction: add (positive) or remove (negative) points, with a reason.

    Raises CustomerNotFound, InsufficientPoints (when it would go below zero),
    TransactionReferenceReused.
    """
    reference = reference or f"adj-{uuid.uuid4().hex[:24]}"

    def work(cur) -> dict:
        customer = customers.get(cur, tenant.id, customer_id)
        if customer is None:
            raise CustomerNotFound(f"No customer {customer_id} in this shop.")
        balance = balances.lock(cur, customer_id)
        change = PointsChange(customer["phone"], points, reference, {"reason": reason})
        replay = _replay_if_known(
            cur, tenant, ledger.ADJUST, reference, _same_change(customer, change)
        )
        if replay:
            return replay
        if balance["points_balance"] + points < 0:
            raise InsufficientPoints(
                f"The customer has {balance['points_balance']} points; an adjustment of "
                f"{points} would take the balance below zero.",
                points_balance=balance["points_balance"],
                points_requested=-points,
            )
        return _record(cur, tenant, customer, ledger.ADJUST, change)

    return run_in_transaction(conn, work)


def enrol_customer(conn, tenant: Tenant, phone: str, name: str | None = None) -> dict:
    """The customer with this phone, enrolled (with a zero opening balance) when new.

    Raises InvalidPhone.
    """
    e164 = normalize_phone(phone, tenant.phone_region)

    def work(cur) -> dict:
        return customers.find_by_phone(cur, tenant.id, e164) or _enrol(cur, tenant, e164, name)

    return run_in_transaction(conn, work)


def _enrol(cur, tenant: Tenant, phone: str, name: str | None) -> dict:
    """Insert the customer, its balance row and its opening ledger entry."""
    try:
        customer_id = customers.insert(cur, tenant.id, phone, name)
    except pymysql.err.IntegrityError as exc:
        if exc.args[0] == ER_DUP_ENTRY:
            raise RetryableConflict(f"customer {phone} enrolled concurrently") from exc
        raise
    balances.insert(cur, tenant.id, customer_id, phone)
    ledger.insert(
        cur,
        tenant_id=tenant.id,
        customer_id=customer_id,
        phone=phone,
        operation_type=ledger.OPEN,
        points_amount=0,
        transaction_reference=f"open-{customer_id}",
        operation_details=None,
    )
    tenants.bump_data_version(cur, tenant.id)
    return {"id": customer_id, "tenant_id": tenant.id, "phone": phone, "name": name}


def _replay_if_known(cur, tenant, operation_type, reference, matches) -> dict | None:
    """The original outcome when ``reference`` was used already for this operation type;
    None when it is new.

    Raises TransactionReferenceReused when ``matches(row)`` says the stored operation is not
    this request.
    """
    row = ledger.find_by_reference(cur, tenant.id, operation_type, reference)
    if row is None:
        return None
    if not matches(row):
        raise TransactionReferenceReused(
            f"Reference {reference!r} was already used for a different {operation_type} "
            "request; nothing was changed.",
            transaction_reference=reference,
        )
    totals = ledger.totals_through(cur, row["customer_id"], row["id"])
    return _outcome(row, totals, replayed=True)


def _same_change(customer: dict, change: PointsChange):
    def matches(row: dict) -> bool:
        return (
            row["customer_id"] == customer["id"]
            and row["points_amount"] == change.points
            and row["operation_details"] == change.details
        )

    return matches


def _record(cur, tenant, customer, operation_type, change) -> dict:
    """Apply the change to the locked balance row, log it, queue its webhook event, and mark
    the tenant's data changed: all inside the caller's transaction."""
    balance, earned, redeemed = (e * change.points for e in ledger.EFFECTS[operation_type])
    balances.apply_change(cur, customer["id"], balance=balance, earned=earned, redeemed=redeemed)
    transaction_id = ledger.insert(
        cur,
        tenant_id=tenant.id,
        customer_id=customer["id"],
        phone=customer["phone"],
        operation_type=operation_type,
        points_amount=change.points,
        transaction_reference=change.transaction_reference,
        operation_details=change.details,
    )
    outcome = _outcome(ledger.get(cur, transaction_id), balances.get(cur, customer["id"]))
    record_event(cur, tenant, outcome)
    tenants.bump_data_version(cur, tenant.id)
    return outcome


def _outcome(row: dict, totals: dict, replayed: bool = False) -> dict:
    return {
        "transaction_id": row["id"],
        "customer_id": row["customer_id"],
        "phone": row["phone"],
        "operation_type": row["operation_type"],
        "points_amount": row["points_amount"],
        "points_balance": totals["points_balance"],
        "total_points_earned": totals["total_points_earned"],
        "total_points_redeemed": totals["total_points_redeemed"],
        "transaction_reference": row["transaction_reference"],
        "created_at": row["created_at"],
        "replayed": replayed,
    }


def list_customers(conn, tenant: Tenant, query: str, page: int, per_page: int) -> dict:
    """One page of the tenant's customers whose name or phone matches ``query`` (phone digits
    in international or national form), most recently changed first."""
    name, digits = query.strip(), digit_fragments(query, tenant.phone_region)
    offset = (page - 1) * per_page
    with conn.cursor() as cur:
        total = customers.count_matching(cur, tenant.id, name, digits)
        items = customers.search_cards(cur, tenant.id, name, digits, per_page, offset)
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def customers_version(conn, tenant: Tenant) -> int:
    """A number that changes whenever any customer or balance of the tenant changes.

    One primary-key read: what makes an unchanged poll of the admin page nearly free.
    """
    with conn.cursor() as cur:
        return tenants.data_version(cur, tenant.id)


def customer_history(conn, tenant: Tenant, customer_id: int, page: int, per_page: int) -> dict:
    """One page of the customer's ledger entries, newest first.

    Raises CustomerNotFound when the customer is not the tenant's.
    """
    with conn.cursor() as cur:
        if customers.get(cur, tenant.id, customer_id) is None:
            raise CustomerNotFound(f"No customer {customer_id} in this shop.")
        total = ledger.count_for_customer(cur, customer_id)
        items = ledger.list_for_customer(cur, customer_id, per_page, (page - 1) * per_page)
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def history_by_phone(conn, tenant: Tenant, phone: str, page: int, per_page: int) -> dict:
    """The POS view of a customer's ledger, newest first; raises InvalidPhone,
    CustomerNotFound."""
    e164 = normalize_phone(phone, tenant.phone_region)
    with conn.cursor() as cur:
        customer = customers.find_by_phone(cur, tenant.id, e164)
    if customer is None:
        raise CustomerNotFound(f"No customer with phone {e164} in this shop.", phone=e164)
    return customer_history(conn, tenant, customer["id"], page, per_page)


BALANCE_COLUMNS = ("points_balance", "total_points_earned", "total_points_redeemed")


def verify_ledger(conn, tenant: Tenant | None = None) -> tuple[int, list[dict]]:
    """Check every balance row against its ledger; returns (rows checked, drifts).

    A drift is ``{customer_id, tenant, phone, column, stored, expected}``; a negative balance
    is one too (expected ``>= 0``). Reads only.
    """
    tenant_id = tenant.id if tenant else None
    with conn.cursor() as cur:
        rows = balances.all_with_tenant(cur, tenant_id)
        sums = ledger.totals_by_customer(cur, tenant_id)
    drifts = []
    for row in rows:
        expected = sums.get(row["customer_id"], {})
        for column in BALANCE_COLUMNS:
            if row[column] != expected.get(column, 0):
                drifts.append({**row, "column": column, "stored": row[column],
                               "expected": expected.get(column, 0)})  # fmt: skip
        if row["points_balance"] < 0:
            drifts.append({**row, "column": "points_balance", "stored": row["points_balance"],
                           "expected": ">= 0"})  # fmt: skip
    return len(rows), drifts
