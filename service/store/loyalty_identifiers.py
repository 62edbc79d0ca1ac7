"""SQL for ``loyalty_identifiers``: each customer's opaque Toast loyaltyIdentifier."""

from ..db import fetch_all, fetch_one


def customer_of(cur, tenant_id: int, identifier: str) -> int | None:
    row = fetch_one(
        cur,
        "SELECT customer_id FROM loyalty_identifiers WHERE tenant_id = %s AND identifier = %s",
        (tenant_id, identifier),
    )
    return row["customer_id"] if row else None


def of_customers(cur, customer_ids: list[int]) -> dict[int, str]:
    if not customer_ids:
        return {}
    marks = ", ".join(["%s"] * len(customer_ids))
    rows = fetch_all(
        cur,
        f"SELECT customer_id, identifier FROM loyalty_identifiers WHERE customer_id IN ({marks})",
        tuple(customer_ids),
    )
    return {row["customer_id"]: row["identifier"] for row in rows}


def insert_if_none(cur, tenant_id: int, customer_id: int, identifier: str) -> None:
    """Give the customer ``identifier`` unless it has one already (a concurrent search)."""
    cur.execute(
        "INSERT IGNORE INTO loyalty_identifiers (tenant_id, identifier, customer_id) "
        "VALUES (%s, %s, %s)",
        (tenant_id, identifier, customer_id),
    )


def lock(cur, tenant_id: int, identifier: str) -> dict | None:
    return fetch_one(
        cur,
        "SELECT identifier, customer_id FROM loyalty_identifiers "
        "WHERE tenant_id = %s AND identifier = %s FOR UPDATE",
        (tenant_id, identifier),
    )


def rename(cur, tenant_id: int, old: str, new: str) -> int:
    cur.execute(
        "UPDATE loyalty_identifiers SET identifier = %s WHERE tenant_id = %s AND identifier = %s",
        (new, tenant_id, old),
    )
    return cur.rowcount


def delete_for_customer(cur, customer_id: int) -> None:
    cur.execute("DELETE FROM loyalty_identifiers WHERE customer_id = %s", (customer_id,))
