"""Connections: the session every connection runs in, and the pool requests borrow from.

Every connection runs in strict SQL mode (a wrong column, a truncation or a broken constraint
raises instead of warning), in UTC, at READ COMMITTED, with autocommit on outside a
transaction.
"""

import math
import time
from contextvars import ContextVar

import pymysql
from pymysql.constants import SERVER_STATUS
from sqlalchemy import event, exc
from sqlalchemy.pool import QueuePool

from ..config import DatabaseSettings
from .deadline import Deadline, DeadlineCursor, DeadlineExceeded, limit_waits

SESSION_SQL_MODE = (
    "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION"
)
SESSION_SETUP = [
    f"SET SESSION sql_mode = '{SESSION_SQL_MODE}'",
    "SET SESSION time_zone = '+00:00'",
    # Each statement sees the latest committed rows, so a check made after taking a row lock
    # (for instance "was this reference already used?") is never answered from an old snapshot.
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
]

DEFAULT_TIMEOUT = 5.0  # seconds; DB_TIMEOUT overrides
CONNECT_TIMEOUT = 5.0  # the most a connection attempt may take, within the budget
IDLE_PING_SECONDS = 1.0  # a pooled connection idle this long is pinged before use


def connect_kwargs(settings: DatabaseSettings, *, database: bool = True) -> dict:
    """Arguments for ``pymysql.connect`` (without the database name when ``database`` is False)."""
    kwargs = {
        "host": settings.host,
        "port": settings.port,
        "user": settings.user,
        "password": settings.password,
        "charset": "utf8mb4",
        "cursorclass": DeadlineCursor,
        "autocommit": True,
        "connect_timeout": CONNECT_TIMEOUT,
    }
    if database:
        kwargs["database"] = settings.database
    return kwargs


def _setup_session(conn, lock_wait_timeout: int | None = None) -> None:
    with conn.cursor() as cur:
        for statement in SESSION_SETUP:
            cur.execute(statement)
        if lock_wait_timeout is not None:
            # A lock wait must end (1205, retried) well inside the request's budget.
            cur.execute("SET SESSION innodb_lock_wait_timeout = %s", (lock_wait_timeout,))


def connect(settings: DatabaseSettings) -> pymysql.connections.Connection:
    """A single unpooled connection with the session settings applied (for the CLI and tests)."""
    conn = pymysql.connect(**connect_kwargs(settings))
    _setup_session(conn)
    return conn


# The deadline of the request that is checking a connection out, for the pool's creator and
# checkout ping (the pool calls them without arguments).
checkout_deadline: ContextVar[Deadline | None] = ContextVar("checkout_deadline", default=None)


def create_pool(
    settings: DatabaseSettings, size: int, *, timeout: float = DEFAULT_TIMEOUT, recycle: int = 1800
) -> QueuePool:
    """A pool of ``size`` connections (SQLAlchemy's QueuePool, used without its ORM or engine).

    - A connection older than ``recycle`` seconds is closed and replaced at checkout.
    - A checkout pings a connection that sat idle for IDLE_PING_SECONDS or more, within the
      request's deadline; when the ping fails (the database restarted, a proxy dropped the
      connection) a fresh one is made, so the first request after an outage succeeds. A
      connection in steady use is not pinged: a busy till pays no extra round trip, and a
      connection that failed under a request empties the pool (``release``).
    - Waiting for a free connection is bounded by ``timeout``.
    """
    lock_wait = max(1, math.floor(timeout * 0.6))

    def create() -> pymysql.connections.Connection:
        deadline = checkout_deadline.get() or Deadline(timeout)
        remaining = deadline.remaining()
        if remaining <= 0:
            raise DeadlineExceeded(0, "the database time budget was used up while connecting")
        conn = pymysql.connect(
            **{**connect_kwargs(settings), "connect_timeout": min(remaining, CONNECT_TIMEOUT)},
            read_timeout=remaining,
            write_timeout=remaining,
        )
        conn.deadline = deadline
        _setup_session(conn, lock_wait)
        return conn

    pool = QueuePool(
        create, pool_size=size, max_overflow=0, timeout=timeout, recycle=recycle,
        reset_on_return=None,  # _transaction() always ends its transaction; see release()
    )  # fmt: skip

    @event.listens_for(pool, "checkin")
    def mark_idle(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def ping(dbapi_conn, record, _proxy):
        dbapi_conn.deadline = checkout_deadline.get()
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return  # fresh, or in use a moment ago
        try:
            limit_waits(dbapi_conn)
            dbapi_conn.ping(reconnect=False)
        except DeadlineExceeded:
            raise
        except pymysql.err.Error as error:
            raise exc.DisconnectionError(f"checkout ping failed: {error}") from error

    return pool


def release(pooled, pool: QueuePool) -> None:
    """Return a pooled connection: one left inside a transaction is discarded (never reused
    half-way through someone else's work); a dead one empties the pool of idle connections
    too, since they most likely died of the same cause (a restart, a failover) and would each
    fail a request before being noticed."""
    raw = pooled.dbapi_connection
    if raw is None or not raw.open:
        if getattr(raw, "breaker", None) is not None:
            raw.breaker.failed()  # lost under BEGIN, COMMIT or ROLLBACK too (breaker.py)
        pooled.invalidate()
        pool.dispose()
    elif raw.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS:
        pooled.invalidate()
    else:
        raw.deadline = None
        pooled.close()
