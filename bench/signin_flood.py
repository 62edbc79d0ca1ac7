"""Does a sign-in flood slow the tills? POS lookup latency idle, then under a flood of wrong
sign-ins (issue 7, item 5: scrypt costs ~100 ms of CPU per attempt; the rate limits and the one
password check at a time per process must keep the POS threads free).

``measure(...)`` returns the figures; ``bench/__main__.py`` prints them. Every loop is bounded in
count and time, and all traffic goes to the given (loopback) URL.
"""

import secrets
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests


def _p95(samples_ms: list[float]) -> float:
    return statistics.quantiles(samples_ms, n=100)[94] if len(samples_ms) > 1 else float("nan")


def _lookups(url: str, pos_key: str, phones: list[str], count: int, stop: threading.Event):
    session = requests.Session()
    session.headers["X-API-Key"] = pos_key
    samples = []
    for i in range(count):
        if stop.is_set():
            break
        start = time.perf_counter()
        response = session.get(
            f"{url}/api/loyalty/phone-lookup", params={"phone": phones[i % len(phones)]}, timeout=30
        )
        samples.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return samples


def _flood(url: str, tenant: str, stop: threading.Event, max_requests: int) -> Counter:
    """Wrong sign-ins (unknown emails: each still costs a password check) until ``stop``."""
    session = requests.Session()
    statuses: Counter = Counter()
    for _ in range(max_requests):
        if stop.is_set():
            break
        body = {
            "tenant": tenant,
            "email": f"intruder-{secrets.token_hex(4)}@example.test",
            "password": "wrong password",
        }
        try:
            statuses[
                session.post(f"{url}/api/admin/session", json=body, timeout=30).status_code
            ] += 1
        except requests.RequestException as exc:
            statuses[type(exc).__name__] += 1
    return statuses


def measure(
    url: str,
    pos_key: str,
    tenant: str,
    phones: list[str],
    *,
    threads: int = 16,
    lookups: int = 300,
    max_seconds: float = 30.0,
) -> dict:
    """POS lookup p95 idle and under a ``threads``-thread sign-in flood.

    Returns ``{"idle_p95_ms", "flood_p95_ms", "flood_lookups", "flood_statuses"}``, where
    ``flood_statuses`` counts the flood's answers by status (401 checked, 429 rate limited,
    503 sign_in_busy).
    """
    never = threading.Event()
    idle = _lookups(url, pos_key, phones, lookups, never)
    stop = threading.Event()
    timer = threading.Timer(max_seconds, stop.set)
    timer.start()
    try:
        with ThreadPoolExecutor(threads + 1) as pool:
            floods = [pool.submit(_flood, url, tenant, stop, 10_000) for _ in range(threads)]
            time.sleep(1.0)  # let the flood build up before measuring
            under_flood = _lookups(url, pos_key, phones, lookups, stop)
            stop.set()
            statuses = sum((f.result() for f in floods), Counter())
    finally:
        timer.cancel()
    return {
        "idle_p95_ms": _p95(idle),
        "flood_p95_ms": _p95(under_flood),
        "flood_lookups": len(under_flood),
        "flood_statuses": dict(sorted(statuses.items(), key=str)),
    }
