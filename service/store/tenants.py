"""SQL for ``tenants`` and their ``tenant_data_versions``."""

from ..db import fetch_one

COLUMNS = "id, slug, name, phone_region"


def insert(cur, slug: str, name: str, phone_region: str) -> int:
    """Insert the tenant and its data-version row."""
    cur.execute(
        "INSERT INTO tenants (slug, name, phone_region) VALUES (%s, %s, %s)",
        (slug, name, phone_region),
    )
    tenant_id = cur.lastrowid
    cur.execute("INSERT INTO tenant_data_versions (tenant_id) VALUES (%s)", (tenant_id,))
    return tenant_id


def get_by_slug(cur, slug: str) -> dict | None:
    return fetch_one(cur, f"SELECT {COLUMNS} FROM tenants WHERE slug = %s", (slug,))


def get(cur, tenant_id: int) -> dict | None:
    return fetch_one(cur, f"SELECT {COLUMNS} FROM tenants WHERE id = %s", (tenant_id,))


def data_version(cur, tenant_id: int) -> int:
    row = fetch_one(
        cur, "SELECT data_version FROM tenant_data_versions WHERE tenant_id = %s", (tenant_id,)
    )
    return row["data_version"] if row else 0


def bump_data_version(cur, tenant_id: int) -> None:
    """Mark the tenant's customer data as changed.

    Locks the tenant's version row until commit, so call it last in the transaction. It lives
    apart from ``tenants`` because foreign-key checks share-lock tenant rows (see 0003).
    """
    cur.execute(
        "UPDATE tenant_data_versions SET data_version = data_version + 1 WHERE tenant_id = %s",
        (tenant_id,),
    )
