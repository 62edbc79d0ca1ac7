"""A frozen database costs every client at most DB_TIMEOUT + 1 s, end to end, however many wait:
measured from the client, through real gunicorn (2 workers x 4 threads, so requests queue for
a thread), on a private MariaDB that is frozen (SIGSTOP). Once it answers again, requests
succeed within 2 s (issue 19, item 4)."""

import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest
import requests

from service import db
from service.auth import create_pos_key
from service.points import PointsChange, earn_points
from service.tenancy import create_tenant

from .browser import ApiProcess
from .private_mariadb import PrivateMariaDB, running_private_mariadb

DB_TIMEOUT = 2.0
PHONES = [f"+4473065{n:05d}" for n in range(8)]


@pytest.fixture(scope="module")
def private_db() -> Iterator[PrivateMariaDB]:
    with running_private_mariadb() as server:
        yield server


@pytest.fixture(scope="module")
def service(private_db, tmp_path_factory):
    """(URL, POS key) of gunicorn on the private database."""
    with closing(db.connect(private_db.settings)) as conn:
        tenant = create_tenant(conn, f"budget-{secrets.token_hex(3)}", "Budget", "GB")
        key = create_pos_key(conn, tenant, "budget")
        for phone in PHONES:
            earn_points(conn, tenant, PointsChange(phone, 100_000, f"seed-{phone}"))
    api = ApiProcess(private_db.settings, "http://127.0.0.1", tmp_path_factory.mktemp("budget"))
    api.env.update({"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4", "DB_POOL_SIZE": "4",
                    "DB_TIMEOUT": str(DB_TIMEOUT)})  # fmt: skip
    api.start()
    yield api.url, key
    api.stop()


def call(url: str, key: str, n: int) -> tuple[int, str, float]:
    """One till's request (alternately a lookup and a redemption): (status, code, seconds)."""
    started = time.monotonic()
    headers = {"X-API-Key": key}
    phone = PHONES[n % len(PHONES)]
    if n % 2:
        body = {"phone": phone, "points": 1, "transaction_reference": f"b-{secrets.token_hex(6)}"}
        response = requests.post(f"{url}/api/customer/loyalty/redeem", json=body,
                                 headers=headers, timeout=60)  # fmt: skip
    else:
        response = requests.get(f"{url}/api/loyalty/phone-lookup", params={"phone": phone},
                                headers=headers, timeout=60)  # fmt: skip
    elapsed = time.monotonic() - started
    code = response.json().get("code", "") if response.status_code >= 400 else ""
    return response.status_code, code, elapsed


def wait_until_ok(url: str, key: str, limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if call(url, key, 0)[0] == 200:
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"no success within {limit} s of the database answering again")


@pytest.mark.parametrize("parallel", [24, 64])
def test_every_client_is_answered_within_the_budget_during_a_freeze(service, private_db, parallel):
    url, key = service
    assert wait_until_ok(url, key, 10) < 10
    private_db.freeze()
    try:
        with ThreadPoolExecutor(parallel) as pool:
            # Two waves: the second arrives while the first still holds every thread.
            first = [pool.submit(call, url, key, n) for n in range(parallel)]
            time.sleep(DB_TIMEOUT / 2)
            second = [pool.submit(call, url, key, n) for n in range(parallel)]
            results = [f.result() for f in first + second]
    finally:
        private_db.thaw()
    thawed = time.monotonic()
    recovery = wait_until_ok(url, key, 2.0)
    worst = max(elapsed for _, _, elapsed in results)
    statuses = [status for status, _, _ in results]
    print(
        f"\n{parallel} parallel: {len(results)} requests, worst answer {worst:.2f} s, "
        f"{statuses.count(500)} 500s, codes {sorted({c for _, c, _ in results})}, "
        f"success {time.monotonic() - thawed:.2f} s after the thaw"
    )
    assert statuses.count(500) == 0
    assert set(statuses) <= {503}, statuses
    assert {c for _, c, _ in results} <= {"database_unavailable", "database_busy",
                                          "outcome_unknown"}  # fmt: skip
    assert worst <= DB_TIMEOUT + 1, f"a client waited {worst:.2f} s"
    assert recovery <= 2.0
