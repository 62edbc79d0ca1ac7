"""SQL for ``customers``, and the customer-with-balance reads built on it."""

from ..db import fetch_all, fetch_one

CARD_COLUMNS = """
    c.id AS customer_id, c.phone, c.name,
    p.points_balance, p.total_points_earned, p.total_points_redeemed, p.updated_at
"""
CARD_FROM = "customers c JOIN customer_loyalty_points p ON p.customer_id = c.id"


def insert(cur, tenant_id: int, phone: str, name: str | None) -> int:
    cur.execute(
        "INSERT INTO customers (tenant_id, phone, name) VALUES (%s, %s, %s)",
        (tenant_id, phone, name),
    )
    return cur.lastrowid


def find_by_phone(cur, tenant_id: int, phone: str) -> dict | None:
    return fetch_one(
        cur,
        "SELECT id, tenant_id, phone, name FROM customers WHERE tenant_id = %s AND phone = %s",
        (tenant_id, phone),
    )


def get(cur, tenant_id: int, customer_id: int) -> dict | None:
    """The customer, only when it belongs to ``tenant_id``."""
    return fetch_one(
        cur,
        "SELECT id, tenant_id, phone, name FROM customers WHERE tenant_id = %s AND id = %s",
        (tenant_id, customer_id),
    )


def card_by_phone(cur, tenant_id: int, phone: str) -> dict | None:
    return fetch_one(
        cur,
        f"SELECT {CARD_COLUMNS} FROM {CARD_FROM} WHERE c.tenant_id = %s AND c.phone = %s",
        (tenant_id, phone),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_filter(tenant_id: int, name: str, phone_digits: list[str]) -> tuple[str, tuple]:
    """WHERE clause: the tenant's customers whose name contains ``name`` or whose phone
    contains any of ``phone_digits`` (all of them when both are empty)."""
    clauses, values = [], []
    if name:
        clauses.append("c.name LIKE %s")
        values.append(f"%{_escape_like(name)}%")
    for digits in phone_digits:
        clauses.append("c.phone LIKE %s")
        values.append(f"%{digits}%")
    where = "c.tenant_id = %s" + (f" AND ({' OR '.join(clauses)})" if clauses else "")
    return where, (tenant_id, *values)


def search_cards(
    cur, tenant_id: int, name: str, phone_digits: list[str], limit: int, offset: int
) -> list[dict]:
    """Matching customers of the tenant (see ``_search_filter``), most recently changed first."""
    where, params = _search_filter(tenant_id, name, phone_digits)
    return fetch_all(
        cur,
        f"SELECT {CARD_COLUMNS} FROM {CARD_FROM} WHERE {where} "
        "ORDER BY p.updated_at DESC, c.id DESC LIMIT %s OFFSET %s",
        (*params, limit, offset),
    )


def count_matching(cur, tenant_id: int, name: str, phone_digits: list[str]) -> int:
    where, params = _search_filter(tenant_id, name, phone_digits)
    row = fetch_one(cur, f"SELECT COUNT(*) AS n FROM {CARD_FROM} WHERE {where}", params)
    return row["n"]
