"""The database circuit breaker's rules, with no database (issue 19, item 4)."""

import threading
import time

import pymysql

from service.db import DeadlineExceeded
from service.db.breaker import Breaker, is_slow_failure


def test_closed_until_a_failure_then_open_until_the_probe_answers():
    answers = threading.Event()
    probed = []

    def probe():
        probed.append(time.monotonic())
        if not answers.is_set():
            raise pymysql.err.OperationalError(2003, "Can't connect")

    breaker = Breaker(probe, cooldown=0.01)
    assert breaker.admit()
    breaker.failed()
    assert not breaker.admit() and breaker.is_open
    deadline = time.monotonic() + 5
    while len(probed) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(probed) >= 3 and not breaker.admit()  # still away: still failing fast
    answers.set()
    while breaker.is_open and time.monotonic() < deadline:
        time.sleep(0.01)
    assert breaker.admit()


def test_any_answer_from_a_request_closes_it():
    breaker = Breaker(lambda: time.sleep(60), cooldown=60)  # a probe that never returns
    breaker.failed()
    assert not breaker.admit()
    breaker.answered()
    assert breaker.admit()


def test_only_failures_that_cost_time_count():
    assert is_slow_failure(pymysql.err.OperationalError(2013, "Lost connection (timed out)"))
    assert is_slow_failure(pymysql.err.OperationalError(2003, "Can't connect"))
    assert is_slow_failure(DeadlineExceeded(0, "budget used up"))
    assert is_slow_failure(pymysql.err.InterfaceError(0, ""))
    assert not is_slow_failure(pymysql.err.OperationalError(1205, "Lock wait timeout"))
    assert not is_slow_failure(pymysql.err.OperationalError(1047, "WSREP not ready"))
    assert not is_slow_failure(pymysql.err.ProgrammingError(1064, "syntax"))
