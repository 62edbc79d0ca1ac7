"""The customer CSV export at scale: time, size and the API's memory while streaming it.

``python -m bench.export`` (``make bench-export``) fills a throwaway database with
BENCH_EXPORT_CUSTOMERS customers (a million by default) in one tenant, starts the API under
gunicorn (one worker) and downloads ``/api/admin/customers/export.csv`` over loopback while
sampling the worker's resident memory. Prints figures; asserts nothing.
"""

import os
import threading
import time
from contextlib import closing

import requests

from service.auth import create_admin
from service.config import DatabaseSettings
from service.db import connect
from service.tenancy import create_tenant
from tests.harness import Gunicorn, database_url, throwaway_database
from tests.helpers import sign_in

from .server import memory_of

CUSTOMERS = int(os.environ.get("BENCH_EXPORT_CUSTOMERS", "1000000"))
PASSWORD = "bench-password"  # noqa: S105 (a throwaway admin on a throwaway database)


def populate(settings: DatabaseSettings) -> str:
    """One tenant with CUSTOMERS customers and balance rows, inserted in bulk; returns its slug."""
    with closing(connect(settings)) as conn:
        tenant = create_tenant(conn, "export-bench", "Export Bench", "GB")
        create_admin(conn, tenant, "admin@bench.test", PASSWORD)
        with conn.cursor() as cur:
            step = 100_000
            for start in range(1, CUSTOMERS + 1, step):
                end = min(start + step - 1, CUSTOMERS)
                cur.execute(
                    "INSERT INTO customers (tenant_id, phone, name) "
                    "SELECT %s, CONCAT('+4473', LPAD(seq, 8, '0')), CONCAT('Customer ', seq) "
                    f"FROM seq_{start}_to_{end}",
                    (tenant.id,),
                )
            cur.execute(
                "INSERT INTO customer_loyalty_points (tenant_id, customer_id, phone, "
                "points_balance, total_points_earned) "
                "SELECT tenant_id, id, phone, MOD(id, 500), MOD(id, 500) FROM customers "
                "WHERE tenant_id = %s",
                (tenant.id,),
            )
    return tenant.slug


def main() -> None:
    with throwaway_database("loyalty_bench_export") as settings:
        started = time.perf_counter()
        slug = populate(settings)
        print(f"{CUSTOMERS:,} customers inserted in {time.perf_counter() - started:.1f} s")
        env = {"DATABASE_URL": database_url(settings), "WEB_CONCURRENCY": "1"}
        with Gunicorn(env={**env, "SECRET_KEY": "bench"}) as api:
            measure(api.url, api.pid, slug)


def measure(url: str, pid: int, slug: str) -> None:
    """Download the export once, sampling the API's memory meanwhile; print the figures."""
    token = sign_in(url, slug, "admin@bench.test", PASSWORD).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    requests.get(f"{url}/api/admin/customers", headers=headers, timeout=60)  # warm up
    before = memory_of(pid).rss_mb
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.wait(0.1):
            peak[0] = max(peak[0], memory_of(pid).rss_mb)

    threading.Thread(target=sample, daemon=True).start()
    started = time.perf_counter()
    first_byte = None
    size = lines = 0
    with requests.get(
        f"{url}/api/admin/customers/export.csv", headers=headers, stream=True, timeout=60
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_content(chunk_size=65536):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
            lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    done.set()
    rows = lines - 1
    print(
        f"export.csv: {rows:,} rows, {size / 1e6:.1f} MB in {elapsed:.1f} s "
        f"({rows / elapsed:,.0f} rows/s), first byte after {first_byte * 1000:.0f} ms"
    )
    print(
        f"API memory (master + worker): {before:.0f} MB before, "
        f"peak {peak[0]:.0f} MB while streaming"
    )


if __name__ == "__main__":
    main()
