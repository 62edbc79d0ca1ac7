"""SQL for ``tenants``."""

from ..db import fetch_all, fetch_one

COLUMNS = "id, slug, name, phone_region"


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


def list_all(cur) -> list[dict]:
    return fetch_all(cur, f"SELECT {COLUMNS} FROM tenants ORDER BY id")


def list_with_counts(cur) -> list[dict]:
    """Every tenant with its number of customers and of active POS keys, by id."""
    return fetch_all(
        cur,
        "SELECT t.id, t.slug, t.name, t.phone_region, t.created_at, "
        "(SELECT COUNT(*) FROM customers c WHERE c.tenant_id = t.id) AS customers, "
        "(SELECT COUNT(*) FROM pos_api_keys k WHERE k.tenant_id = t.id "
        "AND k.revoked_at IS NULL) AS active_pos_keys FROM tenants t ORDER BY t.id",
    )
