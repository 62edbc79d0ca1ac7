"""Latency, throughput and memory of the API under gunicorn, on a throwaway database.

Prints figures; asserts nothing (targets are read by people, not by the test suite). Every
request goes to 127.0.0.1, and every loop is bounded.
"""

import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pymysql
import requests

from bench.signin_flood import describe as describe_signin_flood
from bench.signin_flood import measure as measure_signin_flood
from service.auth import create_admin, create_pos_key
from service.config import DEFAULT_DATABASE_URL, DatabaseSettings
from service.db import connect, connect_kwargs
from service.loyalty import PointsChange, earn_points
from service.migrate import upgrade
from service.tenancy import create_tenant

ROOT = Path(__file__).resolve().parent.parent
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "2000"))
PASSWORD = "bench-password"  # noqa: S105 (a throwaway admin on a throwaway database)


def percentiles(samples_ms: list[float]) -> str:
    q = statistics.quantiles(samples_ms, n=100)
    return f"p50 {q[49]:6.2f} ms   p95 {q[94]:6.2f} ms   p99 {q[98]:6.2f} ms"


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (gunicorn master + workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    pids = [pid, *map(int, children)]
    total_kb = 0
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def populate(settings: DatabaseSettings) -> tuple[str, str]:
    """A tenant with CUSTOMERS customers; returns (POS key, tenant slug)."""
    with closing(connect(settings)) as conn:
        upgrade(conn)
        tenant = create_tenant(conn, "bench", "Bench Bistro", "GB")
        create_admin(conn, tenant, "admin@bench.test", PASSWORD)
        for i in range(CUSTOMERS):
            phone = f"+4473065{i:05d}"
            earn_points(conn, tenant, PointsChange(phone, 1000, f"seed-{i}"), f"Customer {i}")
        return create_pos_key(conn, tenant, "bench"), tenant.slug


def start_api(settings: DatabaseSettings) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    auth = settings.user + (f":{settings.password}" if settings.password else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"mysql://{auth}@{settings.host}:{settings.port}/{settings.database}",
        "BIND": f"127.0.0.1:{port}",
        "SECRET_KEY": secrets.token_urlsafe(16),
    }
    process = subprocess.Popen(  # noqa: S603 (a fixed command line)
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
         "--access-logfile", "/dev/null", "service:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if requests.get(f"{url}/readyz", timeout=1).ok:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def bench(url: str, key: str, slug: str, pid: int) -> None:
    pos = requests.Session()
    pos.headers["X-API-Key"] = key
    print(f"customers in the tenant: {CUSTOMERS:,}; gunicorn.conf.py defaults")
    print(f"memory after start (master + workers): {rss_mb(pid):.0f} MB")

    def lookup(i: int) -> None:
        national = f"073065{i % CUSTOMERS:05d}"
        pos.get(f"{url}/api/loyalty/phone-lookup", params={"phone": national}).raise_for_status()

    lookups = [timed(lambda i=i: lookup(i)) for i in range(500)]
    print(f"phone-lookup, 500 sequential:           {percentiles(lookups)}")

    def redeem_many(worker: int, count: int, same_customer: bool) -> list[float]:
        session = requests.Session()
        session.headers["X-API-Key"] = key
        out = []
        for n in range(count):
            phone = (
                "+447306500000" if same_customer else f"+4473065{(worker * 97 + n) % CUSTOMERS:05d}"
            )
            body = {
                "phone": phone,
                "points": 1,
                "transaction_reference": f"b{worker}-{n}-{same_customer}",
            }
            out.append(
                timed(
                    lambda b=body: session.post(
                        f"{url}/api/customer/loyalty/redeem", json=b
                    ).raise_for_status()
                )
            )
        return out

    for label, same in (("8 tills, different customers", False), ("8 tills, ONE customer", True)):
        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda w, s=same: redeem_many(w, 100, s), range(8)))
        elapsed = time.perf_counter() - start
        samples = [x for r in results for x in r]
        print(f"redeem, {label}: {len(samples) / elapsed:6.0f} req/s   {percentiles(samples)}")

    token = requests.post(f"{url}/api/admin/session",
                          json={"tenant": slug, "email": "admin@bench.test", "password": PASSWORD},
                          timeout=10).json()["token"]  # fmt: skip
    admin = requests.Session()
    admin.headers["Authorization"] = f"Bearer {token}"
    first = admin.get(f"{url}/api/admin/customers", params={"per_page": 50})
    etag, size = first.headers["ETag"], len(first.content)
    full = [
        timed(lambda: admin.get(f"{url}/api/admin/customers", params={"per_page": 50}))
        for _ in range(300)
    ]
    cheap = []
    for _ in range(300):
        response = None

        def poll():
            nonlocal response
            response = admin.get(f"{url}/api/admin/customers", params={"per_page": 50},
                                 headers={"If-None-Match": etag})  # fmt: skip

        cheap.append(timed(poll))
        assert response.status_code == 304
    print(f"admin list, 50 rows, 200 ({size:,} B body):  {percentiles(full)}")
    print(f"admin list, unchanged poll, 304 (0 B):  {percentiles(cheap)}")
    polls_per_s = 20 / 5
    print(f"20 admins polling every 5 s = {polls_per_s:.0f} req/s; at the 304 p50 that is "
          f"{polls_per_s * statistics.median(cheap) / 10:.2f}% of one thread's time")  # fmt: skip
    print(f"memory after the run (master + workers): {rss_mb(pid):.0f} MB")


def main() -> None:
    server = DatabaseSettings.from_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    settings = replace(server, database=f"loyalty_bench_{secrets.token_hex(4)}")
    admin = pymysql.connect(**connect_kwargs(settings, database=False))
    with closing(admin), admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{settings.database}`")
        process = None
        try:
            started = time.perf_counter()
            key, slug = populate(settings)
            took = time.perf_counter() - started
            print(f"seeded {CUSTOMERS:,} customers in {took:.1f} s: enrol + earn, "
                  f"{CUSTOMERS / took:.0f} transactions/s on one connection")  # fmt: skip
            process, url = start_api(settings)
            bench(url, key, slug, process.pid)
            phones = [f"073065{i:05d}" for i in range(200)]
            print(describe_signin_flood(measure_signin_flood(url, key, slug, phones)))
        finally:
            if process:
                process.terminate()
                process.wait(timeout=15)
            cur.execute(f"DROP DATABASE IF EXISTS `{settings.database}`")


if __name__ == "__main__":
    main()
