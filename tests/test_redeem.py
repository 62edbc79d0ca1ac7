"""POST/PUT /api/customer/loyalty/redeem: redeem once, replay safely, reject clearly."""

import json

import pytest

from .helpers import REDEEM, assert_no_store, assert_problem, balance_rows, ledger_count

PHONE = "+447306506797"


def balance(client, shop, phone=PHONE) -> int:
    return shop.till(client).lookup(phone).json["points_balance"]


@pytest.mark.parametrize("method", ["post", "put"])
def test_redeem_takes_points_and_logs_one_ledger_row(client, shop, method):
    shop.add_customer(PHONE, points=200)
    before = ledger_count(shop.conn, shop.tenant.id)
    till = shop.till(client)
    response = till.redeem(20, "order-1", phone="07306 506797", method=method, details={"till": 3})
    assert response.status_code == 201, response.json
    assert_no_store(response)
    body = response.json
    assert body["points_redeemed"] == 20
    assert body["points_balance"] == 180
    assert body["total_points_redeemed"] == 20
    assert body["phone"] == PHONE
    assert body["transaction_reference"] == "order-1"
    assert body["replayed"] is False
    assert body["created_at"].endswith("+00:00")
    assert balance(client, shop) == 180
    assert ledger_count(shop.conn, shop.tenant.id) == before + 1
    with shop.conn.cursor() as cur:
        cur.execute(
            "SELECT operation_type, points_amount, transaction_reference, operation_details "
            "FROM phone_loyalty_transactions WHERE id = %s",
            (body["transaction_id"],),
        )
        row = cur.fetchone()
    assert row["operation_type"] == "redeem_points"
    assert row["points_amount"] == 20
    assert row["transaction_reference"] == b"order-1"  # stored as bytes, compared as bytes
    assert json.loads(row["operation_details"]) == {"till": 3}


@pytest.mark.parametrize("retry_method", ["post", "put"])
def test_retry_with_same_reference_replays_and_redeems_nothing(client, shop, retry_method):
    shop.add_customer(PHONE, points=200)
    first = shop.till(client, PHONE).redeem(20, "order-7")
    shop.till(client, PHONE).redeem(30, "order-8")
    retry = shop.till(client).redeem(20, "order-7", phone="07306506797", method=retry_method)
    assert retry.status_code == 200
    assert retry.json == {**first.json, "replayed": True}
    assert balance(client, shop) == 150


def test_same_reference_with_another_body_is_rejected(client, shop):
    shop.add_customer(PHONE, points=200)
    shop.add_customer("+447306506798", points=200)
    shop.till(client, PHONE).redeem(20, "order-9")
    for body in (
        {"phone": PHONE, "points": 25, "transaction_reference": "order-9"},
        {"phone": PHONE, "points": 20, "transaction_reference": "order-9", "details": {"a": 1}},
        {"phone": "+447306506798", "points": 20, "transaction_reference": "order-9"},
    ):
        response = shop.till(client).send("post", REDEEM, body)
        assert_problem(response, 422, "transaction_reference_reused")
    assert balance(client, shop) == 180
    assert balance(client, shop, "+447306506798") == 200


def test_references_belong_to_their_tenant(client, make_shop):
    one, two = make_shop(), make_shop()
    for shop in (one, two):
        shop.add_customer(PHONE, points=100)
        response = shop.till(client, PHONE).redeem(10, "order-1")
        assert response.status_code == 201
        assert response.json["replayed"] is False


def test_not_enough_points_is_a_conflict_with_the_balance(client, shop):
    shop.add_customer(PHONE, points=15)
    response = shop.till(client, PHONE).redeem(20, "order-2")
    body = assert_problem(response, 409, "insufficient_points")
    assert body["points_balance"] == 15
    assert balance(client, shop) == 15


def test_redeeming_exactly_the_balance_leaves_zero(client, shop):
    shop.add_customer(PHONE, points=15)
    response = shop.till(client, PHONE).redeem(15, "order-3")
    assert response.json["points_balance"] == 0


def test_unknown_customer_is_not_found_and_nothing_is_written(client, shop):
    before = ledger_count(shop.conn, shop.tenant.id)
    response = shop.till(client, PHONE).redeem(1, "order-4")
    assert_problem(response, 404, "customer_not_found")
    assert ledger_count(shop.conn, shop.tenant.id) == before


def test_invalid_phone(client, shop):
    response = shop.till(client).redeem(1, "o", phone="not a phone")
    assert_problem(response, 422, "invalid_phone")


VALID = {"phone": PHONE, "points": 10, "transaction_reference": "order-5"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"points": 0}, "points"),
        ({"points": -5}, "points"),
        ({"points": 1.5}, "points"),
        ({"points": "10"}, "points"),
        ({"points": True}, "points"),
        ({"points": 1_000_001}, "points"),
        ({"points": None}, "points"),
        ({"transaction_reference": ""}, "transaction_reference"),
        ({"transaction_reference": "x" * 65}, "transaction_reference"),
        ({"transaction_reference": 42}, "transaction_reference"),
        ({"phone": 447306506797}, "phone"),
        ({"details": [1, 2]}, "details"),
        ({"details": "note"}, "details"),
        ({"details": {"blob": "x" * 5000}}, "details"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_fields_are_named_and_nothing_is_written(client, shop, change, field):
    shop.add_customer(PHONE, points=200)
    before = balance_rows(shop.conn)
    response = shop.till(client).send("post", REDEEM, {**VALID, **change})
    body = assert_problem(response, 422, "validation_error")
    assert field in body["errors"]
    assert field in body["detail"]
    assert balance_rows(shop.conn) == before


@pytest.mark.parametrize("missing", ["phone", "points", "transaction_reference"])
def test_missing_fields_are_named(client, shop, missing):
    body = {k: v for k, v in VALID.items() if k != missing}
    problem = assert_problem(shop.till(client).send("post", REDEEM, body), 422, "validation_error")
    assert missing in problem["errors"]


def test_malformed_json_is_a_problem_not_a_crash(client, shop):
    response = client.post(
        REDEEM, data='{"phone": ', content_type="application/json", headers=shop.pos_headers
    )
    assert_problem(response, 400, "malformed_json")


def test_body_over_16_kb_is_refused(client, shop):
    response = client.post(
        REDEEM,
        data=json.dumps({**VALID, "details": {"x": "y" * 17_000}}),
        content_type="application/json",
        headers=shop.pos_headers,
    )
    assert_problem(response, 413, "payload_too_large")


def test_cannot_redeem_another_tenants_customer(client, make_shop):
    mine, theirs = make_shop(), make_shop()
    theirs.add_customer(PHONE, points=500)
    response = mine.till(client, PHONE).redeem(100, "steal")
    assert_problem(response, 404, "customer_not_found")
    assert balance(client, theirs) == 500


def test_credentials_are_checked_before_the_body(client, shop):
    response = client.post(REDEEM, json={"nonsense": True})
    assert_problem(response, 401, "unauthorized")


def test_no_html_error_pages(client, shop):
    assert_problem(client.get("/api/nowhere"), 404, "not_found")
    response = client.delete(REDEEM, headers=shop.pos_headers)
    assert_problem(response, 405, "method_not_allowed")
