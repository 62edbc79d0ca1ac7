"""Database access: the connection pool, the per-request connection and the one transaction helper.

Every connection runs in strict SQL mode (a wrong column, a truncation or a broken constraint
raises instead of warning), in UTC, at READ COMMITTED, with autocommit on outside of
``transaction()``. Only ``transaction()`` commits or rolls back; query functions never do.
"""

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pymysql
import pymysql.cursors
from dbutils.pooled_db import PooledDB
from flask import current_app, g

from .config import DatabaseSettings
from .exceptions import DatabaseBusy, RetryableConflict
from .mysql_codes import LOCK_RACES

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


def connect_kwargs(settings: DatabaseSettings, *, database: bool = True) -> dict:
    """Arguments for ``pymysql.connect`` (without the database name when ``database`` is False)."""
    kwargs = {
        "host": settings.host,
        "port": settings.port,
        "user": settings.user,
        "password": settings.password,
        "charset": "utf8mb4",
        "cursorclass": pymysql.cursors.DictCursor,
        "autocommit": True,
        "connect_timeout": 5,
    }
    if database:
        kwargs["database"] = settings.database
    return kwargs


def connect(settings: DatabaseSettings) -> pymysql.connections.Connection:
    """A single unpooled connection with the session settings applied (for the CLI and tests)."""
    conn = pymysql.connect(**connect_kwargs(settings))
    with conn.cursor() as cur:
        for statement in SESSION_SETUP:
            cur.execute(statement)
    return conn


def create_pool(settings: DatabaseSettings, size: int) -> PooledDB:
    """A blocking pool; ``reset=True`` rolls back whatever a returned connection left open."""
    return PooledDB(
        creator=pymysql,
        maxconnections=size,
        maxcached=size,
        blocking=True,
        setsession=SESSION_SETUP,
        reset=True,
        ping=1,
        **connect_kwargs(settings),
    )


def _pool() -> PooledDB:
    # Created lazily so that each gunicorn worker builds its own pool after the fork.
    pool = current_app.extensions.get("db_pool")
    if pool is None:
        pool = create_pool(current_app.config["DATABASE"], current_app.config["DB_POOL_SIZE"])
        current_app.extensions["db_pool"] = pool
    return pool


def get_conn():
    """The request's pooled connection, taken on first use and returned at teardown."""
    if "db_conn" not in g:
        g.db_conn = _pool().connection()
    return g.db_conn


def close_conn(_exc: BaseException | None = None) -> None:
    conn = g.pop("db_conn", None)
    if conn is not None:
        conn.close()  # back to the pool, which rolls back anything left open


def init_app(app) -> None:
    app.teardown_appcontext(close_conn)


@contextmanager
def transaction(conn) -> Iterator[pymysql.cursors.DictCursor]:
    """Run a block as one explicit transaction and yield its cursor.

    Commits when the block returns; rolls back and re-raises when it raises anything, so
    either every statement of the block is stored or none is.
    """
    conn.begin()
    try:
        with conn.cursor() as cur:
            yield cur
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def run_in_transaction(conn, work: Callable[[pymysql.cursors.DictCursor], T]) -> T:
    """Call ``work(cursor)`` inside ``transaction()``, running it again after a lost race.

    Deadlocks, lock-wait timeouts and RetryableConflict roll back and retry with jittered
    backoff, up to MAX_ATTEMPTS in all; then DatabaseBusy is raised. Any other exception
    propagates after the rollback.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with transaction(conn) as cur:
                return work(cur)
        except pymysql.err.OperationalError as exc:
            if exc.args[0] not in LOCK_RACES:
                raise
            log.warning("transaction attempt %d lost a lock race: %s", attempt, exc)
        except RetryableConflict as exc:
            log.info("transaction attempt %d hit a concurrent write: %s", attempt, exc)
        time.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise DatabaseBusy(f"gave up after {MAX_ATTEMPTS} attempts")


def fetch_one(cur, sql: str, params: tuple = ()) -> dict | None:
    cur.execute(sql, params)
    return cur.fetchone()


def fetch_all(cur, sql: str, params: tuple = ()) -> list[dict]:
    cur.execute(sql, params)
    return list(cur.fetchall())
