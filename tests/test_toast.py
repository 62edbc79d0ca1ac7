"""Toast restaurants using us as their loyalty provider (issue 20), through POST
/api/integrations/toast with Toast's published shapes (tests/fixtures/toast/)."""

import json
import threading
import time
import uuid
from contextlib import closing
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from service import customer_data, toast
from service.actors import system
from service.customer_data import erase_customer
from service.db import connect, run_query, transactions
from service.exceptions import OutcomeUnknown
from service.locations import add_location
from service.programme import set_programme
from service.rewards import set_rewards
from service.rules import REPORT_COLUMNS
from service.store import ledger

from .toast_terminal import Terminal, fixture, redemption, simple_check

ONE_PER_POUND = {
    "currency": "GBP",
    "timezone": "Europe/London",
    "spend_points": 1,
    "spend_per_amount_minor": 100,
    "visit_points": 0,
    "visit_min_spend_minor": 0,
    "expiry_months": None,
    "point_value_minor": 1,
}
REWARDS = [
    {"id": "off5", "name": "£5 off", "points": 500, "amount_minor": 500},
    {"id": "off2", "name": "£2 off", "points": 200, "amount_minor": 250},
]
PHONE = "+447306506797"


@pytest.fixture
def restaurant(client, shop):
    """A shop with a programme (1 point per £1), two rewards and a Toast restaurant bound at
    its location DUB; its terminal."""
    set_programme(shop.conn, shop.tenant, ONE_PER_POUND, "tests")
    set_rewards(shop.conn, shop.tenant, REWARDS)
    location = add_location(shop.conn, shop.tenant, "Dublin Road", "dub")
    guid = str(uuid.uuid4())
    key = toast.connect_restaurant(shop.conn, shop.tenant, guid, location["id"])
    return Terminal(client, key, guid)


def identifier_of(terminal, phone="7306506797") -> str:
    response = terminal.search(phone)
    assert response.status_code == 200, response.json
    return response.json["searchResponse"]["accounts"][0]["identifier"]


def balance(terminal, identifier) -> int:
    response = terminal.inquire(identifier)
    assert response.status_code == 200, response.json
    return int(response.json["checkResponse"]["accountInfo"]["pointsBalance"])


def rows(shop, operation_type=None):
    def read(cur):
        cur.execute(
            "SELECT id, operation_type, points_amount, operation_details, actor_kind, "
            "actor_label, location_id FROM phone_loyalty_transactions "
            "WHERE tenant_id = %s AND operation_type <> 'open_account' ORDER BY id",
            (shop.tenant.id,),
        )
        return [ledger._decode(r) for r in cur.fetchall()]

    found = run_query(shop.conn, read)
    return [r for r in found if operation_type in (None, r["operation_type"])]


def ledger_customer(shop) -> int:
    """The id of the shop's customer with PHONE."""

    def read(cur):
        cur.execute(
            "SELECT id FROM customers WHERE tenant_id = %s AND phone = %s", (shop.tenant.id, PHONE)
        )
        return cur.fetchone()["id"]

    return run_query(shop.conn, read)


def _stored_answers(cur, tenant_id: int) -> list[str]:
    cur.execute("SELECT response FROM toast_transactions WHERE tenant_id = %s", (tenant_id,))
    return [row["response"] for row in cur.fetchall()]


def assert_toast_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.json["transactionStatus"] == code
    assert response.json["message"]
    return response.json


# ---- credentials and transaction types ----------------------------------------------------


def test_a_wrong_key_is_error_invalid_token(restaurant, shop):
    shop.add_customer(PHONE, points=100)
    wrong = Terminal(restaurant.client, "ltk_not-a-key", restaurant.restaurant)
    assert_toast_error(wrong.search("7306506797"), 400, "ERROR_INVALID_TOKEN")
    missing = restaurant.send("LOYALTY_SEARCH", fixture("search_request"), Authorization="")
    assert_toast_error(missing, 400, "ERROR_INVALID_TOKEN")


def test_another_tenants_restaurant_with_this_key_is_refused(restaurant, shop, make_shop):
    other = make_shop()
    other.add_customer(PHONE, points=900)
    other_guid = str(uuid.uuid4())
    toast.connect_restaurant(other.conn, other.tenant, other_guid, None)
    spoofed = Terminal(restaurant.client, restaurant.key, other_guid)
    assert_toast_error(spoofed.search("7306506797"), 400, "ERROR_INVALID_RESTAURANT")
    unknown = Terminal(restaurant.client, restaurant.key, str(uuid.uuid4()))
    assert_toast_error(unknown.search("7306506797"), 400, "ERROR_INVALID_RESTAURANT")
    assert rows(other, "redeem_points") == []


def test_a_type_we_do_not_handle(restaurant):
    body = fixture("search_request")
    response = restaurant.send("LOYALTY_VALIDATE", body)
    assert_toast_error(response, 400, "ERROR_INVALID_TOAST_TRANSACTION_TYPE")


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("LOYALTY_SEARCH", fixture("accrue_request")),  # the body of another type
        ("LOYALTY_ACCRUE", {**fixture("accrue_request"), "toastTransactionType": "LOYALTY_REDEEM"}),
        ("LOYALTY_ACCRUE", {**fixture("accrue_request"), "surprise": 1}),
        ("LOYALTY_TRANSFER", {"transferTransactionInformation": {"fromLoyaltyIdentifier": "a"}}),
        ("LOYALTY_SIGNUP", {"signupTransactionInformation": {"phone": "1", "email": "a@b.c"}}),
        ("LOYALTY_REVERSE", {"reverseTransactionInformation": {"transactionId": 7}}),
    ],
)
def test_a_body_that_does_not_match_the_type(restaurant, kind, body):
    assert_toast_error(restaurant.send(kind, body), 400, "ERROR_INVALID_INPUT_PROPERTIES")


def test_malformed_check_fields_are_refused_and_unknown_check_fields_pass(restaurant, shop):
    shop.add_customer(PHONE)
    identifier = identifier_of(restaurant)
    body = fixture("accrue_request")
    body["checkTransactionInformation"]["loyaltyIdentifier"] = identifier
    body["checkTransactionInformation"]["check"]["selections"][0]["price"] = "12.00"
    response = restaurant.send("LOYALTY_ACCRUE", body)
    assert_toast_error(response, 400, "ERROR_INVALID_INPUT_PROPERTIES")
    assert "price" in response.json["message"]
    body = fixture("accrue_request")
    body["checkTransactionInformation"]["loyaltyIdentifier"] = identifier
    body["checkTransactionInformation"]["check"]["aFieldOfTomorrowsToast"] = {"x": 1}
    assert restaurant.send("LOYALTY_ACCRUE", body).status_code == 200
    assert rows(shop, "redeem_points") == []


def test_invalid_json_and_a_missing_guid(restaurant):
    headers = {
        "Authorization": restaurant.key,
        "Toast-Restaurant-External-ID": restaurant.restaurant,
        "Toast-Transaction-Type": "LOYALTY_SEARCH",
        "Toast-Transaction-GUID": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    response = restaurant.client.post("/api/integrations/toast", data="{", headers=headers)
    assert_toast_error(response, 400, "ERROR_INVALID_INPUT_PROPERTIES")
    del headers["Toast-Transaction-GUID"]
    response = restaurant.client.post(
        "/api/integrations/toast", json=fixture("search_request"), headers=headers
    )
    assert_toast_error(response, 400, "ERROR_INVALID_INPUT_PROPERTIES")


# ---- search, signup, inquire, transfer ----------------------------------------------------


def test_search_by_phone_gives_an_opaque_identifier(restaurant, shop):
    shop.add_customer(PHONE, points=1420, name="Ada Lovelace")
    response = restaurant.search("7306506797")
    assert response.status_code == 200
    assert response.json["transactionStatus"] == "ACCEPT"
    (account,) = response.json["searchResponse"]["accounts"]
    assert account["pointsBalance"] == "1420"
    assert (account["firstName"], account["lastName"]) == ("Ada", "Lovelace")
    assert account["phone"] == "7306506797"
    assert "7306506797" not in account["identifier"] and "@" not in account["identifier"]
    assert identifier_of(restaurant) == account["identifier"]  # stable


def test_search_with_no_match_is_error_account_invalid(restaurant):
    assert_toast_error(restaurant.search("7306506700"), 404, "ERROR_ACCOUNT_INVALID")


def test_signup_enrols_a_customer_the_tills_find(restaurant, shop, client):
    guid = str(uuid.uuid4())
    response = restaurant.signup("7306506711", guid)
    assert response.status_code == 200
    identifier = response.json["signupResponse"]["loyaltyIdentifier"]
    assert restaurant.signup("7306506711", guid).json == response.json  # replay
    till = client.get(
        "/api/loyalty/phone-lookup", query_string={"phone": "07306 506711"},
        headers=shop.pos_headers,
    )  # fmt: skip
    assert till.status_code == 200 and till.json["points_balance"] == 0
    assert identifier_of(restaurant, "7306506711") == identifier
    assert_toast_error(restaurant.signup("7306506711"), 400, "ERROR_ALREADY_REGISTERED")


def test_inquire_lists_rewards_as_offers_and_sorts_redemptions(restaurant, shop):
    shop.add_customer(PHONE, points=600)
    identifier = identifier_of(restaurant)
    unknown = redemption("free-pizza")
    response = restaurant.inquire(identifier, [redemption("off5"), redemption("off2"), unknown])
    assert response.status_code == 200
    check = response.json["checkResponse"]
    assert check["accountInfo"]["pointsBalance"] == "600"
    offers = {o["identifier"]: o for o in check["offers"]}
    assert offers["off5"] == {
        "identifier": "off5", "name": "£5 off", "applicable": True, "selectionType": "CHECK",
        "amount": 5.0, "quantity": 1,
    }  # fmt: skip
    # Written as the currency's exact amount (never through a float: 5.0, 2.5).
    assert '"amount": 5.00,' in response.text and '"amount": 2.50,' in response.text
    assert [r["identifier"] for r in check["appliedRedemptions"]] == ["off5"]
    rejected = check["rejectedRedemptions"]
    assert [r["redemption"]["identifier"] for r in rejected] == ["off2", "free-pizza"]
    assert rejected[1]["redemption"]["appliedDiscountGuid"] == unknown["appliedDiscountGuid"]
    assert all(r["message"] for r in rejected)
    assert rows(shop, "redeem_points") == []  # read only


def test_transfer_moves_the_account_to_the_new_identifier(restaurant, shop):
    shop.add_customer(PHONE, points=300)
    old = identifier_of(restaurant)
    response = restaurant.transfer(old, "6035-2210-9981-0042")
    assert response.status_code == 200
    assert response.json["transferResponse"] == {"loyaltyIdentifier": "6035-2210-9981-0042"}
    assert balance(restaurant, "6035-2210-9981-0042") == 300
    assert_toast_error(restaurant.inquire(old), 404, "ERROR_ACCOUNT_INVALID")
    assert_toast_error(restaurant.transfer(old, "x-1"), 400, "ERROR_INVALID_TRANSFER")
    shop.add_customer("+447306506798")
    other = identifier_of(restaurant, "7306506798")
    response = restaurant.transfer(other, "6035-2210-9981-0042")
    assert_toast_error(response, 400, "ERROR_INVALID_TRANSFER")


# ---- redeem ------------------------------------------------------------------------------


def test_redeem_three_rewards_where_the_balance_covers_two(restaurant, shop):
    shop.add_customer(PHONE, points=800)
    identifier = identifier_of(restaurant)
    asked = [redemption("off5"), redemption("off2"), redemption("off5")]
    response = restaurant.redeem(identifier, asked)
    assert response.status_code == 200
    assert response.json["transactionStatus"] == "ACCEPT"
    check = response.json["checkResponse"]
    applied = [r["appliedDiscountGuid"] for r in check["appliedRedemptions"]]
    assert applied == [asked[0]["appliedDiscountGuid"], asked[1]["appliedDiscountGuid"]]
    (rejected,) = check["rejectedRedemptions"]
    assert rejected["redemption"]["appliedDiscountGuid"] == asked[2]["appliedDiscountGuid"]
    assert check["accountInfo"]["pointsBalance"] == "100"
    redeemed = rows(shop, "redeem_points")
    assert [r["points_amount"] for r in redeemed] == [500, 200]
    details = redeemed[0]["operation_details"]
    assert details["reward"] == {"id": "off5", "name": "£5 off", "points": 500, "amount_minor": 500}
    assert details["toast"]["applied_discount_guid"] == asked[0]["appliedDiscountGuid"]
    assert details["toast"]["check_guid"] == "c79ecf26-1540-486c-9aee-e10ef34e228e"
    assert {r["actor_kind"] for r in redeemed} == {"toast"}
    assert redeemed[0]["actor_label"] == f"Toast restaurant {restaurant.restaurant}"
    assert redeemed[0]["location_id"] is not None


def test_a_redeem_replayed_under_its_guid_debits_once(restaurant, shop):
    shop.add_customer(PHONE, points=800)
    identifier = identifier_of(restaurant)
    guid = str(uuid.uuid4())
    asked = [redemption("off5")]
    first = restaurant.redeem(identifier, asked, guid)
    again = restaurant.redeem(identifier, asked, guid)
    assert first.status_code == again.status_code == 200
    assert again.text == first.text  # the very same answer, its amounts written alike
    assert '"amount": 5.00' in first.text
    assert len(rows(shop, "redeem_points")) == 1
    assert balance(restaurant, identifier) == 300


def test_a_redeem_of_an_unknown_account(restaurant):
    response = restaurant.redeem("no-such-guest", [redemption("off5")])
    assert_toast_error(response, 404, "ERROR_ACCOUNT_INVALID")


def test_a_redeem_whose_commit_outcome_is_unknown_is_recorded_for_the_admin(
    restaurant, shop, client, admin_headers, monkeypatch
):
    shop.add_customer(PHONE, points=800)
    identifier = identifier_of(restaurant)
    real_commit, calls = transactions._commit, []

    def commit_then_lose_the_answer(conn):
        calls.append(1)
        real_commit(conn)
        if len(calls) == 1:
            raise OutcomeUnknown("the answer to COMMIT was lost")

    monkeypatch.setattr(transactions, "_commit", commit_then_lose_the_answer)
    guid = str(uuid.uuid4())
    response = restaurant.redeem(identifier, [redemption("off5")], guid)
    monkeypatch.setattr(transactions, "_commit", real_commit)
    assert response.status_code == 503
    assert response.json["transactionStatus"] == "ERROR" and response.json["message"]
    listed = client.get("/api/admin/toast/unknown-outcomes", headers=admin_headers(shop))
    assert listed.status_code == 200
    (item,) = listed.json["items"]
    assert item["transaction_guid"] == guid and item["committed"] is True
    (redeemed,) = rows(shop, "redeem_points")
    assert item["transaction_ids"] == [redeemed["id"]]
    assert item["redemptions"][0]["identifier"] == "off5"


# ---- accrue ------------------------------------------------------------------------------


def test_accrue_counts_only_eligible_selections(restaurant, shop):
    shop.add_customer(PHONE)
    identifier = identifier_of(restaurant)
    response = restaurant.accrue(identifier)  # voided, deferred, tax included, tip, gratuity
    assert response.status_code == 200
    assert response.json["checkResponse"]["userMessage"] == "You earned 17 points"
    (earned,) = rows(shop, "earn_points")
    # 12.00 + 6.50 - 1.08333333 (included tax) = 17.41666667 -> 1742 pence; not the voided
    # steak, the gift card, the 3.00 tip, the 3.33 gratuity or the 0.96 added tax.
    assert earned["operation_details"]["purchase"] == {
        "total_minor": 1850, "currency": "GBP", "excluded_minor": 108,
    }  # fmt: skip
    assert earned["operation_details"]["programme"]["eligible_minor"] == 1742
    assert earned["points_amount"] == 17 and earned["actor_kind"] == "toast"


def test_a_retried_accrue_under_a_new_guid_credits_once(restaurant, shop):
    shop.add_customer(PHONE)
    identifier = identifier_of(restaurant)
    first = restaurant.accrue(identifier)
    retry = restaurant.accrue(identifier)  # a new GUID, the same check
    assert first.status_code == retry.status_code == 200
    assert retry.json == first.json
    assert len(rows(shop, "earn_points")) == 1
    assert balance(restaurant, identifier) == 17


def test_a_null_identifier_accrue_is_accepted_and_writes_nothing(restaurant, shop):
    response = restaurant.accrue(None)
    assert response.status_code == 200
    assert response.json == {"transactionStatus": "ACCEPT"}
    assert rows(shop) == []


# ---- reverse -----------------------------------------------------------------------------


def test_reverse_part_of_a_redeem(restaurant, shop):
    shop.add_customer(PHONE, points=800)
    identifier = identifier_of(restaurant)
    guid = str(uuid.uuid4())
    asked = [redemption("off5"), redemption("off2")]
    assert restaurant.redeem(identifier, asked, guid).status_code == 200
    assert balance(restaurant, identifier) == 100
    reverse_guid = str(uuid.uuid4())
    response = restaurant.reverse(identifier, guid, [asked[1]], reverse_guid)
    assert response.status_code == 200 and response.json == {"transactionStatus": "ACCEPT"}
    assert balance(restaurant, identifier) == 300
    # Toast retries a REVERSE under the same GUID: answered again, nothing given twice.
    assert restaurant.reverse(identifier, guid, [asked[1]], reverse_guid).status_code == 200
    assert balance(restaurant, identifier) == 300
    again = restaurant.reverse(identifier, guid, [asked[1]])
    assert_toast_error(again, 400, "ERROR_TRANSACTION_CANNOT_BE_REVERSED")
    assert restaurant.reverse(identifier, guid).status_code == 200  # the rest
    assert balance(restaurant, identifier) == 800
    (back, rest) = rows(shop, "reverse_redemption")
    assert (back["points_amount"], rest["points_amount"]) == (200, 500)
    assert back["actor_kind"] == "toast"


def test_reverse_an_accrue_takes_its_points_back_and_the_check_can_accrue_again(restaurant, shop):
    shop.add_customer(PHONE)
    identifier = identifier_of(restaurant)
    guid = str(uuid.uuid4())
    restaurant.accrue(identifier, guid=guid)
    assert restaurant.reverse(identifier, guid).status_code == 200
    assert balance(restaurant, identifier) == 0
    assert [r["points_amount"] for r in rows(shop, "reverse_earn")] == [17]
    again = restaurant.reverse(identifier, guid)
    assert_toast_error(again, 400, "ERROR_TRANSACTION_CANNOT_BE_REVERSED")
    assert restaurant.accrue(identifier).status_code == 200  # re-closed: credits again
    assert balance(restaurant, identifier) == 17


def test_reverse_of_what_cannot_be_reversed(restaurant, shop):
    shop.add_customer(PHONE, points=100)
    identifier = identifier_of(restaurant)
    missing = restaurant.reverse(identifier, str(uuid.uuid4()))
    assert_toast_error(missing, 400, "ERROR_TRANSACTION_DOES_NOT_EXIST")
    guid = str(uuid.uuid4())
    assert restaurant.transfer(identifier, "card-2", guid).status_code == 200
    transfer = restaurant.reverse("card-2", guid)  # a transfer moves no points
    assert_toast_error(transfer, 400, "ERROR_TRANSACTION_CANNOT_BE_REVERSED")
    assert restaurant.reverse(None, str(uuid.uuid4())).json == {"transactionStatus": "ACCEPT"}


def test_reverse_of_a_signup_cannot_be_reversed(restaurant):
    guid = str(uuid.uuid4())
    identifier = restaurant.signup("7306506712", guid).json["signupResponse"]["loyaltyIdentifier"]
    response = restaurant.reverse(identifier, guid)  # a signup moves no points
    assert_toast_error(response, 400, "ERROR_TRANSACTION_CANNOT_BE_REVERSED")


def test_toast_rows_are_in_the_points_report_at_the_restaurants_location(
    restaurant, shop, client, admin_headers
):
    shop.add_customer(PHONE)
    identifier = identifier_of(restaurant)
    restaurant.accrue(identifier, simple_check(str(uuid.uuid4()), 9.99))
    assert balance(restaurant, identifier) == 9
    today = datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    report = client.get(
        "/api/admin/reports/points",
        query_string={"from": today, "to": today, "location": "dub"},
        headers=admin_headers(shop),
    )
    assert report.status_code == 200, report.json
    assert report.json["earned"] == 9
    assert report.json["by_location"] == [
        {**{column: 0 for column in REPORT_COLUMNS}, "earned": 9, "location": "dub"}
    ]


def test_toast_changes_reach_webhooks_with_their_actor(restaurant, shop):
    shop.add_customer(PHONE, points=800)
    identifier = identifier_of(restaurant)
    restaurant.redeem(identifier, [redemption("off5")])

    def events(cur):
        cur.execute(
            "SELECT event_type, payload FROM webhook_events WHERE tenant_id = %s ORDER BY id",
            (shop.tenant.id,),
        )
        return cur.fetchall()

    found = run_query(shop.conn, events)
    redeemed = [
        json.loads(e["payload"]) for e in found if e["event_type"] == "loyalty.points_redeemed"
    ]
    assert len(redeemed) == 1
    assert "toast" in json.dumps(redeemed[0]) and "dub" in json.dumps(redeemed[0])


def _within(answer, published, where="response"):
    """Every key of ``answer`` is one Toast's published response example has, at that place."""
    if isinstance(answer, dict):
        assert isinstance(published, dict), where
        for key, value in answer.items():
            assert key in published, f"{where}.{key} is not in Toast's LoyaltyTransactionResponse"
            _within(value, published[key], f"{where}.{key}")
    elif isinstance(answer, list):
        for item in answer:
            _within(item, published[0], f"{where}[]")


def test_accepted_answers_use_only_toasts_published_fields(restaurant, shop):
    shop.add_customer(PHONE, points=800, name="Ada Lovelace")
    published = fixture("response_example")
    identifier = identifier_of(restaurant)
    answers = [
        restaurant.search("7306506797"),
        restaurant.signup("7306506713"),
        restaurant.inquire(identifier, [redemption("off5"), redemption("nope")]),
        restaurant.redeem(identifier, [redemption("off5"), redemption("off5")]),
        restaurant.accrue(identifier),
        restaurant.transfer(identifier, "card-9"),
    ]
    for answer in answers:
        assert answer.status_code == 200 and answer.json["transactionStatus"] == "ACCEPT"
        _within(answer.json, published)


# ---- what the review of the Toast path found -------------------------------------------


def test_a_replayed_reward_in_a_redeem_leaves_the_next_reward_the_balance_as_it_is_now(
    restaurant, shop
):
    """The replay's totals are those of its time: the next reward of the same REDEEM is
    checked against the balance now (1,100 points here, not the 100 of then)."""
    shop.add_customer(PHONE, points=300)
    old = identifier_of(restaurant)
    guid, first = str(uuid.uuid4()), redemption("off2")
    assert restaurant.redeem(old, [first], guid).status_code == 200  # 300 -> 100
    assert restaurant.accrue(old, simple_check(str(uuid.uuid4()), 1000.0)).status_code == 200
    assert restaurant.transfer(old, "card-new").status_code == 200
    again = restaurant.redeem("card-new", [first, redemption("off5")], guid)
    assert again.status_code == 200, again.json
    check = again.json["checkResponse"]
    assert [r["identifier"] for r in check["appliedRedemptions"]] == ["off2", "off5"]
    assert check["rejectedRedemptions"] == []
    assert check["accountInfo"]["pointsBalance"] == "600"
    assert balance(restaurant, "card-new") == 600


def test_an_erased_guest_is_no_account_for_toast_and_their_stored_answers_forget_them(
    restaurant, shop
):
    shop.add_customer(PHONE, points=800, name="Ann Smith")
    identifier = identifier_of(restaurant)
    assert restaurant.redeem(identifier, [redemption("off5")]).status_code == 200
    assert restaurant.accrue(identifier, simple_check(str(uuid.uuid4()), 12.0)).status_code == 200
    customer_id = ledger_customer(shop)
    erase_customer(shop.conn, shop.tenant, customer_id, "asked by the guest", system("tests"))
    for response in (
        restaurant.inquire(identifier),
        restaurant.redeem(identifier, [redemption("off2")]),
        restaurant.accrue(identifier, simple_check(str(uuid.uuid4()), 12.0)),
    ):
        assert_toast_error(response, 404, "ERROR_ACCOUNT_INVALID")
    stored = run_query(shop.conn, lambda cur: _stored_answers(cur, shop.tenant.id))
    assert stored and all(
        "Ann" not in text and "Smith" not in text and "7306506797" not in text for text in stored
    )


def test_a_redeem_waiting_on_an_erasure_answers_no_account(restaurant, shop, database, monkeypatch):
    """An erasure holds the guest's balance row when the REDEEM arrives; the REDEEM waits,
    then finds the guest erased: ERROR_ACCOUNT_INVALID, never their name, nothing taken."""
    shop.add_customer(PHONE, points=800, name="Ann Smith")
    identifier = identifier_of(restaurant)
    customer_id = ledger_customer(shop)
    locked, real_insert = threading.Event(), customer_data.erasures.insert

    def slow_insert(cur, **row):  # the erasure's last statement: it holds the lock by now
        locked.set()
        time.sleep(1.0)
        real_insert(cur, **row)

    monkeypatch.setattr(customer_data.erasures, "insert", slow_insert)
    with closing(connect(database)) as other:
        erasure = threading.Thread(
            target=erase_customer,
            args=(other, shop.tenant, customer_id, "asked by the guest", system("tests")),
        )
        erasure.start()
        assert locked.wait(10)
        answer = restaurant.redeem(identifier, [redemption("off5")])  # waits for the erasure
        erasure.join(30)
    assert_toast_error(answer, 404, "ERROR_ACCOUNT_INVALID")
    assert "Ann" not in answer.text
    assert rows(shop, "redeem_points") == []


def test_the_admin_sees_a_lost_redeems_amounts_exactly_as_toast_sent_them(
    restaurant, shop, client, admin_headers, monkeypatch
):
    shop.add_customer(PHONE, points=800)
    identifier = identifier_of(restaurant)
    real_commit = transactions._commit

    def lose_the_answer(conn):
        real_commit(conn)
        raise OutcomeUnknown("the answer to COMMIT was lost")

    monkeypatch.setattr(transactions, "_commit", lose_the_answer)
    sent = redemption("off5", amount=5.00)
    assert restaurant.redeem(identifier, [sent]).status_code == 503
    monkeypatch.setattr(transactions, "_commit", real_commit)
    (item,) = client.get("/api/admin/toast/unknown-outcomes", headers=admin_headers(shop)).json[
        "items"
    ]
    assert item["redemptions"][0]["amount"] == "5.0"  # exact, as a decimal string; never a float


def test_a_check_that_earned_for_one_guest_is_refused_for_another_and_never_shows_them(
    restaurant, shop
):
    shop.add_customer(PHONE, points=0, name="Ann Smith")
    shop.add_customer("+447306506798", name="Bob Jones")
    ann, bob = identifier_of(restaurant), identifier_of(restaurant, "7306506798")
    check = simple_check(str(uuid.uuid4()), 17.0)
    assert restaurant.accrue(ann, check).status_code == 200
    answer = restaurant.accrue(bob, check)  # the same check, now another guest's
    assert_toast_error(answer, 400, "ERROR_INVALID_INPUT_PROPERTIES")
    assert "Ann" not in answer.text and "Smith" not in answer.text
    assert [r["points_amount"] for r in rows(shop, "earn_points")] == [17]


def test_a_redemption_without_a_discount_guid_is_rejected_not_lost(restaurant, shop):
    shop.add_customer(PHONE, points=800)
    identifier = identifier_of(restaurant)
    bare = [{**redemption("off2"), "appliedDiscountGuid": None} for _ in range(2)]
    response = restaurant.redeem(identifier, bare)
    assert response.status_code == 200, response.json
    check = response.json["checkResponse"]
    assert check["appliedRedemptions"] == []
    assert len(check["rejectedRedemptions"]) == 2
    assert all("appliedDiscountGuid" in r["message"] for r in check["rejectedRedemptions"])
    assert rows(shop, "redeem_points") == []
