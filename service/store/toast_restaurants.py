"""SQL for ``toast_restaurants``: Toast restaurants bound to a tenant, by the hash of their key."""

from ..db import fetch_all, fetch_one


def insert(cur, tenant_id: int, restaurant_guid: str, location_id: int | None, key_hash: str):
    cur.execute(
        "INSERT INTO toast_restaurants (tenant_id, restaurant_guid, location_id, key_hash) "
        "VALUES (%s, %s, %s, %s)",
        (tenant_id, restaurant_guid, location_id, key_hash),
    )
    return cur.lastrowid


def find_by_key_hash(cur, key_hash: str) -> dict | None:
    """The restaurant whose key hashes to ``key_hash``, with its tenant and location."""
    return fetch_one(
        cur,
        "SELECT r.id, r.restaurant_guid, r.location_id, l.code AS location_code, "
        "t.id AS tenant_id, t.slug, t.name, t.phone_region "
        "FROM toast_restaurants r JOIN tenants t ON t.id = r.tenant_id "
        "LEFT JOIN locations l ON l.id = r.location_id WHERE r.key_hash = %s",
        (key_hash,),
    )


def list_for_tenant(cur, tenant_id: int) -> list[dict]:
    return fetch_all(
        cur,
        "SELECT r.restaurant_guid, l.code AS location_code, r.created_at "
        "FROM toast_restaurants r LEFT JOIN locations l ON l.id = r.location_id "
        "WHERE r.tenant_id = %s ORDER BY r.created_at, r.id",
        (tenant_id,),
    )


def delete(cur, restaurant_guid: str) -> int:
    cur.execute("DELETE FROM toast_restaurants WHERE restaurant_guid = %s", (restaurant_guid,))
    return cur.rowcount
