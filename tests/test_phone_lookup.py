"""GET /api/loyalty/phone-lookup: what a POS terminal sends, and what it must never see."""

import pytest

from .helpers import assert_no_store, assert_problem

LOOKUP = "/api/loyalty/phone-lookup"


def lookup(client, shop, raw_query: str):
    return client.get(f"{LOOKUP}?{raw_query}", headers=shop.pos_headers)


def test_lookup_returns_the_customer_card(client, shop):
    shop.add_customer("+447306506797", points=120, name="Alex Morgan")
    response = lookup(client, shop, "phone=%2B447306506797")
    assert response.status_code == 200
    assert_no_store(response)
    body = response.json
    assert body["phone"] == "+447306506797"
    assert body["name"] == "Alex Morgan"
    assert body["points_balance"] == 120
    assert body["total_points_earned"] == 120
    assert body["total_points_redeemed"] == 0
    assert body["updated_at"].endswith("+00:00")
    assert isinstance(body["customer_id"], int)


@pytest.mark.parametrize(
    "raw_query",
    [
        "phone=%2B447306506797",  # E.164, encoded
        "phone=+447306506797",  # the POS did not percent-encode the plus
        "phone=07306%20506797",  # national, spaces
        "phone=07306+506797",  # national, space form-encoded as +
        "phone=07306-506-797",  # dashes
        "phone=%2807306%29%20506797",  # parentheses
        "phone=00447306506797",  # 00 international prefix
        "phone=%2B44%20%280%29%207306%20506797",  # +44 (0) 7306 506797
    ],
)
def test_lookup_accepts_what_pos_terminals_send(client, shop, raw_query):
    shop.add_customer("+447306506797", points=5)
    response = lookup(client, shop, raw_query)
    assert response.status_code == 200, response.json
    assert response.json["phone"] == "+447306506797"


def test_national_numbers_are_read_in_the_tenants_region(client, make_shop):
    us_shop = make_shop(region="US")
    us_shop.add_customer("+14155550123", points=1)
    response = lookup(client, us_shop, "phone=%28415%29%20555-0123")
    assert response.status_code == 200
    assert response.json["phone"] == "+14155550123"


@pytest.mark.parametrize("phone", ["hello", "123", "+44 7306", "0730650679712345"])
def test_unparsable_number_is_invalid_phone(client, shop, phone):
    response = client.get(LOOKUP, query_string={"phone": phone}, headers=shop.pos_headers)
    assert_problem(response, 422, "invalid_phone")


def test_missing_phone_is_a_validation_error_naming_the_field(client, shop):
    body = assert_problem(client.get(LOOKUP, headers=shop.pos_headers), 422, "validation_error")
    assert "phone" in body["errors"]


def test_unknown_customer_is_not_found(client, shop):
    response = lookup(client, shop, "phone=%2B447306506797")
    assert_problem(response, 404, "customer_not_found")


def test_another_tenants_customer_is_not_found(client, make_shop):
    mine, theirs = make_shop(), make_shop()
    theirs.add_customer("+447306506797", points=500)
    response = lookup(client, mine, "phone=%2B447306506797")
    assert_problem(response, 404, "customer_not_found")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": "nonsense"},
        {"X-API-Key": "lpk_000000000000_wrong"},
    ],
)
def test_missing_or_wrong_key_is_unauthorized(client, shop, headers):
    shop.add_customer("+447306506797", points=5)
    response = client.get(f"{LOOKUP}?phone=%2B447306506797", headers=headers)
    assert_problem(response, 401, "unauthorized")


def test_right_prefix_with_wrong_secret_is_unauthorized(client, shop):
    prefix = shop.key.split("_")[1]
    response = client.get(
        f"{LOOKUP}?phone=%2B447306506797", headers={"X-API-Key": f"lpk_{prefix}_guess"}
    )
    assert_problem(response, 401, "unauthorized")


def test_revoked_key_is_unauthorized(client, shop):
    from service.auth import revoke_pos_key

    shop.add_customer("+447306506797", points=5)
    assert lookup(client, shop, "phone=%2B447306506797").status_code == 200
    assert revoke_pos_key(shop.conn, shop.key.split("_")[1])
    assert_problem(lookup(client, shop, "phone=%2B447306506797"), 401, "unauthorized")
