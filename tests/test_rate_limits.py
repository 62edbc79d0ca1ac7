"""Sign-in and failed POS keys are rate limited, per account and per client address; password
checks never occupy the server's threads (issue 7, item 5)."""

import secrets
import threading
import time

import pytest
import redis
from flask_limiter import RequestLimit

from service import auth, create_app

from .helpers import assert_problem

LOOKUP = "/api/loyalty/phone-lookup"


def from_address(client, address: str):
    """A test client whose requests come from ``address``."""
    client.environ_base["REMOTE_ADDR"] = address
    return client


def assert_rate_limited(response) -> None:
    problem = assert_problem(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    assert "many" in problem["detail"]


def test_wrong_passwords_for_one_account_are_limited(app, shop):
    attempts = app.config["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"].split()[0]
    client = from_address(app.test_client(), "192.0.2.10")
    for _ in range(int(attempts)):
        assert_problem(shop.sign_in(client, "wrong password"), 401, "unauthorized")
    assert_rate_limited(shop.sign_in(client, "wrong password"))
    # Even the right password waits now, from this address:
    assert_rate_limited(shop.sign_in(client))
    # ... written in another case or with spaces (one normal form):
    assert_rate_limited(shop.sign_in(client, email=f" {shop.admin_email.upper()}"))
    # The owner elsewhere is not locked out by this address's failures (issue 19, item 2).
    assert shop.sign_in(from_address(app.test_client(), "192.0.2.11")).status_code == 200


def test_successful_sign_ins_do_not_count_against_the_account(app, shop):
    client = from_address(app.test_client(), "192.0.2.12")
    attempts = int(app.config["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"].split()[0])
    for _ in range(attempts + 1):
        assert shop.sign_in(client).status_code == 200


def test_sign_ins_from_one_address_are_limited(app, make_shop):
    shop = make_shop()
    client = from_address(app.test_client(), "192.0.2.20")
    attempts = int(app.config["SIGN_IN_LIMIT_PER_ADDRESS"].split()[0])
    for i in range(attempts):
        response = shop.sign_in(client, "wrong", email=f"nobody{i}@x.test")
        assert_problem(response, 401, "unauthorized")
    assert_rate_limited(shop.sign_in(client))
    # Another address is not affected.
    assert shop.sign_in(from_address(app.test_client(), "192.0.2.21")).status_code == 200


def test_failed_pos_keys_from_one_address_are_limited(app, shop):
    client = from_address(app.test_client(), "192.0.2.30")
    attempts = int(app.config["POS_KEY_FAILURE_LIMIT"].split()[0])
    wrong = {"X-API-Key": shop.key[:-4] + "AAAA"}
    for _ in range(attempts):
        response = client.get(LOOKUP, query_string={"phone": "+447306506797"}, headers=wrong)
        assert_problem(response, 401, "unauthorized")
    response = client.get(LOOKUP, query_string={"phone": "+447306506797"}, headers=wrong)
    assert_rate_limited(response)
    # A till elsewhere with a good key is served.
    other = from_address(app.test_client(), "192.0.2.31")
    response = other.get(LOOKUP, query_string={"phone": "+447306506797"}, headers=shop.pos_headers)
    assert_problem(response, 404, "customer_not_found")


def test_good_pos_keys_are_never_limited(app, shop):
    client = from_address(app.test_client(), "192.0.2.32")
    attempts = int(app.config["POS_KEY_FAILURE_LIMIT"].split()[0])
    for _ in range(attempts + 5):
        response = client.get(
            LOOKUP, query_string={"phone": "+447306506797"}, headers=shop.pos_headers
        )
        assert response.status_code == 404


def test_a_sign_in_waits_briefly_for_a_password_check_then_answers_busy(app, shop):
    """While another password check runs (here: held by the test), a sign-in does not queue
    for long: it answers 503 sign_in_busy with Retry-After, keeping the thread free."""
    client = from_address(app.test_client(), "192.0.2.40")
    assert auth.PASSWORD_CHECKS.acquire(timeout=5)
    try:
        response = shop.sign_in(client)
    finally:
        auth.PASSWORD_CHECKS.release()
    assert_problem(response, 503, "sign_in_busy")
    assert int(response.headers["Retry-After"]) >= 1
    assert shop.sign_in(client).status_code == 200


def test_concurrent_sign_ins_all_answer(app, shop):
    """Several sign-ins at once: each is 200 or 503 sign_in_busy, none hangs or fails."""
    statuses = []

    def one(i):
        client = from_address(app.test_client(), f"192.0.2.{50 + i}")
        statuses.append(shop.sign_in(client).status_code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(statuses) == 6
    assert set(statuses) <= {200, 503}
    assert 200 in statuses


@pytest.fixture
def redis_prefix():
    prefix = f"loyalty-test-{secrets.token_hex(4)}"
    yield prefix
    server = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for key in server.scan_iter(match=f"*{prefix}*"):
        server.delete(key)


def test_a_shared_store_limits_across_processes(database, shop, redis_prefix):
    """Two app instances (two gunicorn workers, two hosts) share the counts in Redis."""
    config = {
        "TESTING": True,
        "DATABASE": database,
        "SECRET_KEY": "test-secret-key",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "SIGN_IN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
    }
    first, second = create_app(config), create_app(config)
    a = from_address(first.test_client(), "198.51.100.1")
    b = from_address(second.test_client(), "198.51.100.2")
    for client in (a, b, a):
        assert_problem(shop.sign_in(client, "wrong password"), 401, "unauthorized")
    assert_rate_limited(shop.sign_in(b))
    assert_rate_limited(shop.sign_in(a))
    keys = list(
        redis.Redis.from_url("redis://127.0.0.1:6379/0").scan_iter(match=f"*{redis_prefix}*")
    )
    assert keys, "the counts live in Redis"


def test_requests_no_limit_applies_to_never_reach_the_limiter(app, client, shop, monkeypatch):
    """The hot paths (a till's valid key, the admin page) pay nothing for the limits; a wrong
    key, or a sign-in, is counted."""
    checked = []
    limiter = app.extensions["rate_limits"].limiter
    for method in ("test", "hit"):
        real = getattr(limiter, method)
        monkeypatch.setattr(
            limiter, method, lambda *a, _real=real, **k: checked.append(a) or _real(*a, **k)
        )
    phone = "+447306506797"
    shop.add_customer(phone, points=10)
    auth.known_pos_keys.forget_all()
    assert (
        client.get(LOOKUP, query_string={"phone": phone}, headers=shop.pos_headers).status_code
        == 200
    )
    assert checked == []  # a valid key, even one not known yet: never limited (issue 19)
    token = shop.sign_in(client).json["token"]
    assert len(checked) == 3  # a sign-in: per address, per account and address, per account
    checked.clear()
    assert (
        client.get(LOOKUP, query_string={"phone": phone}, headers=shop.pos_headers).status_code
        == 200
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/admin/customers", headers=headers).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert checked == []
    wrong = client.get(LOOKUP, query_string={"phone": phone}, headers={"X-API-Key": "lpk_a_b"})
    assert_problem(wrong, 401, "unauthorized")
    assert len(checked) == 1  # a wrong key: its failure counted (and checked) at once


def test_an_answer_that_was_not_limited_says_nothing_about_retrying(app, shop):
    """Retry-After belongs to a 429 (or a 503): on a 200 a till would read it as an order."""
    client = from_address(app.test_client(), "192.0.2.40")
    auth.known_pos_keys.forget_all()  # the key is checked against the failed-key limit
    phone = "+447306506797"
    shop.add_customer(phone, points=10)
    lookup = client.get(LOOKUP, query_string={"phone": phone}, headers=shop.pos_headers)
    assert lookup.status_code == 200
    assert "Retry-After" not in lookup.headers
    signed_in = shop.sign_in(client)
    assert signed_in.status_code == 200
    assert "Retry-After" not in signed_in.headers


def test_a_limited_sign_in_is_told_when_the_window_frees_up(app, shop, monkeypatch):
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])  # the limits' clock, and the answer's
    client = from_address(app.test_client(), "192.0.2.41")
    attempts = int(app.config["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"].split()[0])
    shop.sign_in(client, "wrong password")  # the oldest failure in the window
    now[0] += 60
    for _ in range(attempts - 1):
        shop.sign_in(client, "wrong password")
    limited = shop.sign_in(client, "wrong password")
    assert_rate_limited(limited)
    # "10 per 15 minutes": the oldest failure, a minute old now, leaves the window in 14.
    assert 14 * 60 - 2 <= int(limited.headers["Retry-After"]) <= 14 * 60 + 1


def test_a_limited_request_is_answered_even_when_the_limits_store_fails_to_say_when(
    app, shop, monkeypatch
):
    """Working out Retry-After asks the limits' store; if that fails, the 429 still answers
    (with the limit's whole period), never a 500."""
    client = from_address(app.test_client(), "192.0.2.42")
    attempts = int(app.config["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"].split()[0])
    for _ in range(attempts):
        shop.sign_in(client, "wrong password")

    def store_gone(self):
        raise ConnectionError("the limits' store went away")

    # A limit's reset time is read from its store's window.
    monkeypatch.setattr(RequestLimit, "reset_at", property(store_gone))
    limited = shop.sign_in(client, "wrong password")
    assert_rate_limited(limited)
    assert int(limited.headers["Retry-After"]) == 15 * 60
