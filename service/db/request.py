"""The request's connection: borrowed from the app's pool on first use, returned at teardown."""

from functools import partial

import pymysql
from flask import current_app, g
from sqlalchemy import exc
from sqlalchemy.pool import QueuePool

from ..config import DatabaseSettings
from ..exceptions import DatabaseBusy, DatabaseUnavailable
from .breaker import Breaker
from .deadline import Deadline
from .pool import checkout_deadline, connect_kwargs, create_pool, release


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
        token = checkout_deadline.set(deadline)
        try:
            g.db_conn = _pool().connect()
        except exc.TimeoutError as error:
            raise DatabaseBusy("no free database connection within the time budget") from error
        except (pymysql.err.Error, exc.DisconnectionError) as error:
            breaker.failed()
            raise DatabaseUnavailable(f"cannot connect to the database: {error}") from error
        finally:
            checkout_deadline.reset(token)
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


def close_conn(_exc: BaseException | None = None) -> None:
    conn = g.pop("db_conn", None)
    if conn is not None:
        release(conn, _pool())


def init_app(app) -> None:
    app.teardown_appcontext(close_conn)
