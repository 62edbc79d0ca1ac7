"""The admin's actions on customers: add, rename, export CSV, refund, and the ledger's
running balance."""

import csv
import io

import pytest

from service.customer_export import EXPORT_COLUMNS, spreadsheet_safe

from .helpers import assert_no_store, assert_problem, ledger_count

PHONE = "+447306506797"
CUSTOMERS = "/api/admin/customers"


@pytest.fixture
def admin(client, shop, admin_headers):
    """(shop, headers) for a fresh shop signed in as its admin."""
    return shop, admin_headers(shop)


def customer_id(client, shop, phone=PHONE) -> int:
    response = client.get(
        "/api/loyalty/phone-lookup", query_string={"phone": phone}, headers=shop.pos_headers
    )
    return response.json["customer_id"]


def newest_first(client, headers) -> list[str]:
    """The names on the admin list's first page, most recently changed first."""
    return [c["name"] for c in client.get(CUSTOMERS, headers=headers).json["items"]]


def history_tag(client, headers, cid) -> str:
    return client.get(f"{CUSTOMERS}/{cid}/transactions", headers=headers).headers["ETag"]


# ---- add -------------------------------------------------------------------------------


def test_adding_a_customer_enrols_it_with_a_zero_balance(client, admin):
    shop, headers = admin
    shop.add_customer("+447306506800", points=5, name="Sam")
    response = client.post(CUSTOMERS, json={"phone": "07306 506797", "name": "Alex"},
                           headers=headers)  # fmt: skip
    assert response.status_code == 201, response.json
    assert_no_store(response)
    body = response.json
    assert (body["phone"], body["name"], body["points_balance"]) == (PHONE, "Alex", 0)
    assert body["customer_id"] == customer_id(client, shop)
    assert newest_first(client, headers) == ["Alex", "Sam"]  # live pages see it on top


def test_adding_an_enrolled_phone_is_refused_and_changes_nothing(client, admin, conn):
    shop, headers = admin
    shop.add_customer(PHONE, points=40, name="Alex")
    rows = ledger_count(conn, shop.tenant.id)
    response = client.post(CUSTOMERS, json={"phone": "+44 7306 506797", "name": "Other"},
                           headers=headers)  # fmt: skip
    body = assert_problem(response, 409, "customer_exists")
    assert body["customer_id"] == customer_id(client, shop)
    assert PHONE in body["detail"]
    assert ledger_count(conn, shop.tenant.id) == rows
    lookup = client.get("/api/loyalty/phone-lookup", query_string={"phone": PHONE},
                        headers=shop.pos_headers)  # fmt: skip
    assert lookup.json["name"] == "Alex"


def test_adding_needs_a_readable_phone(client, admin):
    _shop, headers = admin
    assert_problem(client.post(CUSTOMERS, json={"phone": "12"}, headers=headers),
                   422, "invalid_phone")  # fmt: skip
    assert_problem(client.post(CUSTOMERS, json={"name": "x"}, headers=headers),
                   422, "validation_error")  # fmt: skip
    assert_problem(client.post(CUSTOMERS, json={"phone": PHONE}), 401, "unauthorized")


# ---- rename ----------------------------------------------------------------------------


def test_renaming_a_customer(client, admin):
    shop, headers = admin
    shop.add_customer(PHONE, points=10, name="Alex")
    shop.add_customer("+447306506800", points=5, name="Sam")
    cid = customer_id(client, shop)
    before = history_tag(client, headers, cid)
    response = client.patch(f"{CUSTOMERS}/{cid}", json={"name": "Alex Morgan"}, headers=headers)
    assert response.status_code == 200, response.json
    assert (response.json["name"], response.json["points_balance"]) == ("Alex Morgan", 10)
    assert newest_first(client, headers) == ["Alex Morgan", "Sam"]  # moved up: changed
    assert history_tag(client, headers, cid) != before  # an open panel sees it too
    found = client.get(CUSTOMERS, query_string={"q": "morgan"}, headers=headers).json["items"]
    assert [c["customer_id"] for c in found] == [cid]  # searchable by its new name
    cleared = client.patch(f"{CUSTOMERS}/{cid}", json={"name": None}, headers=headers)
    assert cleared.json["name"] is None


def test_renaming_another_shops_customer_is_not_found(client, admin, make_shop):
    _shop, headers = admin
    other = make_shop()
    other.add_customer(PHONE, name="Theirs")
    cid = customer_id(client, other)
    response = client.patch(f"{CUSTOMERS}/{cid}", json={"name": "Mine"}, headers=headers)
    assert_problem(response, 404, "customer_not_found")
    lookup = client.get("/api/loyalty/phone-lookup", query_string={"phone": PHONE},
                        headers=other.pos_headers)  # fmt: skip
    assert lookup.json["name"] == "Theirs"
    assert_problem(client.patch(f"{CUSTOMERS}/{cid}", json={"name": ""}, headers=headers),
                   422, "validation_error")  # fmt: skip


# ---- export ----------------------------------------------------------------------------


def export(client, headers, q=None):
    response = client.get(f"{CUSTOMERS}/export.csv", query_string={"q": q} if q else {},
                          headers=headers)  # fmt: skip
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert_no_store(response)
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_export_lists_the_shops_customers_only_and_filters_like_the_list(client, admin, make_shop):
    shop, headers = admin
    shop.add_customer(PHONE, points=30, name="Alex Morgan")
    shop.add_customer("+447306506800", points=5, name="Sam Lee")
    make_shop().add_customer("+447306506801", name="Another shop's")
    rows = export(client, headers)
    assert [(r["phone"], r["name"], r["points_balance"]) for r in rows] == [
        ("'+447306506797", "Alex Morgan", "30"),
        ("'+447306506800", "Sam Lee", "5"),
    ]
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert [r["name"] for r in export(client, headers, "sam")] == ["Sam Lee"]
    assert [r["name"] for r in export(client, headers, "07306 506797")] == ["Alex Morgan"]


def test_export_cannot_smuggle_a_formula_into_a_spreadsheet(client, admin):
    shop, headers = admin
    shop.add_customer(PHONE, name='=HYPERLINK("http://evil.example","x")')
    shop.add_customer("+447306506800", name="@SUM(A1)")
    names = [r["name"] for r in export(client, headers)]
    assert names == ['\'=HYPERLINK("http://evil.example","x")', "'@SUM(A1)"]
    for text in ("-2+3", "+1", "\tx", "\rx"):
        assert spreadsheet_safe(text) == "'" + text
    assert spreadsheet_safe("Zoë O'Neil") == "Zoë O'Neil"


def test_export_walks_every_batch(client, admin, monkeypatch):
    shop, headers = admin
    monkeypatch.setattr("service.customer_export.EXPORT_BATCH", 2)
    for i in range(5):
        shop.add_customer(f"+44730650{6900 + i}", name=f"C{i}")
    assert [r["name"] for r in export(client, headers)] == [f"C{i}" for i in range(5)]


def test_export_needs_a_session(client):
    assert_problem(client.get(f"{CUSTOMERS}/export.csv"), 401, "unauthorized")


# ---- refund from the admin page --------------------------------------------------------


def redeem(client, shop, points, reference) -> int:
    """The transaction id of a new redemption of ``points`` by PHONE."""
    return shop.till(client, PHONE).redeem(points, reference, expect=201).json["transaction_id"]


def test_refunds_part_then_the_rest_never_more(client, admin):
    shop, headers = admin
    shop.add_customer(PHONE, points=100)
    cid = customer_id(client, shop)
    tid = redeem(client, shop, 30, "order-9")
    url = f"{CUSTOMERS}/{cid}/transactions/{tid}/reversals"
    part = client.post(url, json={"points": 10, "transaction_reference": "r-1"}, headers=headers)
    assert part.status_code == 201, part.json
    assert (part.json["points_reversed"], part.json["points_balance"]) == (10, 80)
    again = client.post(url, json={"points": 10, "transaction_reference": "r-1"}, headers=headers)
    assert again.status_code == 200 and again.json["replayed"] is True
    too_much = client.post(url, json={"points": 21, "transaction_reference": "r-2"},
                           headers=headers)  # fmt: skip
    assert assert_problem(too_much, 409, "reversal_exceeds_redemption")["points_remaining"] == 20
    rest = client.post(url, json={"reason": "order cancelled"}, headers=headers)
    assert (rest.json["points_reversed"], rest.json["points_balance"]) == (20, 100)


def test_refund_of_something_else_is_not_found(client, admin, make_shop):
    shop, headers = admin
    shop.add_customer(PHONE, points=100)
    cid = customer_id(client, shop)
    tid = redeem(client, shop, 30, "order-9")
    other = make_shop()
    other.add_customer(PHONE, points=100)
    their = redeem(client, other, 5, "order-9")
    history = client.get(f"{CUSTOMERS}/{cid}/transactions", headers=headers).json["items"]
    open_id = next(e["transaction_id"] for e in history if e["operation_type"] == "open_account")
    for url in (
        f"{CUSTOMERS}/{cid}/transactions/{their}/reversals",  # another shop's redemption
        f"{CUSTOMERS}/{cid}/transactions/{open_id}/reversals",  # neither redemption nor earn
        f"{CUSTOMERS}/{cid + 1000}/transactions/{tid}/reversals",  # not this customer's
    ):
        assert_problem(client.post(url, json={}, headers=headers), 404, "transaction_not_found")


# ---- the ledger's running balance ------------------------------------------------------


def test_each_ledger_entry_carries_the_balance_after_it(client, admin):
    shop, headers = admin
    shop.add_customer(PHONE, points=100)
    cid = customer_id(client, shop)
    tid = redeem(client, shop, 30, "order-1")
    client.post(f"{CUSTOMERS}/{cid}/adjustments", json={"points": -5, "reason": "typo"},
                headers=headers)  # fmt: skip
    client.post(f"{CUSTOMERS}/{cid}/transactions/{tid}/reversals", json={"points": 10},
                headers=headers)  # fmt: skip
    url = f"{CUSTOMERS}/{cid}/transactions"
    entries = client.get(url, headers=headers).json["items"]
    assert [(e["operation_type"], e["balance_after"]) for e in entries] == [
        ("reverse_redemption", 75),
        ("adjust_points", 65),
        ("redeem_points", 70),
        ("earn_points", 100),
        ("open_account", 0),
    ]
    # A later page still counts everything before it, not just its own rows.
    older = client.get(url, query_string={"page": 2, "per_page": 2}, headers=headers).json
    assert [e["balance_after"] for e in older["items"]] == [70, 100]
