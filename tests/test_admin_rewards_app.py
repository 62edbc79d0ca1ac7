"""Issue 20 in the admin app, as a shop owner uses it: the rewards edited on the Programme
screen and saved whole (each wrong cell named beside it), and in the customer panel the
guest's Toast loyalty identifier and the Toast redemptions whose outcome was lost, with a way
to give their points back."""

import re
import secrets
import uuid
from datetime import UTC, datetime

import pytest
import requests

from service import toast
from service.customers import enrol_customer
from service.points import PointsChange, earn_points

from . import browser as ui
from . import test_admin_actions as admin_app
from .browser import ROOT
from .test_admin_actions import PHONES, assert_accessible, dialog, open_panel, scroll_width, sign_in
from .test_admin_programme_app import ONE_PER_POUND, admin, programme_screen
from .toast_terminal import Terminal, redemption

shop, browser, axe_source = admin_app.shop, admin_app.browser, admin_app.axe_source
# The owner's pages, desk and phone (tests/browser.py).
page, phone_page = ui.page, ui.phone_page

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

OFF5 = {"id": "off5", "name": "£5 off", "points": 500, "amount_minor": 500}


@pytest.fixture(scope="module", autouse=True)
def programme(shop):
    """The shop's programme in pounds (the rewards' money is in its currency)."""
    admin(shop, "PUT", "/api/admin/programme", ONE_PER_POUND)


def reward_row(page, number):
    return page.get_by_role("group", name=f"Reward {number}")


def set_rewards(shop, rewards):
    admin(shop, "PUT", "/api/admin/rewards", {"rewards": rewards})


# ---- the rewards editor ---------------------------------------------------------------------


def test_rewards_are_edited_on_the_programme_screen_and_saved_whole(page, shop):
    set_rewards(shop, [OFF5])
    programme_screen(page, shop)
    first = reward_row(page, 1)
    expect(first.get_by_label("Name")).to_have_value("£5 off")
    expect(first.get_by_label("Money off (£)")).to_have_value("5.00")
    first.get_by_label("Points").fill("450")
    page.get_by_role("button", name="Add a reward").click()
    second = reward_row(page, 2)
    expect(second.get_by_label("Name")).to_be_focused()
    second.get_by_label("Name").fill("Free coffee")
    second.get_by_label("Points").fill("120")
    second.get_by_label("Money off (£)").fill("2.75")
    page.get_by_role("button", name="Save rewards").click()
    expect(page.locator("#rewards-saved")).to_have_text("Saved 2 rewards.")
    assert admin(shop, "GET", "/api/admin/rewards")["rewards"] == [
        {**OFF5, "points": 450},
        {"id": "free-coffee", "name": "Free coffee", "points": 120, "amount_minor": 275},
    ]
    expect(reward_row(page, 2).get_by_label("Code")).to_have_value("free-coffee")
    page.locator("#rewards-form").screenshot(path=str(ROOT / "test-output" / "admin-rewards.png"))

    # Removing a row and saving removes the reward; the list reloads as saved.
    reward_row(page, 1).get_by_role("button", name="Remove reward 1").click()
    expect(reward_row(page, 2)).to_have_count(0)
    page.get_by_role("button", name="Save rewards").click()
    expect(page.locator("#rewards-saved")).to_have_text("Saved 1 reward.")
    page.reload()
    expect(reward_row(page, 1).get_by_label("Name")).to_have_value("Free coffee")
    expect(reward_row(page, 2)).to_have_count(0)
    assert [r["id"] for r in admin(shop, "GET", "/api/admin/rewards")["rewards"]] == ["free-coffee"]


def test_a_wrong_cell_is_named_beside_it_and_nothing_is_saved(page, shop):
    set_rewards(shop, [OFF5])
    programme_screen(page, shop)
    page.get_by_role("button", name="Add a reward").click()
    second = reward_row(page, 2)
    second.get_by_label("Name").fill("Big one")
    second.get_by_label("Points").fill("0")
    second.get_by_label("Money off (£)").fill("2.755")
    second.get_by_label("Code").fill("off5")
    page.get_by_role("button", name="Save rewards").click()
    expect(
        second.locator("#" + second.get_by_label("Points").get_attribute("id") + "-error")
    ).to_have_text("Enter the points it takes, at least 1.")
    expect(second.get_by_label("Points")).to_have_attribute("aria-invalid", "true")
    expect(second).to_contain_text("At most 2 digits after the point")
    expect(second).to_contain_text("Another reward has this code.")
    expect(reward_row(page, 1).get_by_label("Name")).not_to_have_attribute("aria-invalid", "true")
    # What only the server knows (an amount beyond its limit) comes back beside its cell too.
    second.get_by_label("Points").fill("10")
    second.get_by_label("Money off (£)").fill("100000000.01")
    second.get_by_label("Code").fill("")
    page.get_by_role("button", name="Save rewards").click()
    money = second.get_by_label("Money off (£)")
    expect(money).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{money.get_attribute('id')}-error")).not_to_be_empty()
    expect(page.locator("#rewards-saved")).to_be_empty()
    assert admin(shop, "GET", "/api/admin/rewards")["rewards"] == [OFF5]


# ---- Toast in the customer panel --------------------------------------------------------------


class HttpClient:
    """What tests/toast_terminal.Terminal sends through, over HTTP to the running API."""

    def __init__(self, base_url):
        self.base_url = base_url

    def post(self, url, json, headers):
        answer = requests.post(self.base_url + url, json=json, headers=headers, timeout=10)
        return type("Answer", (), {"status_code": answer.status_code, "json": answer.json()})


@pytest.fixture(scope="module")
def terminal(shop):
    """A Toast restaurant bound to the shop, and its terminal."""
    guid = str(uuid.uuid4())
    key = toast.connect_restaurant(shop.conn, shop.tenant, guid, None)
    return Terminal(HttpClient(shop.api.url), key, guid)


def guest(shop, terminal, name, points):
    """A customer with `points`, found by the Toast terminal (so it has an identifier);
    returns (customer id, phone, identifier)."""
    phone = next(PHONES)
    customer = enrol_customer(shop.conn, shop.tenant, phone, name)
    earn_points(shop.conn, shop.tenant, PointsChange(phone, points, f"e-{secrets.token_hex(5)}"))
    found = terminal.search(phone.removeprefix("+44"))
    assert found.status_code == 200, found.json
    identifier = found.json["searchResponse"]["accounts"][0]["identifier"]
    return customer["id"], phone, identifier


def lost_redeem(shop, terminal, customer_id, identifier, commit: bool):
    """A Toast REDEEM of £5 off whose answer was lost: made (commit) or never made, and
    recorded for the admin as the endpoint records it."""
    guid = str(uuid.uuid4())
    sent = redemption("off5")
    if commit:
        answer = terminal.redeem(identifier, [sent], guid)
        assert answer.status_code == 200, answer.json
        assert not answer.json["checkResponse"]["rejectedRedemptions"]
    row = {
        "transaction_guid": guid,
        "loyalty_identifier": identifier,
        "restaurant_guid": terminal.restaurant,
        "check_guid": None,
        "customer_id": customer_id,
        "redemptions": [sent],
        "created_at": datetime.now(UTC).replace(tzinfo=None),
    }
    toast.record_unknown_outcome(shop.conn, shop.tenant, row)
    return guid


def test_the_panel_shows_the_toast_identifier_only_when_there_is_one(page, shop, terminal):
    _, _, identifier = guest(shop, terminal, "Tia Toast", 10)
    enrol_customer(shop.conn, shop.tenant, next(PHONES), "Nel Notoast")
    sign_in(page, shop)
    panel = open_panel(page, "Tia Toast")
    expect(panel.locator("#detail-toast")).to_have_text(f"Toast loyalty identifier: {identifier}")
    panel = open_panel(page, "Nel Notoast")
    expect(panel.locator("#detail-toast")).to_be_empty()
    expect(panel.locator("#detail-toast")).to_be_hidden()


def test_a_lost_toast_redemption_is_shown_and_its_points_given_back(page, shop, terminal):
    set_rewards(shop, [OFF5])
    customer_id, _, identifier = guest(shop, terminal, "Gus Lost", 800)
    lost_redeem(shop, terminal, customer_id, identifier, commit=False)
    lost_redeem(shop, terminal, customer_id, identifier, commit=True)
    sign_in(page, shop)
    panel = open_panel(page, "Gus Lost")
    expect(panel.locator("#detail-balance")).to_have_text("Balance: 300 points")
    notices = panel.get_by_role("group", name=re.compile("A Toast redemption on .* may or may not"))
    expect(notices).to_have_count(2)
    went, did_not = notices.nth(0), notices.nth(1)  # newest first
    today = datetime.now(UTC).strftime("%-d %b %Y")
    expect(went).to_contain_text(f"A Toast redemption on {today} may or may not have gone through")
    expect(went).to_contain_text("Rewards asked for: £5 off.")
    expect(went).to_contain_text("It went through: 500 points were taken.")
    expect(did_not).to_contain_text("It did not go through: no points were taken. Nothing to do.")
    expect(did_not.get_by_role("button")).to_have_count(0)

    went.get_by_role("button", name=re.compile("^Give back 500 points")).click()
    box = dialog(page, "Refund")
    expect(box.get_by_label("Points to give back")).to_have_value("500")
    box.get_by_label("Reason").fill("Toast lost the answer; no discount given")
    box.get_by_role("button", name="Refund").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Refund 500 points").click()
    expect(box).to_be_hidden()
    expect(panel.locator("#detail-balance")).to_have_text("Balance: 800 points")
    expect(went).to_contain_text("the points were given back.")
    expect(went.get_by_role("button")).to_have_count(0)
    first = panel.locator("#detail-entries tbody tr").first
    expect(first.locator("td").nth(0)).to_have_text("Refunded")


def test_axe_and_a_phone_on_the_rewards_editor_and_the_toast_notice(
    page, phone_page, shop, terminal, axe_source
):
    set_rewards(shop, [OFF5])
    programme_screen(page, shop)
    reward_row(page, 1).get_by_label("Points").fill("0")
    page.get_by_role("button", name="Save rewards").click()
    expect(reward_row(page, 1).get_by_label("Points")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, axe_source, "rewards editor with an error")
    customer_id, _, identifier = guest(shop, terminal, "Axe Toast", 600)
    lost_redeem(shop, terminal, customer_id, identifier, commit=True)
    page.get_by_role("link", name="Customers").click()
    panel = open_panel(page, "Axe Toast")
    expect(panel.locator(".outcome")).to_have_count(1)
    assert_accessible(page, axe_source, "panel with a Toast notice")

    programme_screen(phone_page, shop)
    expect(reward_row(phone_page, 1).get_by_label("Name")).to_be_visible()
    assert scroll_width(phone_page) <= 390
    for control in ("#save-rewards", "#add-reward", ".remove-reward"):
        box = phone_page.locator(control).first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, control
    phone_page.get_by_role("link", name="Customers").click()
    panel = open_panel(phone_page, "Axe Toast")
    expect(panel.locator(".outcome")).to_be_visible()
    assert scroll_width(phone_page) <= 390
    phone_page.screenshot(
        path=str(ROOT / "test-output" / "admin-toast-notice-phone.png"), full_page=True
    )
