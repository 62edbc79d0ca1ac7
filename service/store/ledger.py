"""SQL for ``phone_loyalty_transactions``, the append-only points ledger."""

import json
from datetime import datetime

import pymysql

from ..db import fetch_all, fetch_one
from ..exceptions import RetryableConflict
from ..mysql_codes import ER_DUP_ENTRY
from ..rules import EFFECTS, REVERSE

COLUMNS = (
    "id, phone, tenant_id, customer_id, operation_type, points_amount, "
    "transaction_reference, operation_details, created_at"
)


def _effect_sum(position: int) -> str:
    # Built from the constant table above, never from input.
    whens = " ".join(
        f"WHEN '{op}' THEN {effect[position]} * points_amount"
        for op, effect in EFFECTS.items()
        if effect[position]
    )
    return f"COALESCE(SUM(CASE operation_type {whens} ELSE 0 END), 0)"


TOTALS_SELECT = (
    f"SELECT customer_id, {_effect_sum(0)} AS points_balance, "
    f"{_effect_sum(1)} AS total_points_earned, {_effect_sum(2)} AS total_points_redeemed "
    "FROM phone_loyalty_transactions"
)


def reference_bytes(reference: str) -> bytes:
    """A reference as stored: its UTF-8 bytes, compared byte for byte (VARBINARY column)."""
    return reference.encode("utf-8")


def _decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    if isinstance(row.get("operation_details"), str):
        row["operation_details"] = json.loads(row["operation_details"])
    if isinstance(row.get("transaction_reference"), bytes):
        row["transaction_reference"] = row["transaction_reference"].decode("utf-8")
    return row


def insert(
    cur,
    *,
    tenant_id: int,
    customer_id: int,
    phone: str,
    operation_type: str,
    points_amount: int,
    transaction_reference: str,
    operation_details: dict | None,
    created_at: datetime,
) -> int:
    """Append a ledger row and return its id.

    Raises RetryableConflict when a concurrent transaction already stored this
    (tenant, operation_type, reference): run again, the caller then finds that row.
    """
    details = None if operation_details is None else json.dumps(operation_details)
    try:
        cur.execute(
            "INSERT INTO phone_loyalty_transactions (phone, tenant_id, customer_id, "
            "operation_type, points_amount, transaction_reference, operation_details, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                phone,
                tenant_id,
                customer_id,
                operation_type,
                points_amount,
                reference_bytes(transaction_reference),
                details,
                created_at,
            ),
        )
    except pymysql.err.IntegrityError as exc:
        if exc.args[0] == ER_DUP_ENTRY and "uq_ledger_reference" in str(exc.args[1]):
            raise RetryableConflict(f"reference {transaction_reference!r} taken") from exc
        raise
    return cur.lastrowid


def get(cur, transaction_id: int) -> dict | None:
    return _decode(
        fetch_one(
            cur,
            f"SELECT {COLUMNS} FROM phone_loyalty_transactions WHERE id = %s",
            (transaction_id,),
        )
    )


def find_by_reference(cur, tenant_id: int, operation_type: str, reference: str) -> dict | None:
    return _decode(
        fetch_one(
            cur,
            f"SELECT {COLUMNS} FROM phone_loyalty_transactions "
            "WHERE tenant_id = %s AND operation_type = %s AND transaction_reference = %s",
            (tenant_id, operation_type, reference_bytes(reference)),
        )
    )


def _balance_effect() -> str:
    # How a row moves the balance, from the constant EFFECTS table, never from input.
    whens = " ".join(
        f"WHEN '{op}' THEN {effect[0]} * points_amount" for op, effect in EFFECTS.items()
    )
    return f"CASE operation_type {whens} ELSE 0 END"


def list_for_customer(cur, customer_id: int, limit: int, offset: int) -> list[dict]:
    """A page of the customer's entries, newest first, each with ``balance_after``: the
    balance right after it, summed over all the customer's earlier rows (a window over the
    whole ledger of the customer, computed before the page is cut)."""
    rows = fetch_all(
        cur,
        f"SELECT {COLUMNS}, CAST(SUM({_balance_effect()}) OVER (ORDER BY id) AS SIGNED) "
        "AS balance_after FROM phone_loyalty_transactions WHERE customer_id = %s "
        "ORDER BY id DESC LIMIT %s OFFSET %s",
        (customer_id, limit, offset),
    )
    return [_decode(row) for row in rows]


def count_for_customer(cur, customer_id: int) -> int:
    row = fetch_one(
        cur,
        "SELECT COUNT(*) AS n FROM phone_loyalty_transactions WHERE customer_id = %s",
        (customer_id,),
    )
    return row["n"]


def totals_through(cur, customer_id: int, transaction_id: int) -> dict:
    """What the ledger says the balance row held right after ``transaction_id`` committed.

    Exact because every write of a customer holds its balance-row lock, so the customer's
    ledger ids grow in commit order.
    """
    row = fetch_one(
        cur,
        f"{TOTALS_SELECT} WHERE customer_id = %s AND id <= %s GROUP BY customer_id",
        (customer_id, transaction_id),
    )
    return {k: int(v) for k, v in row.items()}


def balances_disagreeing(cur, tenant_id: int | None = None) -> tuple[int, list[dict]]:
    """(balance rows checked, the rows whose stored totals differ from their ledger's sums or
    whose balance is negative), of one tenant or all.

    The comparison runs in the database: one pass over the ledger grouped by customer, joined
    to the balance rows, sending back only the rows that disagree (a million-customer tenant
    costs seconds, not a million rows through Python).
    """
    where, params = ("WHERE tenant_id = %s", (tenant_id,)) if tenant_id else ("", ())
    sums = f"{TOTALS_SELECT} {where} GROUP BY customer_id"
    rows = fetch_all(
        cur,
        "SELECT p.customer_id, p.phone, t.slug AS tenant, p.points_balance, "
        "p.total_points_earned, p.total_points_redeemed, "
        "COALESCE(l.points_balance, 0) AS expected_points_balance, "
        "COALESCE(l.total_points_earned, 0) AS expected_total_points_earned, "
        "COALESCE(l.total_points_redeemed, 0) AS expected_total_points_redeemed "
        f"FROM customer_loyalty_points p JOIN tenants t ON t.id = p.tenant_id "
        f"LEFT JOIN ({sums}) l ON l.customer_id = p.customer_id "
        f"{where.replace('tenant_id', 'p.tenant_id')} "
        + ("AND " if where else "WHERE ")
        + "(p.points_balance <> COALESCE(l.points_balance, 0) "
        "OR p.total_points_earned <> COALESCE(l.total_points_earned, 0) "
        "OR p.total_points_redeemed <> COALESCE(l.total_points_redeemed, 0) "
        "OR p.points_balance < 0) ORDER BY p.customer_id",
        params + params,
    )
    checked = fetch_one(cur, f"SELECT COUNT(*) AS n FROM customer_loyalty_points {where}", params)[
        "n"
    ]
    return checked, rows


def reversed_total(cur, customer_id: int, redemption_id: int) -> int:
    """Points already given back by reversals of the redemption ``redemption_id``."""
    row = fetch_one(
        cur,
        "SELECT COALESCE(SUM(points_amount), 0) AS n FROM phone_loyalty_transactions "
        "WHERE customer_id = %s AND operation_type = %s AND CAST(JSON_UNQUOTE(JSON_EXTRACT("
        "operation_details, '$.reverses_transaction_id')) AS UNSIGNED) = %s",
        (customer_id, REVERSE, redemption_id),
    )
    return int(row["n"])
