"""The bench's own helpers: bulk-loaded customers are real customers, and wrk's Lua counts
what it is told to count (the bench's figures are only as good as these)."""

from contextlib import closing
from datetime import timedelta

import pytest

from bench import wrk
from bench.explain import by_kind, kind_of
from bench.loader import (
    BULK_EARN_PREFIX,
    PROGRAMME,
    YearOfEarns,
    load_customers,
    load_earns,
    name,
    national,
    phone,
)
from service.audit import verify_ledger
from service.db import connect, fetch_all, run_query
from service.points import expire_points, utc_now
from service.programme import current_programme, set_programme
from service.rules import Purchase, expiry_for


def programme_of(shop):
    set_programme(shop.conn, shop.tenant, PROGRAMME, "tests")
    return run_query(shop.conn, lambda cur: current_programme(cur, shop.tenant))


needs_wrk = pytest.mark.skipif(
    not wrk.available(), reason="wrk missing: scripts/apt-install.sh wrk"
)


def test_bulk_loaded_customers_behave_like_enrolled_ones(database, shop, client, admin_headers):
    load_customers(database, shop.tenant.id, 300, points=40)

    with closing(connect(database)) as conn:
        checked, drifts = verify_ledger(conn, shop.tenant)
    assert (checked, drifts) == (300, [])

    card = client.get(
        "/api/loyalty/phone-lookup", query_string={"phone": national(123)}, headers=shop.pos_headers
    )
    assert card.status_code == 200
    assert (card.json["phone"], card.json["name"], card.json["points_balance"]) == (
        phone(123),
        name(123),
        40,
    )
    redeemed = shop.till(client).redeem(15, "after-load", phone=national(299))
    assert redeemed.status_code == 201
    assert redeemed.json["points_balance"] == 25

    found = client.get(
        "/api/admin/customers", query_string={"q": "guest 12"}, headers=admin_headers(shop)
    )
    assert found.status_code == 200
    assert name(123) in {item["name"] for item in found.json["items"]}


@needs_wrk
def test_wrk_counts_responses_outside_the_expected_statuses(live_server):
    # /readyz answers 200: unexpected for a poll scenario (304 expected), fine for a 2xx one.
    as_poll = wrk.run(f"{live_server}/readyz", wrk.FIXED_304, connections=2, seconds=1)
    as_read = wrk.run(f"{live_server}/readyz", wrk.FIXED_2XX, connections=2, seconds=1)

    assert as_poll.requests > 0
    assert as_poll.unexpected == as_poll.requests
    assert as_read.requests > 0
    assert as_read.unexpected == 0


def test_a_year_of_earns_is_dated_and_expires_as_the_service_would(database, shop):
    programme, now = programme_of(shop), utc_now()
    year = YearOfEarns(programme, now, count=300, due=30)
    load_customers(database, shop.tenant.id, 300, points=40, year=year)

    earns = run_query(shop.conn, lambda cur: fetch_all(
        cur, "SELECT phone, created_at, expires_at FROM phone_loyalty_transactions "
        "WHERE tenant_id = %s AND operation_type = 'earn_points'", (shop.tenant.id,)))  # fmt: skip
    assert len(earns) == 300
    for earn in earns:
        assert earn["created_at"] == year.joined_at(int(earn["phone"][-6:]))
        assert earn["expires_at"] == expiry_for(programme, earn["created_at"])
    dates = sorted(earn["created_at"] for earn in earns)
    assert dates[0] == year.first  # the start of the month whose points expired last
    assert now - dates[0] < timedelta(days=13 * 31)
    assert now - dates[-1] >= timedelta(hours=1)
    assert sum(earn["expires_at"] <= now for earn in earns) == 30

    expired = expire_points(shop.conn, shop.tenant, now)
    assert (expired.customers, expired.rows, expired.points) == (30, 30, 30 * 40)
    assert verify_ledger(shop.conn, shop.tenant) == (300, [])


def test_earns_loaded_in_bulk_are_returned_like_earns_made_at_the_till(database, shop, client):
    programme = programme_of(shop)
    assert programme.version == 1
    load_customers(database, shop.tenant.id, 50, points=10)
    bill = Purchase(total_minor=2350, currency="GBP", excluded_minor=0)
    load_earns(database, shop.tenant.id, 50, 120, programme, bill, utc_now())
    assert verify_ledger(shop.conn, shop.tenant) == (50, [])

    # Earn 57 is customer 7's third (120 earns round 50 customers: 7 made 3 of 23 points).
    returned = shop.till(client).send(
        "post",
        f"/api/customer/loyalty/earn/{BULK_EARN_PREFIX}57/reverse",
        {"transaction_reference": "ret-1", "returned_minor": 1000},
    )
    assert returned.status_code == 201, returned.json
    assert returned.json["phone"] == phone(7)
    assert returned.json["points_reversed"] == 9  # floor(23 x 1000 / 2350), by the stored rule
    assert returned.json["returned_minor"] == 1000
    assert returned.json["points_balance"] == 10 + 3 * 23 - 9


@pytest.mark.pure
def test_statements_of_one_kind_differ_only_in_their_values():
    day = "SELECT points FROM points_daily WHERE tenant_id = {} AND day < '{}'"
    locks = "SELECT id FROM t WHERE id IN ({}) FOR UPDATE"

    assert kind_of(day.format(1, "2026-01-01")) == kind_of(day.format(22, "2025-12-31"))
    assert kind_of(locks.format("1, 2, 3")) == kind_of(locks.format("7"))
    assert kind_of("SELECT a FROM t2 WHERE b = 'x'") != kind_of("SELECT a FROM t3 WHERE b = 'x'")
    kinds = by_kind([(day.format(1, "2026-01-01"), 2.0), (day.format(1, "2026-01-02"), 4.0),
                     (bytearray(b"INSERT INTO t VALUES (1)"), 1.0)])  # fmt: skip
    assert [(k.count, k.total_ms) for k in kinds] == [(2, 6.0), (1, 1.0)]
    assert kinds[0].example == day.format(1, "2026-01-01")
