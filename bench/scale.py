"""``make bench-scale``: one tenant with a million customers who joined and earned over the
last year (a programme of 1 point per £1, points expiring 12 months after the month they were
earned), loaded with bulk SQL, then:

- the admin list, search, polls and the till's requests timed in-process (Flask's test
  client, median of 5), with the query plans of the list and searches;
- the expiry job (``points.expire_points``) for the whole tenant, with BENCH_SCALE_DUE
  customers (default a tenth) whose points are due: its time, its memory (peak RSS), where the
  time went, and a second run, and a third without the job's watermark, that write nothing;
- the points report (``report.points_report``) for one year and for one month, before and
  after the expiry run (which writes today: the live part of the report): the first run (the
  very first sums the closed days once), then the median of 5 of each, with the statements'
  plans;
- ``verify_ledger`` for the tenant, after all of it.

BENCH_SCALE_CUSTOMERS (default 1,000,000) sets the size. Prints figures beside the targets of
issues 8, 16 and 17 (PASS/BELOW); asserts nothing. The throwaway database is dropped afterwards.
"""

import os
import resource
import secrets
import statistics
import threading
import time
from contextlib import closing
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from service.audit import verify_ledger
from service.auth import create_admin, create_pos_key
from service.db import connect, fetch_one, run_in_transaction, run_query
from service.points import expire_points, utc_now
from service.programme import current_programme, set_programme
from service.report import points_report
from service.store import balances, ledger
from service.tenancy import create_tenant
from tests.harness import database_url, throwaway_database
from tests.helpers import Till, sign_in

from .explain import by_kind, captured_statements, print_kinds, print_plans, statement_times
from .loader import PROGRAMME, YearOfEarns, load_customers, national, phone
from .report import print_machine_load

CUSTOMERS = int(os.environ.get("BENCH_SCALE_CUSTOMERS", "1000000"))
DUE = int(os.environ.get("BENCH_SCALE_DUE", str(CUSTOMERS // 10)))
EXPIRY_TARGET_S = 120
REPORT_TARGETS_MS = {"one year": 500, "one month": 100}
LEDGER = ("phone_loyalty_transactions", "points_daily", "customer_loyalty_points")
REPEATS = 5
PASSWORD = "bench-password"  # noqa: S105 (a throwaway admin on a throwaway database)
DEEP_ROW = 100_000  # "a later page": the page that starts after this many rows (page 2,001)
PER_PAGE = 50
LOAD_TARGET_S = 60
VERIFY_TARGET_S = 10


def seed(settings):
    with closing(connect(settings)) as conn:
        tenant = create_tenant(conn, "chain", "Restaurant Chain", "GB")
        create_admin(conn, tenant, "admin@chain.test", PASSWORD)
        key = create_pos_key(conn, tenant, "bench")
        set_programme(conn, tenant, PROGRAMME, "bench")
        programme = run_query(conn, lambda cur: current_programme(cur, tenant))
    year = YearOfEarns(programme, utc_now(), CUSTOMERS, DUE)
    print(f"a year of earns: {DUE:,} customers earned from {year.first:%Y-%m-%d %H:%M} UTC "
          f"(their points expired by now), the others from {year.cutoff:%Y-%m-%d %H:%M} to "
          f"{year.newest:%Y-%m-%d %H:%M}; each earn's expiry by rules.expiry_for "
          f"(12 months, Europe/London)")  # fmt: skip

    def progress(done: int, seconds: float) -> None:
        print(f"  {done:>9,} customers  {seconds:5.1f} s", flush=True)

    took = load_customers(settings, tenant.id, CUSTOMERS, progress=progress, year=year)
    verdict = "PASS" if took < LOAD_TARGET_S else "BELOW"
    print(f"loaded {CUSTOMERS:,} customers, {2 * CUSTOMERS:,} ledger rows in {took:.1f} s "
          f"(target < {LOAD_TARGET_S} s: {verdict})")  # fmt: skip
    started = time.perf_counter()
    with closing(connect(settings)) as conn, conn.cursor() as cur:
        # Fresh optimizer statistics, as a long-lived table would have.
        for table in ("customers", "customer_loyalty_points", "phone_loyalty_transactions"):
            cur.execute(f"ANALYZE TABLE {table}")
            cur.fetchall()
    print(f"ANALYZE TABLE: {time.perf_counter() - started:.1f} s")
    return tenant, key


class Timer:
    """Runs each request REPEATS times, keeps the median, prints a line per figure."""

    def __init__(self):
        self.rows = []

    def measure(self, label, request, target_ms=None, expect=(200,), before=None):
        """Time ``request()`` REPEATS times (``before()`` runs untimed ahead of each)."""
        samples, response = [], None
        for _ in range(REPEATS):
            if before:
                before()
            started = time.perf_counter()
            response = request()
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code not in expect:
                raise SystemExit(f"{label}: {response.status_code} {response.get_data(True)[:500]}")
        median = statistics.median(samples)
        verdict = "" if target_ms is None else ("PASS" if median <= target_ms else "BELOW")
        target = "" if target_ms is None else f"≤ {target_ms:g} ms"
        note = _describe(response)
        self.rows.append((label, median, min(samples), max(samples), target, verdict, note))
        print(f"  {label:<54} {median:9.1f} ms  {target:>9} {verdict:<5} {note}", flush=True)
        return response


def _describe(response) -> str:
    if response.status_code == 304:
        return "304"
    body = response.get_json(silent=True) or {}
    if "items" in body:
        exact = "" if body.get("total_is_exact", True) else "+"
        return f"{len(body['items'])} rows, total {body.get('total', '?'):,}{exact}"
    return str(response.status_code)


def deep_rows() -> int:
    """How many rows come before the "later page" (fewer in a small tenant)."""
    return max(min(DEEP_ROW, CUSTOMERS - PER_PAGE), 1)


def deep_cursor(settings, tenant, first_page: dict) -> str | None:
    """The cursor of the page after DEEP_ROW rows of the unfiltered list, built the way the
    service builds it (service.customer_list.encode_cursor) from that row's sort key."""
    try:
        from service.customer_list import encode_cursor
    except ImportError:
        return None
    if "next_cursor" not in first_page:
        return None
    with closing(connect(settings)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT updated_at, id FROM customer_loyalty_points WHERE tenant_id = %s "
            "ORDER BY updated_at DESC, id DESC LIMIT 1 OFFSET %s",
            (tenant.id, deep_rows() - 1),
        )
        row = cur.fetchone()
    return encode_cursor("recent", [row["updated_at"], row["id"]])


def measure(settings, tenant, key: str) -> None:
    # Slow queries are timed, not cut off: a generous database budget for this app. The
    # request log (one line per request) stays out of the figures unless asked for.
    os.environ.update(DATABASE_URL=database_url(settings), SECRET_KEY=secrets.token_urlsafe(16),
                      DB_TIMEOUT=os.environ.get("BENCH_DB_TIMEOUT", "30"),
                      LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"))  # fmt: skip
    from service import create_app

    client = create_app().test_client()
    token = sign_in(client, tenant.slug, "admin@chain.test", PASSWORD).get_json()["token"]
    admin = {"Authorization": f"Bearer {token}"}
    pos = {"X-API-Key": key}
    n = 123456 % CUSTOMERS  # the customer searched for and served at the till
    timer = Timer()

    def listing(**query):
        return lambda: client.get("/api/admin/customers", query_string=query, headers=admin)

    plans: dict[str, list[tuple[str, float]]] = {}
    print(f"\nin-process (Flask test client), median of {REPEATS}, {CUSTOMERS:,} customers:")
    with captured_statements() as statements:
        first = timer.measure("admin list, page 1", listing(per_page=50), 20).get_json()
        plans["admin list, page 1"] = statements[:]
        cursor = deep_cursor(settings, tenant, first)
        statements.clear()
        page = deep_rows() // PER_PAGE + 1
        if cursor:
            label = f"admin list, page {page:,} (cursor)"
            timer.measure(label, listing(per_page=PER_PAGE, cursor=cursor), 20)
        elif "next_cursor" not in first:  # the OFFSET pages the service had before issue 8
            label = f"admin list, page {page:,} (OFFSET)"
            timer.measure(label, listing(per_page=PER_PAGE, page=page), 20)
        else:
            label = "admin list, a later page"
            print(f"  {label}: no service.customer_list.encode_cursor to build its cursor")
        plans[label] = statements[:]
        statements.clear()
        digits = f"{n:06d}"
        searches = {
            "search phone, E.164": phone(n),
            "search phone, national with spaces": f"07900 {digits[:3]} {digits[3:]}",
            "search phone, last 4 digits": digits[-4:],
            "search name, whole": f"Guest {n}",
            "search name, word prefixes, lower case": f"guest {n // 10}",
            "search name, accented, upper case": f"GÚEST {n}",
        }
        for label, q in searches.items():
            timer.measure(f"{label} {q!r}", listing(q=q, per_page=50), 30)
            plans[f"{label} {q!r}"] = statements[:]
            statements.clear()

    etag = client.get("/api/admin/customers", query_string={"per_page": 50}, headers=admin).headers[
        "ETag"
    ]
    timer.measure("unchanged poll (304)", lambda: client.get(
        "/api/admin/customers", query_string={"per_page": 50},
        headers={**admin, "If-None-Match": etag}), expect=(304,))  # fmt: skip

    references = iter(range(10_000))

    till = Till(client, key, national(n))

    def redeem():
        return till.redeem(1, f"scale-{next(references)}")

    def poll():
        return client.get("/api/admin/customers", query_string={"per_page": 50},
                          headers={**admin, "If-None-Match": etag})  # fmt: skip

    # Each time a redemption (untimed) lands between two polls.
    timer.measure("changed poll (200, after a redeem)", poll, 30, before=redeem)
    timer.measure("POS lookup", lambda: client.get(
        "/api/loyalty/phone-lookup", query_string={"phone": national(n)}, headers=pos))  # fmt: skip
    timer.measure("POS redeem", redeem, expect=(201,))
    timer.measure("POS customer history", lambda: client.get(
        "/api/loyalty/transactions", query_string={"phone": national(n), "per_page": 10},
        headers=pos))  # fmt: skip

    print("\nquery plans (EXPLAIN of the statements each request ran):")
    with closing(connect(settings)) as conn:
        print_plans(conn, plans)


def rss_mb() -> float:
    """This process's resident memory now (MB)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (getrusage; kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class MemoryWatch:
    """Samples this process's RSS every 0.1 s while inside: the peak of that stretch alone
    (getrusage's peak covers the whole process, the load and the app included)."""

    def __enter__(self):
        self.start = rss_mb()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.end = rss_mb()
        self.peak = max(self.peak, self.end)


def expired_rows(conn, tenant) -> int:
    return run_query(conn, lambda cur: fetch_one(
        cur, "SELECT COUNT(*) AS n FROM phone_loyalty_transactions WHERE tenant_id = %s "
        "AND operation_type = 'expire_points'", (tenant.id,))["n"])  # fmt: skip


def expiry(settings, tenant) -> None:
    """The expiry job over the whole tenant, then again (nothing is due twice), then once
    more without its watermark (as a host that never saw the first run would)."""
    print(f"\nexpiry: points.expire_points for the whole tenant, {DUE:,} customers with points "
          f"due (batches of 500 customers per transaction):")  # fmt: skip
    with closing(connect(settings)) as conn:
        now = utc_now()
        peak_before = peak_rss_mb()
        with MemoryWatch() as memory, statement_times() as kinds:
            started = time.perf_counter()
            done = expire_points(conn, tenant, now)
            took = time.perf_counter() - started
        verdict = "PASS" if took <= EXPIRY_TARGET_S else "BELOW"
        print(f"  first run: {took:.1f} s (target ≤ {EXPIRY_TARGET_S} s: {verdict}); "
              f"{done.customers:,} customers, {done.rows:,} expire_points rows, "
              f"{done.points:,} points")  # fmt: skip
        print(f"  memory: RSS {memory.start:.0f} MB at the start, peak {memory.peak:.0f} MB "
              f"during the run (sampled every 0.1 s), {memory.end:.0f} MB at the end; "
              f"getrusage peak of the process {peak_before:.0f} MB before, "
              f"{peak_rss_mb():.0f} MB after")  # fmt: skip
        print("  where the time went (statements as the code writes them, busiest first):")
        print_kinds(conn, list(kinds.values()), limit=8)
        for label, forget in (("second run", False), ("third run, watermark removed", True)):
            if forget:
                run_in_transaction(conn, lambda cur: cur.execute(
                    "DELETE FROM expiry_runs WHERE tenant_id = %s", (tenant.id,)))  # fmt: skip
            started = time.perf_counter()
            again = expire_points(conn, tenant, utc_now())
            print(f"  {label}: {time.perf_counter() - started:.1f} s; {again.customers:,} "
                  f"customers, {again.rows:,} rows written")  # fmt: skip
        print(f"  expire_points rows in the ledger: {expired_rows(conn, tenant):,}")

        print("  plans of the job's reads (one batch of 500):")
        with captured_statements() as statements:
            ids = run_query(conn, lambda cur: ledger.customers_with_expiry_between(
                cur, tenant.id, None, now, 500, 0))  # fmt: skip
            run_query(conn, lambda cur: ledger.expiry_lots(cur, ids))
            run_in_transaction(conn, lambda cur: balances.lock_many(cur, tenant.id, ids))
        print_kinds(conn, by_kind(statements), LEDGER)


def report(settings, tenant, when: str) -> None:
    """The points report for one year and one month, both ending today: the first run (the
    very first sums every closed day once into points_daily), then the median of REPEATS of
    each; and the statements they ran, with their plans."""
    with closing(connect(settings)) as conn:
        zone = ZoneInfo(PROGRAMME["timezone"])
        today = utc_now().replace(tzinfo=UTC).astimezone(zone).date()
        periods = {
            "one year": (today - timedelta(days=364), today),
            "one month": (today - timedelta(days=29), today),
        }
        print(f"\npoints report (report.points_report) {when}, in process, median of {REPEATS}:")
        kinds = {}
        for label, (first, last) in periods.items():
            samples = []
            with captured_statements() as statements:
                for i in range(1 + REPEATS):
                    started = time.perf_counter()
                    result = points_report(conn, tenant, first, last)
                    samples.append((time.perf_counter() - started) * 1000)
                    if i == 0:
                        kinds[f"{label}, first run"] = by_kind(statements)
                        statements.clear()
                kinds[f"{label}, the {REPEATS} runs after"] = by_kind(statements)
            median = statistics.median(samples[1:])
            target = REPORT_TARGETS_MS[label]
            verdict = "PASS" if median <= target else "BELOW"
            print(f"  {label} ({first} to {last}): first run {samples[0]:,.0f} ms, then median "
                  f"{median:,.1f} ms (min {min(samples[1:]):.1f}, max {max(samples[1:]):.1f}); "
                  f"target ≤ {target} ms: {verdict}")  # fmt: skip
            print(f"    opening {result['opening_balance']:,}, earned {result['earned']:,}, "
                  f"redeemed {result['redeemed']:,}, expired {result['expired']:,}, "
                  f"closing {result['closing_balance']:,}")  # fmt: skip
        for label, found in kinds.items():
            print(f"\n  {label}: the statements it ran ({when})")
            print_kinds(conn, found, LEDGER)


def verify(settings, tenant) -> None:
    with closing(connect(settings)) as conn:
        started = time.perf_counter()
        checked, drifts = verify_ledger(conn, tenant)
        took = time.perf_counter() - started
    verdict = "PASS" if took <= VERIFY_TARGET_S else "BELOW"
    print(f"\nledger verify (the tenant, after all of the above): {took:.1f} s "
          f"(target ≤ {VERIFY_TARGET_S} s: {verdict}); {checked:,} customers, "
          f"{len(drifts)} drifts")  # fmt: skip


def main() -> None:
    print_machine_load("at the start")
    with throwaway_database("loyalty_scale") as settings:
        tenant, key = seed(settings)
        measure(settings, tenant, key)
        # The report before and after the expiry run: the run writes its rows today, which
        # the report reads live (today is not a closed day).
        report(settings, tenant, "before the expiry run")
        print_machine_load("before the expiry")
        expiry(settings, tenant)
        report(settings, tenant, "after the expiry run")
        verify(settings, tenant)
    print_machine_load("at the end")


if __name__ == "__main__":
    main()
