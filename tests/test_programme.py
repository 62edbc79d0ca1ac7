"""The shop's programme over HTTP: its settings, earning from the bill, calculating, and returns
that take back what a purchase earned by the rule it was earned under."""

import pytest

from .helpers import assert_no_store, assert_problem, ledger_count

PHONE = "+447306506797"
PROGRAMME = "/api/admin/programme"
EARN = "/api/customer/loyalty/earn"
CALCULATE = "/api/customer/loyalty/calculate"
REDEEM = "/api/customer/loyalty/redeem"
LOOKUP = "/api/loyalty/phone-lookup"

ONE_PER_POUND = {
    "currency": "GBP",
    "timezone": "Europe/London",
    "spend_rule": {"points": 1, "per_amount_minor": 100},
    "visit_rule": {"points": 0, "min_spend_minor": 0},
    "expiry_months": 12,
    "point_value_minor": 1,
}


@pytest.fixture
def owner(client, shop, admin_headers):
    """The shop and its admin's headers."""
    return shop, admin_headers(shop)


def set_programme(client, owner, **changes):
    _shop, headers = owner
    response = client.put(PROGRAMME, json={**ONE_PER_POUND, **changes}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def bill(total, currency="GBP", excluded=0):
    return {"total_minor": total, "currency": currency, "excluded_minor": excluded}


def earn(client, shop, reference, purchase=None, points=None, phone=PHONE):
    body = {"phone": phone, "transaction_reference": reference}
    body.update({"purchase": purchase} if purchase is not None else {"points": points})
    return client.post(EARN, json=body, headers=shop.pos_headers)


def card(client, shop, phone=PHONE):
    return client.get(LOOKUP, query_string={"phone": phone}, headers=shop.pos_headers).json


def return_purchase(client, shop, earn_reference, reference, **body):
    return client.post(
        f"{EARN}/{earn_reference}/reverse",
        json={"transaction_reference": reference, **body},
        headers=shop.pos_headers,
    )


# ---- settings ----------------------------------------------------------------------------


def test_a_new_shop_has_version_0_no_rules_no_expiry_and_its_regions_money(client, owner):
    shop, headers = owner
    response = client.get(PROGRAMME, headers=headers)
    assert response.status_code == 200
    assert_no_store(response)
    body = response.json
    assert body["version"] == 0 and isinstance(body["version"], int)
    assert (body["currency"], body["timezone"]) == ("GBP", "Europe/London")
    assert (body["spend_rule"], body["expiry_months"]) == (None, None)
    assert body["visit_rule"] == {"points": 0, "min_spend_minor": 0}
    # ... so today's tills, which send points, keep working unchanged.
    assert earn(client, shop, "T-1", points=10).status_code == 201


def test_a_us_shop_starts_in_dollars(client, make_shop, admin_headers):
    shop = make_shop("US")
    assert client.get(PROGRAMME, headers=admin_headers(shop)).json["currency"] == "USD"


def test_each_put_is_a_new_version_with_who_set_it(client, owner):
    first = set_programme(client, owner)
    second = set_programme(client, owner, expiry_months=None)
    assert (first["version"], second["version"]) == (1, 2)
    assert second["set_by"] == owner[0].admin_email
    assert second["updated_at"].endswith("+00:00")
    assert client.get(PROGRAMME, headers=owner[1]).json == second


@pytest.mark.parametrize(
    ("changes", "bad_field"),
    [
        ({"currency": "gbp"}, "currency"),
        ({"currency": "ZZZ"}, "currency"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"spend_rule": {"points": -1, "per_amount_minor": 100}}, "spend_rule.points"),
        ({"spend_rule": {"points": 1, "per_amount_minor": 0}}, "spend_rule.per_amount_minor"),
        ({"spend_rule": {"points": 1.5, "per_amount_minor": 100}}, "spend_rule.points"),
        ({"visit_rule": {"points": 1, "min_spend_minor": -5}}, "visit_rule.min_spend_minor"),
        ({"expiry_months": 0}, "expiry_months"),
        ({"expiry_months": 121}, "expiry_months"),
        ({"point_value_minor": -1}, "point_value_minor"),
        ({"version": 9}, "version"),
        ({"updated_at": "2026-01-01T00:00:00Z"}, "updated_at"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_setting_is_422_naming_the_field_and_changes_nothing(client, owner, changes,
                                                                    bad_field):  # fmt: skip
    before = set_programme(client, owner)
    response = client.put(PROGRAMME, json={**ONE_PER_POUND, **changes}, headers=owner[1])
    body = assert_problem(response, 422, "validation_error")
    assert bad_field in body["errors"], body["errors"]
    assert client.get(PROGRAMME, headers=owner[1]).json == before


def test_the_whole_object_is_required(client, owner):
    partial = {k: v for k, v in ONE_PER_POUND.items() if k != "expiry_months"}
    body = assert_problem(client.put(PROGRAMME, json=partial, headers=owner[1]), 422,
                          "validation_error")  # fmt: skip
    assert "expiry_months" in body["errors"]


def test_the_programme_needs_an_admin(client, shop):
    assert_problem(client.get(PROGRAMME, headers=shop.pos_headers), 401, "unauthorized")


# ---- earn from the bill --------------------------------------------------------------------


def test_earning_from_the_bill_records_how_it_was_computed(client, owner):
    shop, _headers = owner
    version = set_programme(client, owner, visit_rule={"points": 5, "min_spend_minor": 1000})[
        "version"
    ]
    response = earn(client, shop, "B-1", bill(2500, excluded=150))
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["points_earned"], body["programme_version"]) == (28, version)
    assert body["expires_at"] is not None
    entry = client.get(
        "/api/loyalty/transactions", query_string={"phone": PHONE}, headers=shop.pos_headers
    ).json["items"][0]
    assert entry["operation_details"] == {
        "purchase": {"total_minor": 2500, "currency": "GBP", "excluded_minor": 150},
        "programme": {"version": version, "eligible_minor": 2350, "spend_points": 23,
                      "visit_points": 5},
    }  # fmt: skip
    assert entry["points_change"] == 28


def test_the_same_bill_replays_and_another_bill_is_refused(client, owner):
    shop, _ = owner
    set_programme(client, owner)
    first = earn(client, shop, "B-2", bill(2350))
    set_programme(client, owner, spend_rule={"points": 5, "per_amount_minor": 100})
    again = earn(client, shop, "B-2", bill(2350))  # the rule changed: still the same earn
    assert again.status_code == 200
    assert again.json == {**first.json, "replayed": True}
    assert_problem(earn(client, shop, "B-2", bill(2351)), 422, "transaction_reference_reused")
    assert_problem(earn(client, shop, "B-2", points=23), 422, "transaction_reference_reused")
    assert card(client, shop)["points_balance"] == 23


def test_a_bill_that_earns_nothing_is_still_recorded(client, owner):
    shop, _ = owner
    set_programme(client, owner)
    response = earn(client, shop, "B-3", bill(99))
    assert response.status_code == 201
    assert response.json["points_earned"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": 5, "purchase": bill(100)}, "purchase"),
        ({}, "points"),
        ({"purchase": bill(100, excluded=101)}, "purchase.excluded_minor"),
        ({"purchase": bill(-1)}, "purchase.total_minor"),
        ({"purchase": bill(10**10 + 1)}, "purchase.total_minor"),
        ({"purchase": {**bill(100), "total_minor": 1.5}}, "purchase.total_minor"),
        ({"purchase": {**bill(100), "tip": 3}}, "purchase.tip"),
        ({"points": 5, "details": {"programme": {"version": 99}}}, "details"),
    ],
)
def test_points_or_bill_exactly_one_and_well_formed(client, owner, conn, body, field):
    shop, _ = owner
    set_programme(client, owner)
    before = ledger_count(conn, shop.tenant.id)
    response = client.post(EARN, json={"phone": PHONE, "transaction_reference": "X-1", **body},
                           headers=shop.pos_headers)  # fmt: skip
    assert field in assert_problem(response, 422, "validation_error")["errors"]
    assert ledger_count(conn, shop.tenant.id) == before


def test_a_bill_in_another_currency_or_without_a_rule(client, owner):
    shop, _ = owner
    assert_problem(earn(client, shop, "B-4", bill(2350)), 422, "no_earn_rule")
    set_programme(client, owner)
    assert_problem(earn(client, shop, "B-4", bill(2350, "EUR")), 422, "currency_mismatch")


def test_calculate_says_what_a_bill_would_earn_and_writes_nothing(client, owner, conn):
    shop, _ = owner
    version = set_programme(client, owner)["version"]
    before = ledger_count(conn, shop.tenant.id)
    response = client.post(CALCULATE, json={"purchase": bill(2350)}, headers=shop.pos_headers)
    assert response.status_code == 200
    assert (response.json["points"], response.json["programme_version"]) == (23, version)
    assert ledger_count(conn, shop.tenant.id) == before
    assert_problem(client.post(CALCULATE, json={"purchase": bill(1, "USD")},
                               headers=shop.pos_headers), 422, "currency_mismatch")  # fmt: skip


def test_the_draft_preview_uses_the_servers_rule(client, owner):
    _shop, headers = owner
    draft = {**ONE_PER_POUND, "spend_rule": {"points": 2, "per_amount_minor": 100}}
    body = {"programme": draft, "purchase": bill(2350)}
    response = client.post(f"{PROGRAMME}/calculate", json=body, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["points"] == 46
    assert client.get(PROGRAMME, headers=headers).json["version"] == 0  # nothing saved


# ---- returns -------------------------------------------------------------------------------


def test_a_return_uses_the_rule_the_earn_was_made_under(client, owner):
    shop, _ = owner
    set_programme(client, owner)  # 1 point per £1
    assert earn(client, shop, "B-5", bill(2000)).json["points_earned"] == 20
    set_programme(client, owner, spend_rule={"points": 10, "per_amount_minor": 100})
    response = return_purchase(client, shop, "B-5", "RET-1", returned_minor=1000, reason="shoes")
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["operation_type"], body["points_reversed"], body["returned_minor"]) == (
        "reverse_earn", 10, 1000,
    )  # fmt: skip
    assert (body["points_balance"], body["total_points_earned"]) == (10, 10)
    again = return_purchase(client, shop, "B-5", "RET-1", returned_minor=1000, reason="shoes")
    assert again.status_code == 200 and again.json == {**body, "replayed": True}


def test_three_partial_returns_cannot_overshoot(client, owner):
    shop, _ = owner
    set_programme(client, owner)
    earn(client, shop, "B-6", bill(2350))  # 23 points
    taken = [return_purchase(client, shop, "B-6", f"R-{i}", returned_minor=1000).json
             for i in (1, 2)]  # fmt: skip
    assert [t["points_reversed"] for t in taken] == [9, 9]
    over = return_purchase(client, shop, "B-6", "R-3", returned_minor=500)
    assert_problem(over, 409, "reversal_exceeds_earn")
    rest = return_purchase(client, shop, "B-6", "R-4")
    assert (rest.json["points_reversed"], rest.json["returned_minor"]) == (5, 350)
    assert card(client, shop)["points_balance"] == 0
    assert_problem(return_purchase(client, shop, "B-6", "R-5"), 409, "reversal_exceeds_earn")


def test_a_return_after_the_points_were_spent_says_what_it_could_not_take(client, owner):
    shop, _ = owner
    set_programme(client, owner)
    earn(client, shop, "B-7", bill(5000))  # 50 points
    client.post(REDEEM, json={"phone": PHONE, "points": 40, "transaction_reference": "O-1"},
                headers=shop.pos_headers)  # fmt: skip
    response = return_purchase(client, shop, "B-7", "R-7")
    assert response.status_code == 201
    assert (response.json["points_reversed"], response.json["points_unrecovered"]) == (10, 40)
    assert response.json["points_balance"] == 0
    entry = client.get(
        "/api/loyalty/transactions", query_string={"phone": PHONE}, headers=shop.pos_headers
    ).json["items"][0]
    assert entry["operation_details"]["points_unrecovered"] == 40
    # The whole bill is returned: nothing more can be taken for it later.
    assert_problem(return_purchase(client, shop, "B-7", "R-8"), 409, "reversal_exceeds_earn")


def test_an_earn_of_points_is_returned_whole(client, owner):
    shop, _ = owner
    earn(client, shop, "P-1", points=30)
    assert_problem(return_purchase(client, shop, "P-1", "R-9", returned_minor=100), 409,
                   "reversal_exceeds_earn")  # fmt: skip
    assert return_purchase(client, shop, "P-1", "R-9").json["points_reversed"] == 30


def test_returning_an_unknown_earn_is_404(client, owner):
    assert_problem(return_purchase(client, owner[0], "nope", "R-10"), 404, "transaction_not_found")


def test_the_admin_returns_a_purchase_from_the_ledger(client, owner):
    shop, headers = owner
    set_programme(client, owner)
    earned = earn(client, shop, "B-8", bill(4000)).json
    url = (f"/api/admin/customers/{earned['customer_id']}/transactions/"
           f"{earned['transaction_id']}/reversals")  # fmt: skip
    part = client.post(url, json={"returned_minor": 1000, "transaction_reference": "A-1"},
                       headers=headers)  # fmt: skip
    assert part.status_code == 201, part.json
    assert part.json["points_reversed"] == 10
    by_points = client.post(url, json={"points": 5}, headers=headers)
    assert "points" in assert_problem(by_points, 422, "validation_error")["errors"]
    rest = client.post(url, json={}, headers=headers)
    assert (rest.json["points_reversed"], rest.json["points_balance"]) == (30, 0)


def test_lookup_and_list_show_the_points_that_expire_next(client, owner):
    shop, headers = owner
    earn(client, shop, "P-0", points=5)  # before expiry was set: never expires
    set_programme(client, owner, expiry_months=12)
    earn(client, shop, "B-9", bill(4000))
    looked_up = card(client, shop)["expiring"]
    assert looked_up["points"] == 40
    assert looked_up["expires_at"].endswith("+00:00")
    listed = client.get("/api/admin/customers", headers=headers).json["items"][0]
    assert listed["expiring"] == looked_up
