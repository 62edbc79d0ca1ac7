"""Database access: deadline, pool, the request's connection, and the one write and read helpers.

``run_in_transaction(conn, work)`` is the one way to write, ``run_query(conn, work)`` the one way
to read (datasette's ``execute_write_fn`` / ``execute_fn``); ``store/`` modules hold the SQL and
never commit. The submodules: ``deadline`` (the time budget), ``pool`` (sessions and the pool),
``request`` (Flask's per-request connection), ``transactions`` (the two helpers).
"""

from .deadline import Deadline, DeadlineCursor, DeadlineExceeded, is_connection_failure
from .pool import connect, connect_kwargs, create_pool, release
from .request import close_conn, get_conn, init_app
from .transactions import MAX_ATTEMPTS, fetch_all, fetch_one, run_in_transaction, run_query

__all__ = [
    "MAX_ATTEMPTS",
    "Deadline",
    "DeadlineCursor",
    "DeadlineExceeded",
    "close_conn",
    "connect",
    "connect_kwargs",
    "create_pool",
    "fetch_all",
    "fetch_one",
    "get_conn",
    "init_app",
    "is_connection_failure",
    "release",
    "run_in_transaction",
    "run_query",
]
