"""SQL for ``programme_versions``: each tenant's programme settings, one row per version."""

from ..db import fetch_all, fetch_one

COLUMNS = (
    "version, currency, timezone, spend_points, spend_per_amount_minor, visit_points, "
    "visit_min_spend_minor, expiry_months, point_value_minor, set_by, created_at"
)


def current(cur, tenant_id: int, *, lock: bool = False) -> dict | None:
    """The version in force (the newest), or None when the tenant never set one. ``lock``
    reads it FOR UPDATE: two admins saving at once make two versions, one after the other."""
    return fetch_one(
        cur,
        f"SELECT {COLUMNS} FROM programme_versions WHERE tenant_id = %s "
        f"ORDER BY version DESC LIMIT 1{' FOR UPDATE' if lock else ''}",
        (tenant_id,),
    )


def history(cur, tenant_id: int) -> list[dict]:
    return fetch_all(
        cur,
        f"SELECT {COLUMNS} FROM programme_versions WHERE tenant_id = %s ORDER BY version",
        (tenant_id,),
    )


def insert(cur, tenant_id: int, version: int, settings: dict, set_by: str | None) -> None:
    cur.execute(
        "INSERT INTO programme_versions (tenant_id, version, currency, timezone, spend_points, "
        "spend_per_amount_minor, visit_points, visit_min_spend_minor, expiry_months, "
        "point_value_minor, set_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            tenant_id,
            version,
            settings["currency"],
            settings["timezone"],
            settings["spend_points"],
            settings["spend_per_amount_minor"],
            settings["visit_points"],
            settings["visit_min_spend_minor"],
            settings["expiry_months"],
            settings["point_value_minor"],
            set_by,
        ),
    )
