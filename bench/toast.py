"""Toast terminals against the service (issue 20): LOYALTY_ACCRUE and LOYALTY_REDEEM in turn at
16 concurrent terminals, p50/p99 per transaction (target p99 <= 50 ms; Toast's own limit is
500 ms on average, 5 s timeout), beside the same work through the POS API (earn from the bill,
redeem) measured right before and right after, as in ``make bench``. Two loads: back to back
(each terminal sends its next transaction the moment it has an answer: the machine's
saturation, where the latency is 16 / throughput plus the queue's spread), and paced (a think
time after each answer, random so the terminals are not in step).

Part of ``make bench``; alone: ``make bench-toast`` (``python -m bench.toast``;
BENCH_CUSTOMERS, BENCH_SECONDS, BENCH_ROUNDS override the defaults). The terminals are wrk
connections (C, Lua-built bodies), so the load generator takes little of the 2 cores the
service has; every terminal's next transaction is for a different guest, under new GUIDs.
"""

import os
import secrets
import uuid
from contextlib import closing
from dataclasses import dataclass

from service import toast
from service.audit import verify_ledger
from service.auth import create_pos_key
from service.db import connect
from service.programme import set_programme
from service.rewards import set_rewards
from service.tenancy import create_tenant, get_tenant
from tests.harness import database_url, throwaway_database

from . import wrk
from .loader import PROGRAMME, load_customers
from .server import gunicorn

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "2000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TERMINALS = 16
TARGET_P99_MS = 50.0
# A terminal's pause between transactions in the paced runs: 16 terminals then send ~140 a
# second, some 70 times a busy restaurant's (a check paid every few seconds at each).
THINK_MS = 100
SLUG = "toast-bench"
# Enough for every customer to redeem 200 points in every run of every round.
POINTS = 1_000_000


@dataclass(frozen=True)
class Seeded:
    key: str  # the restaurant's Toast key
    restaurant: str  # its GUID
    pos_key: str  # the baseline's till


def seed(settings) -> Seeded:
    """The Toast bench tenant: CUSTOMERS customers (identifier "bench-" + phone), the benches'
    programme, a £2 reward for 200 points, a Toast restaurant and a POS key."""
    with closing(connect(settings)) as conn:
        tenant = create_tenant(conn, SLUG, "Toast Bench", "GB")
        took = load_customers(settings, tenant.id, CUSTOMERS, points=POINTS)
        print(f"Toast bench: {CUSTOMERS:,} customers seeded in {took:.1f} s")
        set_programme(conn, tenant, PROGRAMME, "bench")
        set_rewards(conn, tenant, [{"id": "off2", "name": "£2 off", "points": 200,
                                    "amount_minor": 200}])  # fmt: skip
        restaurant = str(uuid.uuid4())
        key = toast.connect_restaurant(conn, tenant, restaurant, None)
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO loyalty_identifiers (tenant_id, identifier, customer_id) "
                "SELECT tenant_id, CONCAT('bench-', phone), id FROM customers "
                "WHERE tenant_id = %s",
                (tenant.id,),
            )
        conn.commit()
        return Seeded(key, restaurant, create_pos_key(conn, tenant, "toast-bench"))


def measure(url: str, seeded: Seeded) -> list[str]:
    """ROUNDS rounds of: the tills back to back, the Toast terminals back to back, the Toast
    terminals paced (a think time of THINK_MS on average after each answer), the tills again
    (TERMINALS connections, SECONDS each); returns the report's lines: for each load the
    median round by p99, and every round's p99."""
    run = secrets.token_hex(3)
    toast_headers = {"Authorization": seeded.key, "Toast-Restaurant-External-ID": seeded.restaurant}
    till_headers = {"X-API-Key": seeded.pos_key}

    def load(scenario, headers, tag) -> wrk.Result:
        return wrk.run(url, scenario, connections=TERMINALS, seconds=SECONDS, headers=headers,
                       customers=CUSTOMERS, run_id=f"{run}-{tag}")  # fmt: skip

    load(wrk.TOAST, toast_headers, "warm")  # imports, pools, caches: not reported
    runs: dict[str, list[wrk.Result]] = {"tills": [], "toast": [], "paced": []}
    for r in range(ROUNDS):
        runs["tills"].append(load(wrk.TILL_LIKE_TOAST, till_headers, f"t{r}a"))
        runs["toast"].append(load(wrk.TOAST, toast_headers, f"x{r}"))
        runs["paced"].append(load(wrk.paced(wrk.TOAST, THINK_MS), toast_headers, f"p{r}"))
        runs["tills"].append(load(wrk.TILL_LIKE_TOAST, till_headers, f"t{r}b"))

    def median(results: list[wrk.Result]) -> wrk.Result:
        return sorted(results, key=lambda x: x.p99_ms)[len(results) // 2]

    def line(label: str, results: list[wrk.Result], target: bool) -> str:
        m = median(results)
        verdict = ""
        if target:
            met = "meets" if m.p99_ms <= TARGET_P99_MS else "MISSES"
            verdict = f"  p99 {met} the {TARGET_P99_MS:.0f} ms target"
        every = ", ".join(f"{x.p99_ms:.0f}" for x in sorted(results, key=lambda x: x.p99_ms))
        return (f"  {label:<44} p50 {m.p50_ms:5.1f} ms  p99 {m.p99_ms:5.1f} ms  "
                f"{m.rate:4.0f}/s{verdict}  (p99 of each run: {every} ms)")  # fmt: skip

    tills_rate = sum(x.rate for x in runs["tills"]) / len(runs["tills"])
    toast_rate = sum(x.rate for x in runs["toast"]) / len(runs["toast"])
    unexpected = sum(x.unexpected + x.socket_errors for each in runs.values() for x in each)
    return [
        f"Toast terminals: {TERMINALS} at once, ACCRUE and REDEEM in turn, {SECONDS} s per run, "
        f"median of {ROUNDS} rounds by p99:",
        line("Toast, back to back (saturation)", runs["toast"], True),
        line(f"Toast, paced (think {THINK_MS} ms on average)", runs["paced"], True),
        line("POS API, the same work back to back", runs["tills"], False),
        f"  Toast ÷ POS API, transactions per second back to back: {toast_rate / tills_rate:.2f}"
        f" (mean of every run); non-2xx or socket errors in all runs: {unexpected}",
    ]


def main() -> None:
    if not wrk.available():
        raise SystemExit("wrk is missing: `scripts/apt-install.sh wrk` (make bench does that)")
    with throwaway_database("loyalty_toast_bench") as settings:
        seeded = seed(settings)
        env = {"DATABASE_URL": database_url(settings), "SECRET_KEY": secrets.token_urlsafe(16)}
        with gunicorn("service:create_app()", env) as api:
            print("\n".join(measure(api.url, seeded)))
        with closing(connect(settings)) as conn:
            checked, drifts = verify_ledger(conn, get_tenant(conn, SLUG))
        print(f"ledger verify after the run: {checked:,} customers, {len(drifts)} drifts")


if __name__ == "__main__":
    main()
