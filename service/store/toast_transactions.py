"""SQL for ``toast_transactions`` (what each Toast transaction did, and answered) and
``toast_unknown_outcomes`` (REDEEMs whose commit's outcome was lost)."""

from .. import toast_json
from ..db import fetch_all, fetch_one

COLUMNS = (
    "transaction_guid, loyalty_identifier, transaction_type, restaurant_guid, check_guid, "
    "customer_id, ledger_ids, redemptions, response, reversed_at, created_at"
)


def _decode(row: dict | None) -> dict | None:
    if row is not None:
        for column in ("ledger_ids", "redemptions", "response"):
            if isinstance(row[column], str | bytes):
                row[column] = toast_json.loads(row[column])
    return row


def response_of(cur, tenant_id: int, guid: str, identifier: str) -> dict | None:
    """The answer stored for this transaction (GUID and loyaltyIdentifier); None when new."""
    row = fetch_one(
        cur,
        "SELECT response FROM toast_transactions "
        "WHERE tenant_id = %s AND transaction_guid = %s AND loyalty_identifier = %s",
        (tenant_id, guid, identifier),
    )
    return toast_json.loads(row["response"]) if row else None


def by_guid(cur, tenant_id: int, guid: str) -> list[dict]:
    """Every stored transaction with this GUID (one per loyaltyIdentifier), oldest first."""
    rows = fetch_all(
        cur,
        f"SELECT {COLUMNS} FROM toast_transactions WHERE tenant_id = %s AND transaction_guid = %s "
        "ORDER BY created_at",
        (tenant_id, guid),
    )
    return [_decode(row) for row in rows]


def unreversed_accrual(cur, tenant_id: int, check_guid: str) -> dict | None:
    """The first ACCRUE of this check not reversed since (a retry under a new GUID is it):
    its ``customer_id``, ``ledger_ids`` and ``response``."""
    return _decode(
        fetch_one(
            cur,
            "SELECT customer_id, ledger_ids, redemptions, response FROM toast_transactions "
            "WHERE tenant_id = %s AND check_guid = %s "
            "AND transaction_type = 'LOYALTY_ACCRUE' AND reversed_at IS NULL "
            "ORDER BY created_at LIMIT 1",
            (tenant_id, check_guid),
        )
    )


def forget_account_info(cur, tenant_id: int, customer_id: int) -> None:
    """Drop the guest's details (``checkResponse.accountInfo``: name, phone) from the
    customer's stored answers (an erasure); a replay then answers without them."""
    cur.execute(
        "UPDATE toast_transactions SET response = JSON_REMOVE(response, "
        "'$.checkResponse.accountInfo') WHERE tenant_id = %s AND customer_id = %s",
        (tenant_id, customer_id),
    )


def insert(cur, tenant_id: int, row: dict) -> None:
    cur.execute(
        "INSERT INTO toast_transactions (tenant_id, transaction_guid, loyalty_identifier, "
        "transaction_type, restaurant_guid, check_guid, customer_id, ledger_ids, redemptions, "
        "response, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            tenant_id,
            row["transaction_guid"],
            row["loyalty_identifier"],
            row["transaction_type"],
            row["restaurant_guid"],
            row.get("check_guid"),
            row.get("customer_id"),
            toast_json.dumps(row.get("ledger_ids") or []),
            None if row.get("redemptions") is None else toast_json.dumps(row["redemptions"]),
            toast_json.dumps(row["response"]),
            row["created_at"],
        ),
    )


def set_redemptions(cur, tenant_id: int, guid: str, identifier: str, redemptions) -> None:
    cur.execute(
        "UPDATE toast_transactions SET redemptions = %s "
        "WHERE tenant_id = %s AND transaction_guid = %s AND loyalty_identifier = %s",
        (toast_json.dumps(redemptions), tenant_id, guid, identifier),
    )


def mark_accruals_reversed(cur, tenant_id: int, check_guid: str, when) -> None:
    cur.execute(
        "UPDATE toast_transactions SET reversed_at = %s WHERE tenant_id = %s "
        "AND check_guid = %s AND transaction_type = 'LOYALTY_ACCRUE' AND reversed_at IS NULL",
        (when, tenant_id, check_guid),
    )


def insert_unknown_outcome(cur, tenant_id: int, row: dict) -> None:
    cur.execute(
        "INSERT INTO toast_unknown_outcomes (tenant_id, transaction_guid, loyalty_identifier, "
        "restaurant_guid, check_guid, customer_id, redemptions, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            tenant_id,
            row["transaction_guid"],
            row["loyalty_identifier"],
            row["restaurant_guid"],
            row.get("check_guid"),
            row.get("customer_id"),
            toast_json.dumps(row["redemptions"]),
            row["created_at"],
        ),
    )


def unknown_outcomes(cur, tenant_id: int, limit: int) -> list[dict]:
    """The tenant's recorded unknown outcomes, newest first, each with the stored transaction
    (``stored_*`` None when it never committed)."""
    rows = fetch_all(
        cur,
        "SELECT u.id, u.transaction_guid, u.loyalty_identifier, u.restaurant_guid, u.check_guid, "
        "u.customer_id, u.redemptions, u.created_at, "
        "t.redemptions AS stored_redemptions, t.ledger_ids AS stored_ledger_ids "
        "FROM toast_unknown_outcomes u LEFT JOIN toast_transactions t "
        "ON t.tenant_id = u.tenant_id AND t.transaction_guid = u.transaction_guid "
        "AND t.loyalty_identifier = u.loyalty_identifier "
        "WHERE u.tenant_id = %s ORDER BY u.id DESC LIMIT %s",
        (tenant_id, limit),
    )
    for row in rows:
        for column in ("redemptions", "stored_redemptions", "stored_ledger_ids"):
            if isinstance(row[column], str | bytes):
                row[column] = toast_json.loads(row[column])
    return rows
