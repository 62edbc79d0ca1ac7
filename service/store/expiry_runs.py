"""SQL for ``expiry_runs``: how far each tenant's expiry job has got."""

from datetime import datetime

from ..db import fetch_one


def get(cur, tenant_id: int) -> dict | None:
    return fetch_one(
        cur, "SELECT expired_through, ran_at FROM expiry_runs WHERE tenant_id = %s", (tenant_id,)
    )


def advance(cur, tenant_id: int, through: datetime, seen: datetime | None = None) -> None:
    """Record that every date up to ``through`` was processed (never moves back).

    ``seen`` is the watermark the run started from: when it has changed since (an import
    lowered it, see ``lower``), the run may have missed rows and the watermark stays.
    """
    if seen is None:
        cur.execute(
            "INSERT IGNORE INTO expiry_runs (tenant_id, expired_through, ran_at) "
            "VALUES (%s, %s, CURRENT_TIMESTAMP(6))",
            (tenant_id, through),
        )
        return
    cur.execute(
        "UPDATE expiry_runs SET expired_through = GREATEST(expired_through, %s), "
        "ran_at = CURRENT_TIMESTAMP(6) WHERE tenant_id = %s AND expired_through = %s",
        (through, tenant_id, seen),
    )


# What no watermark means (``expire_points`` then looks from the earliest date).
NO_WATERMARK = datetime(1000, 1, 1)


def lower(cur, tenant_id: int, below: datetime) -> None:
    """Make the next expiry run look at dates from ``below`` on: rows written now (an import)
    carry dates a run already passed. Locks the tenant's row until the caller commits; a run
    that read the old watermark then does not advance it (see ``advance``'s ``seen``)."""
    cur.execute(
        "INSERT INTO expiry_runs (tenant_id, expired_through, ran_at) "
        "VALUES (%s, %s, CURRENT_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE "
        "expired_through = LEAST(expired_through, %s)",
        (tenant_id, NO_WATERMARK, below),
    )
