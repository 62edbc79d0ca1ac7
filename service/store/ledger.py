"""SQL for ``phone_loyalty_transactions``, the append-only points ledger."""

import json
from contextlib import contextmanager
from datetime import datetime

import pymysql

from ..db import fetch_all, fetch_one
from ..exceptions import RetryableConflict
from ..mysql_codes import ER_DUP_ENTRY
from ..rules import EFFECTS

COLUMNS = (
    "id, phone, tenant_id, customer_id, operation_type, points_amount, "
    "transaction_reference, operation_details, created_at, expires_at, "
    "actor_kind, actor_label, location_id, (SELECT l.code FROM locations l "
    "WHERE l.id = phone_loyalty_transactions.location_id) AS location_code"
)


def _effect_sum(position: int, table: str = "") -> str:
    # Built from the constant table above, never from input. The operation types are ASCII
    # constants, so comparing them byte for byte (utf8mb4_bin) gives the same answer as the
    # column's collation at a fraction of the cost: verify evaluates this for millions of rows.
    whens = " ".join(
        f"WHEN '{op}' THEN {effect[position]} * {table}points_amount"
        for op, effect in EFFECTS.items()
        if effect[position]
    )
    return f"COALESCE(SUM(CASE {table}operation_type COLLATE utf8mb4_bin {whens} ELSE 0 END), 0)"


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


_INSERT = (
    "INSERT INTO phone_loyalty_transactions (phone, tenant_id, customer_id, operation_type, "
    "points_amount, transaction_reference, operation_details, created_at, expires_at, "
    "actor_kind, actor_id, actor_label, location_id) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def _values(tenant_id: int, row: dict) -> tuple:
    details = row["operation_details"]
    return (
        row["phone"],
        tenant_id,
        row["customer_id"],
        row["operation_type"],
        row["points_amount"],
        reference_bytes(row["transaction_reference"]),
        None if details is None else json.dumps(details),
        row["created_at"],
        row.get("expires_at"),
        row.get("actor_kind"),
        row.get("actor_id"),
        row.get("actor_label"),
        row.get("location_id"),
    )


def insert(cur, *, tenant_id: int, **row) -> int:
    """Append a ledger row (customer_id, phone, operation_type, points_amount,
    transaction_reference, operation_details, created_at; expires_at and the actor's columns
    optional) and return its id.

    Raises RetryableConflict when a concurrent transaction already stored this
    (tenant, operation_type, reference): run again, the caller then finds that row.
    """
    with _reference_race(row["transaction_reference"]):
        cur.execute(_INSERT, _values(tenant_id, row))
    return cur.lastrowid


def insert_many(cur, tenant_id: int, rows: list[dict]) -> list[int]:
    """Append many rows in one multi-row INSERT; returns their ids in order (read back by
    reference: ids of one statement are not consecutive on a Galera cluster). Raises
    RetryableConflict as ``insert`` does."""
    if not rows:
        return []
    if len(rows) == 1:  # one row: exactly as ``insert`` (no read-back)
        return [insert(cur, tenant_id=tenant_id, **rows[0])]
    with _reference_race("of a batch"):
        cur.executemany(_INSERT, [_values(tenant_id, row) for row in rows])
    ids: dict[tuple[str, bytes], int] = {}
    kinds = sorted({row["operation_type"] for row in rows})
    for kind in kinds:
        references = [reference_bytes(r["transaction_reference"]) for r in rows
                      if r["operation_type"] == kind]  # fmt: skip
        found = fetch_all(
            cur,
            "SELECT id, transaction_reference FROM phone_loyalty_transactions "
            "WHERE tenant_id = %s AND operation_type = %s AND transaction_reference IN "
            f"({', '.join(['%s'] * len(references))})",
            (tenant_id, kind, *references),
        )
        ids.update({(kind, bytes(f["transaction_reference"])): f["id"] for f in found})
    return [
        ids[(row["operation_type"], reference_bytes(row["transaction_reference"]))] for row in rows
    ]


@contextmanager
def _reference_race(reference: str):
    try:
        yield
    except pymysql.err.IntegrityError as exc:
        if exc.args[0] == ER_DUP_ENTRY and "uq_ledger_reference" in str(exc.args[1]):
            raise RetryableConflict(f"reference {reference!r} taken") from exc
        raise


def get(cur, transaction_id: int) -> dict | None:
    return _decode(
        fetch_one(
            cur,
            f"SELECT {COLUMNS} FROM phone_loyalty_transactions WHERE id = %s",
            (transaction_id,),
        )
    )


def id_by_reference(cur, tenant_id: int, operation_type: str, reference: str) -> int | None:
    """The id of the tenant's row of this operation with this reference, if there is one.

    Every points change asks this, and the answer is nearly always None: one probe of the
    unique index, reading one column (the driver parses each column's description even when
    no row comes back, so ``find_by_reference`` would cost nine for nothing).
    """
    row = fetch_one(
        cur,
        "SELECT id FROM phone_loyalty_transactions "
        "WHERE tenant_id = %s AND operation_type = %s AND transaction_reference = %s",
        (tenant_id, operation_type, reference_bytes(reference)),
    )
    return row["id"] if row else None


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
    whose balance is negative, by customer id), of one tenant or all (``tenant_id`` None).

    A customer's ledger is every ledger row with its customer_id. The comparison runs in the
    database and sends back only the rows that disagree. For a big tenant (or all) it reads
    the balance rows in primary key order and sums each one's ledger rows from
    ix_ledger_customer alone (migration 0008 made it cover operation_type and points_amount),
    grouping as it goes: no temporary table, no sort, no ledger row read from the table
    itself. The tenant filter sits on the balance rows only, so the index needs no tenant_id.
    A million-customer tenant costs ~7 s on 2 cores (`make bench-scale`), not 25-40 s.
    """
    where, params = ("WHERE p.tenant_id = %s", (tenant_id,)) if tenant_id is not None else ("", ())
    rows = fetch_all(
        cur,
        "SELECT p.customer_id, p.tenant_id, p.phone, p.points_balance, "
        "p.total_points_earned, p.total_points_redeemed, "
        f"{_effect_sum(0, 'l.')} AS expected_points_balance, "
        f"{_effect_sum(1, 'l.')} AS expected_total_points_earned, "
        f"{_effect_sum(2, 'l.')} AS expected_total_points_redeemed "
        "FROM customer_loyalty_points p "
        "LEFT JOIN phone_loyalty_transactions l ON l.customer_id = p.customer_id "
        # Grouped by the balance row's primary key, the order it is read in (p.customer_id
        # would need a temporary table); the few disagreeing rows are sorted below.
        f"{where} GROUP BY p.id "
        "HAVING p.points_balance <> expected_points_balance "
        "OR p.total_points_earned <> expected_total_points_earned "
        "OR p.total_points_redeemed <> expected_total_points_redeemed "
        "OR p.points_balance < 0",
        params,
    )
    rows.sort(key=lambda row: row["customer_id"])
    if rows:
        # The tenants' slugs for the report, looked up for the few rows that disagree only
        # (joined above, tenants cost one more lookup per balance row when checking them all).
        ids = sorted({row["tenant_id"] for row in rows})
        slugs = {
            t["id"]: t["slug"]
            for t in fetch_all(
                cur,
                f"SELECT id, slug FROM tenants WHERE id IN ({', '.join(['%s'] * len(ids))})",
                tuple(ids),
            )
        }
        for row in rows:
            row["tenant"] = slugs[row["tenant_id"]]
    checked = fetch_one(
        cur, f"SELECT COUNT(*) AS n FROM customer_loyalty_points p {where}", params
    )["n"]
    return checked, rows


def reversals_of(cur, customer_id: int, operation_type: str, original_id: int) -> list[dict]:
    """The customer's rows of ``operation_type`` that reverse the row ``original_id`` (their
    details name it): what earlier reverses of it already gave or took back."""
    rows = fetch_all(
        cur,
        "SELECT points_amount, operation_details FROM phone_loyalty_transactions "
        "WHERE customer_id = %s AND operation_type = %s AND CAST(JSON_UNQUOTE(JSON_EXTRACT("
        "operation_details, '$.reverses_transaction_id')) AS UNSIGNED) = %s",
        (customer_id, operation_type, original_id),
    )
    return [_decode(row) for row in rows]


def _credit_and_debit() -> tuple[str, str]:
    effect = _balance_effect()
    return f"GREATEST({effect}, 0)", f"GREATEST(-({effect}), 0)"


def expiry_lots(cur, customer_ids: list[int]) -> dict[int, tuple[list, int]]:
    """``{customer_id: (lots, consumed)}``: the points credited per expiry date (rows that
    add points and carry one), and every point taken away so far (redeemed, returned,
    adjusted down, expired). One grouped read of ix_ledger_customer (index-only)."""
    if not customer_ids:
        return {}
    credit, debit = _credit_and_debit()
    rows = fetch_all(
        cur,
        f"SELECT customer_id, expires_at, CAST(SUM({credit}) AS SIGNED) AS credited, "
        f"CAST(SUM({debit}) AS SIGNED) AS debited FROM phone_loyalty_transactions "
        f"WHERE customer_id IN ({', '.join(['%s'] * len(customer_ids))}) "
        "GROUP BY customer_id, expires_at",
        tuple(customer_ids),
    )
    found: dict[int, tuple[list, int]] = {cid: ([], 0) for cid in customer_ids}
    for row in rows:
        lots, consumed = found[row["customer_id"]]
        if row["expires_at"] is not None and row["credited"]:
            lots.append((row["expires_at"], row["credited"]))
        found[row["customer_id"]] = (lots, consumed + row["debited"])
    return found


def customers_with_expiry_between(
    cur, tenant_id: int, after: datetime | None, through: datetime, limit: int, from_id: int
) -> list[int]:
    """Ids (ascending, above ``from_id``) of the tenant's customers with points that expire
    in (``after``, ``through``]: a range of ix_ledger_expiry."""
    rows = fetch_all(
        cur,
        "SELECT DISTINCT customer_id FROM phone_loyalty_transactions "
        "WHERE tenant_id = %s AND expires_at > %s AND expires_at <= %s AND customer_id > %s "
        "ORDER BY customer_id LIMIT %s",
        (tenant_id, after or datetime.min, through, from_id, limit),
    )
    return [row["customer_id"] for row in rows]


def references_present(cur, tenant_id: int, operation_type: str, references: list[str]) -> set:
    """Which of ``references`` the tenant's ``operation_type`` rows carry (uq_ledger_reference)."""
    if not references:
        return set()
    rows = fetch_all(
        cur,
        "SELECT transaction_reference FROM phone_loyalty_transactions "
        "WHERE tenant_id = %s AND operation_type = %s "
        f"AND transaction_reference IN ({', '.join(['%s'] * len(references))})",
        (tenant_id, operation_type, *(reference_bytes(r) for r in references)),
    )
    return {_decode(row)["transaction_reference"] for row in rows}


def all_for_customer(cur, customer_id: int) -> list[dict]:
    """Every entry of the customer, oldest first, each with ``balance_after``."""
    rows = fetch_all(
        cur,
        f"SELECT {COLUMNS}, CAST(SUM({_balance_effect()}) OVER (ORDER BY id) AS SIGNED) "
        "AS balance_after FROM phone_loyalty_transactions WHERE customer_id = %s ORDER BY id",
        (customer_id,),
    )
    return [_decode(row) for row in rows]


def set_phone_for_customer(cur, customer_id: int, phone: str) -> None:
    """Every row of the customer gets ``phone`` (an erasure's pseudonym)."""
    cur.execute(
        "UPDATE phone_loyalty_transactions SET phone = %s WHERE customer_id = %s",
        (phone, customer_id),
    )


def rewrite_row(cur, transaction_id: int, reference: str, details: dict | None) -> None:
    """Replace a row's reference and details (an erasure removing personal data from them)."""
    cur.execute(
        "UPDATE phone_loyalty_transactions SET transaction_reference = %s, "
        "operation_details = %s WHERE id = %s",
        (
            reference_bytes(reference),
            None if details is None else json.dumps(details),
            transaction_id,
        ),
    )
