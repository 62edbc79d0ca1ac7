"""The one way to write and the one way to read: ``run_in_transaction`` and ``run_query``.

Only ``run_in_transaction`` commits or rolls back; query functions (``store/``) never do.
A failure is told apart by when it happened:

- before COMMIT was sent: the server rolls the transaction back when the connection drops, so
  nothing was changed (``DatabaseUnavailable``);
- while COMMIT was under way: it may have committed (``OutcomeUnknown``).
"""

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pymysql
import pymysql.cursors

from .. import metrics
from ..exceptions import DatabaseBusy, DatabaseUnavailable, OutcomeUnknown, RetryableConflict
from ..mysql_codes import COMMIT_FAILURES, LOCK_RACES
from .deadline import is_connection_failure, limit_waits

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ATTEMPTS = 5


def _rollback_quietly(conn) -> None:
    """Roll back; on a connection that is already lost there is nothing to roll back (the
    server discards an uncommitted transaction when its connection drops), so the error that
    got us here is the one to report, not the rollback's."""
    try:
        limit_waits(conn)
        conn.rollback()
    except pymysql.err.Error as error:
        log.warning("rollback failed (the connection is lost; the server rolls back): %s", error)


def _commit(conn) -> None:
    """Send COMMIT. Its outcome is unknown when the connection fails before the server's OK
    arrives: the server may have committed after the reply was lost."""
    limit_waits(conn)
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
        limit_waits(conn)
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


def run_query(conn, work: Callable[[pymysql.cursors.DictCursor], T]) -> T:
    """Call ``work(cursor)`` for reads outside any explicit transaction (autocommit: each
    statement sees the latest committed rows). Never commits: writes go through
    ``run_in_transaction``."""
    with conn.cursor() as cur:
        return work(cur)


def fetch_one(cur, sql: str, params: tuple = ()) -> dict | None:
    cur.execute(sql, params)
    return cur.fetchone()


def fetch_all(cur, sql: str, params: tuple = ()) -> list[dict]:
    cur.execute(sql, params)
    return list(cur.fetchall())
