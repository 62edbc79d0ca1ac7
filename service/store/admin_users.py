"""SQL for ``admin_users``."""

from ..db import fetch_one


def insert(cur, tenant_id: int, email: str, password_hash: str) -> int:
    cur.execute(
        "INSERT INTO admin_users (tenant_id, email, password_hash) VALUES (%s, %s, %s)",
        (tenant_id, email, password_hash),
    )
    return cur.lastrowid


def set_password(cur, admin_id: int, password_hash: str) -> None:
    """Set the password and revoke every session token issued before."""
    cur.execute(
        "UPDATE admin_users SET password_hash = %s, session_generation = session_generation + 1 "
        "WHERE id = %s",
        (password_hash, admin_id),
    )


def revoke_sessions(cur, admin_id: int, generation: int) -> int:
    """Revoke the admin's tokens of ``generation`` (and earlier); 0 when already revoked."""
    cur.execute(
        "UPDATE admin_users SET session_generation = session_generation + 1 "
        "WHERE id = %s AND session_generation = %s",
        (admin_id, generation),
    )
    return cur.rowcount


def find(cur, tenant_id: int, email: str) -> dict | None:
    return fetch_one(
        cur,
        "SELECT id, tenant_id, email, password_hash, session_generation FROM admin_users "
        "WHERE tenant_id = %s AND email = %s",
        (tenant_id, email),
    )


def get_with_tenant(cur, admin_id: int) -> dict | None:
    return fetch_one(
        cur,
        "SELECT a.id, a.email, a.session_generation, t.id AS tenant_id, t.slug, t.name, "
        "t.phone_region "
        "FROM admin_users a JOIN tenants t ON t.id = a.tenant_id WHERE a.id = %s",
        (admin_id,),
    )
