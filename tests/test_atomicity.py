"""Balance and ledger commit together or not at all; the database refuses bad writes loudly."""

from contextlib import contextmanager

import pymysql
import pytest

from .helpers import assert_problem, balance_rows, ledger_count

PHONE = "+447306506797"


@pytest.fixture
def ledger_inserts_fail(conn):
    """``with ledger_inserts_fail():`` every INSERT into the ledger fails inside its transaction.

    A real database failure (a trigger raising SQLSTATE 45000), not a mock.
    """

    @contextmanager
    def failing():
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TRIGGER test_fail_ledger_insert BEFORE INSERT "
                "ON phone_loyalty_transactions FOR EACH ROW "
                "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ledger insert failed'"
            )
        try:
            yield
        finally:
            with conn.cursor() as cur:
                cur.execute("DROP TRIGGER IF EXISTS test_fail_ledger_insert")

    return failing


def test_failed_ledger_insert_rolls_back_the_balance(client, shop, conn, ledger_inserts_fail):
    shop.add_customer(PHONE, points=200)
    before_rows = balance_rows(conn)
    before_ledger = ledger_count(conn, shop.tenant.id)

    with ledger_inserts_fail():
        response = shop.till(client, PHONE).redeem(20, "order-1")

    assert_problem(response, 500, "internal_error")
    assert "ledger insert failed" not in response.get_data(as_text=True)  # no internals leak
    assert balance_rows(conn) == before_rows
    assert ledger_count(conn, shop.tenant.id) == before_ledger


def test_connections_go_back_to_the_pool_without_an_open_transaction(
    client, shop, ledger_inserts_fail
):
    shop.add_customer(PHONE, points=200)
    with ledger_inserts_fail():
        for _ in range(3):
            assert shop.till(client, PHONE).redeem(20, "order-1").status_code == 500
    response = shop.till(client, PHONE).redeem(20, "order-1")
    assert response.status_code == 201
    assert response.json["points_balance"] == 180
    assert response.json["replayed"] is False


def test_pooled_connections_run_in_strict_mode_at_utc(app):
    from service.db import get_conn

    with app.app_context(), get_conn().cursor() as cur:
        cur.execute("SELECT @@SESSION.sql_mode AS mode, @@SESSION.time_zone AS tz")
        row = cur.fetchone()
    assert "STRICT_ALL_TABLES" in row["mode"]
    assert row["tz"] == "+00:00"


def test_a_wrong_column_name_raises_instead_of_failing_silently(conn, shop):
    # The earlier system's bug: its INSERT used transaction_type, points_change, order_id.
    with pytest.raises(pymysql.err.OperationalError), conn.cursor() as cur:
        cur.execute(
            "INSERT INTO phone_loyalty_transactions (phone, tenant_id, customer_id, "
            "transaction_type, points_change, order_id) VALUES (%s, %s, 1, 'redeem', 5, 'x')",
            (PHONE, shop.tenant.id),
        )


def test_truncation_and_negative_balances_raise(conn, shop):
    shop.add_customer(PHONE, points=5)
    with pytest.raises(pymysql.err.DataError), conn.cursor() as cur:
        cur.execute(
            "UPDATE customer_loyalty_points SET phone = %s WHERE phone = %s",
            ("+" + "4" * 40, PHONE),
        )
    with pytest.raises(pymysql.err.OperationalError), conn.cursor() as cur:
        cur.execute(
            "UPDATE customer_loyalty_points SET points_balance = -1 WHERE tenant_id = %s",
            (shop.tenant.id,),
        )
