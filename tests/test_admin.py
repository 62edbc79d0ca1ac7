"""Admin sign-in and GET /api/admin/customers."""

import time

import pytest
from itsdangerous import TimestampSigner

from .helpers import ADMIN_PASSWORD, assert_no_store, assert_problem, sign_in

CUSTOMERS = "/api/admin/customers"


def test_sign_in_returns_a_token_that_expires(client, shop):
    response = shop.sign_in(client)
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
    response = sign_in(client, **{**body, **change})
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
    assert (body["per_page"], body["next_cursor"], body["total_is_exact"]) == (50, None, True)
    assert [c["name"] for c in body["items"]] == ["Third", "Second", "First"]
    assert set(body["items"][0]) == {
        "customer_id",
        "name",
        "phone",
        "points_balance",
        "total_points_earned",
        "total_points_redeemed",
        "updated_at",
        "expiring",
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
    assert names("07306") == ["Alice Patel", "Bob Smith"]  # a number's beginning
    assert names("+44 7306 5067") == ["Alice Patel", "Bob Smith"]
    assert names("6701") == ["Alice Patel"]  # its last digits
    assert names("7306") == []  # four digits alone are an ending, not "contains"
    assert names("%") == []  # LIKE wildcards are matched literally
    assert names("_lice") == []


def walk(client, headers, **query) -> list[dict]:
    """Every page of a listing, following next_cursor."""
    pages, cursor = [], None
    for _ in range(50):
        params = {**query, **({"cursor": cursor} if cursor else {})}
        page = client.get(CUSTOMERS, query_string=params, headers=headers).json
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the listing never ended")


@pytest.mark.parametrize("query", [{}, {"q": "C"}, {"q": "07306"}, {"q": "+4473065067"}])
def test_keyset_pages_cover_everyone_once(client, shop, admin_headers, query):
    for i in range(5):
        shop.add_customer(f"+4473065067{i:02d}", name=f"C{i} Cee")
    headers = admin_headers(shop)
    pages = walk(client, headers, per_page=2, **query)
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert all(p["total"] == 5 and p["total_is_exact"] for p in pages)
    seen = [c["name"] for p in pages for c in p["items"]]
    assert sorted(seen) == [f"C{i} Cee" for i in range(5)]


def test_pages_stay_stable_while_rows_change(client, shop, admin_headers):
    """A customer on page 2 changes while the admin reads page 1, and moves to the top. With
    OFFSET paging every row would slide down one place and page 2 would repeat page 1's last
    row; with keyset pages nobody is shown twice and no unchanged customer is skipped."""
    phones = [shop.add_customer(f"+4473065067{i:02d}", points=10, name=f"C{i}") for i in range(6)]
    headers = admin_headers(shop)
    first = client.get(CUSTOMERS, query_string={"per_page": 3}, headers=headers).json
    oldest = phones[0]  # last in "most recently changed first": on page 2
    shop.till(client).redeem(1, "move-1", phone=oldest)
    second = client.get(
        CUSTOMERS, query_string={"per_page": 3, "cursor": first["next_cursor"]}, headers=headers
    ).json
    shown = [c["phone"] for c in first["items"] + second["items"]]
    assert len(shown) == len(set(shown))
    assert sorted(shown) == sorted(phones[1:])  # the mover is at the top of the next refresh
    top = client.get(CUSTOMERS, query_string={"per_page": 3}, headers=headers).json["items"][0]
    assert top["phone"] == oldest


def test_names_match_any_word_prefix_ignoring_case_and_accents(client, shop, admin_headers):
    shop.add_customer("+447306506701", name="José Núñez")
    shop.add_customer("+447306506702", name="Joseph Nunn")
    shop.add_customer("+447306506703", name="Ann Annabel Smith")
    headers = admin_headers(shop)

    def names(q):
        items = client.get(CUSTOMERS, query_string={"q": q}, headers=headers).json["items"]
        return sorted(c["name"] for c in items)

    assert names("jose") == ["Joseph Nunn", "José Núñez"]
    assert names("JOSÉ") == ["Joseph Nunn", "José Núñez"]
    assert names("nun jo") == ["Joseph Nunn", "José Núñez"]
    assert names("nunez") == ["José Núñez"]
    assert names("ann") == ["Ann Annabel Smith"]  # two matching words: listed once
    assert names("smi ann") == ["Ann Annabel Smith"]
    assert names("nez") == []  # a word's beginning, not its middle


@pytest.mark.parametrize(
    "query",
    [{"per_page": 201}, {"per_page": 0}, {"per_page": "two"}, {"cursor": ""}],
)
def test_bad_list_parameters(client, shop, admin_headers, query):
    response = client.get(CUSTOMERS, query_string=query, headers=admin_headers(shop))
    assert_problem(response, 422, "validation_error")


@pytest.mark.parametrize("cursor", ["garbage", "eyJrIjoibmFtZSIsImEiOlsiYSIsMV19"])
def test_foreign_or_forged_cursor_is_refused(client, shop, admin_headers, cursor):
    """The second cursor is a valid name-search cursor, sent to the unfiltered list."""
    response = client.get(CUSTOMERS, query_string={"cursor": cursor}, headers=admin_headers(shop))
    assert_problem(response, 422, "invalid_cursor")


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
