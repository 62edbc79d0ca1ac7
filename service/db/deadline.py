"""The request's database time budget: a deadline, and a cursor that never waits past it.

Nothing waits on the database for longer than the request's time budget (``DB_TIMEOUT``):
each request gets a deadline when it first needs a connection, and every network wait of that
request (connecting, the checkout ping, each statement, COMMIT) is given only what is left of
it. A database that freezes therefore costs a request its budget, never more.
"""

import time

import pymysql
import pymysql.cursors

from ..mysql_codes import UNAVAILABLE
from .breaker import is_slow_failure


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


def limit_waits(conn: pymysql.connections.Connection) -> None:
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
            limit_waits(self.connection)
            result = super().execute(query, args)
        except pymysql.err.Error as error:
            if breaker is not None:
                breaker.failed() if is_slow_failure(error) else breaker.answered()
            raise
        if breaker is not None:
            breaker.answered()
        return result
