"""SQL for ``expiry_runs``: how far each tenant's expiry job has got."""

from datetime import datetime

from ..db import fetch_one


def get(cur, tenant_id: int) -> dict | None:
    return fetch_one(
        cur, "SELECT expired_through, ran_at FROM expiry_runs WHERE tenant_id = %s", (tenant_id,)
    )


def advance(cur, tenant_id: int, through: datetime) -> None:
    """Record that every date up to ``through`` was processed (never moves back)."""
    cur.execute(
        "INSERT INTO expiry_runs (tenant_id, expired_through, ran_at) "
        "VALUES (%s, %s, CURRENT_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE "
        "expired_through = GREATEST(expired_through, VALUES(expired_through)), "
        "ran_at = VALUES(ran_at)",
        (tenant_id, through),
    )
