"""Galera's "not ready" and "failed at COMMIT" answers are 503s that say what is known, never a
500 (issue 19, item 5). The errors are raised as PyMySQL raises the server's: the same class
and number a node that is up but not Synced (1047), or one cut off from the cluster at COMMIT
(1180), sends. The live cluster case is tests/cluster/test_isolation.py."""

import pymysql
import pytest

from service import db

from .helpers import assert_problem, ledger_count

REDEEM = "/api/customer/loyalty/redeem"
LOOKUP = "/api/loyalty/phone-lookup"
PHONE = "+447306506797"
NOT_READY = (1047, "WSREP has not yet prepared node for application use")
COMMIT_FAILED = (1180, 'Got error 6 "No such device or address" during COMMIT')


def server_error(code: int, message: str) -> pymysql.err.MySQLError:
    """The exception PyMySQL raises for a server error packet with this number."""
    try:
        pymysql.err.raise_mysql_exception(
            b"\xff" + code.to_bytes(2, "little") + b"#08S01" + message.encode()
        )
    except pymysql.err.MySQLError as error:
        return error
    raise AssertionError("raise_mysql_exception did not raise")


@pytest.fixture
def customer(shop):
    shop.add_customer(PHONE, points=50)
    return shop


@pytest.fixture
def node_not_ready(monkeypatch):
    """From now on every statement the service sends meets 1047."""
    error = server_error(*NOT_READY)

    def execute(self, query, args=None):
        raise error

    monkeypatch.setattr(db.DeadlineCursor, "execute", execute)


def test_a_node_not_ready_is_503_database_unavailable_for_reads(client, customer, node_not_ready):
    response = client.get(LOOKUP, query_string={"phone": PHONE}, headers=customer.pos_headers)
    assert_problem(response, 503, "database_unavailable")
    assert response.headers["Retry-After"]


def test_a_node_not_ready_is_503_database_unavailable_for_writes(client, customer, monkeypatch):
    # The key is known already, so the write itself meets the node.
    client.get(LOOKUP, query_string={"phone": PHONE}, headers=customer.pos_headers)
    before = ledger_count(customer.conn, customer.tenant.id)
    error = server_error(*NOT_READY)
    monkeypatch.setattr(db.DeadlineCursor, "execute", lambda *a, **k: (_ for _ in ()).throw(error))
    body = {"phone": PHONE, "points": 1, "transaction_reference": "galera-1"}
    response = client.post(REDEEM, json=body, headers=customer.pos_headers)
    assert_problem(response, 503, "database_unavailable")
    monkeypatch.undo()
    assert ledger_count(customer.conn, customer.tenant.id) == before


def test_a_failure_at_commit_is_outcome_unknown(client, customer, monkeypatch):
    client.get(LOOKUP, query_string={"phone": PHONE}, headers=customer.pos_headers)
    error = server_error(*COMMIT_FAILED)

    def commit(self):
        raise error

    monkeypatch.setattr(pymysql.connections.Connection, "commit", commit)
    body = {"phone": PHONE, "points": 1, "transaction_reference": "galera-2"}
    response = client.post(REDEEM, json=body, headers=customer.pos_headers)
    problem = assert_problem(response, 503, "outcome_unknown")
    assert "same transaction_reference" in problem["detail"]


def test_not_ready_at_commit_is_outcome_unknown_too(client, customer, monkeypatch):
    client.get(LOOKUP, query_string={"phone": PHONE}, headers=customer.pos_headers)
    error = server_error(*NOT_READY)
    monkeypatch.setattr(
        pymysql.connections.Connection, "commit", lambda self: (_ for _ in ()).throw(error)
    )
    body = {"phone": PHONE, "points": 1, "transaction_reference": "galera-3"}
    response = client.post(REDEEM, json=body, headers=customer.pos_headers)
    assert_problem(response, 503, "outcome_unknown")
