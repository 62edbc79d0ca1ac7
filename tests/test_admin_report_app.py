"""The Report screen as a shop owner reads it: what the shop owes its customers in points and
money, a chart per day (or month) of earned, redeemed and expired points with the same figures
as a table, a period and a location picker, and the CSV download; on a phone and axe-clean.

Most of the screen's tests answer the points report (`GET /api/admin/reports/points`) with
Playwright's `page.route`, in the shape the issue fixes, so every case can be set up;
`test_the_real_report_reads_the_same_way` reads the real endpoint."""

import json
import re
import secrets
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest

from service.locations import add_location

from . import browser as ui
from . import test_admin_actions as admin_app
from .browser import ROOT
from .test_admin_actions import assert_accessible, scroll_width, sign_in

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

# The same shop (a module's own), browser and axe-core as the other admin tests.
shop, browser, axe_source = admin_app.shop, admin_app.browser, admin_app.axe_source
# The owner's pages, desk and phone (tests/browser.py).
page, phone_page = ui.page, ui.phone_page

LONDON = ZoneInfo("Europe/London")
OWED = "You owe your customers 48,210 points, worth £482.10."


@pytest.fixture(scope="module")
def high_street(shop):
    return add_location(shop.conn, shop.tenant, "High Street", f"hs{secrets.token_hex(2)}")["code"]


def days(start: str, end: str):
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return [(first + timedelta(n)).isoformat() for n in range((last - first).days + 1)]


def stub_report(query: dict, location: str) -> dict:
    """The report as issue 17 shapes it, for the period and location asked."""
    period = days(query["from"], query["to"])
    by_day = [
        {"date": d, "earned": 100 + 10 * n, "redeemed": 30, "expired": 5 if n % 7 == 0 else 0}
        for n, d in enumerate(period)
    ]
    earned = sum(d["earned"] for d in by_day)
    redeemed = sum(d["redeemed"] for d in by_day)
    expired = sum(d["expired"] for d in by_day)
    one_place = "location" in query
    return {
        "from": query["from"],
        "to": query["to"],
        "currency": "GBP",
        "point_value_minor": 1,
        "opening_balance": None if one_place else 48210 - earned + redeemed + expired,
        "earned": earned,
        "earn_reversed": 0,
        "redeemed": redeemed,
        "redemptions_reversed": 0,
        "adjusted_up": 0,
        "adjusted_down": 0,
        "expired": expired,
        "imported": 0,
        "forfeited": 0,
        "closing_balance": None if one_place else 48210,
        "liability_minor": None if one_place else 48210,
        "redemption_rate": redeemed / earned,
        "breakage_rate": expired / earned,
        "by_location": [
            {"location": query.get("location", location), "earned": earned, "redeemed": redeemed,
             "expired": 0},
            *([] if one_place else [{"location": None, "earned": 0, "redeemed": 0,
                                     "expired": expired}]),
        ],
        "by_day": by_day,
    }  # fmt: skip


def serve_stub_report(page, shop, location):
    """Answer the points report (JSON and CSV) in the browser; returns the queries asked."""
    asked = []
    cors = {
        "Access-Control-Allow-Origin": shop.site.origin,
        "Access-Control-Allow-Headers": "Authorization, Content-Type, If-None-Match",
        "Access-Control-Expose-Headers": "ETag, Content-Disposition",
        "Cache-Control": "no-store",
    }

    def answer(route):
        request = route.request
        if request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
            return
        url = urlparse(request.url)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        asked.append((url.path, query))
        report = stub_report(query, location)
        if url.path.endswith(".csv"):
            rows = ["date,earned,redeemed,expired"] + [
                f"{d['date']},{d['earned']},{d['redeemed']},{d['expired']}"
                for d in report["by_day"]
            ]
            headers = {
                **cors,
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="points-{query["from"]}.csv"',
            }
            route.fulfill(status=200, headers=headers, body="\n".join(rows) + "\n")
            return
        route.fulfill(
            status=200,
            headers={**cors, "Content-Type": "application/json"},
            body=json.dumps(report),
        )

    page.route(re.compile(r".*/api/admin/reports/points(\.csv)?\?.*"), answer)
    return asked


def report_screen(page, shop):
    sign_in(page, shop)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Report").click()
    expect(page.get_by_role("heading", name="Points report")).to_be_visible()
    assert page.url.endswith(f"#/{shop.slug}/admin/report")
    return page


def london_today() -> date:
    return datetime.now(LONDON).date()


def test_the_report_says_what_is_owed_with_a_chart_at_phone_width(phone_page, shop, high_street):
    page = phone_page
    asked = serve_stub_report(page, shop, high_street)
    report_screen(page, shop)
    expect(page.locator("#report-headline")).to_have_text(OWED)
    today = london_today()
    assert asked[-1][1] == {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    expect(page.locator("#report-lines")).to_contain_text("of the points earned were redeemed")
    chart = page.locator("#report-chart svg")
    expect(chart).to_be_visible()
    assert chart.locator("rect.bar.earned").count() == today.day
    assert chart.locator("rect.bar.redeemed").count() == today.day
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert box["width"] >= 300  # drawn at the phone's width, not shrunk from a desktop one
    # The same figures as text, one row per day, for screen readers (and anyone).
    rows = page.locator("#report-table tbody tr")
    expect(rows).to_have_count(today.day)
    expect(rows.first.locator("th")).to_have_text(f"1 {today:%b %Y}")
    expect(rows.first.locator("td").first).to_have_text("100")
    expect(page.locator("#report-locations tbody tr").first.locator("th")).to_have_text(
        "High Street"
    )
    expect(page.get_by_label("From", exact=True)).to_be_hidden()  # this month: no dates to pick
    assert scroll_width(page) <= 390
    for control in ("#report-period", "#report-location", "#report-csv", "#screens-nav"):
        bounds = page.locator(control).bounding_box()
        assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= 390, control
    page.screenshot(path=str(ROOT / "test-output" / "admin-report-phone.png"), full_page=True)


def test_the_period_and_location_pickers_ask_for_that_report(page, shop, high_street):
    asked = serve_stub_report(page, shop, high_street)
    report_screen(page, shop)
    expect(page.locator("#report-headline")).to_have_text(OWED)
    page.get_by_label("Period").select_option("last-month")
    last_day = london_today().replace(day=1) - timedelta(days=1)
    expected = {"from": last_day.replace(day=1).isoformat(), "to": last_day.isoformat()}
    expect(page.locator("#report-table tbody tr")).to_have_count(last_day.day)
    assert asked[-1][1] == expected

    page.get_by_label("Location").select_option(label="High Street")
    expect(page.locator("#report-headline")).to_have_text(
        re.compile(r"^At High Street: [\d,]+ points earned, [\d,]+ redeemed\.$")
    )
    assert asked[-1][1] == {**expected, "location": high_street}
    expect(page.locator("#report-lines")).to_contain_text("choose All locations")

    page.get_by_label("Location").select_option(label="All locations")
    page.get_by_label("Period").select_option("custom")
    expect(page.get_by_label("From", exact=True)).to_be_visible()
    page.get_by_label("From", exact=True).fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2026-03-31")
    page.get_by_label("To", exact=True).dispatch_event("change")
    expect(page.locator("#report-chart svg")).to_have_attribute("data-unit", "month")
    expect(page.locator("#report-table tbody tr")).to_have_count(3)  # per month: Jan, Feb, Mar
    expect(page.locator("#report-table tbody tr").first.locator("th")).to_have_text("Jan 2026")
    assert asked[-1][1] == {"from": "2026-01-01", "to": "2026-03-31"}
    page.screenshot(path=str(ROOT / "test-output" / "admin-report-months.png"), full_page=True)
    expect(page.locator("#report-period-label")).to_have_text(re.compile("1 Jan.*31 Mar 2026"))

    page.get_by_label("From", exact=True).fill("2026-04-01")
    page.get_by_label("From", exact=True).dispatch_event("change")
    expect(page.locator("#report-message")).to_have_text("The period must start before it ends.")
    assert asked[-1][1] == {"from": "2026-01-01", "to": "2026-03-31"}  # nothing asked


def test_download_csv(page, shop, high_street):
    asked = serve_stub_report(page, shop, high_street)
    report_screen(page, shop)
    expect(page.locator("#report-headline")).to_have_text(OWED)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    first = london_today().replace(day=1).isoformat()
    assert download.value.suggested_filename == f"points-{first}.csv"
    assert asked[-1][0].endswith("/points.csv")
    with open(download.value.path(), encoding="utf-8") as csv_file:
        body = csv_file.read()
    assert body.startswith("date,earned,redeemed,expired\n")


def test_axe_finds_no_serious_violations_on_the_report(page, shop, high_street, axe_source):
    serve_stub_report(page, shop, high_street)
    report_screen(page, shop)
    expect(page.locator("#report-headline")).to_have_text(OWED)
    assert_accessible(page, axe_source, "report")
    page.get_by_label("Period").select_option("custom")
    expect(page.get_by_label("From", exact=True)).to_be_visible()
    assert_accessible(page, axe_source, "report with dates")


def test_the_real_report_reads_the_same_way(page, shop, high_street):
    report_screen(page, shop)
    expect(page.locator("#report-headline")).to_have_text(
        re.compile(r"^You owe your customers [\d,]+ points?, worth £[\d,]+\.\d\d\.$")
    )
    expect(page.locator("#report-chart svg")).to_be_visible()
