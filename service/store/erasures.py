"""SQL for ``erasures``: who erased which customer, when and why (never the phone or name)."""

from datetime import datetime

from ..db import fetch_all, fetch_one

COLUMNS = "customer_id, reason, points_forfeited, erased_by_kind, erased_by_label, erased_at"


def insert(
    cur,
    *,
    tenant_id: int,
    customer_id: int,
    reason: str,
    points_forfeited: int,
    erased_by_kind: str,
    erased_by_label: str,
    erased_at: datetime,
) -> None:
    cur.execute(
        "INSERT INTO erasures (tenant_id, customer_id, reason, points_forfeited, "
        "erased_by_kind, erased_by_label, erased_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (tenant_id, customer_id, reason, points_forfeited, erased_by_kind, erased_by_label,
         erased_at),
    )  # fmt: skip


def get(cur, tenant_id: int, customer_id: int) -> dict | None:
    return fetch_one(
        cur,
        f"SELECT {COLUMNS} FROM erasures WHERE tenant_id = %s AND customer_id = %s",
        (tenant_id, customer_id),
    )


def list_for_tenant(cur, tenant_id: int) -> list[dict]:
    return fetch_all(
        cur, f"SELECT {COLUMNS} FROM erasures WHERE tenant_id = %s ORDER BY id", (tenant_id,)
    )
