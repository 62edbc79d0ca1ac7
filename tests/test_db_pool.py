"""The connection pool: connections have a maximum lifetime, and losing a lock race does not
cost a connection (issue 7, item 4)."""

import pymysql
import pytest

from service import create_app
from service.db import get_conn, run_in_transaction
from service.mysql_codes import ER_LOCK_DEADLOCK


@pytest.fixture
def make_app(database):
    def make(**config):
        return create_app(
            {"TESTING": True, "DATABASE": database, "SECRET_KEY": "pool", "DB_POOL_SIZE": 1}
            | config
        )

    return make


def connection_id(app) -> int:
    with app.app_context(), get_conn().cursor() as cur:
        cur.execute("SELECT CONNECTION_ID() AS id")
        return cur.fetchone()["id"]


def test_pooled_connections_are_reused_then_replaced_after_their_lifetime(make_app, monkeypatch):
    app = make_app(DB_POOL_RECYCLE=60)
    first = connection_id(app)
    assert connection_id(app) == first  # reused while young
    import time as time_module

    real_time = time_module.time
    monkeypatch.setattr(time_module, "time", lambda: real_time() + 61)
    assert connection_id(app) != first  # older than DB_POOL_RECYCLE: replaced


def test_a_deadlock_is_retried_on_the_same_connection(make_app):
    app = make_app()
    attempts = []

    def work(cur):
        cur.execute("SELECT CONNECTION_ID() AS id")
        attempts.append(cur.fetchone()["id"])
        if len(attempts) == 1:
            raise pymysql.err.OperationalError(ER_LOCK_DEADLOCK, "Deadlock found")
        return "done"

    with app.app_context():
        assert run_in_transaction(get_conn(), work) == "done"
    assert len(attempts) == 2 and attempts[0] == attempts[1]
    assert connection_id(app) == attempts[0]  # and it went back to the pool, still good
