"""The bench's own helpers: bulk-loaded customers are real customers, and wrk's Lua counts
what it is told to count (the bench's figures are only as good as these)."""

from contextlib import closing

import pytest

from bench import wrk
from bench.loader import load_customers, name, national, phone
from service.audit import verify_ledger
from service.db import connect

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
