"""The request's connection: borrowed from the app's pool on first use, returned at teardown."""

import pymysql
from flask import current_app, g
from sqlalchemy import exc
from sqlalchemy.pool import QueuePool

from ..exceptions import DatabaseBusy, DatabaseUnavailable
from .deadline import Deadline
from .pool import checkout_deadline, create_pool, release


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
        deadline = Deadline(time_budget or current_app.config["DB_TIMEOUT"])
        token = checkout_deadline.set(deadline)
        try:
            g.db_conn = _pool().connect()
        except exc.TimeoutError as error:
            raise DatabaseBusy("no free database connection within the time budget") from error
        except (pymysql.err.Error, exc.DisconnectionError) as error:
            raise DatabaseUnavailable(f"cannot connect to the database: {error}") from error
        finally:
            checkout_deadline.reset(token)
    return g.db_conn


def close_conn(_exc: BaseException | None = None) -> None:
    conn = g.pop("db_conn", None)
    if conn is not None:
        release(conn, _pool())


def init_app(app) -> None:
    app.teardown_appcontext(close_conn)
