"""Toast restaurants using this service as their loyalty provider: Toast's Loyalty Integration
API (v1.1.0) transactions, done to our ledger through the one points skeleton.

A restaurant is bound to a tenant (and location) with a static key (``connect_restaurant``);
``restaurant_for_key`` authenticates a request. ``handle`` runs one transaction type on the
body the API layer validated (``api/schemas/toast.py``) and returns the ``Answer`` Toast
gets: always a JSON body with ``transactionStatus``, HTTP 200 only with ACCEPT. A refusal is
a ``ToastError`` carrying Toast's code. Every transaction that changes something stores its
answer in ``toast_transactions`` in the SAME database transaction as its ledger rows, so a
replay (same Toast-Transaction-GUID and loyaltyIdentifier) answers identically and changes
nothing. Toast's own words for its retries (doc.toasttab.com, "Network failure and
idempotence"): ACCRUE is retried under a NEW GUID (so a check with an unreversed accrual is
answered as before), REVERSE under the same GUID, REDEEM never (so an unknown commit outcome
is recorded for the admin).

The pure part (money, the eligible amount of a check) is at the top, tested without a
database.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import phonenumbers
import pymysql

from . import points as points_domain
from .actors import TOAST, Actor
from .auth import CREDENTIAL_CACHE_SECONDS, KnownCredentials
from .customer_data import is_pseudonym
from .customer_list import list_customers
from .customers import enrol
from .db import run_in_transaction, run_query
from .exceptions import (
    CustomerNotFound,
    InsufficientPoints,
    InvalidPhone,
    NoEarnRule,
    OutcomeUnknown,
    RetryableConflict,
    ReversalExceedsEarn,
    ReversalExceedsRedemption,
    TransactionReferenceReused,
)
from .mysql_codes import ER_DUP_ENTRY
from .phones import normalize_phone
from .programme import current_programme, minor_digits
from .rewards import Reward, rewards_of, sort_redemptions
from .rules import Purchase
from .store import balances, customers, ledger, loyalty_identifiers, toast_restaurants
from .store import toast_transactions as stored_transactions
from .tenancy import Tenant

log = logging.getLogger(__name__)

SEARCH, SIGNUP, INQUIRE = "LOYALTY_SEARCH", "LOYALTY_SIGNUP", "LOYALTY_INQUIRE"
REDEEM, ACCRUE, REVERSE = "LOYALTY_REDEEM", "LOYALTY_ACCRUE", "LOYALTY_REVERSE"
TRANSFER = "LOYALTY_TRANSFER"
TRANSACTION_TYPES = (SEARCH, SIGNUP, INQUIRE, REDEEM, ACCRUE, REVERSE, TRANSFER)
ACCEPT = "ACCEPT"
KEY_PREFIX = "ltk"
MAX_SEARCH_RESULTS = 10
MAX_GUID = 64  # Toast's GUIDs are UUIDs (36); a transaction's and a restaurant's alike


def is_guid(value: str) -> bool:
    """Whether ``value`` can be a Toast GUID as its headers carry one: 1 to MAX_GUID printable
    ASCII characters, no spaces."""
    return 0 < len(value) <= MAX_GUID and all("!" <= c <= "~" for c in value)


# ---- the pure part: money and the eligible amount of a check -----------------------------


def to_minor(amount: Decimal, digits: int) -> int:
    """Decimal major units as integer minor units of a currency with ``digits`` minor
    digits, rounded half up (5.49612811 GBP: 550). Never a float."""
    return int((Decimal(amount).scaleb(digits)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major(minor: int, digits: int) -> Decimal:
    """Minor units as the exact decimal of major units Toast reads (500 GBP: 5.00; 500 JPY:
    500), written as a JSON number by ``toast_json``."""
    return Decimal(minor).scaleb(-digits)


def eligible_purchase(check: dict, currency: str) -> Purchase:
    """What a paid check earns on: the sum of ``price`` (already net of discounts) over its
    selections that are neither ``voided`` nor ``deferred`` (a gift card sold), less their
    ``tax`` where ``taxInclusion`` is INCLUDED. Tips, service charges (gratuity or not) and
    tax are never in it: they are not selections' prices. Summed exactly as decimals, then
    rounded half up once to minor units; never below zero."""
    digits = minor_digits(currency)
    price = tax = Decimal(0)
    for selection in check.get("selections") or []:
        if selection.get("voided") or selection.get("deferred"):
            continue
        price += selection.get("price") or 0
        if selection.get("taxInclusion") == "INCLUDED":
            tax += selection.get("tax") or 0
    total = max(0, to_minor(price, digits))
    eligible = max(0, min(total, to_minor(price - tax, digits)))
    return Purchase(total_minor=total, currency=currency, excluded_minor=total - eligible)


def points_message(points: int) -> str:
    return f"You earned {points} point{'' if points == 1 else 's'}"


# ---- restaurants and their keys -------------------------------------------------------


class ToastError(Exception):
    """A Toast answer other than ACCEPT: Toast's ``code`` (its transactionStatus), a message
    for the terminal's log, and the HTTP status (400, or 404 for an unknown account)."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def invalid_input(message: str) -> ToastError:
    return ToastError("ERROR_INVALID_INPUT_PROPERTIES", message)


@dataclass(frozen=True)
class Restaurant:
    """An authenticated Toast restaurant: its tenant, its GUID and the actor of its rows."""

    tenant: Tenant
    guid: str
    actor: Actor


@dataclass(frozen=True)
class Answer:
    """What Toast gets (HTTP status, body), and the points changes made (for logs, metrics)."""

    status: int
    body: dict
    outcomes: list = field(default_factory=list)


def _key_hash(key: str) -> str:
    # The key is 256 random bits: a fast hash suffices, and it is looked up by its hash.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def connect_restaurant(conn, tenant: Tenant, restaurant_guid: str, location_id) -> str:
    """Bind the Toast restaurant ``restaurant_guid`` to ``tenant`` (at ``location_id``) and
    return the key to paste into Toast's set-up; only its hash is stored. Raises ValueError
    when the restaurant is bound already (disconnect it first)."""
    key = f"{KEY_PREFIX}_{secrets.token_urlsafe(32)}"

    def work(cur) -> None:
        try:
            toast_restaurants.insert(cur, tenant.id, restaurant_guid, location_id, _key_hash(key))
        except pymysql.err.IntegrityError as exc:
            if exc.args[0] == ER_DUP_ENTRY:
                message = f"Toast restaurant {restaurant_guid} is connected already."
                raise ValueError(message) from exc
            raise

    run_in_transaction(conn, work)
    return key


def list_restaurants(conn, tenant: Tenant) -> list[dict]:
    return run_query(conn, lambda cur: toast_restaurants.list_for_tenant(cur, tenant.id))


def disconnect_restaurant(conn, restaurant_guid: str) -> bool:
    """Unbind the restaurant; False when it was not bound. Its key stops working at once in
    this process, within CREDENTIAL_CACHE_SECONDS in the others (as a revoked POS key)."""
    deleted = run_in_transaction(conn, lambda cur: toast_restaurants.delete(cur, restaurant_guid))
    known_restaurants.forget_all()
    return deleted > 0


# Keys found valid a moment ago: a terminal's transactions make no round trip to check it.
known_restaurants = KnownCredentials(CREDENTIAL_CACHE_SECONDS)


def restaurant_for_key(conn, key: str | None, restaurant_guid: str | None) -> Restaurant:
    """The restaurant ``key`` belongs to, which must be the one named in
    Toast-Restaurant-External-ID. A key that is no restaurant's: ERROR_INVALID_TOKEN; a
    restaurant that is not the key's (unknown, or another tenant's): ERROR_INVALID_RESTAURANT,
    so a key never reaches another restaurant's guests."""
    digest = KnownCredentials.digest(key)
    found = known_restaurants.get(digest)
    if found is None:
        epoch = known_restaurants.epoch()
        found = _restaurant_of_key(conn, key)
        known_restaurants.remember(digest, found, epoch)
    if restaurant_guid != found.guid:
        raise ToastError(
            "ERROR_INVALID_RESTAURANT",
            "Toast-Restaurant-External-ID is not the restaurant this key was issued for.",
        )
    return found


def _restaurant_of_key(conn, key: str | None) -> Restaurant:
    row = None
    if key:
        row = run_query(conn, lambda cur: toast_restaurants.find_by_key_hash(cur, _key_hash(key)))
    if row is None:
        raise ToastError("ERROR_INVALID_TOKEN", "The Authorization key is not valid.")
    actor = Actor(
        TOAST,
        row["id"],
        f"Toast restaurant {row['restaurant_guid']}",
        row["location_id"],
        row["location_code"],
    )
    return Restaurant(Tenant.from_row(row), row["restaurant_guid"], actor)


# ---- one transaction --------------------------------------------------------------------


def handle(conn, restaurant: Restaurant, kind: str, guid: str, info: dict, now) -> Answer:
    """Run one Toast transaction of type ``kind`` (its ``*TransactionInformation`` object as
    validated, ``info``) received at ``now`` (naive UTC). Raises ToastError; database trouble
    propagates (DatabaseUnavailable, DatabaseBusy: nothing was changed), except a REDEEM's
    unknown commit outcome, answered ERROR and recorded for the admin."""
    handlers = {
        SEARCH: _search,
        SIGNUP: _signup,
        INQUIRE: _inquire,
        REDEEM: _redeem,
        ACCRUE: _accrue,
        REVERSE: _reverse,
        TRANSFER: _transfer,
    }
    return handlers[kind](conn, restaurant, guid, info, now)


def _accepted(body: dict | None = None) -> dict:
    return {"transactionStatus": ACCEPT, **(body or {})}


def _store(cur, restaurant: Restaurant, kind: str, guid: str, identifier, now, **row) -> None:
    """Record this transaction and its answer, inside its own database transaction (each
    handler looks for a stored one first, in that transaction: a replay answers it). A
    concurrent request with the same GUID and identifier raced us: run again (it replays)."""
    try:
        stored_transactions.insert(
            cur,
            restaurant.tenant.id,
            {
                "transaction_guid": guid,
                "loyalty_identifier": identifier or "",
                "transaction_type": kind,
                "restaurant_guid": restaurant.guid,
                "created_at": now,
                **row,
            },
        )
    except pymysql.err.IntegrityError as exc:
        if exc.args[0] == ER_DUP_ENTRY:
            raise RetryableConflict(f"Toast transaction {guid} stored concurrently") from exc
        raise


def _found(account, what: str = "has this loyaltyIdentifier"):
    """``account`` (a customer id or row) when it is there; else ERROR_ACCOUNT_INVALID, 404."""
    if account is None:
        raise ToastError("ERROR_ACCOUNT_INVALID", f"No loyalty account {what}.", 404)
    return account


def _customer_id(cur, tenant: Tenant, identifier: str) -> int:
    return _found(loyalty_identifiers.customer_of(cur, tenant.id, identifier))


def _locked_account(cur, tenant: Tenant, identifier: str) -> dict:
    """The balance row of the identifier's customer, locked, with their name. A customer
    erased while this waited for the lock is no account (the row, read once locked, has the
    pseudonym; the name, read as the statement began, is not used then)."""
    account = balances.lock_by_identifier(cur, tenant.id, identifier)
    return _found(None if account is None or is_pseudonym(account["phone"]) else account)


def _national_phone(e164: str) -> str:
    # Toast shows and sends phones as the national number's digits ("5551239876").
    return phonenumbers.national_significant_number(phonenumbers.parse(e164))


def _account_info(identifier: str, customer: dict, balance: int) -> dict:
    first, _, last = (customer.get("name") or "").partition(" ")
    info = {
        "identifier": identifier,
        "firstName": first or None,
        "lastName": last or None,
        "phone": _national_phone(customer["phone"]),
        "pointsBalance": str(balance),
    }
    return {k: v for k, v in info.items() if v is not None}


def _new_identifier() -> str:
    # Opaque and random: nothing about the guest can be read from it (Toast forbids phones
    # and e-mails as identifiers).
    return secrets.token_hex(16)


def _identifiers_of(conn, tenant: Tenant, customer_ids: list[int]) -> dict[int, str]:
    """The customers' identifiers: one read when all have one; those without (enrolled at a
    till) are given one, in a transaction, first."""
    found = run_query(conn, lambda cur: loyalty_identifiers.of_customers(cur, customer_ids))
    missing = [cid for cid in customer_ids if cid not in found]
    if not missing:
        return found

    def give(cur) -> dict[int, str]:
        for cid in missing:  # INSERT IGNORE: a concurrent search may give one first
            loyalty_identifiers.insert_if_none(cur, tenant.id, cid, _new_identifier())
        return loyalty_identifiers.of_customers(cur, missing)

    return {**found, **run_in_transaction(conn, give)}


def _search(conn, restaurant: Restaurant, _guid, info: dict, _now) -> Answer:
    tenant = restaurant.tenant
    criteria = info["searchCriteria"]
    if criteria.get("phone"):
        try:
            e164 = normalize_phone(criteria["phone"], tenant.phone_region)
        except InvalidPhone as exc:
            raise invalid_input(f"searchCriteria.phone: {exc.detail}") from exc
        found = run_query(conn, lambda cur: customers.card_by_phone(cur, tenant.id, e164))
        cards = [found] if found else []
    else:
        names = (criteria.get("firstName"), criteria.get("lastName"))
        words = " ".join(filter(None, names)).strip()  # blank: no search (not "recent")
        # No e-mail is kept (customers are known by phone): an e-mail search finds nobody.
        page = list_customers(conn, tenant, words, MAX_SEARCH_RESULTS) if words else None
        cards = page["items"] if page else []
    _found(cards or None, "matches")

    ids = _identifiers_of(conn, tenant, [c["customer_id"] for c in cards])
    accounts = [_account_info(ids[c["customer_id"]], c, c["points_balance"]) for c in cards]
    return Answer(200, _accepted({"searchResponse": {"accounts": accounts}}))


def _signup(conn, restaurant: Restaurant, guid: str, info: dict, now) -> Answer:
    tenant = restaurant.tenant
    if not info.get("phone"):
        raise invalid_input(
            "signupTransactionInformation.email: this programme knows guests by phone; "
            "sign the guest up with their phone number."
        )
    try:
        e164 = normalize_phone(info["phone"], tenant.phone_region)
    except InvalidPhone as exc:
        raise invalid_input(f"signupTransactionInformation.phone: {exc.detail}") from exc

    def work(cur) -> Answer:
        stored = stored_transactions.response_of(cur, tenant.id, guid, "")
        if stored:
            return Answer(200, stored)
        if customers.find_by_phone(cur, tenant.id, e164):
            raise ToastError("ERROR_ALREADY_REGISTERED", "This phone number is enrolled already.")
        customer = enrol(cur, tenant, e164, None)
        identifier = _new_identifier()
        loyalty_identifiers.insert_if_none(cur, tenant.id, customer["id"], identifier)
        body = _accepted({"signupResponse": {"loyaltyIdentifier": identifier}})
        _store(cur, restaurant, SIGNUP, guid, None, now, customer_id=customer["id"], response=body)
        return Answer(200, body)

    return run_in_transaction(conn, work)


def _offers(rewards: dict[str, Reward], balance: int, digits: int) -> list[dict]:
    # applicable: the guest's balance covers the reward (Toast then lets the server pick it).
    return [
        {
            "identifier": reward.id,
            "name": reward.name,
            "applicable": reward.points <= balance,
            "selectionType": "CHECK",
            "amount": to_major(reward.amount_minor, digits),
            "quantity": 1,
        }
        for reward in rewards.values()
    ]


def _applied(redemption: dict, reward: Reward, digits: int) -> dict:
    return {**redemption, "amount": to_major(reward.amount_minor, digits)}


def _rejected(pairs: list) -> list[dict]:
    return [{"redemption": r, "message": message} for r, message in pairs]


def _inquire(conn, restaurant: Restaurant, _guid, info: dict, _now) -> Answer:
    tenant = restaurant.tenant
    identifier = info["loyaltyIdentifier"]
    if identifier is None:
        raise invalid_input("checkTransactionInformation.loyaltyIdentifier is required.")

    def read(cur):
        card = customers.card(cur, tenant.id, _customer_id(cur, tenant, identifier))
        _found(None if card is None or is_pseudonym(card["phone"]) else card)
        return card, rewards_of(cur, tenant), current_programme(cur, tenant)

    card, rewards, programme = run_query(conn, read)
    digits = minor_digits(programme.currency)
    balance = card["points_balance"]
    ranked = sort_redemptions(balance, rewards, info.get("redemptions") or [])
    body = {
        "accountInfo": _account_info(identifier, card, balance),
        "offers": _offers(rewards, balance, digits),
        "appliedRedemptions": [_applied(r, reward, digits) for r, reward in ranked.applied],
        "rejectedRedemptions": _rejected(ranked.rejected),
        "userMessage": f"{balance} points",
    }
    return Answer(200, _accepted({"checkResponse": body}))


def _check_guid(info: dict) -> str | None:
    return (info.get("check") or {}).get("guid")


def _redeem(conn, restaurant: Restaurant, guid: str, info: dict, now) -> Answer:
    tenant, actor = restaurant.tenant, restaurant.actor
    identifier = info["loyaltyIdentifier"]
    if identifier is None:
        raise invalid_input("checkTransactionInformation.loyaltyIdentifier is required.")
    check_guid = _check_guid(info)
    redemptions = info.get("redemptions") or []
    customer_ids: list[int] = []

    def work(cur, apply) -> Answer:
        stored = stored_transactions.response_of(cur, tenant.id, guid, identifier)
        if stored:
            return Answer(200, stored)
        account = _locked_account(cur, tenant, identifier)
        customer_id = account["customer_id"]
        customer_ids[:] = [customer_id]
        rewards = rewards_of(cur, tenant)
        digits = minor_digits(current_programme(cur, tenant).currency)
        ranked = sort_redemptions(account["points_balance"], rewards, redemptions)
        taken, ledger_ids, rejected, outcomes = {}, [], list(ranked.rejected), []
        held, balance = account, account["points_balance"]
        for redemption, reward in ranked.applied:
            discount = redemption.get("appliedDiscountGuid") or redemption.get(
                "multiItemDiscountGuid"
            )
            details = {
                "reward": {
                    "id": reward.id,
                    "name": reward.name,
                    "points": reward.points,
                    "amount_minor": reward.amount_minor,
                },
                "toast": _toast_details(restaurant, guid, check_guid, discount),
            }
            operation = points_domain.redeem_operation(
                held, reward.points, f"toast:{guid}:{discount}", details, actor
            )
            try:
                outcome = apply(operation)
            except (InsufficientPoints, TransactionReferenceReused) as exc:
                rejected.append((redemption, exc.detail))
                continue
            if not outcome["replayed"]:  # a replay's totals are of its time; it wrote nothing
                held = points_domain.account_after(outcome)
            balance = outcome["points_balance"]
            ledger_ids.append(outcome["transaction_id"])
            outcomes.append(outcome)
            taken[discount] = {
                "ledger_id": outcome["transaction_id"],
                "reward": reward.id,
                "points": reward.points,
                "amount_minor": reward.amount_minor,
                "reversed": False,
                "redemption": _applied(redemption, reward, digits),
            }
        body = _accepted(
            {
                "checkResponse": {
                    "accountInfo": _account_info(identifier, account, balance),
                    "appliedRedemptions": [t["redemption"] for t in taken.values()],
                    "rejectedRedemptions": _rejected(rejected),
                    "userMessage": f"{balance} points left",
                }
            }
        )
        _store(
            cur, restaurant, REDEEM, guid, identifier, now,
            check_guid=check_guid, customer_id=customer_id, ledger_ids=ledger_ids,
            redemptions=taken, response=body,
        )  # fmt: skip
        return Answer(200, body, outcomes)

    try:
        return points_domain.change_points_together(conn, tenant, work)
    except OutcomeUnknown as error:
        raise RedeemOutcomeUnknown(
            {
                "transaction_guid": guid,
                "loyalty_identifier": identifier,
                "restaurant_guid": restaurant.guid,
                "check_guid": check_guid,
                "customer_id": customer_ids[0] if customer_ids else None,
                "redemptions": redemptions,
                "created_at": now,
            }
        ) from error


class RedeemOutcomeUnknown(Exception):
    """A REDEEM's COMMIT lost its answer: it may or may not be stored. Toast never retries a
    REDEEM, so the caller records ``row`` for the admin (``record_unknown_outcome``, on a
    connection of its own: this one most likely died) and answers ERROR."""

    def __init__(self, row: dict):
        super().__init__(f"outcome of Toast REDEEM {row['transaction_guid']} unknown")
        self.row = row


UNKNOWN_OUTCOME_ANSWER = {
    "transactionStatus": "ERROR",
    "message": "The redemption may or may not have been made (the database's answer was "
    "lost). Nothing will be retried; the restaurant's admin sees it in the loyalty panel and "
    "can give the points back.",
}


def _toast_details(restaurant: Restaurant, guid: str, check_guid, discount=None) -> dict:
    details = {"restaurant_guid": restaurant.guid, "transaction_guid": guid}
    if check_guid:
        details["check_guid"] = check_guid
    if discount:
        details["applied_discount_guid"] = discount
    return details


def record_unknown_outcome(conn, tenant: Tenant, row: dict) -> None:
    """Record a REDEEM whose outcome is unknown for the admin panel; if even that fails (the
    database is still away), the log keeps it."""
    try:
        run_in_transaction(
            conn, lambda cur: stored_transactions.insert_unknown_outcome(cur, tenant.id, row)
        )
    except Exception:  # the database is in trouble: the log keeps it
        log.exception("could not record the unknown outcome of a Toast REDEEM: %s", row)


def unknown_outcomes(conn, tenant: Tenant, limit: int = 100) -> dict:
    """The REDEEMs whose commit's outcome was lost, newest first, each resolved now: whether
    it committed (``committed``), and if so its ledger ids (the admin reverses them as any
    redemption)."""
    rows = run_query(conn, lambda cur: stored_transactions.unknown_outcomes(cur, tenant.id, limit))
    items = []
    for row in rows:
        committed = row["stored_ledger_ids"] is not None
        items.append(
            {
                "id": row["id"],
                "received_at": row["created_at"],
                "transaction_guid": row["transaction_guid"],
                "loyalty_identifier": row["loyalty_identifier"],
                "restaurant_guid": row["restaurant_guid"],
                "check_guid": row["check_guid"],
                "customer_id": row["customer_id"],
                "redemptions": row["redemptions"],
                "committed": committed,
                "transaction_ids": row["stored_ledger_ids"] or [],
            }
        )
    return {"items": items}


def _accrue(conn, restaurant: Restaurant, guid: str, info: dict, now) -> Answer:
    tenant, actor = restaurant.tenant, restaurant.actor
    identifier = info["loyaltyIdentifier"]
    if identifier is None:
        return Answer(200, _accepted())  # a guest with no account: nothing to credit
    check = info.get("check") or {}
    check_guid = check.get("guid")

    def work(cur, apply) -> Answer:
        stored = stored_transactions.response_of(cur, tenant.id, guid, identifier)
        if stored:
            return Answer(200, stored)
        account = _locked_account(cur, tenant, identifier)  # their accruals one at a time
        customer_id = account["customer_id"]
        earlier = check_guid and stored_transactions.unreversed_accrual(cur, tenant.id, check_guid)
        if earlier and earlier["customer_id"] != customer_id:
            # The bill earned for another guest: it earns once (and their details stay theirs).
            raise invalid_input(
                "This check has earned points for another guest; reverse that accrual first."
            )
        if earlier:
            # Toast retries a failed ACCRUE under a new GUID: the same answer, nothing credited.
            _store(
                cur, restaurant, ACCRUE, guid, identifier, now, check_guid=check_guid,
                customer_id=customer_id, ledger_ids=earlier["ledger_ids"],
                response=earlier["response"],
            )  # fmt: skip
            return Answer(200, earlier["response"])
        programme = current_programme(cur, tenant)
        purchase = eligible_purchase(check, programme.currency)
        details = {"toast": _toast_details(restaurant, guid, check_guid)}
        operation = points_domain.earn_operation(
            account, purchase, f"toast:{guid}", details, actor, programme
        )
        try:
            outcome = apply(operation)
            ledger_ids = [outcome["transaction_id"]]
            message = points_message(outcome["points_amount"])
            balance, outcomes = outcome["points_balance"], [outcome]
        except NoEarnRule:
            ledger_ids, message = [], "This programme earns no points from a bill."
            balance, outcomes = account["points_balance"], []
        body = _accepted(
            {
                "checkResponse": {
                    "accountInfo": _account_info(identifier, account, balance),
                    "userMessage": message,
                }
            }
        )
        _store(
            cur, restaurant, ACCRUE, guid, identifier, now, check_guid=check_guid,
            customer_id=customer_id, ledger_ids=ledger_ids, response=body,
        )  # fmt: skip
        return Answer(200, body, outcomes)

    return points_domain.change_points_together(conn, tenant, work)


def _reverse(conn, restaurant: Restaurant, guid: str, info: dict, now) -> Answer:
    tenant, actor = restaurant.tenant, restaurant.actor
    identifier = info.get("loyaltyIdentifier")
    if identifier is None:
        return Answer(200, _accepted())  # nothing was credited or redeemed to undo
    target_guid = info["transactionId"]
    wanted = info.get("redemptions")

    def cannot(message: str) -> ToastError:
        return ToastError("ERROR_TRANSACTION_CANNOT_BE_REVERSED", message)

    def work(cur, apply) -> Answer:
        stored = stored_transactions.response_of(cur, tenant.id, guid, identifier)
        if stored:
            return Answer(200, stored)
        found = stored_transactions.by_guid(cur, tenant.id, target_guid)
        target = next((t for t in found if t["loyalty_identifier"] == identifier), None)
        if target is None and found:  # the guest's identifier was transferred since
            customer_id = loyalty_identifiers.customer_of(cur, tenant.id, identifier)
            target = next((t for t in found if t["customer_id"] == customer_id), None)
        if target is None:
            raise ToastError(
                "ERROR_TRANSACTION_DOES_NOT_EXIST", f"No transaction {target_guid} to reverse."
            )
        if target["transaction_type"] not in (REDEEM, ACCRUE):
            raise cannot(f"A {target['transaction_type']} changes no points: nothing to reverse.")
        reason = f"Toast LOYALTY_REVERSE {guid}"
        outcomes = []
        if target["transaction_type"] == REDEEM:
            taken = target["redemptions"] or {}
            if wanted is None:
                discounts = [d for d, t in taken.items() if not t["reversed"]]
                if not discounts:
                    raise cannot("This redemption has nothing left to give back.")
            else:
                discounts = []
                for redemption in wanted:
                    d = redemption.get("appliedDiscountGuid") or redemption.get(
                        "multiItemDiscountGuid"
                    )
                    if d not in taken:
                        raise ToastError(
                            "ERROR_TRANSACTION_DOES_NOT_EXIST",
                            f"Transaction {target_guid} redeemed no discount {d}.",
                        )
                    if taken[d]["reversed"] or d in discounts:
                        raise cannot(f"The redemption of discount {d} was reversed already.")
                    discounts.append(d)
            for d in discounts:
                original = ledger.get(cur, taken[d]["ledger_id"])
                operation = points_domain.reverse_redemption_operation(
                    tenant, original, None, reason, f"toast:{guid}:{d}", actor
                )
                try:
                    outcomes.append(apply(operation))
                except ReversalExceedsRedemption as exc:
                    raise cannot(exc.detail) from exc
                taken[d]["reversed"] = True
            stored_transactions.set_redemptions(
                cur, tenant.id, target["transaction_guid"], target["loyalty_identifier"], taken
            )
        else:
            if target["reversed_at"] is not None:
                raise cannot("This accrual was reversed already.")
            for earn_id in target["ledger_ids"]:
                operation = points_domain.reverse_earn_operation(
                    tenant, ledger.get(cur, earn_id), None, reason, f"toast:{guid}", actor
                )
                try:
                    outcomes.append(apply(operation))
                except ReversalExceedsEarn as exc:
                    raise cannot(exc.detail) from exc
            stored_transactions.mark_accruals_reversed(cur, tenant.id, target["check_guid"], now)
        body = _accepted()
        _store(
            cur, restaurant, REVERSE, guid, identifier, now, check_guid=target["check_guid"],
            customer_id=target["customer_id"], response=body,
            ledger_ids=[o["transaction_id"] for o in outcomes],
        )  # fmt: skip
        return Answer(200, body, outcomes)

    return points_domain.change_points_together(conn, tenant, work)


def _transfer(conn, restaurant: Restaurant, guid: str, info: dict, now) -> Answer:
    tenant = restaurant.tenant
    old, new = info["fromLoyaltyIdentifier"], info["toLoyaltyIdentifier"]

    def work(cur) -> Answer:
        stored = stored_transactions.response_of(cur, tenant.id, guid, old)
        if stored:
            return Answer(200, stored)
        account = loyalty_identifiers.lock(cur, tenant.id, old)
        if account is None:
            raise ToastError("ERROR_INVALID_TRANSFER", "fromLoyaltyIdentifier names no account.")
        if old == new or loyalty_identifiers.customer_of(cur, tenant.id, new) is not None:
            raise ToastError("ERROR_INVALID_TRANSFER", "toLoyaltyIdentifier is in use.")
        try:
            loyalty_identifiers.rename(cur, tenant.id, old, new)
        except pymysql.err.IntegrityError as exc:
            if exc.args[0] == ER_DUP_ENTRY:
                raise RetryableConflict("identifier taken concurrently") from exc
            raise
        body = _accepted({"transferResponse": {"loyaltyIdentifier": new}})
        _store(
            cur, restaurant, TRANSFER, guid, old, now,
            customer_id=account["customer_id"], response=body,
        )  # fmt: skip
        return Answer(200, body)

    return run_in_transaction(conn, work)


def loyalty_identifier(conn, tenant: Tenant, customer_id: int) -> dict:
    """The customer's loyaltyIdentifier for the admin panel (None until Toast first found or
    signed them up). Raises CustomerNotFound."""

    def read(cur) -> dict:
        if customers.get(cur, tenant.id, customer_id) is None:
            raise CustomerNotFound(f"No customer {customer_id} in this shop.")
        found = loyalty_identifiers.of_customers(cur, [customer_id])
        return {"customer_id": customer_id, "loyalty_identifier": found.get(customer_id)}

    return run_query(conn, read)
