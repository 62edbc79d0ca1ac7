"""The loyalty domain: look customers up, earn, redeem, reverse and adjust points.

Every points change runs the ONE skeleton, ``_change_points``, as one transaction
(``run_in_transaction``): lock the customer's balance row, answer a known reference as a
replay, apply the operation's rule (``rules.py``), then update the balance, append the ledger
row and queue the webhook event. They commit together or not at all. Writes of one customer
queue on its balance-row lock, so no update is lost and no balance is overdrawn; writes of
different customers never wait for each other (there is no tenant-wide row to bump).

A redemption is six statements between BEGIN and COMMIT (lock, reference check, update,
ledger insert, event insert, deliveries insert), and its answer is computed from the locked
row, not read back.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pymysql

from . import rules
from .db import run_in_transaction
from .exceptions import (
    CustomerNotFound,
    RetryableConflict,
    TransactionNotFound,
    TransactionReferenceReused,
)
from .mysql_codes import ER_DUP_ENTRY
from .phones import normalize_phone
from .rules import ADJUST, EARN, OPEN, REDEEM, REVERSE, Totals
from .store import balances, customers, ledger
from .tenancy import Tenant
from .webhooks import record_event


@dataclass(frozen=True)
class PointsChange:
    """A request to move points, as the POS sent it (``phone`` not yet normalised)."""

    phone: str
    points: int
    transaction_reference: str
    details: dict | None = None


@dataclass(frozen=True)
class Decision:
    """What a points change will write, once its rule has accepted it."""

    points: int
    details: dict | None


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

    def locate(cur) -> dict:
        account = balances.lock_by_phone(cur, tenant.id, e164)
        if account is None:
            raise CustomerNotFound(f"No customer with phone {e164} in this shop.", phone=e164)
        return account

    def decide(_cur, account: dict) -> Decision:
        rules.check_balance_covers(_totals(account), REDEEM, change.points)
        return Decision(change.points, change.details)

    return _change_points(
        conn, tenant, REDEEM, change.transaction_reference, change.points, change.details,
        locate, decide,
    )  # fmt: skip


def earn_points(conn, tenant: Tenant, change: PointsChange, name: str | None = None) -> dict:
    """Add ``change.points`` to the customer's balance and log ``earn_points``.

    An unknown phone enrols the customer (with ``name``) in the same transaction. Replays as
    ``redeem_points`` does. Raises InvalidPhone, TransactionReferenceReused.
    """
    e164 = normalize_phone(change.phone, tenant.phone_region)

    def locate(cur) -> dict:
        account = balances.lock_by_phone(cur, tenant.id, e164)
        if account is None:
            _enrol(cur, tenant, e164, name)
            account = balances.lock_by_phone(cur, tenant.id, e164)
        return account

    def decide(_cur, _account: dict) -> Decision:
        return Decision(change.points, change.details)

    return _change_points(
        conn, tenant, EARN, change.transaction_reference, change.points, change.details,
        locate, decide,
    )  # fmt: skip


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
    with conn.cursor() as cur:  # the redemption is immutable: no need to read it under lock
        original = ledger.find_by_reference(cur, tenant.id, REDEEM, redemption_reference)
    if original is None:
        raise TransactionNotFound(f"No redemption with reference {redemption_reference!r}.")
    details = {
        "reverses_transaction_id": original["id"],
        "reverses_reference": redemption_reference,
    }
    if reason:
        details["reason"] = reason

    def locate(cur) -> dict:
        return balances.lock(cur, tenant.id, original["customer_id"])

    def decide(cur, account: dict) -> Decision:
        already = ledger.reversed_total(cur, account["customer_id"], original["id"])
        amount = rules.refundable_points(
            original["points_amount"], already, points, redemption_reference
        )
        return Decision(amount, details)

    return _change_points(
        conn, tenant, REVERSE, reference or f"rev-{original['id']}", points, details,
        locate, decide,
    )  # fmt: skip


def adjust_points(
    conn, tenant: Tenant, customer_id: int, points: int, reason: str, reference: str | None = None
) -> dict:
    """An admin's correction: add (positive) or remove (negative) points, with a reason.

    Raises CustomerNotFound, InsufficientPoints (when it would go below zero),
    TransactionReferenceReused.
    """
    details = {"reason": reason}

    def locate(cur) -> dict:
        account = balances.lock(cur, tenant.id, customer_id)
        if account is None:
            raise CustomerNotFound(f"No customer {customer_id} in this shop.")
        return account

    def decide(_cur, account: dict) -> Decision:
        rules.check_balance_covers(_totals(account), ADJUST, points)
        return Decision(points, details)

    return _change_points(
        conn, tenant, ADJUST, reference or f"adj-{uuid.uuid4().hex[:24]}", points, details,
        locate, decide,
    )  # fmt: skip


def _change_points(
    conn,
    tenant: Tenant,
    operation_type: str,
    reference: str,
    points: int | None,
    details: dict | None,
    locate: Callable[[object], dict],
    decide: Callable[[object, dict], Decision],
) -> dict:
    """The one skeleton of every points change, run as one transaction.

    ``locate(cur)`` returns the customer's balance row, locked; a stored row with this
    (operation type, reference) answers as a replay when it is the same request
    (``rules.is_same_request``) and raises TransactionReferenceReused when it is not;
    otherwise ``decide(cur, account)`` applies the operation's rule (raising its domain error)
    and the change is written. Returns the outcome.
    """

    def work(cur) -> dict:
        account = locate(cur)
        stored_id = ledger.id_by_reference(cur, tenant.id, operation_type, reference)
        if stored_id is not None:
            stored = ledger.get(cur, stored_id)
            if not rules.is_same_request(stored, account["customer_id"], points, details):
                raise TransactionReferenceReused(
                    f"Reference {reference!r} was already used for a different "
                    f"{operation_type} request; nothing was changed.",
                    transaction_reference=reference,
                )
            sums = ledger.totals_through(cur, stored["customer_id"], stored["id"])
            return _outcome(stored, Totals(*(sums[c] for c in BALANCE_COLUMNS)), replayed=True)
        decision = decide(cur, account)
        return _record(cur, tenant, account, operation_type, reference, decision)

    return run_in_transaction(conn, work)


def _record(cur, tenant, account, operation_type, reference, decision: Decision) -> dict:
    """Apply the change to the locked balance row, log it and queue its webhook event: all
    inside the caller's transaction. The answer is computed from the locked row."""
    before = _totals(account)
    after = before.after(operation_type, decision.points)
    balances.apply_change(
        cur,
        account["customer_id"],
        balance=after.points_balance - before.points_balance,
        earned=after.total_points_earned - before.total_points_earned,
        redeemed=after.total_points_redeemed - before.total_points_redeemed,
    )
    row = {
        "customer_id": account["customer_id"],
        "phone": account["phone"],
        "operation_type": operation_type,
        "points_amount": decision.points,
        "transaction_reference": reference,
        "operation_details": decision.details,
        # Stored as given, so a replay answers the very same time; UTC, naive like the column.
        "created_at": datetime.now(UTC).replace(tzinfo=None),
    }
    row["id"] = ledger.insert(cur, tenant_id=tenant.id, **row)
    outcome = _outcome(row, after)
    record_event(cur, tenant, outcome)
    return outcome


def _totals(account: dict) -> Totals:
    return Totals(
        account["points_balance"], account["total_points_earned"], account["total_points_redeemed"]
    )


def _outcome(row: dict, totals: Totals, replayed: bool = False) -> dict:
    return {
        "transaction_id": row["id"],
        "customer_id": row["customer_id"],
        "phone": row["phone"],
        "operation_type": row["operation_type"],
        "points_amount": row["points_amount"],
        "points_balance": totals.points_balance,
        "total_points_earned": totals.total_points_earned,
        "total_points_redeemed": totals.total_points_redeemed,
        "transaction_reference": row["transaction_reference"],
        "created_at": row["created_at"],
        "replayed": replayed,
    }


def enrol_customer(conn, tenant: Tenant, phone: str, name: str | None = None) -> dict:
    """The customer with this phone, enrolled (with a zero opening balance) when new.

    Raises InvalidPhone.
    """
    e164 = normalize_phone(phone, tenant.phone_region)

    def work(cur) -> dict:
        return customers.find_by_phone(cur, tenant.id, e164) or _enrol(cur, tenant, e164, name)

    return run_in_transaction(conn, work)


def _enrol(cur, tenant: Tenant, phone: str, name: str | None) -> dict:
    """Insert the customer, its balance row, its name's search terms and its opening entry."""
    try:
        customer_id = customers.insert(cur, tenant.id, phone, name)
    except pymysql.err.IntegrityError as exc:
        if exc.args[0] == ER_DUP_ENTRY:
            raise RetryableConflict(f"customer {phone} enrolled concurrently") from exc
        raise
    balances.insert(cur, tenant.id, customer_id, phone)
    customers.index_name(cur, tenant.id, customer_id, name)
    ledger.insert(
        cur,
        tenant_id=tenant.id,
        customer_id=customer_id,
        phone=phone,
        operation_type=OPEN,
        points_amount=0,
        transaction_reference=f"open-{customer_id}",
        operation_details=None,
        created_at=datetime.now(UTC).replace(tzinfo=None),
    )
    return {"id": customer_id, "tenant_id": tenant.id, "phone": phone, "name": name}


def customer_version(conn, tenant: Tenant, customer_id: int) -> int:
    """A number that changes whenever the customer's balance, ledger or name changes.

    One primary-key read of its balance row; raises CustomerNotFound when it is not the
    tenant's.
    """
    with conn.cursor() as cur:
        version = balances.version(cur, tenant.id, customer_id)
    if version is None:
        raise CustomerNotFound(f"No customer {customer_id} in this shop.")
    return version


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
    with conn.cursor() as cur:
        checked, rows = ledger.balances_disagreeing(cur, tenant.id if tenant else None)
    drifts = []
    for row in rows:
        for column in BALANCE_COLUMNS:
            expected = int(row[f"expected_{column}"])
            if row[column] != expected:
                drifts.append({**_who(row), "column": column, "stored": row[column],
                               "expected": expected})  # fmt: skip
        if row["points_balance"] < 0:
            drifts.append({**_who(row), "column": "points_balance",
                           "stored": row["points_balance"], "expected": ">= 0"})  # fmt: skip
    return checked, drifts


def _who(row: dict) -> dict:
    return {"customer_id": row["customer_id"], "tenant": row["tenant"], "phone": row["phone"]}
