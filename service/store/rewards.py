"""SQL for ``rewards``: a tenant's money-off rewards, in the owner's order."""

from ..db import fetch_all

COLUMNS = "reward_id AS id, name, points, amount_minor"


def list_for_tenant(cur, tenant_id: int) -> list[dict]:
    return fetch_all(
        cur,
        f"SELECT {COLUMNS} FROM rewards WHERE tenant_id = %s ORDER BY position",
        (tenant_id,),
    )


def replace_all(cur, tenant_id: int, rewards: list[dict]) -> None:
    """The tenant's list becomes ``rewards`` (inside the caller's transaction)."""
    cur.execute("DELETE FROM rewards WHERE tenant_id = %s", (tenant_id,))
    if rewards:
        cur.executemany(
            "INSERT INTO rewards (tenant_id, reward_id, position, name, points, amount_minor) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (tenant_id, r["id"], i, r["name"], r["points"], r["amount_minor"])
                for i, r in enumerate(rewards)
            ],
        )
