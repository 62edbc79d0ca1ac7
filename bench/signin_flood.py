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


def _flood(url: str, tenant: str | None, stop: threading.Event, max_requests: int) -> Counter:
    """Wrong sign-ins (unknown emails: each still costs a password check) until ``stop``; with
    ``tenant`` None, cheap ``GET /healthz`` instead (the baseline: any flood costs something)."""
    session = requests.Session()
    statuses: Counter = Counter()
    for _ in range(max_requests):
        if stop.is_set():
            break
        try:
            if tenant is None:
                response = session.get(f"{url}/healthz", timeout=30)
            else:
                body = {
                    "tenant": tenant,
                    "email": f"intruder-{secrets.token_hex(4)}@example.test",
                    "password": "wrong password",
                }
                response = session.post(f"{url}/api/admin/session", json=body, timeout=30)
            statuses[response.status_code] += 1
        except requests.RequestException as exc:
            statuses[type(exc).__name__] += 1
    return statuses


def _under_flood(url, pos_key, tenant, phones, threads, lookups, max_seconds):
    stop = threading.Event()
    timer = threading.Timer(max_seconds, stop.set)
    timer.start()
    try:
        with ThreadPoolExecutor(threads) as pool:
            floods = [pool.submit(_flood, url, tenant, stop, 10_000) for _ in range(threads)]
            time.sleep(1.0)  # let the flood build up before measuring
            samples = _lookups(url, pos_key, phones, lookups, stop)
            stop.set()
            statuses = sum((f.result() for f in floods), Counter())
    finally:
        timer.cancel()
    return samples, dict(sorted(statuses.items(), key=str))


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
    """POS lookup p95 idle, under a ``threads``-thread flood of GET /healthz (the baseline:
    what any flood of cheap requests costs on this machine) and under as many threads of wrong
    sign-ins.

    Returns ``{"idle_p95_ms", "healthz_flood_p95_ms", "flood_p95_ms", "flood_lookups",
    "flood_statuses"}``, where ``flood_statuses`` counts the sign-in flood's answers by status
    (401 checked, 429 rate limited, 503 sign_in_busy).
    """
    idle = _lookups(url, pos_key, phones, lookups, threading.Event())
    baseline, _ = _under_flood(url, pos_key, None, phones, threads, lookups, max_seconds)
    flood, statuses = _under_flood(url, pos_key, tenant, phones, threads, lookups, max_seconds)
    return {
        "idle_p95_ms": _p95(idle),
        "healthz_flood_p95_ms": _p95(baseline),
        "flood_p95_ms": _p95(flood),
        "flood_lookups": len(flood),
        "flood_statuses": statuses,
    }


def describe(figures: dict) -> str:
    """``measure``'s figures as one line for people."""
    return (
        f"POS lookup p95: idle {figures['idle_p95_ms']:.1f} ms; "
        f"16 threads of GET /healthz {figures['healthz_flood_p95_ms']:.1f} ms; "
        f"16 threads of wrong sign-ins {figures['flood_p95_ms']:.1f} ms "
        f"(sign-in answers by status: {figures['flood_statuses']})"
    )
