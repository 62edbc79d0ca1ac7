"""A known POS key is checked from memory; a revoked one stops working within 5 s (issue 8)."""

import pytest
from cachetools import TTLCache

from service import auth, db
from service.auth import revoke_pos_key
from service.store import pos_keys

from .helpers import assert_problem

LOOKUP = "/api/loyalty/phone-lookup"
PHONE = "+447306506797"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    clock = FakeClock()
    cache = TTLCache(maxsize=auth.POS_KEY_CACHE_SIZE, ttl=auth.POS_KEY_CACHE_SECONDS, timer=clock)
    monkeypatch.setattr(auth, "_pos_key_cache", cache)
    return clock


def test_a_known_key_costs_no_database_round_trip(client, shop, clock, monkeypatch):
    shop.add_customer(PHONE, points=10)
    assert (
        client.get(LOOKUP, query_string={"phone": PHONE}, headers=shop.pos_headers).status_code
        == 200
    )
    statements = []
    real_execute = db.DeadlineCursor.execute

    def execute(self, query, args=None):
        statements.append(query)
        return real_execute(self, query, args)

    monkeypatch.setattr(db.DeadlineCursor, "execute", execute)
    response = client.get(LOOKUP, query_string={"phone": PHONE}, headers=shop.pos_headers)
    assert response.status_code == 200
    assert len(statements) == 1 and "pos_api_keys" not in statements[0]


def lookup(client, headers):
    return client.get(LOOKUP, query_string={"phone": PHONE}, headers=headers)


def test_a_key_revoked_elsewhere_stops_working_within_five_seconds(client, shop, clock):
    """Revoked by another process (the CLI, another worker): this one learns within 5 s."""
    shop.add_customer(PHONE, points=10)
    assert lookup(client, shop.pos_headers).status_code == 200
    with shop.conn.cursor() as cur:
        assert pos_keys.revoke(cur, shop.key.split("_")[1]) == 1
    clock.now += auth.POS_KEY_CACHE_SECONDS - 0.5
    assert lookup(client, shop.pos_headers).status_code == 200  # the documented window
    clock.now += 0.501
    assert_problem(lookup(client, shop.pos_headers), 401, "unauthorized")


def test_a_key_revoked_in_this_process_stops_working_at_once(client, shop, clock):
    shop.add_customer(PHONE, points=10)
    assert lookup(client, shop.pos_headers).status_code == 200
    assert revoke_pos_key(shop.conn, shop.key.split("_")[1])
    assert_problem(lookup(client, shop.pos_headers), 401, "unauthorized")


def test_a_wrong_secret_for_a_cached_prefix_is_refused(client, shop, clock):
    shop.add_customer(PHONE, points=10)
    assert (
        client.get(LOOKUP, query_string={"phone": PHONE}, headers=shop.pos_headers).status_code
        == 200
    )
    forged = shop.key[:-4] + ("AAAA" if not shop.key.endswith("AAAA") else "BBBB")
    response = client.get(LOOKUP, query_string={"phone": PHONE}, headers={"X-API-Key": forged})
    assert_problem(response, 401, "unauthorized")
