"""The customer CSV export at scale: time, size and the API's memory while streaming it.

``python -m bench.export`` (``make bench-export``) fills a throwaway database with
BENCH_EXPORT_CUSTOMERS customers (a million by default) in one tenant, starts the API under
gunicorn (one worker) and downloads ``/api/admin/customers/export.csv`` over loopback while
sampling the worker's resident memory. Prints figures; asserts nothing.
"""

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pymysql
import requests

from service.auth import create_admin
from service.config import DEFAULT_DATABASE_URL, DatabaseSettings
from service.db import connect, connect_kwargs
from service.migrate import upgrade
from service.tenancy import create_tenant

ROOT = Path(__file__).resolve().parent.parent
CUSTOMERS = int(os.environ.get("BENCH_EXPORT_CUSTOMERS", "1000000"))
PASSWORD = "bench-password"  # noqa: S105 (a throwaway admin on a throwaway database)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of gunicorn's master and its workers."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total_kb = 0
    for p in (pid, *map(int, children)):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def populate(settings: DatabaseSettings) -> str:
    """One tenant with CUSTOMERS customers and balance rows, inserted in bulk; returns its slug."""
    with closing(connect(settings)) as conn:
        upgrade(conn)
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
    server = DatabaseSettings.from_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    settings = replace(server, database=f"loyalty_bench_export_{secrets.token_hex(3)}")
    admin = pymysql.connect(**connect_kwargs(settings, database=False))
    with closing(admin), admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{settings.database}`")
    api = None
    try:
        started = time.perf_counter()
        slug = populate(settings)
        print(f"{CUSTOMERS:,} customers inserted in {time.perf_counter() - started:.1f} s")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        auth = settings.user + (f":{settings.password}" if settings.password else "")
        env = {
            **os.environ,
            "DATABASE_URL": f"mysql://{auth}@{settings.host}:{settings.port}/{settings.database}",
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "SECRET_KEY": "bench",
        }
        api = subprocess.Popen(  # noqa: S603 (a fixed command line)
            [f"{os.path.dirname(sys.executable)}/gunicorn", "-c", "gunicorn.conf.py",
             "service:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(200):
            try:
                if requests.get(f"{url}/readyz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        token = requests.post(
            f"{url}/api/admin/session",
            json={"tenant": slug, "email": "admin@bench.test", "password": PASSWORD},
            timeout=10,
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        requests.get(f"{url}/api/admin/customers", headers=headers, timeout=60)  # warm up
        before = rss_mb(api.pid)
        peak = [before]
        done = threading.Event()

        def sample():
            while not done.wait(0.1):
                peak[0] = max(peak[0], rss_mb(api.pid))

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
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=15)
        admin = pymysql.connect(**connect_kwargs(settings, database=False))
        with closing(admin), admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{settings.database}`")


if __name__ == "__main__":
    main()
