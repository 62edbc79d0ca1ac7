"""Points changes: earn, redeem, reverse, adjust and expire, each through ONE skeleton.

Every points change is an ``Operation`` run by ``_change_points`` as one transaction
(``run_in_transaction``): lock the customer's balance row, answer a known reference as a
replay, apply the operation's rule (``rules.py``), then update the balance, append the ledger
row and queue the webhook event. They commit together or not at all. Writes of one customer
queue on its balance-row lock, so no update is lost and no balance is overdrawn; writes of
different customers never wait for each other (there is no tenant-wide row to bump).

A redemption is six statements between BEGIN and COMMIT (lock, reference check, update,
ledger insert, event insert, deliveries insert), and its answer is computed from the locked
row, not read back. A change that adds points (an earn, a reverse of a redemption, a positive
adjustment) reads the programme in force as well: it gives those points their expiry date.
Nothing per lot is kept: what expires when is computed at expiry time from the ledger
(``expire_points``, ``rules.points_due``).
"""

import uuid
from collections.abc import Callable
from dataclasses import asdict, astuple, dataclass
from datetime import datetime

from . import rules
from .actors import EXPIRY_JOB, UNATTRIBUTED, Actor, actor_of_row
from .clock import utc_now
from .customers import enrol
from .db import run_in_transaction, run_query
from .exceptions import (
    CustomerNotFound,
    InvalidField,
    TransactionNotFound,
    TransactionReferenceReused,
)
from .phones import normalize_phone
from .programme import current_programme
from .rules import (
    ADJUST,
    BALANCE_COLUMNS,
    EARN,
    EVENT_TYPES,
    EXPIRE,
    REDEEM,
    REVERSE_EARN,
    REVERSE_REDEMPTION,
    Purchase,
    Totals,
)
from .store import balances, expiry_runs, ledger
from .tenancy import Tenant
from .webhooks import record_event, record_events


@dataclass(frozen=True)
class PointsChange:
    """A request to move points, as the POS sent it (``phone`` not yet normalised).

    An earn gives either ``points`` or the bill (``purchase``), whose points the programme
    computes; every other change gives ``points``.
    """

    phone: str
    points: int | None
    transaction_reference: str
    details: dict | None = None
    purchase: Purchase | None = None


@dataclass(frozen=True)
class Decision:
    """What a points change will write, once its rule has accepted it: the points, the
    stored details (the request's, and what the service computed), and when the points it
    adds expire (None: never, or it adds none)."""

    points: int
    details: dict | None
    expires_at: datetime | None = None


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
    actor: Actor = UNATTRIBUTED


def redeem_points(conn, tenant: Tenant, change: PointsChange, actor: Actor = UNATTRIBUTED) -> dict:
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

    decide = _redeeming(change.points, change.details)
    operation = Operation(
        REDEEM, change.transaction_reference, change.points, change.details, locate, decide, actor
    )
    return _change_points(conn, tenant, operation)


def _redeeming(points: int, details: dict | None) -> Callable:
    """A redemption's rule: the balance covers ``points``, else InsufficientPoints."""

    def decide(_cur, account: dict) -> Decision:
        rules.check_balance_covers(_totals(account), REDEEM, points)
        return Decision(points, details)

    return decide


def earn_points(
    conn,
    tenant: Tenant,
    change: PointsChange,
    name: str | None = None,
    actor: Actor = UNATTRIBUTED,
) -> dict:
    """Add ``change.points``, or what ``change.purchase`` earns under the programme in force,
    to the customer's balance and log ``earn_points`` (for a bill, with the programme
    version, the eligible amount and the points from each rule; a bill that earns 0 is
    recorded too, so that its return can be matched).

    An unknown phone enrols the customer (with ``name``) in the same transaction. Replays as
    ``redeem_points`` does (the same reference and bill). Raises InvalidPhone,
    TransactionReferenceReused, CurrencyMismatch, NoEarnRule.
    """
    e164 = normalize_phone(change.phone, tenant.phone_region)

    def locate(cur) -> dict:
        account = balances.lock_by_phone(cur, tenant.id, e164)
        if account is None:
            enrol(cur, tenant, e164, name)
            account = balances.lock_by_phone(cur, tenant.id, e164)
        return account

    details = change.details
    if change.purchase is not None:
        details = {**(change.details or {}), "purchase": asdict(change.purchase)}

    decide = _earning(tenant, change.points, change.purchase, details)
    operation = Operation(
        EARN, change.transaction_reference, change.points, details, locate, decide, actor
    )
    return _change_points(conn, tenant, operation)


def _earning(tenant: Tenant | None, points, purchase, details, programme=None) -> Callable:
    """An earn's rule: ``points`` as sent, or what ``purchase`` earns under the programme in
    force (``programme`` when the caller read it in this transaction), stored with its
    calculation; the points expire as that programme says."""

    def decide(cur, _account: dict) -> Decision:
        in_force = programme or current_programme(cur, tenant)
        earned, stored = points, details
        if purchase is not None:
            calculation = rules.points_for_purchase(in_force, purchase)
            earned, stored = calculation.points, {**details, "programme": calculation.as_details()}
        return Decision(earned, stored, _expiry(in_force, earned))

    return decide


def reverse_redemption(
    conn,
    tenant: Tenant,
    redemption_reference: str,
    points: int | None = None,
    reason: str | None = None,
    reference: str | None = None,
    actor: Actor = UNATTRIBUTED,
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
    return _reverse_redemption(conn, tenant, original, points, reason, reference, actor)


def reverse_transaction(
    conn,
    tenant: Tenant,
    customer_id: int,
    transaction_id: int,
    points: int | None,
    reason: str | None,
    reference: str | None,
    returned_minor: int | None = None,
    actor: Actor = UNATTRIBUTED,
) -> dict:
    """The admin's reverse of one of the customer's ledger rows, picked by its id: a
    redemption (all, ``points`` None, or part: its points given back, as
    ``reverse_redemption``) or an earn (a purchase returned: all, or ``returned_minor`` of
    its bill, as ``reverse_earn``).

    Raises TransactionNotFound when it is not a redemption or earn of this customer of this
    shop, ReversalExceedsRedemption, ReversalExceedsEarn, TransactionReferenceReused.
    """
    row = run_query(conn, lambda cur: ledger.get(cur, transaction_id))
    if (
        row is None
        or row["tenant_id"] != tenant.id
        or row["customer_id"] != customer_id
        or row["operation_type"] not in (REDEEM, EARN)
    ):
        raise TransactionNotFound(
            f"Customer {customer_id} has no redemption or earn {transaction_id}."
        )
    if row["operation_type"] == EARN:
        if points is not None:
            raise InvalidField("points", "A purchase is returned by money (returned_minor).")
        return _reverse_earn(conn, tenant, row, returned_minor, reason, reference, actor)
    if returned_minor is not None:
        raise InvalidField("returned_minor", "A redemption is reversed by points.")
    return _reverse_redemption(conn, tenant, row, points, reason, reference, actor)


def _reverse_redemption(conn, tenant, original: dict, points, reason, reference, actor) -> dict:
    operation = reverse_redemption_operation(tenant, original, points, reason, reference, actor)
    return _change_points(conn, tenant, operation)


def reverse_redemption_operation(
    tenant: Tenant, original: dict, points, reason, reference, actor
) -> Operation:
    """The Operation giving back all (``points`` None) or part of the redemption ``original``
    (its ledger row): for ``_change_points``, or ``change_points_together``."""
    details = {
        "reverses_transaction_id": original["id"],
        "reverses_reference": original["transaction_reference"],
    }
    if reason:
        details["reason"] = reason

    def locate(cur) -> dict:
        return balances.lock(cur, tenant.id, original["customer_id"])

    def decide(cur, account: dict) -> Decision:
        already = sum(
            row["points_amount"]
            for row in ledger.reversals_of(
                cur, account["customer_id"], REVERSE_REDEMPTION, original["id"]
            )
        )
        amount = rules.reversible_points(
            original["points_amount"], already, points, original["transaction_reference"]
        )
        # Points given back are new points now: they expire like an earn made now, so a
        # reverse never hands back points that are already out of date.
        return Decision(amount, details, _expiry(current_programme(cur, tenant), amount))

    return Operation(
        REVERSE_REDEMPTION,
        reference or f"rev-{original['id']}",
        points,
        details,
        locate,
        decide,
        actor,
    )


def adjust_points(
    conn,
    tenant: Tenant,
    customer_id: int,
    points: int,
    reason: str,
    reference: str | None = None,
    actor: Actor = UNATTRIBUTED,
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

    def decide(cur, account: dict) -> Decision:
        rules.check_balance_covers(_totals(account), ADJUST, points)
        if points > 0:  # new points, expiring like an earn made now
            return Decision(points, details, _expiry(current_programme(cur, tenant), points))
        return Decision(points, details)

    operation = Operation(
        ADJUST, reference or f"adj-{uuid.uuid4().hex[:24]}", points, details, locate, decide, actor
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
    return run_in_transaction(conn, lambda cur: _apply(cur, tenant, operation))


def _apply(cur, tenant: Tenant, operation: Operation) -> dict:
    """The skeleton's steps for one operation, inside the caller's transaction (see
    ``_change_points``, and ``change_points_together`` for several in one transaction)."""
    kind, reference = operation.operation_type, operation.reference
    account = operation.locate(cur)
    stored_id = ledger.id_by_reference(cur, tenant.id, kind, reference)
    if stored_id is not None:
        stored = ledger.get(cur, stored_id)
        same = rules.is_same_request(
            {**stored, "operation_details": rules.request_details(stored["operation_details"])},
            account["customer_id"],
            operation.points,
            operation.details,
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
    return _record(cur, tenant, account, kind, reference, decision, operation.actor)


def _record(
    cur, tenant, account, operation_type, reference, decision: Decision, actor: Actor
) -> dict:
    """Apply the change to the locked balance row, log it and queue its webhook event: all
    inside the caller's transaction. The answer is computed from the locked row."""
    row, before, after = _entry(account, operation_type, reference, decision, actor)
    balances.apply_change(
        cur,
        account["customer_id"],
        **_deltas(before, after),
        expiring=row["expires_at"] is not None,
    )
    row["id"] = ledger.insert(cur, tenant_id=tenant.id, **row)
    outcome = _outcome(row, after)
    record_event(cur, tenant, outcome)
    return outcome


def _record_many(cur, tenant, entries: list[tuple], actor: Actor) -> list[dict]:
    """``_record`` for a batch of changes in one transaction, in a few statements whatever
    its size: one balance UPDATE, one multi-row ledger INSERT (and the read-back of its ids),
    one multi-row event INSERT. ``entries`` are ``(account, operation_type, reference,
    decision)`` in order, each account as the previous change of its customer left it (an
    expiry run's dates, an import's batch). Rows of a type that sends no webhook event (an
    import) queue none."""
    if not entries:
        return []
    rows, afters, deltas = [], [], {}
    for account, operation_type, reference, decision in entries:
        row, before, after = _entry(account, operation_type, reference, decision, actor)
        rows.append(row)
        afters.append(after)
        total = deltas.setdefault(
            account["customer_id"], {**dict.fromkeys(_DELTAS, 0), "expiring": False}
        )
        for name, value in _deltas(before, after).items():
            total[name] += value
        total["expiring"] = total["expiring"] or row["expires_at"] is not None
    balances.apply_changes(cur, [{"customer_id": cid, **d} for cid, d in deltas.items()])
    for row, row_id in zip(rows, ledger.insert_many(cur, tenant.id, rows), strict=True):
        row["id"] = row_id
    outcomes = [_outcome(row, after) for row, after in zip(rows, afters, strict=True)]
    record_events(cur, tenant, [o for o in outcomes if EVENT_TYPES.get(o["operation_type"])])
    return outcomes


_DELTAS = ("balance", "earned", "redeemed")


def _entry(account, operation_type, reference, decision: Decision, actor: Actor):
    """(the ledger row, the totals before, the totals after) of one change."""
    before = _totals(account)
    after = before.after(operation_type, decision.points)
    row = {
        "customer_id": account["customer_id"],
        "phone": account["phone"],
        "operation_type": operation_type,
        "points_amount": decision.points,
        "transaction_reference": reference,
        "operation_details": decision.details,
        "expires_at": decision.expires_at,
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_label": actor.label,
        "location_id": actor.location_id,
        "location_code": actor.location_code,
        # Stored as given, so a replay answers the very same time; UTC, naive like the column.
        "created_at": utc_now(),
    }
    return row, before, after


def _deltas(before: Totals, after: Totals) -> dict:
    return {
        "balance": after.points_balance - before.points_balance,
        "earned": after.total_points_earned - before.total_points_earned,
        "redeemed": after.total_points_redeemed - before.total_points_redeemed,
    }


def _totals(account: dict) -> Totals:
    return Totals(*(account[c] for c in BALANCE_COLUMNS))


def _outcome(row: dict, totals: Totals, replayed: bool = False) -> dict:
    details = row["operation_details"] or {}
    computed = details.get("programme") or {}
    return {
        "programme_version": computed.get("version"),
        "points_unrecovered": details.get("points_unrecovered", 0),
        "returned_minor": computed.get("returned_minor"),
        "expires_at": row.get("expires_at"),
        "actor": actor_of_row(row),
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


def _expiry(programme, points: int) -> datetime | None:
    """When points added now expire under ``programme`` (None when it adds none)."""
    if points <= 0:
        return None
    return rules.expiry_for(programme, utc_now())


def reverse_earn(
    conn,
    tenant: Tenant,
    earn_reference: str,
    returned_minor: int | None,
    reason: str | None,
    reference: str,
    actor: Actor = UNATTRIBUTED,
) -> dict:
    """A purchase returned at the till: take back what the earn ``earn_reference`` gave, all
    (``returned_minor`` None) or for ``returned_minor`` of its bill, by the numbers stored
    with the earn (its programme version), never today's programme.

    Logs ``reverse_earn`` (points taken back, positive) pointing at the earn. The balance
    never goes below zero: points already spent are not taken, and the answer and the row
    say so (``points_unrecovered``). Returns of one earn never add up to more points than it
    earned nor more money than its eligible amount. Raises TransactionNotFound,
    ReversalExceedsEarn, TransactionReferenceReused.
    """
    original = run_query(
        conn, lambda cur: ledger.find_by_reference(cur, tenant.id, EARN, earn_reference)
    )
    if original is None:
        raise TransactionNotFound(f"No earn with reference {earn_reference!r}.")
    return _reverse_earn(conn, tenant, original, returned_minor, reason, reference, actor)


def _reverse_earn(conn, tenant, original: dict, returned_minor, reason, reference, actor) -> dict:
    operation = reverse_earn_operation(tenant, original, returned_minor, reason, reference, actor)
    return _change_points(conn, tenant, operation)


def reverse_earn_operation(
    tenant: Tenant, original: dict, returned_minor, reason, reference, actor
) -> Operation:
    """The Operation taking back what the earn ``original`` (its ledger row) gave, all
    (``returned_minor`` None) or for part of its bill, as ``reverse_earn`` does."""
    earned_on = (original["operation_details"] or {}).get("programme") or {}
    details = {
        "reverses_transaction_id": original["id"],
        "reverses_reference": original["transaction_reference"],
    }
    if returned_minor is not None:
        details["returned_minor"] = returned_minor
    if reason:
        details["reason"] = reason

    def locate(cur) -> dict:
        return balances.lock(cur, tenant.id, original["customer_id"])

    def decide(cur, account: dict) -> Decision:
        taken_back = money_back = 0
        for row in ledger.reversals_of(cur, account["customer_id"], REVERSE_EARN, original["id"]):
            row_details = row["operation_details"] or {}
            taken_back += row["points_amount"] + row_details.get("points_unrecovered", 0)
            money_back += (row_details.get("programme") or {}).get("returned_minor") or 0
        due, money = rules.points_to_take_back(
            original["points_amount"],
            earned_on.get("eligible_minor"),
            taken_back,
            money_back,
            returned_minor,
            original["transaction_reference"],
        )
        taken, unrecovered = rules.take_from_balance(account["points_balance"], due)
        basis = {"version": earned_on.get("version"), "returned_minor": money, "points_due": due}
        stored = {**details, "programme": basis}
        if unrecovered:
            stored["points_unrecovered"] = unrecovered
        return Decision(taken, stored)

    return Operation(
        REVERSE_EARN, reference or f"ret-{original['id']}", None, details, locate, decide, actor
    )


@dataclass
class ExpiryReport:
    """What one run of ``expire_points`` wrote."""

    customers: int = 0
    rows: int = 0
    points: int = 0


EXPIRY_BATCH = 500  # customers per transaction: each one's expiry is idempotent on its own


def expire_points(conn, tenant: Tenant, as_of: datetime, batch: int = EXPIRY_BATCH) -> ExpiryReport:
    """Expire the tenant's points due by ``as_of`` (naive UTC): for each customer with points
    due, ONE ``expire_points`` row per expiry date with what is left of the points that
    expire then (``rules.points_due``: consumption takes the soonest-expiring points first),
    lowering the balance in the same transaction, with its ``loyalty.points_expired`` event.

    Idempotent: each customer's balance row is locked, its due points computed from the
    ledger as committed (an expiry already written leaves nothing due), and each row's
    reference (``exp-<customer>-<date>``) is unique, so a run repeated, or run on two hosts
    at once, expires nothing twice. Customers are found through ix_ledger_expiry from where
    the tenant's last run got to (``expiry_runs``); a transaction covers ``batch`` customers.
    """
    report = ExpiryReport()
    watermark = run_query(conn, lambda cur: expiry_runs.get(cur, tenant.id))
    after = watermark["expired_through"] if watermark else None
    from_id = 0
    while True:
        ids = run_query(
            conn,
            lambda cur, start=from_id: ledger.customers_with_expiry_between(
                cur, tenant.id, after, as_of, batch, start
            ),
        )
        if not ids:
            break
        done = run_in_transaction(conn, lambda cur, ids=ids: _expire_batch(cur, tenant, ids, as_of))
        report.customers += done.customers
        report.rows += done.rows
        report.points += done.points
        from_id = ids[-1]
    now = utc_now()
    # Never past now: rows written later (with later dates) are looked for by the next run.
    run_in_transaction(
        conn, lambda cur: expiry_runs.advance(cur, tenant.id, min(as_of, now), seen=after)
    )
    return report


def _expire_batch(cur, tenant: Tenant, customer_ids: list[int], as_of: datetime) -> ExpiryReport:
    report = ExpiryReport()
    accounts = balances.lock_many(cur, tenant.id, customer_ids)
    lots = ledger.expiry_lots(cur, [a["customer_id"] for a in accounts])
    entries = []
    for account in accounts:
        due = rules.points_due(*lots[account["customer_id"]], as_of)
        for expires_at, points in due:
            reference = f"exp-{account['customer_id']}-{expires_at:%Y%m%d%H%M%S}"
            details = {"expired_at": expires_at.isoformat() + "Z"}
            entries.append((account, EXPIRE, reference, Decision(points, details)))
            # The next date's change starts from what this one leaves.
            after = _totals(account).after(EXPIRE, points)
            account = {**account, **dict(zip(BALANCE_COLUMNS, astuple(after), strict=True))}
            report.rows += 1
            report.points += points
        report.customers += bool(due)
    _record_many(cur, tenant, entries, EXPIRY_JOB)
    return report


# ---- several points changes as ONE transaction (a Toast check's redemptions) ------------


def change_points_together(conn, tenant: Tenant, work: Callable) -> object:
    """Run ``work(cur, apply)`` as ONE transaction, where ``apply(operation)`` runs the
    skeleton's steps (lock, replay check, rule, record) for one Operation and returns its
    outcome. Every change ``work`` applies, and whatever else it writes with ``cur``, commits
    together or not at all. A rule's domain error raised by ``apply`` (InsufficientPoints...)
    has written nothing for that operation; ``work`` may catch it and go on."""
    return run_in_transaction(conn, lambda cur: work(cur, lambda op: _apply(cur, tenant, op)))


def account_after(outcome: dict) -> dict:
    """The customer's balance row as the change of ``outcome`` left it (the columns
    ``balances.lock`` reads), for the next change in the same transaction."""
    return {k: outcome[k] for k in ("customer_id", "phone", *BALANCE_COLUMNS)}


def _held(account: dict) -> Callable[[object], dict]:
    # The caller locked the row in this transaction and holds it as the last change left it.
    return lambda _cur: account


def redeem_operation(
    account: dict, points: int, reference: str, details: dict, actor: Actor
) -> Operation:
    """The Operation of ``redeem_points`` for a customer whose balance row the caller locked
    in this transaction (``account``, as the last change left it: see ``account_after``): a
    Toast redemption."""

    decide = _redeeming(points, details)
    return Operation(REDEEM, reference, points, details, _held(account), decide, actor)


def earn_operation(
    account: dict,
    purchase: Purchase,
    reference: str,
    details: dict,
    actor: Actor,
    programme,
) -> Operation:
    """The Operation of ``earn_points`` for a bill, for a customer whose balance row the
    caller locked in this transaction (``account``): a Toast ACCRUE. ``programme``, read in
    the same transaction, computes the points and is stored with them."""
    stored = {**details, "purchase": asdict(purchase)}
    decide = _earning(None, None, purchase, stored, programme)
    return Operation(EARN, reference, None, stored, _held(account), decide, actor)
