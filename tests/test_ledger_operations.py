"""Earn, reverse, adjust and the POS history: the same rules as redemption for each."""

import pytest

from .helpers import EARN, assert_no_store, assert_problem, ledger_count

PHONE = "+447306506797"


def card(client, shop, phone=PHONE):
    return shop.till(client).lookup(phone).json


# ---- earn ------------------------------------------------------------------------------


def test_earning_enrols_an_unknown_phone(client, shop):
    response = shop.till(client).earn(50, "order-1", phone="07306 506797", name="Alex")
    assert response.status_code == 201, response.json
    assert_no_store(response)
    body = response.json
    assert (body["points_earned"], body["points_balance"], body["total_points_earned"]) == (
        50, 50, 50,
    )  # fmt: skip
    assert body["replayed"] is False
    assert card(client, shop)["name"] == "Alex"


def test_earning_adds_to_a_known_customer_and_replays(client, shop):
    shop.add_customer(PHONE, points=100)
    first = shop.till(client, PHONE).earn(25, "order-2")
    again = shop.till(client, PHONE).earn(25, "order-2")
    assert first.json["points_balance"] == 125
    assert again.status_code == 200
    assert again.json == {**first.json, "replayed": True}
    other = shop.till(client, PHONE).earn(30, "order-2")
    assert_problem(other, 422, "transaction_reference_reused")
    assert card(client, shop)["points_balance"] == 125


def test_earn_and_redeem_references_are_separate(client, shop):
    shop.add_customer(PHONE, points=100)
    assert shop.till(client, PHONE).earn(10, "o-1").status_code == 201
    assert shop.till(client, PHONE).redeem(10, "o-1").status_code == 201


@pytest.mark.parametrize("change", [{"points": 0}, {"points": "5"}, {"name": ""}, {"x": 1}])
def test_earn_validation(client, shop, change):
    body = {"phone": PHONE, "points": 5, "transaction_reference": "o", **change}
    assert_problem(client.post(EARN, json=body, headers=shop.pos_headers), 422, "validation_error")
    assert card(client, shop).get("code") == "customer_not_found"  # nobody was enrolled


# ---- reverse ---------------------------------------------------------------------------


@pytest.fixture
def redeemed(client, shop):
    """A customer with 200 earned who redeemed 80 for order-9."""
    shop.add_customer(PHONE, points=200)
    assert shop.till(client, PHONE).redeem(80, "order-9").status_code == 201
    return shop


def test_full_reversal_gives_everything_back(client, redeemed):
    response = redeemed.till(client).reverse("order-9", reason="order refunded")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["points_reversed"] == 80
    assert body["points_balance"] == 200
    assert body["total_points_redeemed"] == 0
    again = redeemed.till(client).reverse("order-9", reason="order refunded")
    assert again.status_code == 200
    assert again.json == {**body, "replayed": True}


def test_partial_reversals_never_exceed_the_redemption(client, redeemed):
    first = redeemed.till(client).reverse("order-9", points=30, transaction_reference="refund-1")
    second = redeemed.till(client).reverse("order-9", points=50, transaction_reference="refund-2")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json["points_balance"] == 200
    too_much = redeemed.till(client).reverse("order-9", points=1, transaction_reference="refund-3")
    body = assert_problem(too_much, 409, "reversal_exceeds_redemption")
    assert body["points_remaining"] == 0
    assert card(client, redeemed)["total_points_redeemed"] == 0


def test_over_reversal_in_one_go_is_refused(client, redeemed):
    response = redeemed.till(client).reverse("order-9", points=81)
    assert_problem(response, 409, "reversal_exceeds_redemption")
    assert card(client, redeemed)["points_balance"] == 120


def test_reversing_an_unknown_or_foreign_redemption_is_not_found(client, redeemed, make_shop):
    assert_problem(redeemed.till(client).reverse("order-404"), 404, "transaction_not_found")
    other = make_shop()
    assert_problem(other.till(client).reverse("order-9"), 404, "transaction_not_found")
    assert card(client, redeemed)["points_balance"] == 120


# ---- adjust ----------------------------------------------------------------------------


@pytest.fixture
def adjust(client, admin_headers):
    def call(shop, customer_id, **body):
        return client.post(
            f"/api/admin/customers/{customer_id}/adjustments",
            json=body,
            headers=admin_headers(shop),
        )

    return call


def customer_id(client, shop):
    return card(client, shop)["customer_id"]


def test_admin_adjusts_up_and_down_with_a_reason(client, shop, adjust):
    shop.add_customer(PHONE, points=100)
    cid = customer_id(client, shop)
    up = adjust(shop, cid, points=15, reason="goodwill")
    down = adjust(shop, cid, points=-40, reason="duplicate earning")
    assert (up.status_code, down.status_code) == (201, 201)
    assert down.json["points_adjusted"] == -40
    assert down.json["points_balance"] == 75
    assert card(client, shop)["total_points_earned"] == 100  # adjustments are not earnings


def test_adjustment_cannot_go_below_zero(client, shop, adjust):
    shop.add_customer(PHONE, points=10)
    response = adjust(shop, customer_id(client, shop), points=-11, reason="typo")
    assert_problem(response, 409, "insufficient_points")
    assert card(client, shop)["points_balance"] == 10


@pytest.mark.parametrize(
    "body", [{"points": 0, "reason": "x"}, {"points": 5}, {"points": 5, "reason": ""}]
)
def test_adjustment_needs_non_zero_points_and_a_reason(client, shop, adjust, body):
    shop.add_customer(PHONE, points=10)
    assert_problem(adjust(shop, customer_id(client, shop), **body), 422, "validation_error")


def test_adjustment_with_a_reference_replays(client, shop, adjust):
    shop.add_customer(PHONE, points=10)
    cid = customer_id(client, shop)
    first = adjust(shop, cid, points=5, reason="r", transaction_reference="ticket-7")
    again = adjust(shop, cid, points=5, reason="r", transaction_reference="ticket-7")
    assert again.status_code == 200 and again.json["transaction_id"] == first.json["transaction_id"]
    assert card(client, shop)["points_balance"] == 15


def test_adjusting_another_tenants_customer_is_not_found(client, make_shop, adjust):
    mine, theirs = make_shop(), make_shop()
    theirs.add_customer(PHONE, points=10)
    response = adjust(mine, customer_id(client, theirs), points=500, reason="steal")
    assert_problem(response, 404, "customer_not_found")
    assert card(client, theirs)["points_balance"] == 10


# ---- history and the invariants ----------------------------------------------------------


def test_pos_history_lists_every_operation_newest_first(client, redeemed, adjust):
    redeemed.till(client).reverse("order-9", points=20)
    adjust(redeemed, customer_id(client, redeemed), points=-5, reason="fix")
    response = client.get(
        "/api/loyalty/transactions",
        query_string={"phone": "07306506797"},
        headers=redeemed.pos_headers,
    )
    assert response.status_code == 200
    ops = [(e["operation_type"], e["points_amount"]) for e in response.json["items"]]
    assert ops == [
        ("adjust_points", -5),
        ("reverse_redemption", 20),
        ("redeem_points", 80),
        ("earn_points", 200),
        ("open_account", 0),
    ]
    assert response.json["items"][1]["operation_details"]["reverses_reference"] == "order-9"
    c = card(client, redeemed)
    # balance = earned + adjustments + reversals - redeemed: 200 - 5 + 20 - 80
    assert (c["points_balance"], c["total_points_redeemed"], c["total_points_earned"]) == (
        135,
        60,
        200,
    )


def test_pos_history_of_unknown_phone_is_not_found(client, shop):
    response = client.get(
        "/api/loyalty/transactions", query_string={"phone": PHONE}, headers=shop.pos_headers
    )
    assert_problem(response, 404, "customer_not_found")


def test_every_customer_has_an_opening_entry(client, shop):
    shop.add_customer(PHONE)
    shop.till(client).earn(5, "o-5", phone="+447306506798")
    with shop.conn.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) AS n FROM customers c WHERE c.tenant_id = %s AND NOT EXISTS ("
            "SELECT 1 FROM phone_loyalty_transactions t WHERE t.customer_id = c.id "
            "AND t.operation_type = 'open_account')",
            (shop.tenant.id,),
        )
        assert cur.fetchone()["n"] == 0
    assert ledger_count(shop.conn, shop.tenant.id) == 3
