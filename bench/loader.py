"""Bulk-load customers into one tenant with INSERT ... SELECT from MariaDB's Sequence engine.

Much faster than the API (a million customers in well under a minute), and the rows satisfy the
service's invariants, so ``verify_ledger`` finds no drift: each customer gets

- a ``customers`` row: phone ``+447900`` + 6 digits (valid GB mobiles), name ``Guest <n>``,
  joined days ago (see SETTLED_SECONDS);
- a ``customer_loyalty_points`` row: balance = total earned = ``points``, nothing redeemed;
- two ledger rows: ``open_account`` (0 points, reference ``open-<customer id>``, as enrolment
  writes it) and ``earn_points`` (``points``, reference ``seed-<customer id>``);
- when the schema has ``customer_search_terms``: one row per word of the name.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

from service.db import connect

MAX_CUSTOMERS = 1_000_000  # six digits after +447900
# Customer n joined (and last changed) MAX_CUSTOMERS + SETTLED_SECONDS - n seconds ago: distinct
# times in the order of n, all older than the admin list's settle time, so an unchanged poll
# is a 304 right after loading.
SETTLED_SECONDS = 3600
BATCH = 50_000  # customers per batch: bounded undo logs, steady progress


def phone(n: int) -> str:
    """The E.164 phone of customer number ``n`` (0-based), as the loader writes it."""
    return f"+447900{n:06d}"


def national(n: int) -> str:
    """The same phone as a person types it in the UK, with spaces."""
    return f"07900 {n:06d}"


def name(n: int) -> str:
    return f"Guest {n}"


def _table_exists(cur, table: str) -> bool:
    cur.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() "
        "AND table_name = %s",
        (table,),
    )
    return cur.fetchone() is not None


def load_customers(
    settings, tenant_id: int, count: int, points: int = 1000, workers: int = 3, progress=None
) -> float:
    """Add customers 0 .. count-1 to the tenant (which has none of these phones yet), on
    ``workers`` connections of their own; returns the seconds it took.

    Foreign-key and unique checks are off in these sessions only: every row is built valid
    (ids come from the rows just inserted, phones and references are distinct by construction).
    """
    if not 0 < count <= MAX_CUSTOMERS:
        raise ValueError(f"count must be 1..{MAX_CUSTOMERS:,}")
    started = time.perf_counter()
    batches = [(first, min(first + BATCH, count) - 1) for first in range(0, count, BATCH)]
    done = 0
    lock = threading.Lock()

    def work(batch: tuple[int, int]) -> None:
        nonlocal done
        with closing(connect(settings)) as conn, conn.cursor() as cur:
            search_terms = _table_exists(cur, "customer_search_terms")
            cur.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0")
            _load_batch(cur, tenant_id, *batch, points, search_terms)
        with lock:
            done += batch[1] - batch[0] + 1
            if progress:
                progress(done, time.perf_counter() - started)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, batches))
    return time.perf_counter() - started


def _load_batch(cur, tenant_id: int, first: int, last: int, points: int, terms: bool) -> None:
    # seq_<first>_to_<last> is a virtual table of the Sequence engine (integers only).
    cur.execute(
        "INSERT INTO customers (tenant_id, phone, name, created_at) "
        "SELECT %s, CONCAT('+447900', LPAD(seq, 6, '0')), CONCAT('Guest ', seq), "
        "CURRENT_TIMESTAMP(6) - INTERVAL (%s - seq) SECOND "
        f"FROM seq_{int(first)}_to_{int(last)}",
        (tenant_id, MAX_CUSTOMERS + SETTLED_SECONDS),
    )
    # This batch's customers, by the unique (tenant_id, phone) index.
    batch = "FROM customers WHERE tenant_id = %s AND phone BETWEEN %s AND %s"
    where = (tenant_id, phone(first), phone(last))
    cur.execute(
        "INSERT INTO customer_loyalty_points "
        "(tenant_id, customer_id, phone, points_balance, total_points_earned, updated_at) "
        f"SELECT tenant_id, id, phone, %s, %s, created_at {batch}",
        (points, points, *where),
    )
    # Each customer's two ledger rows: the opening entry enrolment writes, then the earning.
    for operation, amount, prefix in (
        ("open_account", 0, "open-"),
        ("earn_points", points, "seed-"),
    ):
        cur.execute(
            "INSERT INTO phone_loyalty_transactions (phone, tenant_id, customer_id, "
            "operation_type, points_amount, transaction_reference, created_at) "
            f"SELECT phone, tenant_id, id, %s, %s, CONCAT(%s, id), created_at {batch}",
            (operation, amount, prefix, *where),
        )
    if terms:
        # "Guest" and the number: the words of the name, as enrolment indexes them.
        for term in ("'Guest'", "SUBSTRING(name, 7)"):
            cur.execute(
                "INSERT INTO customer_search_terms (tenant_id, term, customer_id) "
                f"SELECT tenant_id, {term}, id {batch}",
                where,
            )
