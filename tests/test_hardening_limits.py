"""Strangers cannot lock out a till or the owner, and each limit holds for the whole service
(issue 19, items 1 to 3)."""

import logging
from pathlib import Path

import pytest

from service import auth, create_app

from .conftest import ADMIN_PASSWORD
from .helpers import assert_problem
from .test_rate_limits import assert_rate_limited, from_address

LOOKUP = "/api/loyalty/phone-lookup"
PHONE = "+447306506797"
ROOT = Path(__file__).resolve().parent.parent


def amount(app, name: str) -> int:
    return int(app.config[name].split()[0])


def lookup(client, headers):
    return client.get(LOOKUP, query_string={"phone": PHONE}, headers=headers)


# ---- item 1: a valid till key is never refused because of wrong ones -------------------


def test_a_valid_key_is_served_from_an_address_that_sent_many_wrong_ones(app, shop):
    shop.add_customer(PHONE, points=10)
    client = from_address(app.test_client(), "192.0.2.60")
    wrong = {"X-API-Key": shop.key[:-4] + "AAAA"}
    for _ in range(amount(app, "POS_KEY_FAILURE_LIMIT")):
        assert_problem(lookup(client, wrong), 401, "unauthorized")
    assert_rate_limited(lookup(client, wrong))  # the guesser is slowed...
    # ... the shop's tills behind the same address are not, even where this worker has not
    # seen their key yet (another worker, or its memory expired).
    auth.known_pos_keys.forget_all()
    for _ in range(5):
        assert lookup(client, shop.pos_headers).status_code == 200
        auth.known_pos_keys.forget_all()
    assert_rate_limited(lookup(client, wrong))


def test_a_key_revoked_meanwhile_is_still_a_wrong_key(app, shop):
    client = from_address(app.test_client(), "192.0.2.61")
    garbage = {"X-API-Key": "not-a-key"}
    for _ in range(amount(app, "POS_KEY_FAILURE_LIMIT")):
        assert_problem(lookup(client, garbage), 401, "unauthorized")
    assert_rate_limited(lookup(client, {}))  # no key at all is a wrong key too


# ---- item 2: the owner is not locked out by strangers guessing -------------------------


def test_a_guesser_from_one_address_is_throttled_even_with_the_right_password(app, shop):
    client = from_address(app.test_client(), "192.0.2.70")
    for _ in range(amount(app, "SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS")):
        assert_problem(shop.sign_in(client, "wrong password"), 401, "unauthorized")
    assert_rate_limited(shop.sign_in(client, "wrong password"))
    # The right password from the guesser's address waits too: otherwise a 429 would tell
    # the guesser nothing and a 200 everything.
    assert_rate_limited(shop.sign_in(client))


def test_the_owner_signs_in_at_once_while_strangers_guess_from_eight_addresses(app, shop):
    per_pair = amount(app, "SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS")
    for i in range(8):
        stranger = from_address(app.test_client(), f"203.0.113.{i + 1}")
        for _ in range(per_pair + 3):
            shop.sign_in(stranger, "wrong password")
        assert_rate_limited(shop.sign_in(stranger, "wrong password"))
    owner = from_address(app.test_client(), "198.51.100.77")
    for _ in range(12):
        response = shop.sign_in(owner)
        assert response.status_code == 200, response.get_json()


def test_a_guess_spread_over_many_addresses_meets_the_account_ceiling(database, shop):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": database,
            "SECRET_KEY": "test-secret-key",
            "SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS": "2 per 15 minutes",
            "SIGN_IN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",
        }
    )
    for i in range(5):
        client = from_address(app.test_client(), f"203.0.113.{100 + i}")
        assert_problem(shop.sign_in(client, "wrong password"), 401, "unauthorized")
    newcomer = from_address(app.test_client(), "203.0.113.200")
    assert_rate_limited(shop.sign_in(newcomer, "wrong password"))


# ---- item 3: limits hold for the whole service --------------------------------------


def test_limits_kept_in_memory_are_divided_by_the_worker_count(database, monkeypatch, caplog):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    caplog.set_level(logging.WARNING)
    app = create_app({"TESTING": True, "DATABASE": database, "SECRET_KEY": "k"})
    assert app.config["POS_KEY_FAILURE_LIMIT"] == "7 per 1 minute"  # 30 per minute / 4
    assert app.config["SIGN_IN_LIMIT_PER_ADDRESS"] == "5 per 1 minute"
    assert "divided by 4" in caplog.text
    shared = create_app(
        {
            "TESTING": True,
            "DATABASE": database,
            "SECRET_KEY": "k",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        }
    )
    assert shared.config["POS_KEY_FAILURE_LIMIT"] == "30 per minute"


def test_a_single_process_keeps_its_limits(app):
    assert app.config["POS_KEY_FAILURE_LIMIT"] == "30 per minute"


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("scripts/run.sh", "RATELIMIT_STORAGE_URI=${RATELIMIT_STORAGE_URI:-redis://"),
        ("deploy/loyalty.env.example", "RATELIMIT_STORAGE_URI=redis://"),
        ("deploy/loyalty-api.service", "redis-server.service"),
    ],
)
def test_the_multi_worker_set_ups_share_their_counts_in_redis(path, needle):
    assert needle in (ROOT / path).read_text()


def test_a_stranger_cannot_use_up_the_owners_address_by_succeeding(app, shop):
    """Succeeding never counts against an account: the owner signing in often is fine."""
    client = from_address(app.test_client(), "192.0.2.80")
    for _ in range(amount(app, "SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS") + 2):
        assert shop.sign_in(client, ADMIN_PASSWORD).status_code == 200
