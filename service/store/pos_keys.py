"""SQL for ``pos_api_keys``: a public prefix and the hash of the secret, never the secret."""

from ..db import fetch_all, fetch_one


def insert(
    cur, tenant_id: int, prefix: str, secret_hash: str, label: str, location_id: int | None
) -> int:
    cur.execute(
        "INSERT INTO pos_api_keys (tenant_id, prefix, secret_hash, label, location_id) "
        "VALUES (%s, %s, %s, %s, %s)",
        (tenant_id, prefix, secret_hash, label, location_id),
    )
    return cur.lastrowid


def find_active(cur, prefix: str) -> dict | None:
    """The unrevoked key with this prefix, joined with its tenant; ``used_long_ago``: its last
    use recorded is a minute old, or none is (``mark_used`` would write)."""
    return fetch_one(
        cur,
        "SELECT k.id, k.secret_hash, k.label, k.location_id, l.code AS location_code, "
        "k.last_used_at < CURRENT_TIMESTAMP(6) - INTERVAL 60 SECOND "
        "OR k.last_used_at IS NULL AS used_long_ago, "
        "t.id AS tenant_id, t.slug, t.name, t.phone_region "
        "FROM pos_api_keys k JOIN tenants t ON t.id = k.tenant_id "
        "LEFT JOIN locations l ON l.id = k.location_id "
        "WHERE k.prefix = %s AND k.revoked_at IS NULL",
        (prefix,),
    )


def revoke(cur, prefix: str) -> int:
    cur.execute(
        "UPDATE pos_api_keys SET revoked_at = CURRENT_TIMESTAMP(6) "
        "WHERE prefix = %s AND revoked_at IS NULL",
        (prefix,),
    )
    return cur.rowcount


def revoke_labelled(cur, tenant_id: int, label: str) -> int:
    cur.execute(
        "UPDATE pos_api_keys SET revoked_at = CURRENT_TIMESTAMP(6) "
        "WHERE tenant_id = %s AND label = %s AND revoked_at IS NULL",
        (tenant_id, label),
    )
    return cur.rowcount


def mark_used(cur, key_id: int) -> None:
    """Record that the key was used now, unless that was recorded less than a minute ago."""
    cur.execute(
        "UPDATE pos_api_keys SET last_used_at = CURRENT_TIMESTAMP(6) WHERE id = %s "
        "AND (last_used_at IS NULL OR last_used_at < CURRENT_TIMESTAMP(6) - INTERVAL 60 SECOND)",
        (key_id,),
    )


def list_for_tenant(cur, tenant_id: int) -> list[dict]:
    """The tenant's keys, newest first: prefix, label, location, created, revoked (no hash)."""
    return fetch_all(
        cur,
        "SELECT k.prefix, k.label, l.code AS location_code, k.created_at, k.last_used_at, "
        "k.revoked_at "
        "FROM pos_api_keys k LEFT JOIN locations l ON l.id = k.location_id "
        "WHERE k.tenant_id = %s ORDER BY k.id DESC",
        (tenant_id,),
    )
