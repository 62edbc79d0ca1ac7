"""Concurrent tills against one customer, over real HTTP: no overdraft, no lost update, no
double spend."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from .browser import ApiProcess
from .helpers import Till, ledger_count

PHONE = "+447306506797"


def run_together(count: int, call):
    """Start ``count`` calls at the same instant (a barrier) and return their results."""
    barrier = threading.Barrier(count)

    def one(i):
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def post_redeem(url, shop, points, reference, phone=PHONE):
    """A redemption over HTTP, waiting up to 30 s (50 at once queue on one balance row)."""
    return Till(url, shop.key, phone, timeout=30).redeem(points, reference)


def test_fifty_concurrent_redemptions_never_overdraw(live_server, shop):
    shop.add_customer(PHONE, points=230)
    ledger_before = ledger_count(shop.conn, shop.tenant.id)

    responses = run_together(50, lambda i: post_redeem(live_server, shop, 20, f"order-{i}"))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 230 // 20
    assert statuses.count(409) == 50 - 230 // 20
    assert all(r.json()["code"] == "insufficient_points" for r in responses if r.status_code == 409)
    balances_seen = sorted(r.json()["points_balance"] for r in responses if r.status_code == 201)
    assert balances_seen == list(range(10, 230, 20))  # each success saw the one before it
    with shop.conn.cursor() as cur:
        cur.execute(
            "SELECT points_balance, total_points_redeemed FROM customer_loyalty_points "
            "WHERE tenant_id = %s",
            (shop.tenant.id,),
        )
        row = cur.fetchone()
    assert row == {"points_balance": 10, "total_points_redeemed": 220}
    assert ledger_count(shop.conn, shop.tenant.id) == ledger_before + 230 // 20


def test_twenty_concurrent_replays_redeem_once(live_server, shop):
    shop.add_customer(PHONE, points=100)
    ledger_before = ledger_count(shop.conn, shop.tenant.id)

    responses = run_together(20, lambda i: post_redeem(live_server, shop, 30, "order-42"))

    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert {r.json()["transaction_id"] for r in responses} == {
        responses[0].json()["transaction_id"]
    }
    assert {r.json()["points_balance"] for r in responses} == {70}
    assert sum(r.json()["replayed"] for r in responses) == 19
    assert ledger_count(shop.conn, shop.tenant.id) == ledger_before + 1


def test_one_reference_raced_for_two_customers_is_taken_once(live_server, shop):
    shop.add_customer(PHONE, points=100)
    other = shop.add_customer("+447306506798", points=100)

    def call(i):
        phone = PHONE if i % 2 else other
        return post_redeem(live_server, shop, 10, "shared-ref", phone)

    responses = run_together(10, call)
    codes = sorted(r.status_code for r in responses)
    winners = [r for r in responses if r.status_code == 201]
    assert len(winners) == 1
    winner_phone = winners[0].json()["phone"]
    for r in responses:
        if r.status_code == 422:
            assert r.json()["code"] == "transaction_reference_reused"
    assert codes.count(200) == 4  # the winner's own repeats replay
    assert codes.count(422) == 5  # the other customer's are refused
    assert winner_phone in (PHONE, other)


@pytest.fixture(scope="module")
def gunicorn_api(database, tmp_path_factory):
    """The API as deployed: gunicorn with several worker processes, truly in parallel."""
    api = ApiProcess(database, "http://127.0.0.1:8080", tmp_path_factory.mktemp("gunicorn"))
    api.env["WEB_CONCURRENCY"] = "4"
    api.start()
    yield api.url
    api.stop()


def innodb_deadlocks(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'")
        return int(cur.fetchone()["Value"])


def test_tills_serving_different_customers_never_deadlock(gunicorn_api, shop):
    """Writes of one tenant all touch its data version: they must queue, never deadlock (a
    deadlock costs a retry, and enough of them a 503)."""
    phones = [shop.add_customer(f"+4473065067{i:02d}", points=100) for i in range(16)]
    deadlocks_before = innodb_deadlocks(shop.conn)

    def call(i):
        return post_redeem(gunicorn_api, shop, 1, f"order-{i}", phones[i % 16])

    for round_ in range(5):
        responses = run_together(32, lambda i, r=round_: call(r * 100 + i))
        assert sorted({r.status_code for r in responses}) == [201]
    assert innodb_deadlocks(shop.conn) == deadlocks_before
