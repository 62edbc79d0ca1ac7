"""The Programme screen and what the programme shows in the customer panel, as a shop owner
uses them: a live preview computed by the server before saving, a new version on save, and in
the panel the expiring points, the bill an earn came from, who made each entry, and Return
purchase."""

import re
import secrets

import pytest
import requests

from service.auth import create_pos_key
from service.customers import enrol_customer
from service.locations import add_location

from . import browser as ui
from . import test_admin_actions as admin_app
from .browser import ROOT
from .test_admin_actions import (
    MINUS,
    PASSWORD,
    PHONES,
    assert_accessible,
    dialog,
    entries,
    open_panel,
    scroll_width,
    sign_in,
)

# The same shop (a module's own), browser and axe-core as the other admin tests.
shop, browser, axe_source = admin_app.shop, admin_app.browser, admin_app.axe_source
# The owner's pages, desk and phone (tests/browser.py).
page, phone_page = ui.page, ui.phone_page


pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ONE_PER_POUND = {
    "currency": "GBP",
    "timezone": "Europe/London",
    "spend_rule": {"points": 1, "per_amount_minor": 100},
    "visit_rule": {"points": 0, "min_spend_minor": 0},
    "expiry_months": 12,
    "point_value_minor": 1,
}


def admin_token(shop) -> str:
    answer = requests.post(
        f"{shop.api.url}/api/admin/session",
        json={"tenant": shop.slug, "email": shop.email, "password": PASSWORD},
        timeout=10,
    )
    assert answer.ok, answer.text
    return answer.json()["token"]


def admin(shop, method, path, body=None):
    response = requests.request(
        method,
        f"{shop.api.url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {admin_token(shop)}"},
        timeout=10,
    )
    assert response.ok, response.text
    return response.json()


def programme_screen(page, shop):
    sign_in(page, shop)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Programme").click()
    expect(page.get_by_role("heading", name="Programme")).to_be_visible()
    expect(page.locator("#programme-version")).not_to_be_empty()
    assert page.url.endswith(f"#/{shop.slug}/admin/programme")
    return page


def test_one_point_per_pound_is_previewed_by_the_server_before_saving(page, shop):
    before = admin(shop, "GET", "/api/admin/programme")["version"]
    calculations = []
    page.on("request", lambda r: "/programme/calculate" in r.url and calculations.append(r))
    programme_screen(page, shop)
    spend = page.get_by_label("Give points for what a customer spends")
    spend.uncheck()
    expect(page.locator("#programme-preview")).to_have_text(
        "With these settings a bill earns no points."
    )
    spend.check()
    page.get_by_label("Points given").fill("1")
    page.get_by_label("For every (amount spent)").fill("1.00")
    expect(page.locator("#programme-preview")).to_have_text("A £23.50 bill earns 23 points.")
    page.get_by_label("A bill of").fill("5.99")
    expect(page.locator("#programme-preview")).to_have_text("A £5.99 bill earns 5 points.")
    page.get_by_label("For every (amount spent)").fill("0.50")
    expect(page.locator("#programme-preview")).to_have_text("A £5.99 bill earns 11 points.")
    assert calculations, "the preview must come from POST /api/admin/programme/calculate"
    # Nothing was saved by any of that.
    assert admin(shop, "GET", "/api/admin/programme")["version"] == before


def test_saving_makes_a_new_version(page, shop):
    before = admin(shop, "GET", "/api/admin/programme")["version"]
    programme_screen(page, shop)
    page.get_by_label("Give points for what a customer spends").check()
    page.get_by_label("Points given").fill("1")
    page.get_by_label("For every (amount spent)").fill("1.00")
    page.get_by_label("Points expire after (months)").fill("12")
    page.get_by_role("button", name="Save programme").click()
    expect(page.locator("#programme-saved")).to_have_text(
        f"Saved as version {before + 1} by {shop.email}."
    )
    expect(page.locator("#programme-version")).to_contain_text(f"Version {before + 1}, set by")
    saved = admin(shop, "GET", "/api/admin/programme")
    assert saved["version"] == before + 1
    assert saved["spend_rule"] == {"points": 1, "per_amount_minor": 100}
    assert saved["expiry_months"] == 12
    page.reload()  # the screen is a route of its own, and shows what was saved
    expect(page.locator("#programme-version")).to_contain_text(f"Version {before + 1}")
    expect(page.get_by_label("For every (amount spent)")).to_have_value("1.00")


def test_a_wrong_field_is_named_and_nothing_is_saved(page, shop):
    before = admin(shop, "GET", "/api/admin/programme")["version"]
    programme_screen(page, shop)
    page.get_by_label("Give points for what a customer spends").check()
    page.get_by_label("For every (amount spent)").fill("0.001")
    expect(page.locator("#prog-spend_per-error")).to_have_text(re.compile("At most 2 digits"))
    expect(page.get_by_label("For every (amount spent)")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_label("For every (amount spent)").fill("1.00")
    page.get_by_role("button", name="Save programme").click()
    expect(page.locator("#prog-timezone-error")).not_to_be_empty()  # the server's 422, by field
    expect(page.locator("#programme-saved")).to_be_empty()
    assert admin(shop, "GET", "/api/admin/programme")["version"] == before


def entry(panel, reference):
    """The ledger row whose own reference is `reference` (a return names it in its details)."""
    return entries(panel).filter(
        has=panel.page.locator("td.ref", has_text=re.compile(f"^{reference}$"))
    )


def earn_at_till(shop, key, phone, total_minor, reference):
    response = requests.post(
        f"{shop.api.url}/api/customer/loyalty/earn",
        json={
            "phone": phone,
            "purchase": {"total_minor": total_minor, "currency": "GBP"},
            "transaction_reference": reference,
        },
        headers={"X-API-Key": key},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def till(shop):
    """A till ("till 1") at the shop's High Street location, and 1 point per £1 for a year."""
    code = f"hs{secrets.token_hex(2)}"
    location = add_location(shop.conn, shop.tenant, "High Street", code)
    admin(shop, "PUT", "/api/admin/programme", ONE_PER_POUND)
    return create_pos_key(shop.conn, shop.tenant, "till 1", location["id"])


def test_the_panel_shows_expiry_the_bill_and_who_then_returns_the_purchase(page, shop, till):
    name, phone = "Ola Bill", next(PHONES)
    customer = enrol_customer(shop.conn, shop.tenant, phone, name)
    customer_id = customer["id"]
    reference = f"B-{secrets.token_hex(3)}"
    earned = earn_at_till(shop, till, phone, 2350, reference)
    assert earned["points_earned"] == 23
    admin(
        shop,
        "POST",
        f"/api/admin/customers/{customer_id}/adjustments",
        {
            "points": 5,
            "reason": "double-counted visit",
            "transaction_reference": f"fix-{secrets.token_hex(3)}",
        },
    )
    sign_in(page, shop)
    panel = open_panel(page, name)
    expect(panel.locator("#detail-expiring")).to_have_text(
        re.compile(r"^\d+ points expire on \d{1,2} [A-Z][a-z]{2} \d{4}$")
    )
    earn_row = entry(panel, reference)
    expect(earn_row.locator("td.details")).to_contain_text("£23.50 → 23 points")
    expect(earn_row.locator("td.details")).to_contain_text("till 1 · High Street")
    adjustment = entries(panel).first
    expect(adjustment.locator("td.details")).to_have_text(f"by {shop.email} · double-counted visit")

    earn_row.get_by_role("button", name=f"Return purchase {reference}").click()
    box = dialog(page, "Return purchase")
    expect(box.locator(".dialog-context")).to_contain_text("£23.50 of it can still be returned")
    box.get_by_label("Amount returned").fill("10.00")
    box.get_by_label("Reason").fill("wrong size")
    box.get_by_role("button", name="Return purchase").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_contain_text("Return £10.00 of")
    confirm.get_by_role("button", name="Return purchase").click()
    # floor(23 * £10.00 / £23.50) = 9 points back, by the rule the purchase was earned under.
    expect(panel.locator("#detail-notice")).to_have_text("Took back 9 points.")
    first = entries(panel).first
    expect(first.locator("td").nth(0)).to_have_text("Returned")
    expect(first.locator("td").nth(1)).to_have_text(f"{MINUS}9")
    expect(first.locator("td.details")).to_contain_text(f"by {shop.email} · wrong size")
    expect(panel.locator("#detail-balance")).to_have_text("Balance: 19 points")
    panel.screenshot(path=str(ROOT / "test-output" / "admin-panel-return.png"))

    # The rest of it: empty amount = all that is left; then there is nothing left to return.
    earn_row.get_by_role("button", name=f"Return purchase {reference}").click()
    box = dialog(page, "Return purchase")
    expect(box.locator(".dialog-context")).to_contain_text("£13.50 of it can still be returned")
    box.get_by_role("button", name="Return purchase").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Return purchase").click()
    expect(panel.locator("#detail-notice")).to_have_text("Took back 14 points.")
    expect(earn_row.locator("td.actions")).to_have_text("Returned")
    expect(panel.locator("#detail-balance")).to_have_text("Balance: 5 points")


def test_a_return_after_the_points_were_spent_says_what_could_not_be_taken_back(page, shop, till):
    name, phone = "Pat Spent", next(PHONES)
    enrol_customer(shop.conn, shop.tenant, phone, name)
    reference = f"S-{secrets.token_hex(3)}"
    earn_at_till(shop, till, phone, 2000, reference)
    spent = requests.post(
        f"{shop.api.url}/api/customer/loyalty/redeem",
        json={"phone": phone, "points": 15, "transaction_reference": f"r-{reference}"},
        headers={"X-API-Key": till},
        timeout=10,
    )
    assert spent.status_code == 201, spent.text
    sign_in(page, shop)
    panel = open_panel(page, name)
    entry(panel, reference).get_by_role("button", name=f"Return purchase {reference}").click()
    dialog(page, "Return purchase").get_by_role("button", name="Return purchase").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Return purchase").click()
    expect(panel.locator("#detail-notice")).to_have_text(
        "Took back 5 points. 15 points could not be taken back: already spent."
    )
    expect(entries(panel).first.locator("td.details")).to_contain_text(
        "15 points could not be taken back: already spent"
    )


def test_programme_screen_fits_a_phone(phone_page, shop):
    page = programme_screen(phone_page, shop)
    expect(page.locator("#programme-preview")).not_to_be_empty()
    assert scroll_width(page) <= 390
    for control in ("#prog-spend-per", "#save-programme", "#screens-nav"):
        box = page.locator(control).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, control
    page.screenshot(path=str(ROOT / "test-output" / "admin-programme-phone.png"), full_page=True)


def test_axe_finds_no_serious_violations_on_the_programme_and_the_return(
    page, shop, till, axe_source
):
    programme_screen(page, shop)
    page.get_by_label("For every (amount spent)").fill("0.001")
    expect(page.locator("#prog-spend_per-error")).not_to_be_empty()
    assert_accessible(page, axe_source, "programme with an error")
    name, phone = "Axe Return", next(PHONES)
    enrol_customer(shop.conn, shop.tenant, phone, name)
    reference = f"X-{secrets.token_hex(3)}"
    earn_at_till(shop, till, phone, 1200, reference)
    page.get_by_role("link", name="Customers").click()
    panel = open_panel(page, name)
    assert_accessible(page, axe_source, "panel with a bill")
    entries(panel).first.get_by_role("button", name=f"Return purchase {reference}").click()
    assert_accessible(page, axe_source, "return dialog")
