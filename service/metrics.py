"""Prometheus metrics (prometheus_client), served by the app at ``/metrics``.

Under gunicorn every worker is a process: ``gunicorn.conf.py`` sets PROMETHEUS_MULTIPROC_DIR
before the app is imported, each process writes its values to files there, and a scrape adds
them up (prometheus_client's multiprocess mode). Run bare (tests, ``flask``) the default
in-process registry is used. The outbox figures are read from the database at scrape time.
"""

import logging
import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY

from .rules import OPERATION_TYPES

log = logging.getLogger(__name__)

REQUEST_DURATION = Histogram(
    "loyalty_http_request_duration_seconds",
    "Time to answer an HTTP request, by route rule, method and status",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
POINTS_CHANGES = Counter(
    "loyalty_points_changes_total",
    "Committed points changes (replays not counted), by operation",
    ["operation"],
)
for _operation in OPERATION_TYPES:  # every operation type is exported, at 0 until it happens
    POINTS_CHANGES.labels(_operation)
PROBLEMS = Counter(
    "loyalty_problems_total",
    "problem+json answers by status and code (503s by reason: database_unavailable, ...)",
    ["status", "code"],
)
DATABASE_ERRORS = Counter(
    "loyalty_database_errors_total",
    "Requests that failed on the database, by problem code",
    ["reason"],
)
TRANSACTION_RETRIES = Counter(
    "loyalty_transaction_retries_total",
    "Transactions run again after a deadlock, lock-wait timeout or concurrent write",
)
POOL_IN_USE = Gauge(
    "loyalty_db_pool_connections_in_use",
    "Pooled database connections taken by requests (summed over live workers)",
    multiprocess_mode="livesum",
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_DURATION.labels(route, method, str(status)).observe(seconds)


def points_changed(operation: str) -> None:
    POINTS_CHANGES.labels(operation).inc()


def problem_answered(status: int, code: str) -> None:
    """Called by ``errors.problem`` for every problem+json answer."""
    PROBLEMS.labels(str(status), code).inc()
    if code.startswith("database_") or code == "outcome_unknown":
        DATABASE_ERRORS.labels(code).inc()


def transaction_retried() -> None:
    """Called by ``db.run_in_transaction`` before each retry."""
    TRANSACTION_RETRIES.inc()


def pool_in_use(pool) -> None:
    """Record how many of this process's pooled connections are checked out (SQLAlchemy's
    QueuePool); 0 until the pool exists."""
    POOL_IN_USE.set(pool.checkedout() if pool is not None else 0)


class OutboxCollector:
    """Webhook outbox figures, read with one quick query per scrape (``read_stats()`` returns
    ``{"pending", "oldest_pending_age_seconds", "failed"}`` or None when the database fails)."""

    def __init__(self, read_stats):
        self.read_stats = read_stats

    def collect(self):
        stats = self.read_stats()
        if stats is None:
            return
        yield GaugeMetricFamily(
            "loyalty_outbox_pending_deliveries",
            "Webhook deliveries not yet delivered (nor failed for good)",
            value=stats["pending"],
        )
        yield GaugeMetricFamily(
            "loyalty_outbox_oldest_pending_age_seconds",
            "Age of the oldest event with a pending delivery (0 when none)",
            value=stats["oldest_pending_age_seconds"],
        )
        yield GaugeMetricFamily(
            "loyalty_outbox_failed_deliveries",
            "Webhook deliveries that failed for good (see `flask webhooks list`)",
            value=stats["failed"],
        )


def exposition(read_outbox_stats) -> tuple[bytes, str]:
    """The text to answer a scrape with, and its content type."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector(read_outbox_stats))
    return body + generate_latest(outbox), CONTENT_TYPE_LATEST
