"""The write baseline: raw PyMySQL running the minimal redemption transaction.

BEGIN; SELECT ... FOR UPDATE of the customer's balance row; UPDATE it; INSERT a ledger row;
COMMIT. One connection per thread (the service's session settings: READ COMMITTED, strict
mode), each thread on different customers of the one tenant, for a bounded time. The rows it
writes keep the ledger invariants (a ``redeem_points`` row of 1 point per balance change), so
the bench database stays consistent.
"""

import statistics
import threading
import time
from contextlib import closing
from dataclasses import dataclass

import pymysql

from service.db import connect

ER_CON_COUNT_ERROR = 1040  # "Too many connections"


@dataclass(frozen=True)
class Result:
    transactions: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.transactions / self.seconds


def _redeem_one(cur, tenant_id: int, customer: tuple[int, str], reference: str) -> None:
    customer_id, phone = customer
    cur.execute("BEGIN")
    cur.execute(
        "SELECT points_balance FROM customer_loyalty_points WHERE customer_id = %s FOR UPDATE",
        (customer_id,),
    )
    balance = cur.fetchone()["points_balance"]
    if balance < 1:
        raise RuntimeError(f"customer {customer_id} has no points left for the baseline")
    cur.execute(
        "UPDATE customer_loyalty_points SET points_balance = points_balance - 1, "
        "total_points_redeemed = total_points_redeemed + 1 WHERE customer_id = %s",
        (customer_id,),
    )
    cur.execute(
        "INSERT INTO phone_loyalty_transactions (phone, tenant_id, customer_id, operation_type, "
        "points_amount, transaction_reference) VALUES (%s, %s, %s, 'redeem_points', 1, %s)",
        (phone, tenant_id, customer_id, reference),
    )
    cur.execute("COMMIT")


def raw_redeem(
    settings,
    tenant_id: int,
    customers: list[tuple[int, str]],
    *,
    threads: int,
    seconds: float,
    run_id: str,
) -> Result:
    """Run the minimal transaction on ``threads`` connections for ``seconds``; ``customers``
    ((id, phone) pairs) are taken in turn, so concurrent transactions touch different ones."""
    connections = _connect_all(settings, threads)
    latencies: list[list[float]] = [[] for _ in range(threads)]
    failures: list[BaseException] = []
    go, stop = threading.Event(), threading.Event()

    def worker(t: int) -> None:
        with closing(connections[t]) as conn, conn.cursor() as cur:
            go.wait()
            n = 0
            while not stop.is_set():
                customer = customers[(n * threads + t) % len(customers)]
                began = time.perf_counter()
                try:
                    _redeem_one(cur, tenant_id, customer, f"{run_id}-{t}-{n}")
                except Exception as exc:  # noqa: BLE001 (reported by the caller, after the run)
                    failures.append(exc)
                    return
                latencies[t].append((time.perf_counter() - began) * 1000)
                n += 1

    workers = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(threads)]
    for w in workers:
        w.start()
    go.set()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join(timeout=30)
    elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"the raw PyMySQL baseline failed: {failures[0]!r}")
    samples = [x for per_thread in latencies for x in per_thread]
    q = statistics.quantiles(samples, n=100)
    return Result(len(samples), elapsed, q[49], q[98])


def _connect_all(settings, count: int, attempts: int = 10) -> list:
    """``count`` connections, opened before the clock starts. The database server is shared:
    when it is out of connections (1040), wait for others to finish, a bounded number of times."""
    connections = []
    try:
        for _ in range(count):
            for attempt in range(attempts):
                try:
                    connections.append(connect(settings))
                    break
                except pymysql.err.OperationalError as exc:
                    if exc.args[0] != ER_CON_COUNT_ERROR or attempt == attempts - 1:
                        raise
                    time.sleep(1)
    except BaseException:
        for conn in connections:
            conn.close()
        raise
    return connections
