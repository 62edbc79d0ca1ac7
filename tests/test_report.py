"""Who did it, where, and what the points are worth: locations, the actor on every entry, and the
points report, which reconciles to the ledger exactly."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from service import points
from service.auth import create_pos_key
from service.locations import add_location
from service.points import PointsChange, earn_points, expire_points, redeem_points
from service.report import report_reconciles

from .helpers import assert_problem, change_programme

PHONE = "+447306506797"
REPORT = "/api/admin/reports/points"
COLUMNS = ("earned", "earn_reversed", "redeemed", "redemptions_reversed", "adjusted_up",
           "adjusted_down", "expired", "imported", "forfeited")  # fmt: skip


@pytest.fixture
def owner(client, shop, admin_headers):
    return shop, admin_headers(shop)


@pytest.fixture
def clock(monkeypatch):
    def at(moment: datetime) -> None:
        monkeypatch.setattr(points, "utc_now", lambda: moment)

    return at


LONDON = ZoneInfo("Europe/London")


def today() -> str:
    """Today in the shop's time zone (the tests' programmes are London's)."""
    return datetime.now(LONDON).date().isoformat()


def report(client, headers, first, last, **params):
    response = client.get(REPORT, query_string={"from": first, "to": last, **params},
                          headers=headers)  # fmt: skip
    assert response.status_code == 200, response.json
    return response.json


def pos(client, shop, path, **body):
    response = client.post(f"/api/customer/loyalty/{path}", json=body, headers=shop.pos_headers)
    assert response.status_code in (200, 201), response.json
    return response.json


def test_every_entry_type_lands_in_its_column_and_the_report_reconciles(client, owner, conn):
    shop, headers = owner
    change_programme(conn, shop.tenant, spend_points=1, spend_per_amount_minor=100, expiry_months=1)
    pos(client, shop, "earn", phone=PHONE, points=100, transaction_reference="E-1")
    earned = pos(client, shop, "earn", phone=PHONE, transaction_reference="E-2",
                 purchase={"total_minor": 5000, "currency": "GBP"})  # fmt: skip
    pos(client, shop, "redeem", phone=PHONE, points=30, transaction_reference="R-1")
    pos(client, shop, "redeem/R-1/reverse", points=10, transaction_reference="RR-1")
    pos(client, shop, "earn/E-2/reverse", transaction_reference="RE-1", returned_minor=2000)
    customer = earned["customer_id"]
    for amount in (7, -4):
        url = f"/api/admin/customers/{customer}/adjustments"
        response = client.post(url, json={"points": amount, "reason": "count"}, headers=headers)
        assert response.status_code == 201
    expire_points(conn, shop.tenant, datetime(2999, 1, 1))  # what is left expires
    body = report(client, headers, today(), today())
    assert {c: body[c] for c in COLUMNS} == {
        "earned": 150, "earn_reversed": 20, "redeemed": 30, "redemptions_reversed": 10,
        "adjusted_up": 7, "adjusted_down": 4, "expired": 113, "imported": 0, "forfeited": 0,
    }  # fmt: skip
    assert body["opening_balance"] == 0
    assert (
        body["closing_balance"]
        == 0
        == body["opening_balance"]
        + sum(
            body[c]
            * (1 if c in ("earned", "redemptions_reversed", "adjusted_up", "imported") else -1)
            for c in COLUMNS
        )
    )
    assert (body["redemption_rate"], body["breakage_rate"]) == (0.2, round(113 / 150, 4))
    assert report_reconciles(conn, shop.tenant) == (0, 0)


def test_a_change_at_2330_utc_in_summer_belongs_to_the_next_day_in_london(client, owner, conn,
                                                                           clock):  # fmt: skip
    shop, headers = owner
    clock(datetime(2026, 7, 1, 23, 30))  # 00:30 on 2 July, BST
    earn_points(conn, shop.tenant, PointsChange(PHONE, 40, "late"))
    assert report(client, headers, "2026-07-01", "2026-07-01")["earned"] == 0
    body = report(client, headers, "2026-07-02", "2026-07-02")
    assert (body["earned"], body["opening_balance"], body["closing_balance"]) == (40, 0, 40)


def test_a_past_period_does_not_change_when_later_changes_are_made(client, owner, conn, clock):
    shop, headers = owner
    clock(datetime(2026, 6, 10, 12))
    earn_points(conn, shop.tenant, PointsChange(PHONE, 300, "june"))
    clock(datetime(2026, 7, 10, 12))
    redeem_points(conn, shop.tenant, PointsChange(PHONE, 50, "july"))
    july = report(client, headers, "2026-07-01", "2026-07-31")
    assert (july["opening_balance"], july["redeemed"], july["closing_balance"]) == (300, 50, 250)
    clock(datetime.now(UTC).replace(tzinfo=None))
    redeem_points(conn, shop.tenant, PointsChange(PHONE, 100, "now"))
    assert report(client, headers, "2026-07-01", "2026-07-31") == july
    now = report(client, headers, "2026-06-01", today())
    assert now["closing_balance"] == 150 == report_reconciles(conn, shop.tenant)[1]


def test_locations_add_up_and_a_location_has_flows_but_no_balance(client, owner, conn):
    shop, headers = owner
    high = add_location(conn, shop.tenant, "High Street", "hs")
    station = add_location(conn, shop.tenant, "Station")
    tills = {
        "hs": {"X-API-Key": create_pos_key(conn, shop.tenant, "till 1", high["id"])},
        "station": {"X-API-Key": create_pos_key(conn, shop.tenant, "till 2", station["id"])},
    }
    for code, amount in (("hs", 100), ("station", 40), ("hs", 5)):
        body = {"phone": PHONE, "points": amount, "transaction_reference": f"{code}-{amount}"}
        response = client.post("/api/customer/loyalty/earn", json=body, headers=tills[code])
        assert response.status_code == 201
    pos(client, shop, "redeem", phone=PHONE, points=20, transaction_reference="nowhere")
    whole = report(client, headers, today(), today())
    rows = {row["location"]: row for row in whole["by_location"]}
    assert (rows["hs"]["earned"], rows["station"]["earned"], rows[None]["redeemed"]) == (
        105,
        40,
        20,
    )
    for column in COLUMNS:
        assert sum(row[column] for row in whole["by_location"]) == whole[column]
    at_hs = report(client, headers, today(), today(), location="hs")
    assert (at_hs["earned"], at_hs["redeemed"]) == (105, 0)
    assert (at_hs["opening_balance"], at_hs["closing_balance"], at_hs["liability_minor"]) == (
        None, None, None,
    )  # fmt: skip
    listed = client.get("/api/admin/locations", headers=headers).json["items"]
    assert [(x["code"], x["name"]) for x in listed] == [("hs", "High Street"),
                                                        ("station", "Station")]  # fmt: skip


def test_the_csv_matches_the_json(client, owner):
    shop, headers = owner
    pos(client, shop, "earn", phone=PHONE, points=70, transaction_reference="E-9")
    pos(client, shop, "redeem", phone=PHONE, points=20, transaction_reference="R-9")
    body = report(client, headers, today(), today())
    response = client.get(f"{REPORT}.csv", query_string={"from": today(), "to": today()},
                          headers=headers)  # fmt: skip
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    day, total = rows[0], rows[-1]
    assert day["date"] == today()
    for column in COLUMNS:
        assert int(day[column]) == int(total[column]) == body[column]
    assert int(total["closing_balance"]) == body["closing_balance"] == 50


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-02-01", "to": "2026-01-01"},
        {"from": "2025-01-01", "to": "2026-01-02"},
        {"from": "2026-13-01", "to": "2026-12-31"},
        {"from": "2026-01-01"},
    ],
)
def test_a_bad_period_is_422(client, owner, params):
    assert_problem(client.get(REPORT, query_string=params, headers=owner[1]), 422,
                   "validation_error")  # fmt: skip


def test_another_shops_location_is_not_found(client, owner, make_shop, conn):
    add_location(conn, make_shop().tenant, "Elsewhere", "else")
    params = {"from": "2026-01-01", "to": "2026-01-02", "location": "else"}
    assert_problem(client.get(REPORT, query_string=params, headers=owner[1]), 404,
                   "location_not_found")  # fmt: skip


def test_the_money_owed_is_the_closing_balance_at_the_points_worth(client, owner, conn):
    shop, headers = owner
    change_programme(conn, shop.tenant, point_value_minor=2)
    pos(client, shop, "earn", phone=PHONE, points=150, transaction_reference="E-3")
    body = report(client, headers, today(), today())
    assert (body["liability_minor"], body["currency"], body["point_value_minor"]) == (300, "GBP", 2)


# ---- the actor on every entry -----------------------------------------------------------------


def history(client, headers, customer_id):
    url = f"/api/admin/customers/{customer_id}/transactions"
    return client.get(url, headers=headers).json["items"]


def test_every_entry_says_who_made_it_and_where(client, owner, conn):
    shop, headers = owner
    high = add_location(conn, shop.tenant, "High Street", "hs")
    till = {"X-API-Key": create_pos_key(conn, shop.tenant, "till 1", high["id"])}
    body = {"phone": PHONE, "points": 500, "transaction_reference": "A-1"}
    earned = client.post("/api/customer/loyalty/earn", headers=till, json=body)
    customer = earned.json["customer_id"]
    client.post(f"/api/admin/customers/{customer}/adjustments", headers=headers,
                json={"points": -5, "reason": "double-counted visit"})  # fmt: skip
    entries = history(client, headers, customer)
    adjusted, by_till = entries[0], entries[1]
    assert by_till["actor"] == {"kind": "pos_key", "label": "till 1", "location": "hs"}
    assert adjusted["actor"] == {"kind": "admin", "label": shop.admin_email, "location": None}
    assert adjusted["operation_details"]["reason"] == "double-counted visit"
    for entry in entries:
        assert "secret" not in str(entry["actor"]) and shop.key not in str(entry)
    pos_view = client.get("/api/loyalty/transactions", query_string={"phone": PHONE},
                          headers=till).json["items"]  # fmt: skip
    assert pos_view[1]["actor"] == by_till["actor"]


def test_a_till_cannot_claim_to_be_someone_else(client, owner, conn):
    shop, _ = owner
    response = client.post(
        "/api/customer/loyalty/earn",
        headers=shop.pos_headers,
        json={"phone": PHONE, "points": 5, "transaction_reference": "F-1",
              "details": {"actor": {"kind": "admin", "label": "owner"}}},
    )  # fmt: skip
    assert "details" in assert_problem(response, 422, "validation_error")["errors"]


def test_the_webhook_payload_carries_the_actor(client, owner, conn):
    shop, _ = owner
    pos(client, shop, "earn", phone=PHONE, points=5, transaction_reference="W-1")
    with conn.cursor() as cur:
        cur.execute("SELECT payload FROM webhook_events WHERE tenant_id = %s", (shop.tenant.id,))
        payload = cur.fetchone()["payload"]
    assert '"actor": {"kind": "pos_key", "label": "tests", "location": null}' in payload


def test_settled_quarter_hours_of_today_are_kept_and_add_up(client, owner, conn, clock):
    shop, headers = owner
    now = datetime.now(UTC).replace(tzinfo=None)
    if datetime.now(LONDON).hour < 1:
        pytest.skip("needs an hour of the shop's today behind us")
    clock(now.replace(minute=0, second=0) - timedelta(minutes=50))
    earn_points(conn, shop.tenant, PointsChange(PHONE, 70, "an-hour-ago"))
    first = report(client, headers, today(), today())  # keeps the settled quarter hours
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM report_slices WHERE tenant_id = %s",
                    (shop.tenant.id,))  # fmt: skip
        assert cur.fetchone()["n"] >= 3
    clock(now)
    redeem_points(conn, shop.tenant, PointsChange(PHONE, 20, "just-now"))
    second = report(client, headers, today(), today())
    assert (first["earned"], second["earned"], second["redeemed"]) == (70, 70, 20)
    assert second["closing_balance"] == 50 == report_reconciles(conn, shop.tenant)[1]
