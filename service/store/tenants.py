"""SQL for ``tenants``."""

from ..db import fetch_one

COLUMNS = "id, slug, name, phone_region, data_version"


def insert(cur, slug: str, name: str, phone_region: str) -> int:
    cur.execute(
        "INSERT INTO tenants (slug, name, phone_region) VALUES (%s, %s, %s)",
        (slug, name, phone_region),
    )
    return cur.lastrowid


def get_by_slug(cur, slug: str) -> dict | None:
    return fetch_one(cur, f"SELECT {COLUMNS} FROM tenants WHERE slug = %s", (slug,))


def get(cur, tenant_id: int) -> dict | None:
    return fetch_one(cur, f"SELECT {COLUMNS} FROM tenants WHERE id = %s", (tenant_id,))


def data_version(cur, tenant_id: int) -> int:
    row = fetch_one(cur, "SELECT data_version FROM tenants WHERE id = %s", (tenant_id,))
    return row["data_version"] if row else 0


def bump_data_version(cur, tenant_id: int) -> None:
    """Mark the tenant's customer data as changed (call last: it locks the tenant row)."""
    cur.execute("UPDATE tenants SET data_version = data_version + 1 WHERE id = %s", (tenant_id,))
