"""SQL for ``customer_loyalty_points``, the balance row of each customer."""

from ..db import fetch_all, fetch_one

# What a points change needs of the row it locks: no more, since the driver parses every
# column's description on each call.
LOCKED_COLUMNS = "customer_id, phone, points_balance, total_points_earned, total_points_redeemed"


class BalanceGuardFailed(RuntimeError):
    """The guarded update matched no row: the caller's checks and the stored row disagree."""


def insert(cur, tenant_id: int, customer_id: int, phone: str) -> None:
    cur.execute(
        "INSERT INTO customer_loyalty_points (tenant_id, customer_id, phone) VALUES (%s, %s, %s)",
        (tenant_id, customer_id, phone),
    )


def lock_by_phone(cur, tenant_id: int, phone: str) -> dict | None:
    """The balance row of the tenant's customer with this phone, locked (see ``lock``)."""
    return fetch_one(
        cur,
        f"SELECT {LOCKED_COLUMNS} FROM customer_loyalty_points "
        "WHERE tenant_id = %s AND phone = %s FOR UPDATE",
        (tenant_id, phone),
    )


def lock(cur, tenant_id: int, customer_id: int) -> dict | None:
    """Read the balance row with an exclusive lock held until the transaction ends.

    Every write to a customer's points takes this lock first, so such writes run one at a
    time per customer and each sees the balance the previous one left. Writes of other
    customers never wait for it.
    """
    return fetch_one(
        cur,
        f"SELECT {LOCKED_COLUMNS} FROM customer_loyalty_points "
        "WHERE tenant_id = %s AND customer_id = %s FOR UPDATE",
        (tenant_id, customer_id),
    )


def lock_many(cur, tenant_id: int, customer_ids: list[int]) -> list[dict]:
    """The tenant's balance rows of ``customer_ids``, locked in id order (as ``lock``; one
    order for every batch, so two batches never deadlock)."""
    return fetch_all(
        cur,
        f"SELECT {LOCKED_COLUMNS} FROM customer_loyalty_points WHERE tenant_id = %s "
        f"AND customer_id IN ({', '.join(['%s'] * len(customer_ids))}) "
        "ORDER BY customer_id FOR UPDATE",
        (tenant_id, *customer_ids),
    )


def apply_change(
    cur,
    customer_id: int,
    *,
    balance: int,
    earned: int = 0,
    redeemed: int = 0,
    expiring: bool = False,
) -> None:
    """Add the deltas to the customer's balance row, bump its version and ``updated_at``.

    The WHERE clause refuses to take the balance below zero even if a caller skipped its own
    check; BalanceGuardFailed is raised then, and the CHECK constraint backs both.
    """
    cur.execute(
        "UPDATE customer_loyalty_points SET points_balance = points_balance + %s, "
        "total_points_earned = total_points_earned + %s, "
        "total_points_redeemed = total_points_redeemed + %s, version = version + 1, "
        "has_expiring = has_expiring OR %s, updated_at = CURRENT_TIMESTAMP(6) "
        "WHERE customer_id = %s AND points_balance + %s >= 0",
        (balance, earned, redeemed, expiring, customer_id, balance),
    )
    if cur.rowcount != 1:
        raise BalanceGuardFailed(f"balance update for customer {customer_id} matched no row")


def apply_changes(cur, changes: list[tuple[int, int, int, int]]) -> None:
    """``apply_change`` for many customers in one statement: ``(customer_id, balance, earned,
    redeemed)`` deltas, one per customer. The same guard: BalanceGuardFailed unless every row
    was updated."""
    if not changes:
        return
    rows = " UNION ALL ".join(
        ["SELECT %s AS customer_id, %s AS balance, %s AS earned, %s AS redeemed"] * len(changes)
    )
    cur.execute(
        f"UPDATE customer_loyalty_points p JOIN ({rows}) d ON d.customer_id = p.customer_id "
        "SET p.points_balance = p.points_balance + d.balance, "
        "p.total_points_earned = p.total_points_earned + d.earned, "
        "p.total_points_redeemed = p.total_points_redeemed + d.redeemed, "
        "p.version = p.version + 1, p.updated_at = CURRENT_TIMESTAMP(6) "
        "WHERE p.points_balance + d.balance >= 0",
        tuple(value for change in changes for value in change),
    )
    if cur.rowcount != len(changes):
        raise BalanceGuardFailed(f"{len(changes) - cur.rowcount} balance updates matched no row")


def touch(cur, customer_id: int) -> None:
    """Mark the customer as changed (a new name, say): its list position and ETags move."""
    cur.execute(
        "UPDATE customer_loyalty_points SET version = version + 1, "
        "updated_at = CURRENT_TIMESTAMP(6) WHERE customer_id = %s",
        (customer_id,),
    )


def version(cur, tenant_id: int, customer_id: int) -> int | None:
    """The customer's change counter (None when the customer is not the tenant's)."""
    row = fetch_one(
        cur,
        "SELECT version FROM customer_loyalty_points WHERE tenant_id = %s AND customer_id = %s",
        (tenant_id, customer_id),
    )
    return None if row is None else row["version"]


def latest_change(cur, tenant_id: int) -> dict:
    """``{"latest": newest updated_at of the tenant (or None), "now": the server's clock}``.

    One dive into ix_points_tenant_updated, whatever the tenant's size.
    """
    return fetch_one(
        cur,
        "SELECT MAX(updated_at) AS latest, CURRENT_TIMESTAMP(6) AS now "
        "FROM customer_loyalty_points WHERE tenant_id = %s",
        (tenant_id,),
    )
