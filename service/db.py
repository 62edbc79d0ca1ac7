"""Database access: the connection pool, the per-request connection and the one transaction helper.

Every connection runs in strict SQL mode (a wrong column, a truncation or a broken constraint
raises instead of warning), in UTC, at READ COMMITTED, with autocommit on outside a
transaction. ``run_in_transaction()`` is the one way to write: only it commits or rolls back;
query functions never do.

Nothing waits on the database for longer than the request's time budget (``DB_TIMEOUT``):
each request gets a deadline when it first needs a connection, and every network wait of that
request (connecting, the checkout ping, each statement, COMMIT) is given only what is left of
it. A database that freezes therefore costs a request its budget, never more, and the failure
is told apart by when it happened:

- before COMMIT was sent: the server rolls the transaction back when the connection drops, so
  nothing was changed (``DatabaseUnavailable``);
- while COMMIT was under way: it may have committed (``OutcomeUnknown``).
"""

import logging
import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import TypeVar

import pymysql
import pymysql.cursors
from flask import current_app, g
from pymysql.constants import SERVER_STATUS
from sqlalchemy import event, exc
from sqlalchemy.pool import QueuePool

from . import metrics
from .breaker import Breaker, is_slow_failure
from .config import DatabaseSettings
from .exceptions import DatabaseBusy, DatabaseUnavailable, OutcomeUnknown, RetryableConflict
from .mysql_codes import COMMIT_FAILURES, LOCK_RACES, UNAVAILABLE

log = logging.getLogger(__name__)

T = TypeVar("T")

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

MAX_ATTEMPTS = 5
DEFAULT_TIMEOUT = 5.0  # seconds; DB_TIMEOUT overrides
CONNECT_TIMEOUT = 5.0  # the most a connection attempt may take, within the budget
IDLE_PING_SECONDS = 1.0  # a pooled connection idle this long is pinged before use


def is_connection_failure(error: BaseException) -> bool:
    """True when ``error`` means the connection failed or was lost (not an SQL error)."""
    if isinstance(error, DeadlineExceeded | pymysql.err.InterfaceError):
        return True
    return isinstance(error, pymysql.err.OperationalError) and (
        error.args[0] in UNAVAILABLE  # a Galera node not ready (1047) changed nothing either
    )


class DeadlineExceeded(pymysql.err.OperationalError):
    """The request's database time budget ran out before a statement could be sent."""


class Deadline:
    """A point in time (monotonic clock) after which a request stops waiting for the database."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expires = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.expires - time.monotonic()


def _limit_waits(conn: pymysql.connections.Connection) -> None:
    """Give the connection's next network waits only what is left of its request's deadline.

    PyMySQL applies ``_read_timeout``/``_write_timeout`` to its socket before every read and
    write (there is no public setter), so setting them bounds the next statement, COMMIT or
    ping. Connections without a deadline (CLI, tests) are left as they are.
    """
    deadline = getattr(conn, "deadline", None)
    if deadline is None:
        return
    remaining = deadline.remaining()
    if remaining <= 0:
        raise DeadlineExceeded(0, f"the database time budget of {deadline.seconds:g} s was used up")
    conn._read_timeout = conn._write_timeout = remaining


class DeadlineCursor(pymysql.cursors.DictCursor):
    """A dict cursor whose every statement waits at most until the request's deadline."""

    def execute(self, query, args=None):
        breaker = getattr(self.connection, "breaker", None)  # a request's connection has one
        try:
            _limit_waits(self.connection)
            result = super().execute(query, args)
        except pymysql.err.Error as error:
            if breaker is not None:
                breaker.failed() if is_slow_failure(error) else breaker.answered()
            raise
        if breaker is not None:
            breaker.answered()
        return result


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
_checkout_deadline: ContextVar[Deadline | None] = ContextVar("checkout_deadline", default=None)


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
        deadline = _checkout_deadline.get() or Deadline(timeout)
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
        dbapi_conn.deadline = _checkout_deadline.get()
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return  # fresh, or in use a moment ago
        try:
            _limit_waits(dbapi_conn)
            dbapi_conn.ping(reconnect=False)
        except DeadlineExceeded:
            raise
        except pymysql.err.Error as error:
            raise exc.DisconnectionError(f"checkout ping failed: {error}") from error

    return pool


def _pool() -> QueuePool:
    # Created lazily so that each gunicorn worker builds its own pool after the fork.
    pool = current_app.extensions.get("db_pool")
    if pool is None:
        config = current_app.config
        pool = create_pool(
            config["DATABASE"],
            config["DB_POOL_SIZE"],
            timeout=config["DB_TIMEOUT"],
            recycle=config["DB_POOL_RECYCLE"],
        )
        current_app.extensions["db_pool"] = pool
    return pool


def get_conn(time_budget: float | None = None):
    """The request's pooled connection, taken on first use and returned at teardown.

    The request's database deadline starts here: ``time_budget`` seconds, by default the
    configured ``DB_TIMEOUT``. Raises DatabaseUnavailable when no connection can be had in time.
    """
    if "db_conn" not in g:
        breaker = _breaker()  # see breaker.py: fail fast while the database is not answering
        if not breaker.admit():
            raise DatabaseUnavailable("the database stopped answering a moment ago")
        deadline = Deadline(time_budget or current_app.config["DB_TIMEOUT"])
        token = _checkout_deadline.set(deadline)
        try:
            g.db_conn = _pool().connect()
        except exc.TimeoutError as error:
            raise DatabaseBusy("no free database connection within the time budget") from error
        except (pymysql.err.Error, exc.DisconnectionError) as error:
            breaker.failed()
            raise DatabaseUnavailable(f"cannot connect to the database: {error}") from error
        finally:
            _checkout_deadline.reset(token)
        g.db_conn.dbapi_connection.breaker = breaker
    return g.db_conn


def _breaker() -> Breaker:
    breaker = current_app.extensions.get("db_breaker")
    if breaker is None:
        probe = partial(_ping, current_app.config["DATABASE"], current_app.config["DB_TIMEOUT"])
        breaker = current_app.extensions.setdefault("db_breaker", Breaker(probe))
    return breaker


def _ping(settings: DatabaseSettings, timeout: float) -> None:
    """Connect and ping on a connection of its own, waiting at most ``timeout`` for each."""
    kwargs = {**connect_kwargs(settings), "connect_timeout": timeout}
    conn = pymysql.connect(**kwargs, read_timeout=timeout, write_timeout=timeout)
    try:
        conn.ping(reconnect=False)
    finally:
        conn.close()


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


def close_conn(_exc: BaseException | None = None) -> None:
    conn = g.pop("db_conn", None)
    if conn is not None:
        release(conn, _pool())


def init_app(app) -> None:
    app.teardown_appcontext(close_conn)


def _rollback_quietly(conn) -> None:
    """Roll back; on a connection that is already lost there is nothing to roll back (the
    server discards an uncommitted transaction when its connection drops), so the error that
    got us here is the one to report, not the rollback's."""
    try:
        _limit_waits(conn)
        conn.rollback()
    except pymysql.err.Error as error:
        log.warning("rollback failed (the connection is lost; the server rolls back): %s", error)


def _commit(conn) -> None:
    """Send COMMIT. Its outcome is unknown when the connection fails before the server's OK
    arrives: the server may have committed after the reply was lost."""
    _limit_waits(conn)
    try:
        conn.commit()
    except pymysql.err.Error as error:
        code = error.args[0] if error.args else None
        if is_connection_failure(error) or code in COMMIT_FAILURES:
            raise OutcomeUnknown(f"COMMIT failed or its answer was lost: {error}") from error
        raise


@contextmanager
def _transaction(conn) -> Iterator[pymysql.cursors.DictCursor]:
    """Run a block as one explicit transaction and yield its cursor.

    Commits when the block returns; rolls back and re-raises when it raises anything, so
    either every statement of the block is stored or none is. Raises DatabaseUnavailable when
    the connection fails before COMMIT (nothing was stored), OutcomeUnknown when it fails
    during COMMIT (it may have been stored).
    """
    try:
        _limit_waits(conn)
        conn.begin()
        with conn.cursor() as cur:
            yield cur
    except BaseException as error:
        _rollback_quietly(conn)
        if is_connection_failure(error):
            raise DatabaseUnavailable(f"database connection failed: {error}") from error
        raise
    _commit(conn)


def run_in_transaction(conn, work: Callable[[pymysql.cursors.DictCursor], T]) -> T:
    """Call ``work(cursor)`` inside ``_transaction()``, running it again after a lost race.

    Deadlocks, lock-wait timeouts and RetryableConflict roll back and retry with jittered
    backoff, up to MAX_ATTEMPTS in all, on the same connection; then DatabaseBusy is raised.
    Any other exception propagates after the rollback (see ``_transaction()``).
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with _transaction(conn) as cur:
                return work(cur)
        except pymysql.err.OperationalError as error:
            if error.args[0] not in LOCK_RACES:
                raise
            log.warning("transaction attempt %d lost a lock race: %s", attempt, error)
        except RetryableConflict as error:
            log.info("transaction attempt %d hit a concurrent write: %s", attempt, error)
        metrics.transaction_retried()
        time.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise DatabaseBusy(f"gave up after {MAX_ATTEMPTS} attempts")


def fetch_one(cur, sql: str, params: tuple = ()) -> dict | None:
    cur.execute(sql, params)
    return cur.fetchone()


def fetch_all(cur, sql: str, params: tuple = ()) -> list[dict]:
    cur.execute(sql, params)
    return list(cur.fetchall())
