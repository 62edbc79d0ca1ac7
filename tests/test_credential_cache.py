"""A known POS key or admin session is checked from memory; a revoked one stops working within
5 s (issue 8)."""

import time

import pytest
from itsdangerous import TimestampSigner

from service import auth
from service.auth import revoke_pos_key
from service.store import pos_keys

from .helpers import assert_problem, count_statements

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
    for name in ("known_pos_keys", "known_admin_sessions"):
        cache = auth.KnownCredentials(auth.CREDENTIAL_CACHE_SECONDS, timer=clock)
        monkeypatch.setattr(auth, name, cache)
    return clock


def test_a_known_key_costs_no_database_round_trip(client, shop, clock, monkeypatch):
    shop.add_customer(PHONE, points=10)
    assert (
        client.get(LOOKUP, query_string={"phone": PHONE}, headers=shop.pos_headers).status_code
        == 200
    )
    statements = count_statements(monkeypatch)
    response = client.get(LOOKUP, query_string={"phone": PHONE}, headers=shop.pos_headers)
    assert response.status_code == 200
    assert len(statements) == 1 and "pos_api_keys" not in statements[0]


def test_a_key_revoked_elsewhere_stops_working_within_five_seconds(client, shop, clock):
    """Revoked by another process (the CLI, another worker): this one learns within 5 s."""
    shop.add_customer(PHONE, points=10)
    assert shop.till(client, PHONE).lookup().status_code == 200
    with shop.conn.cursor() as cur:
        assert pos_keys.revoke(cur, shop.key.split("_")[1]) == 1
    clock.now += auth.CREDENTIAL_CACHE_SECONDS - 0.5
    assert shop.till(client, PHONE).lookup().status_code == 200  # the documented window
    clock.now += 0.501
    assert_problem(shop.till(client, PHONE).lookup(), 401, "unauthorized")


def test_a_key_revoked_in_this_process_stops_working_at_once(client, shop, clock):
    shop.add_customer(PHONE, points=10)
    assert shop.till(client, PHONE).lookup().status_code == 200
    assert revoke_pos_key(shop.conn, shop.key.split("_")[1])
    assert_problem(shop.till(client, PHONE).lookup(), 401, "unauthorized")


def test_a_wrong_secret_for_a_cached_prefix_is_refused(client, shop, clock):
    shop.add_customer(PHONE, points=10)
    assert (
        client.get(LOOKUP, query_string={"phone": PHONE}, headers=shop.pos_headers).status_code
        == 200
    )
    forged = shop.key[:-4] + ("AAAA" if not shop.key.endswith("AAAA") else "BBBB")
    response = client.get(LOOKUP, query_string={"phone": PHONE}, headers={"X-API-Key": forged})
    assert_problem(response, 401, "unauthorized")


CUSTOMERS = "/api/admin/customers"


def test_a_known_admin_session_costs_no_database_round_trip(
    client, shop, clock, admin_headers, monkeypatch
):
    headers = admin_headers(shop)
    first = client.get(CUSTOMERS, headers=headers)
    statements = count_statements(monkeypatch)
    poll = client.get(CUSTOMERS, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert poll.status_code == 304
    assert not any("admin_users" in sql for sql in statements), statements


def test_a_session_revoked_elsewhere_stops_working_within_five_seconds(
    client, shop, clock, admin_headers
):
    """Signed out by another worker (or its password set by the CLI): this one learns within
    5 s; here the sign-out is made straight in the database, as another process would."""
    headers = admin_headers(shop)
    assert client.get(CUSTOMERS, headers=headers).status_code == 200
    with shop.conn.cursor() as cur:
        cur.execute(
            "UPDATE admin_users SET session_generation = session_generation + 1 "
            "WHERE tenant_id = %s",
            (shop.tenant.id,),
        )
    clock.now += auth.CREDENTIAL_CACHE_SECONDS - 0.5
    assert client.get(CUSTOMERS, headers=headers).status_code == 200  # the documented window
    clock.now += 0.501
    assert_problem(client.get(CUSTOMERS, headers=headers), 401, "unauthorized")


def test_a_known_session_still_expires_on_time(client, shop, clock, admin_headers, monkeypatch):
    headers = admin_headers(shop)
    assert client.get(CUSTOMERS, headers=headers).status_code == 200  # now known
    later = time.time() + client.application.config["ADMIN_TOKEN_MAX_AGE"] + 1
    monkeypatch.setattr(auth.time, "time", lambda: later)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(later))
    body = assert_problem(client.get(CUSTOMERS, headers=headers), 401, "unauthorized")
    assert body["expired"] is True


def test_a_known_session_is_not_known_under_another_signing_key(
    app, client, shop, clock, admin_headers
):
    headers = admin_headers(shop)
    assert client.get(CUSTOMERS, headers=headers).status_code == 200  # now known
    app.config["SECRET_KEY"], saved = "another-key", app.config["SECRET_KEY"]
    try:
        assert_problem(client.get(CUSTOMERS, headers=headers), 401, "unauthorized")
    finally:
        app.config["SECRET_KEY"] = saved


def test_a_check_under_way_when_credentials_are_forgotten_is_not_remembered():
    """A poll that read the session just before a sign-out in this process committed must not
    put it back in memory: the sign-out takes effect at once here, as documented."""
    known = auth.KnownCredentials(auth.CREDENTIAL_CACHE_SECONDS)
    epoch = known.epoch()  # a poll starts checking its token...
    known.forget_all()  # ... a sign-out commits meanwhile ...
    known.remember(b"token", "admin row read before the sign-out", epoch)
    assert known.get(b"token") is None
    known.remember(b"token", "admin row", known.epoch())
    assert known.get(b"token") == "admin row"


def test_serving_requests_grows_no_per_request_memo(app, client, shop, admin_headers):
    """The app remembers which of its functions are async once per function (LoyaltyFlask);
    a MethodView's bound methods are new on every request and must not pile up."""
    headers = admin_headers(shop)
    client.get(CUSTOMERS, headers=headers)
    client.get(LOOKUP, query_string={"phone": PHONE}, headers=shop.pos_headers)
    size = len(app._plain)
    for _ in range(20):
        client.get(CUSTOMERS, headers=headers)
        client.get(LOOKUP, query_string={"phone": PHONE}, headers=shop.pos_headers)
    assert len(app._plain) == size
