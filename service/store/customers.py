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


def _search_filter(tenant_id: int, query: str) -> tuple[str, tuple]:
    """WHERE clause matching the name, or the phone when the query holds digits."""
    where, params = "c.tenant_id = %s", [tenant_id]
    query = query.strip()
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        clauses, values = ["c.name LIKE %s"], [f"%{_escape_like(query)}%"]
        if digits:
            clauses.append("c.phone LIKE %s")
            values.append(f"%{digits}%")
        where += f" AND ({' OR '.join(clauses)})"
        params += values
    return where, tuple(params)


def search_cards(cur, tenant_id: int, query: str, limit: int, offset: int) -> list[dict]:
    """Customers of the tenant matching ``query``, most recently changed first."""
    where, params = _search_filter(tenant_id, query)
    return fetch_all(
        cur,
        f"SELECT {CARD_COLUMNS} FROM {CARD_FROM} WHERE {where} "
        "ORDER BY p.updated_at DESC, c.id DESC LIMIT %s OFFSET %s",
        (*params, limit, offset),
    )


def count_matching(cur, tenant_id: int, query: str) -> int:
    where, params = _search_filter(tenant_id, query)
    row = fetch_one(cur, f"SELECT COUNT(*) AS n FROM {CARD_FROM} WHERE {where}", params)
    return row["n"]
