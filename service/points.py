"""Points changes: earn, redeem, reverse and adjust, each ONE transaction through one skeleton.

Every points change is an ``Operation`` run by ``_change_points`` as one transaction
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

from . import rules
from .customers import enrol
from .db import run_in_transaction, run_query
from .exceptions import CustomerNotFound, TransactionNotFound, TransactionReferenceReused
from .phones import normalize_phone
from .rules import ADJUST, BALANCE_COLUMNS, EARN, REDEEM, REVERSE, Totals
from .store import balances, ledger
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


@dataclass(frozen=True)
class Operation:
    """One points change for the skeleton: its type and reference, the request as asked
    (``points`` None: the rule decides, e.g. "all that is left"), and its two steps.

    ``locate(cur)`` returns the customer's balance row, locked (or raises the domain error);
    ``decide(cur, account)`` applies the operation's rule to it and returns the Decision.
    """

    operation_type: str
    reference: str
    points: int | None
    details: dict | None
    locate: Callable[[object], dict]
    decide: Callable[[object, dict], Decision]


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

    operation = Operation(
        REDEEM, change.transaction_reference, change.points, change.details, locate, decide
    )
    return _change_points(conn, tenant, operation)


def earn_points(conn, tenant: Tenant, change: PointsChange, name: str | None = None) -> dict:
    """Add ``change.points`` to the customer's balance and log ``earn_points``.

    An unknown phone enrols the customer (with ``name``) in the same transaction. Replays as
    ``redeem_points`` does. Raises InvalidPhone, TransactionReferenceReused.
    """
    e164 = normalize_phone(change.phone, tenant.phone_region)

    def locate(cur) -> dict:
        account = balances.lock_by_phone(cur, tenant.id, e164)
        if account is None:
            enrol(cur, tenant, e164, name)
            account = balances.lock_by_phone(cur, tenant.id, e164)
        return account

    def decide(_cur, _account: dict) -> Decision:
        return Decision(change.points, change.details)

    operation = Operation(
        EARN, change.transaction_reference, change.points, change.details, locate, decide
    )
    return _change_points(conn, tenant, operation)


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
    # The redemption is immutable: no need to read it under lock.
    original = run_query(
        conn, lambda cur: ledger.find_by_reference(cur, tenant.id, REDEEM, redemption_reference)
    )
    if original is None:
        raise TransactionNotFound(f"No redemption with reference {redemption_reference!r}.")
    return _reverse(conn, tenant, original, points, reason, reference)


def reverse_transaction(
    conn,
    tenant: Tenant,
    customer_id: int,
    transaction_id: int,
    points: int | None,
    reason: str | None,
    reference: str | None,
) -> dict:
    """The admin's reverse of one of the customer's ledger rows, picked by its id: all
    (``points`` None) or part of a redemption, as ``reverse_redemption`` does.

    Raises TransactionNotFound when it is not a redemption of this customer of this shop,
    ReversalExceedsRedemption, TransactionReferenceReused.
    """
    row = run_query(conn, lambda cur: ledger.get(cur, transaction_id))
    if (
        row is None
        or row["tenant_id"] != tenant.id
        or row["customer_id"] != customer_id
        or row["operation_type"] != REDEEM
    ):
        raise TransactionNotFound(f"Customer {customer_id} has no redemption {transaction_id}.")
    return _reverse(conn, tenant, row, points, reason, reference)


def _reverse(conn, tenant, original: dict, points, reason, reference) -> dict:
    details = {
        "reverses_transaction_id": original["id"],
        "reverses_reference": original["transaction_reference"],
    }
    if reason:
        details["reason"] = reason

    def locate(cur) -> dict:
        return balances.lock(cur, tenant.id, original["customer_id"])

    def decide(cur, account: dict) -> Decision:
        already = ledger.reversed_total(cur, account["customer_id"], original["id"])
        amount = rules.reversible_points(
            original["points_amount"], already, points, original["transaction_reference"]
        )
        return Decision(amount, details)

    operation = Operation(
        REVERSE, reference or f"rev-{original['id']}", points, details, locate, decide
    )
    return _change_points(conn, tenant, operation)


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

    operation = Operation(
        ADJUST, reference or f"adj-{uuid.uuid4().hex[:24]}", points, details, locate, decide
    )
    return _change_points(conn, tenant, operation)


def _change_points(conn, tenant: Tenant, operation: Operation) -> dict:
    """The one skeleton of every points change, run as one transaction.

    ``operation.locate`` finds the customer's balance row, locked; a stored row with this
    (operation type, reference) answers as a replay when it is the same request
    (``rules.is_same_request``) and raises TransactionReferenceReused when it is not;
    otherwise ``operation.decide`` applies the operation's rule (raising its domain error)
    and the change is written. Returns the outcome.
    """
    kind, reference = operation.operation_type, operation.reference

    def work(cur) -> dict:
        account = operation.locate(cur)
        stored_id = ledger.id_by_reference(cur, tenant.id, kind, reference)
        if stored_id is not None:
            stored = ledger.get(cur, stored_id)
            same = rules.is_same_request(
                stored, account["customer_id"], operation.points, operation.details
            )
            if not same:
                raise TransactionReferenceReused(
                    f"Reference {reference!r} was already used for a different "
                    f"{kind} request; nothing was changed.",
                    transaction_reference=reference,
                )
            sums = ledger.totals_through(cur, stored["customer_id"], stored["id"])
            return _outcome(stored, Totals(*(sums[c] for c in BALANCE_COLUMNS)), replayed=True)
        decision = operation.decide(cur, account)
        return _record(cur, tenant, account, kind, reference, decision)

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
    return Totals(*(account[c] for c in BALANCE_COLUMNS))


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
