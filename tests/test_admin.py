"""Admin sign-in and GET /api/admin/customers."""

import time

import pytest
from itsdangerous import TimestampSigner

from .conftest import ADMIN_PASSWORD
from .helpers import assert_no_store, assert_problem

CUSTOMERS = "/api/admin/customers"


def test_sign_in_returns_a_token_that_expires(client, shop):
    response = client.post(
        "/api/admin/session",
        json={"tenant": shop.tenant.slug, "email": shop.admin_email, "password": ADMIN_PASSWORD},
    )
    assert response.status_code == 200
    assert_no_store(response)
    assert response.json["token"]
    assert response.json["expires_at"].endswith("+00:00")
    assert response.json["tenant"] == shop.tenant.slug
    assert "password" not in response.json


@pytest.mark.parametrize(
    "change",
    [{"password": "wrong password"}, {"email": "nobody@x.test"}, {"tenant": "no-such-shop"}],
)
def test_wrong_credentials_are_unauthorized(client, shop, change):
    body = {"tenant": shop.tenant.slug, "email": shop.admin_email, "password": ADMIN_PASSWORD}
    response = client.post("/api/admin/session", json={**body, **change})
    assert_problem(response, 401, "unauthorized")


def test_list_shows_the_tenants_customers_newest_change_first(client, shop, admin_headers):
    shop.add_customer("+447306506701", points=10, name="First")
    shop.add_customer("+447306506702", points=20, name="Second")
    shop.add_customer("+447306506703", points=30, name="Third")
    response = client.get(CUSTOMERS, headers=admin_headers(shop))
    assert response.status_code == 200
    assert_no_store(response)
    body = response.json
    assert body["total"] == 3
    assert (body["page"], body["per_page"]) == (1, 50)
    assert [c["name"] for c in body["items"]] == ["Third", "Second", "First"]
    assert set(body["items"][0]) == {
        "customer_id",
        "name",
        "phone",
        "points_balance",
        "total_points_earned",
        "total_points_redeemed",
        "updated_at",
    }


def test_search_by_name_or_phone_digits(client, shop, admin_headers):
    shop.add_customer("+447306506701", name="Alice Patel")
    shop.add_customer("+447306506702", name="Bob Smith")
    headers = admin_headers(shop)

    def names(q):
        items = client.get(CUSTOMERS, query_string={"q": q}, headers=headers).json["items"]
        return sorted(c["name"] for c in items)

    assert names("alice") == ["Alice Patel"]
    assert names("6702") == ["Bob Smith"]
    assert names("07306 506701") == ["Alice Patel"]
    assert names("7306") == ["Alice Patel", "Bob Smith"]
    assert names("%") == []  # LIKE wildcards are matched literally


def test_pagination(client, shop, admin_headers):
    for i in range(5):
        shop.add_customer(f"+4473065067{i:02d}", name=f"C{i}")
    headers = admin_headers(shop)
    pages = [
        client.get(CUSTOMERS, query_string={"page": p, "per_page": 2}, headers=headers).json
        for p in (1, 2, 3)
    ]
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert all(p["total"] == 5 for p in pages)
    seen = [c["name"] for p in pages for c in p["items"]]
    assert sorted(seen) == [f"C{i}" for i in range(5)]


@pytest.mark.parametrize(
    "query", [{"per_page": 201}, {"per_page": 0}, {"page": 0}, {"page": "two"}]
)
def test_bad_list_parameters(client, shop, admin_headers, query):
    response = client.get(CUSTOMERS, query_string=query, headers=admin_headers(shop))
    assert_problem(response, 422, "validation_error")


def test_admin_sees_only_their_own_tenant(client, make_shop, admin_headers):
    mine, theirs = make_shop(), make_shop()
    mine.add_customer("+447306506701", name="Mine")
    theirs.add_customer("+447306506702", name="Theirs")
    items = client.get(CUSTOMERS, headers=admin_headers(mine)).json["items"]
    assert [c["name"] for c in items] == ["Mine"]


def test_a_pos_key_is_not_an_admin_session(client, shop):
    response = client.get(CUSTOMERS, headers={**shop.pos_headers, "Authorization": shop.key})
    assert_problem(response, 401, "unauthorized")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer forged.token.value", "Basic abc"])
def test_missing_or_forged_token_is_unauthorized(client, header):
    headers = {"Authorization": header} if header else {}
    assert_problem(client.get(CUSTOMERS, headers=headers), 401, "unauthorized")


def test_token_signed_with_another_key_is_unauthorized(app, client, shop, admin_headers):
    headers = admin_headers(shop)
    app.config["SECRET_KEY"], saved = "another-key", app.config["SECRET_KEY"]
    try:
        assert_problem(client.get(CUSTOMERS, headers=headers), 401, "unauthorized")
    finally:
        app.config["SECRET_KEY"] = saved


def test_expired_token_is_unauthorized_and_says_so(client, shop, admin_headers, monkeypatch):
    real_now = time.time()
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(real_now) - 13 * 3600)
    headers = admin_headers(shop)
    monkeypatch.undo()
    body = assert_problem(client.get(CUSTOMERS, headers=headers), 401, "unauthorized")
    assert "expired" in body["detail"]
    assert body["expired"] is True
