"""Customers: enrol, add, rename, look up by phone, and a customer's history (its ledger pages).

Points move only through ``points.py``; enrolment (a zero opening balance and its
``open_account`` entry) and a rename are the only writes here. A rename marks the customer
changed and an enrolment writes a new balance row, so live admin pages see either on their
next poll.
"""

import pymysql

from .clock import utc_now
from .db import run_in_transaction, run_query
from .exceptions import CustomerExists, CustomerNotFound, RetryableConflict
from .mysql_codes import ER_DUP_ENTRY
from .phones import normalize_phone
from .rules import OPEN, next_expiring
from .store import balances, ledger
from .store import customers as customer_rows
from .tenancy import Tenant


def lookup_customer(conn, tenant: Tenant, phone: str) -> dict:
    """The customer's card (balance and totals); raises InvalidPhone, CustomerNotFound."""
    e164 = normalize_phone(phone, tenant.phone_region)

    def read(cur) -> dict | None:
        card = customer_rows.card_by_phone(cur, tenant.id, e164)
        return with_expiring(cur, [card])[0] if card else None

    card = run_query(conn, read)
    if card is None:
        raise CustomerNotFound(f"No customer with phone {e164} in this shop.", phone=e164)
    return card


def with_expiring(cur, cards: list[dict]) -> list[dict]:
    """The cards, each with ``expiring``: the next date with points due and those points
    (``rules.next_expiring``), or None. Customers whose rows never carried an expiry date
    (``has_expiring``: every customer of a shop without expiry) cost no query; the others
    one grouped query for all."""
    ids = [card["customer_id"] for card in cards if card.get("has_expiring")]
    lots = ledger.expiry_lots(cur, ids) if ids else {}
    for card in cards:
        card.pop("has_expiring", None)
        upcoming = (
            next_expiring(*lots[card["customer_id"]]) if card["customer_id"] in lots else None
        )
        card["expiring"] = (
            {"expires_at": upcoming[0], "points": upcoming[1]} if upcoming is not None else None
        )
    return cards


def enrol_customer(conn, tenant: Tenant, phone: str, name: str | None = None) -> dict:
    """The customer with this phone, enrolled (with a zero opening balance) when new.

    Raises InvalidPhone.
    """
    e164 = normalize_phone(phone, tenant.phone_region)

    def work(cur) -> dict:
        return customer_rows.find_by_phone(cur, tenant.id, e164) or enrol(cur, tenant, e164, name)

    return run_in_transaction(conn, work)


def enrol(cur, tenant: Tenant, phone: str, name: str | None) -> dict:
    """Inside the caller's transaction: insert the customer (``phone`` in E.164), its balance
    row, its name's search terms and its opening entry. Raises RetryableConflict when the
    phone was enrolled concurrently (the transaction runs again and finds it)."""
    return enrol_many(cur, tenant, [(phone, name)])[0]


def enrol_many(cur, tenant: Tenant, people: list[tuple[str, str | None]]) -> list[dict]:
    """``enrol`` for several customers at once (an import's batch): the same rows, written
    by one multi-row statement per table; returns them in the order given. Raises
    RetryableConflict as ``enrol`` does (for any of them)."""
    try:
        if len(people) == 1:
            ids = [customer_rows.insert(cur, tenant.id, *people[0])]
        else:
            ids = customer_rows.insert_many(cur, tenant.id, people)
    except pymysql.err.IntegrityError as exc:
        if exc.args[0] == ER_DUP_ENTRY:
            raise RetryableConflict(f"customer {people[0][0]}.. enrolled concurrently") from exc
        raise
    now = utc_now()
    enrolled = [(cid, phone, name) for cid, (phone, name) in zip(ids, people, strict=True)]
    balances.insert_many(cur, tenant.id, [(cid, phone) for cid, phone, _ in enrolled])
    customer_rows.index_names(cur, tenant.id, [(cid, name) for cid, _, name in enrolled])
    ledger.insert_many(
        cur,
        tenant.id,
        [
            dict(
                customer_id=cid,
                phone=phone,
                operation_type=OPEN,
                points_amount=0,
                transaction_reference=f"open-{cid}",
                operation_details=None,
                created_at=now,
            )
            for cid, phone, _ in enrolled
        ],
    )
    return [
        {"id": cid, "tenant_id": tenant.id, "phone": phone, "name": name}
        for cid, phone, name in enrolled
    ]


def add_customer(conn, tenant: Tenant, phone: str, name: str | None) -> dict:
    """Enrol a new customer (zero balance, opening ledger entry) and return its card.

    Raises InvalidPhone, and CustomerExists when the phone is already enrolled in this shop:
    an admin adding a customer must not be told it was created when it was not. (Two admins
    adding the same new phone at the same instant both succeed, with the one customer.)
    """
    e164 = normalize_phone(phone, tenant.phone_region)
    existing = run_query(conn, lambda cur: customer_rows.find_by_phone(cur, tenant.id, e164))
    if existing is not None:
        raise CustomerExists(
            f"{e164} is already enrolled (customer {existing['id']}); nothing was changed.",
            customer_id=existing["id"],
            phone=e164,
        )
    customer = enrol_customer(conn, tenant, e164, name)
    return run_query(
        conn,
        lambda cur: with_expiring(cur, [customer_rows.card(cur, tenant.id, customer["id"])])[0],
    )


def rename_customer(conn, tenant: Tenant, customer_id: int, name: str | None) -> dict:
    """Set (or clear, with None) the customer's name; returns its card.

    Raises CustomerNotFound when the customer is not the tenant's; writes nothing then.
    """

    def work(cur) -> dict:
        if customer_rows.get(cur, tenant.id, customer_id) is None:
            raise CustomerNotFound(f"No customer {customer_id} in this shop.")
        customer_rows.set_name(cur, tenant.id, customer_id, name)
        # Live admin pages see the change: its list position and its ETags move.
        balances.touch(cur, customer_id)
        return with_expiring(cur, [customer_rows.card(cur, tenant.id, customer_id)])[0]

    return run_in_transaction(conn, work)


def customer_version(conn, tenant: Tenant, customer_id: int) -> int:
    """A number that changes whenever the customer's balance, ledger or name changes.

    One primary-key read of its balance row; raises CustomerNotFound when it is not the
    tenant's.
    """
    version = run_query(conn, lambda cur: balances.version(cur, tenant.id, customer_id))
    if version is None:
        raise CustomerNotFound(f"No customer {customer_id} in this shop.")
    return version


def customer_history(conn, tenant: Tenant, customer_id: int, page: int, per_page: int) -> dict:
    """One page of the customer's ledger entries, newest first.

    Raises CustomerNotFound when the customer is not the tenant's.
    """

    def read(cur) -> dict:
        if customer_rows.get(cur, tenant.id, customer_id) is None:
            raise CustomerNotFound(f"No customer {customer_id} in this shop.")
        total = ledger.count_for_customer(cur, customer_id)
        items = ledger.list_for_customer(cur, customer_id, per_page, (page - 1) * per_page)
        return {"items": items, "page": page, "per_page": per_page, "total": total}

    return run_query(conn, read)


def history_by_phone(conn, tenant: Tenant, phone: str, page: int, per_page: int) -> dict:
    """The POS view of a customer's ledger, newest first; raises InvalidPhone,
    CustomerNotFound."""
    e164 = normalize_phone(phone, tenant.phone_region)
    customer = run_query(conn, lambda cur: customer_rows.find_by_phone(cur, tenant.id, e164))
    if customer is None:
        raise CustomerNotFound(f"No customer with phone {e164} in this shop.", phone=e164)
    return customer_history(conn, tenant, customer["id"], page, per_page)
