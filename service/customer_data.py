"""A customer's personal data on request (UK/EU GDPR): the export, and the erasure.

The export is one document: the customer, its balance, every ledger row, every outbox
event about it. The erasure replaces the phone and the name wherever they are kept (the
customer, its balance row, every ledger row's phone, reference and details, the outbox
payloads and the deliveries' errors, the search terms) by the pseudonym ``erased-<id>``,
deletes the customer's Toast loyaltyIdentifier and the guest's details (``accountInfo``)
from the Toast answers kept for replays,
forfeits the balance with an explicit ``forfeit_points`` row (so the ledger still verifies
and the points report still reconciles), and keeps who erased whom, when and why
(``erasures``, without the phone). All in one transaction; the phone may then enrol again as
a new customer.
"""

import phonenumbers

from .actors import Actor
from .customers import with_expiring
from .db import run_in_transaction, run_query
from .exceptions import CustomerNotFound
from .points import Decision, _record, utc_now
from .rules import FORFEIT
from .store import balances, erasures, ledger, loyalty_identifiers, toast_transactions
from .store import customers as customer_rows
from .store import webhooks as webhook_rows
from .tenancy import Tenant

ERASED = "[erased]"


def customer_data(conn, tenant: Tenant, customer_id: int) -> dict:
    """Everything kept about the customer, as one document. Raises CustomerNotFound."""

    def read(cur) -> dict:
        card = customer_rows.card(cur, tenant.id, customer_id)
        if card is None:
            raise CustomerNotFound(f"No customer {customer_id} in this shop.")
        return {
            "customer": with_expiring(cur, [card])[0],
            "transactions": ledger.all_for_customer(cur, customer_id),
            "webhook_events": webhook_rows.events_about(cur, tenant.id, customer_id),
            "erasure": erasures.get(cur, tenant.id, customer_id),
            "exported_at": utc_now(),
        }

    return run_query(conn, read)


def pseudonym(customer_id: int) -> str:
    """What replaces an erased customer's phone: never an E.164 number (no ``+``), unique in
    the tenant (the id is), and at most 16 characters like the phone columns."""
    # Decimal up to 9 digits; beyond, base 36 behind another separator (never the same text).
    for text in (f"erased-{customer_id}", f"erased:{_base36(customer_id)}"):
        if len(text) <= 16:
            return text
    return f"x:{_base36(customer_id)}"


def is_pseudonym(phone: str) -> bool:
    """Whether a stored phone is an erased customer's pseudonym (never E.164: no ``+``)."""
    return not phone.startswith("+")


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def needles(phone: str, name: str | None) -> list[str]:
    """The forms in which the phone and the name may appear in stored text. Pure."""
    found = {phone, phone.lstrip("+")}
    try:
        national = str(phonenumbers.parse(phone).national_number)
        if len(national) >= 6:
            found |= {national, "0" + national}
    except phonenumbers.NumberParseException:
        pass
    if name and name.strip():
        found.add(name.strip())
    return sorted(found, key=len, reverse=True)


def holds(text: str, forms: list[str]) -> bool:
    """Whether ``text`` contains one of ``forms`` (case-insensitively; digits also with the
    separators a till types removed). Pure."""
    folded = text.casefold()
    digits = "".join(ch for ch in text if ch.isdigit())
    return any(form.casefold() in folded or (form.isdigit() and form in digits) for form in forms)


def scrub(value, forms: list[str]):
    """``value`` (JSON) with every string holding the phone or name replaced. Pure."""
    if isinstance(value, dict):
        return {key: scrub(item, forms) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item, forms) for item in value]
    if isinstance(value, str) and holds(value, forms):
        return ERASED
    return value


def erase_customer(conn, tenant: Tenant, customer_id: int, reason: str, actor: Actor) -> dict:
    """Erase the customer's personal data (see the module docstring); returns the erasure
    (``replayed`` True when it had been erased already: nothing is written then).

    Raises CustomerNotFound when it is not the tenant's.
    """

    def work(cur) -> dict:
        # The balance row's lock first: a points change or another erasure of the customer
        # waits, and what is read below is what this transaction changes.
        account = balances.lock(cur, tenant.id, customer_id)
        if account is None:
            raise CustomerNotFound(f"No customer {customer_id} in this shop.")
        done = erasures.get(cur, tenant.id, customer_id)
        if done is not None:
            return {**done, "replayed": True}
        customer = customer_rows.get(cur, tenant.id, customer_id)
        forms = needles(customer["phone"], customer["name"])
        alias = pseudonym(customer_id)
        customer_rows.erase(cur, tenant.id, customer_id, alias)
        balances.set_phone(cur, customer_id, alias)
        ledger.set_phone_for_customer(cur, customer_id, alias)
        for row in ledger.all_for_customer(cur, customer_id):
            reference = row["transaction_reference"]
            new_reference = f"erased-{row['id']}" if holds(reference, forms) else reference
            details = scrub(row["operation_details"], forms)
            if new_reference != reference or details != row["operation_details"]:
                ledger.rewrite_row(cur, row["id"], new_reference, details)
        events = webhook_rows.events_about(cur, tenant.id, customer_id)
        for event in events:
            payload = {**scrub(event["payload"], forms), "phone": alias}
            if payload != event["payload"]:
                webhook_rows.rewrite_event(cur, event["id"], payload)
        webhook_rows.clear_delivery_errors(cur, [event["id"] for event in events])
        # Toast: the identifier no longer finds anyone; the answers kept for replays lose the
        # guest's name and phone (their accountInfo).
        loyalty_identifiers.delete_for_customer(cur, customer_id)
        toast_transactions.forget_account_info(cur, tenant.id, customer_id)
        # The balance goes with the identity: an explicit row, written with the pseudonym.
        forfeited = account["points_balance"]
        decision = Decision(forfeited, {"reason": "erasure"})
        _record(cur, tenant, {**account, "phone": alias}, FORFEIT, f"erase-{customer_id}",
                decision, actor)  # fmt: skip
        erasure = {
            "customer_id": customer_id,
            "reason": scrub(reason, forms),
            "points_forfeited": forfeited,
            "erased_by_kind": actor.kind,
            "erased_by_label": actor.label,
            "erased_at": utc_now(),
        }
        erasures.insert(cur, tenant_id=tenant.id, **erasure)
        return {**erasure, "replayed": False}

    return run_in_transaction(conn, work)
