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


def lock_by_identifier(cur, tenant_id: int, identifier: str) -> dict | None:
    """The balance row of the tenant's customer with this Toast loyaltyIdentifier, locked (see
    ``lock``), with the customer's ``name``: one round trip. Only the balance row is locked
    (a locking read does not lock the rows its subqueries read). The row is read as it is once
    locked; the identifier and the name as they were when the statement began (READ
    COMMITTED), before any wait for the lock: an erasure committed meanwhile shows in the row's
    phone (the pseudonym), which the caller checks."""
    return fetch_one(
        cur,
        f"SELECT {LOCKED_COLUMNS}, "
        "(SELECT name FROM customers "
        "WHERE customers.id = customer_loyalty_points.customer_id) AS name "
        "FROM customer_loyalty_points WHERE tenant_id = %s AND customer_id = "
        "(SELECT customer_id FROM loyalty_identifiers WHERE tenant_id = %s AND identifier = %s) "
        "FOR UPDATE",
        (tenant_id, tenant_id, identifier),
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


def set_phone(cur, customer_id: int, phone: str) -> None:
    """Give the balance row a new phone (an erasure's pseudonym); marks it changed."""
    cur.execute(
        "UPDATE customer_loyalty_points SET phone = %s, version = version + 1, "
        "updated_at = CURRENT_TIMESTAMP(6) WHERE customer_id = %s",
        (phone, customer_id),
    )


def insert_many(cur, tenant_id: int, customers: list[tuple[int, str]]) -> None:
    """``insert`` for several (customer_id, phone), in one statement."""
    cur.executemany(
        "INSERT INTO customer_loyalty_points (tenant_id, customer_id, phone) VALUES (%s, %s, %s)",
        [(tenant_id, cid, phone) for cid, phone in customers],
    )


def apply_changes(cur, changes: list[dict]) -> None:
    """``apply_change`` for several customers in one statement: each of ``changes`` is
    ``{customer_id, balance, earned, redeemed, expiring}``. The same guard: no balance below
    zero (BalanceGuardFailed when a row did not match)."""
    if not changes:
        return
    ids = [c["customer_id"] for c in changes]
    marks = ", ".join(["%s"] * len(ids))

    def case(key: str) -> tuple[str, list]:
        params = [v for c in changes for v in (c["customer_id"], int(c[key]))]
        return f"CASE customer_id {' '.join(['WHEN %s THEN %s'] * len(changes))} END", params

    balance, p_balance = case("balance")
    earned, p_earned = case("earned")
    redeemed, p_redeemed = case("redeemed")
    expiring, p_expiring = case("expiring")
    cur.execute(
        f"UPDATE customer_loyalty_points SET points_balance = points_balance + {balance}, "
        f"total_points_earned = total_points_earned + {earned}, "
        f"total_points_redeemed = total_points_redeemed + {redeemed}, version = version + 1, "
        f"has_expiring = has_expiring OR {expiring}, updated_at = CURRENT_TIMESTAMP(6) "
        f"WHERE customer_id IN ({marks}) AND points_balance + {balance} >= 0",
        (*p_balance, *p_earned, *p_redeemed, *p_expiring, *ids, *p_balance),
    )
    if cur.rowcount != len(changes):
        raise BalanceGuardFailed(f"balance update of {len(changes)} customers matched fewer")
