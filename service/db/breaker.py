"""The database circuit breaker: once the database stopped answering, requests fail fast
(503 database_unavailable, nothing sent) instead of each waiting out its own time budget, and
a background probe finds out when it answers again.

Why: every request waits on the database for at most DB_TIMEOUT, but gunicorn has few
threads; with the database frozen they are all taken by requests that will time out, and the
next requests queue for a thread first, so their clients wait two or three budgets. With the
breaker open, a thread that frees up answers the queued requests at once, so every client
hears back within about one budget. The probe is not a client's request (a request that had
already queued for a thread would then wait a second budget): one thread per process pings
the database (at once, then every COOLDOWN_SECONDS) while the breaker is open, and the
first answer closes it, so service resumes well within 2 s of the database answering.

Only failures that cost time open it (no connection, no answer in time); an SQL error, a lock
race or a Galera node's fast "not ready" is answered promptly anyway, and any answer at all
closes it. Thread-safe; one breaker per app (per gunicorn worker: each learns on its own,
within one budget).
"""

import logging
import threading
import time
from collections.abc import Callable

import pymysql

from ..mysql_codes import CONNECTION_FAILURES

log = logging.getLogger(__name__)

COOLDOWN_SECONDS = 0.5  # between two pings of the database while it does not answer


def is_slow_failure(error: BaseException) -> bool:
    """True for a failure that made its request wait: unreachable, lost or timed out."""
    if isinstance(error, pymysql.err.InterfaceError):
        return True
    return isinstance(error, pymysql.err.OperationalError) and (
        error.args[:1] == (0,)  # db.DeadlineExceeded: the budget ran out
        or (bool(error.args) and error.args[0] in CONNECTION_FAILURES)
    )


class Breaker:
    """Closed (everyone goes to the database) until ``failed()``; then open: ``admit()``
    refuses everyone while ``probe()`` is called every ``cooldown`` seconds in a background
    thread, until it returns (or a request's statement is ``answered()``)."""

    def __init__(self, probe: Callable[[], None], cooldown: float = COOLDOWN_SECONDS):
        self._probe = probe
        self._lock = threading.Lock()
        self._open = False
        self._prober: threading.Thread | None = None
        self.cooldown = cooldown

    def admit(self) -> bool:
        """May this request use the database now? False: fail fast, nothing was sent."""
        return not self._open  # a plain read: the hot path takes no lock

    def failed(self) -> None:
        with self._lock:
            self._open = True
            if self._prober is None or not self._prober.is_alive():
                self._prober = threading.Thread(target=self._probe_until_answered, daemon=True)
                self._prober.start()

    def answered(self) -> None:
        if self._open:
            with self._lock:
                self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    def _probe_until_answered(self) -> None:
        # The first ping goes at once: one statement that was merely slow costs the others
        # a round trip, not a cooldown.
        while self._open:
            try:
                self._probe()
            except Exception:  # noqa: BLE001 (any failure: the database is still away)
                time.sleep(self.cooldown)
                continue
            self.answered()
            log.info("the database answers again; requests go to it again")
