"""SQL for ``locations``: a tenant's shops or sites, each with a short code."""

from ..db import fetch_all, fetch_one

COLUMNS = "id, code, name, created_at"


def insert(cur, tenant_id: int, code: str, name: str) -> int:
    cur.execute(
        "INSERT INTO locations (tenant_id, code, name) VALUES (%s, %s, %s)",
        (tenant_id, code, name),
    )
    return cur.lastrowid


def by_code(cur, tenant_id: int, code: str) -> dict | None:
    return fetch_one(
        cur,
        f"SELECT {COLUMNS} FROM locations WHERE tenant_id = %s AND code = %s",
        (tenant_id, code),
    )


def list_for_tenant(cur, tenant_id: int) -> list[dict]:
    return fetch_all(
        cur, f"SELECT {COLUMNS} FROM locations WHERE tenant_id = %s ORDER BY code", (tenant_id,)
    )


def rename(cur, tenant_id: int, code: str, name: str) -> int:
    cur.execute(
        "UPDATE locations SET name = %s WHERE tenant_id = %s AND code = %s",
        (name, tenant_id, code),
    )
    return cur.rowcount
