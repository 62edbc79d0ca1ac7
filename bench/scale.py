"""``make bench-scale``: one tenant with a million customers, loaded with bulk SQL, then the
admin list, search, polls and the till's requests timed in-process (Flask's test client,
median of 5), ``verify_ledger`` for the tenant, and the query plans of the list and searches.

BENCH_SCALE_CUSTOMERS (default 1,000,000) sets the size. Prints figures beside the targets of
issue 8 (PASS/BELOW); asserts nothing. The throwaway database is dropped afterwards.
"""

import os
import secrets
import statistics
import time
from contextlib import closing

from service.audit import verify_ledger
from service.auth import create_admin, create_pos_key
from service.db import connect
from service.tenancy import create_tenant
from tests.harness import database_url, throwaway_database
from tests.helpers import Till, sign_in

from .explain import captured_statements, print_plans
from .loader import load_customers, national, phone
from .report import print_machine_load

CUSTOMERS = int(os.environ.get("BENCH_SCALE_CUSTOMERS", "1000000"))
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

    def progress(done: int, seconds: float) -> None:
        print(f"  {done:>9,} customers  {seconds:5.1f} s", flush=True)

    took = load_customers(settings, tenant.id, CUSTOMERS, progress=progress)
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
    # Slow queries are timed, not cut off: a generous database budget for this app.
    os.environ.update(DATABASE_URL=database_url(settings), SECRET_KEY=secrets.token_urlsafe(16),
                      DB_TIMEOUT=os.environ.get("BENCH_DB_TIMEOUT", "30"))  # fmt: skip
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

    with closing(connect(settings)) as conn:
        started = time.perf_counter()
        checked, drifts = verify_ledger(conn, tenant)
        took = time.perf_counter() - started
    verdict = "PASS" if took <= VERIFY_TARGET_S else "BELOW"
    print(f"  {'ledger verify (the tenant)':<54} {took * 1000:9.0f} ms  "
          f"{'≤ 10 s':>9} {verdict:<5} {checked:,} customers, {len(drifts)} drifts")  # fmt: skip

    print("\nquery plans (EXPLAIN of the statements each request ran):")
    with closing(connect(settings)) as conn:
        print_plans(conn, plans)


def main() -> None:
    print_machine_load("at the start")
    with throwaway_database("loyalty_scale") as settings:
        tenant, key = seed(settings)
        measure(settings, tenant, key)
    print_machine_load("at the end")


if __name__ == "__main__":
    main()
