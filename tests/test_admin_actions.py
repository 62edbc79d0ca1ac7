"""The admin app as a shop owner works in it: adjust, refund, add, rename, export, the ledger
panel, the phone layout, marks that last, offline recovery, keyboard use and axe-core."""

import csv
import io
import itertools
import re
import secrets
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest
import requests

from service.auth import create_admin, create_pos_key
from service.customers import enrol_customer
from service.db import connect
from service.points import PointsChange, earn_points, redeem_points
from service.tenancy import create_tenant

from .browser import OUTPUT, admin_app, chromium, sign_in_page
from .harness import ROOT
from .helpers import Till

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

AXE = ROOT / ".local" / "axe-core" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "a shop owner's password"
MINUS = "\N{MINUS SIGN}"  # how the panel writes a negative amount
PHONES = (f"+4473066{n:05d}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def shop(database, tmp_path_factory):
    """A fresh shop with an admin, the API under gunicorn and the admin app; yields a
    namespace with ``api``, ``site``, ``slug``, ``email``, ``pos_key``, ``conn``, ``tenant``."""
    slug = f"cafe-{secrets.token_hex(3)}"
    conn = connect(database)
    tenant = create_tenant(conn, slug, "Corner Cafe", "GB")
    create_admin(conn, tenant, f"owner@{slug}.test", PASSWORD)
    with closing(conn), admin_app(database, tmp_path_factory.mktemp("admin-app")) as (api, site):
        yield type(
            "Shop",
            (),
            {
                "api": api,
                "site": site,
                "slug": slug,
                "email": f"owner@{slug}.test",
                "pos_key": create_pos_key(conn, tenant, "tests"),
                "conn": conn,
                "tenant": tenant,
            },
        )


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


def new_page(browser, width=1280, height=900):
    context = browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=True
    )
    return context.new_page()


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def phone_page(browser):
    page = new_page(browser, 390, 844)
    yield page
    page.context.close()


def customer(shop, name, earned=0, redeemed=(), earn_times=1):
    """A new customer of the shop with its history written through the domain; returns
    (name, E.164)."""
    phone = next(PHONES)
    enrol_customer(shop.conn, shop.tenant, phone, name)
    for _ in range(earn_times if earned else 0):
        earn_points(
            shop.conn, shop.tenant, PointsChange(phone, earned, f"e-{secrets.token_hex(6)}")
        )
    for points in redeemed:
        reference = f"R-{secrets.token_hex(3)}"
        redeem_points(shop.conn, shop.tenant, PointsChange(phone, points, reference))
    return name, phone


def sign_in(page, shop, interval="5000"):
    sign_in_page(page, shop.site.origin, shop.slug, shop.email, PASSWORD)
    expect(page.get_by_role("status")).to_contain_text("Live")
    page.get_by_label("Auto-refresh").select_option(interval)
    expect(page.locator("#customers tbody tr").first).to_be_visible()
    return page


def row(page, name):
    return page.locator("#customers tbody tr", has_text=name)


def open_panel(page, name):
    row(page, name).click()
    panel = page.locator("#detail")
    expect(panel.get_by_role("heading", name=name)).to_be_visible()
    expect(panel.locator("#ledger-info")).to_contain_text("shown")
    return panel


def entries(panel):
    return panel.locator("tbody tr")


def dialog(page, title):
    return page.get_by_role("dialog", name=title)


def confirm(page, button_name):
    box = dialog(page, "Please confirm")
    expect(box).to_be_visible()
    box.get_by_role("button", name=button_name).click()
    expect(box).to_be_hidden()


def points_of(page, name):
    return row(page, name).locator("td").nth(2)


# ---- acting from the page --------------------------------------------------------------


def test_adjust_points_asks_first_then_shows_the_result_at_once(page, shop):
    name, _ = customer(shop, "Dana Adjust", earned=200)
    sign_in(page, shop, interval="30000")  # the next poll is far away: the result is not it
    panel = open_panel(page, name)
    panel.get_by_role("button", name="Adjust points").click()
    box = dialog(page, "Adjust points")
    expect(box).to_contain_text("Dana Adjust has 200 points.")
    box.get_by_label("Points to add").fill("-10")
    box.get_by_label("Reason").fill("double-counted visit")
    box.get_by_role("button", name="Adjust points").click()
    expect(dialog(page, "Please confirm")).to_contain_text(
        "Remove 10 points from Dana Adjust? The balance goes from 200 to 190."
    )
    confirm(page, "Remove 10 points")
    expect(box).to_be_hidden()
    expect(points_of(page, name)).to_have_text("190", timeout=3000)
    first = entries(panel).first
    expect(first).to_contain_text("Adjusted")
    expect(first.locator("td").nth(1)).to_have_text(f"{MINUS}10")
    expect(first.locator("td").nth(2)).to_have_text("190")
    expect(panel.locator("#detail-balance")).to_have_text("Balance: 190 points")


def test_adjustment_refused_by_the_api_shows_its_detail_and_changes_nothing(page, shop):
    name, _ = customer(shop, "Eli Refused", earned=30)
    sign_in(page, shop)
    panel = open_panel(page, name)
    panel.get_by_role("button", name="Adjust points").click()
    box = dialog(page, "Adjust points")
    box.get_by_label("Points to add").fill("-50")
    box.get_by_label("Reason").fill("typo")
    box.get_by_role("button", name="Adjust points").click()
    confirm(page, "Remove 50 points")
    expect(box.get_by_role("alert")).to_have_text(
        "The customer has 30 points; this change needs 50."  # the API's problem detail
    )
    expect(box).to_be_visible()  # the admin can correct the amount
    box.get_by_label("Points to add").fill("abc")
    box.get_by_role("button", name="Adjust points").click()
    expect(box.get_by_role("alert")).to_contain_text("Enter a whole number of points")
    box.get_by_role("button", name="Cancel").click()
    expect(points_of(page, name)).to_have_text("30")
    expect(entries(panel).first).to_contain_text("Earned")


def test_going_back_from_the_confirmation_changes_nothing(page, shop):
    name, _ = customer(shop, "Fay Back", earned=40)
    sign_in(page, shop)
    panel = open_panel(page, name)
    panel.get_by_role("button", name="Adjust points").click()
    box = dialog(page, "Adjust points")
    box.get_by_label("Points to add").fill("5")
    box.get_by_label("Reason").fill("birthday")
    box.get_by_role("button", name="Adjust points").click()
    confirm(page, "Go back")
    expect(box).to_be_visible()
    box.get_by_role("button", name="Cancel").click()
    expect(entries(panel)).to_have_count(2)  # opened, earned


def test_refund_part_then_the_rest_and_never_beyond(page, shop):
    name, _ = customer(shop, "Gil Refund", earned=100, redeemed=[30])
    sign_in(page, shop, interval="30000")
    panel = open_panel(page, name)
    redemption = entries(panel).filter(has_text="Redeemed")
    expect(redemption.locator("td").nth(1)).to_have_text(f"{MINUS}30")
    expect(redemption.locator("td").nth(2)).to_have_text("70")
    redemption.get_by_role("button", name=re.compile("Refund")).click()
    box = dialog(page, "Refund")
    expect(box).to_contain_text("took 30 points; 30 points can still be given back.")
    expect(box.get_by_label("Points to give back")).to_have_value("30")
    box.get_by_label("Points to give back").fill("31")
    box.get_by_role("button", name="Refund").click()
    expect(box.get_by_role("alert")).to_have_text("Only 30 points can still be refunded.")
    box.get_by_label("Points to give back").fill("10")
    box.get_by_label("Reason").fill("starter sent back")
    box.get_by_role("button", name="Refund").click()
    confirm(page, "Refund 10 points")
    expect(points_of(page, name)).to_have_text("80", timeout=3000)
    first = entries(panel).first
    expect(first).to_contain_text("Refunded")
    expect(first.locator("td").nth(1)).to_have_text("+10")
    expect(first.locator("td").nth(2)).to_have_text("80")

    # The rest, while a till refunds 5 of them at the same time: the API refuses, and says why.
    redemption.get_by_role("button", name=re.compile("Refund")).click()
    expect(box.get_by_label("Points to give back")).to_have_value("20")
    reference = redemption.locator("td").nth(3).inner_text()
    till = Till(shop.api.url, shop.pos_key)
    till.reverse(
        reference, points=5, transaction_reference=f"till-{secrets.token_hex(4)}", expect=201
    )
    box.get_by_role("button", name="Refund").click()
    confirm(page, "Refund 20 points")
    expect(box.get_by_role("alert")).to_have_text(
        f"Only 15 of the 30 points redeemed by '{reference}' can still be given back."
    )
    box.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Refresh").click()
    expect(entries(panel).first.locator("td").nth(1)).to_have_text("+5")  # the till's refund
    redemption.get_by_role("button", name=re.compile("Refund")).click()
    expect(box.get_by_label("Points to give back")).to_have_value("15")
    box.get_by_role("button", name="Refund").click()
    confirm(page, "Refund 15 points")
    expect(points_of(page, name)).to_have_text("100", timeout=3000)
    expect(redemption.locator("td").nth(5)).to_have_text("Refunded")
    expect(redemption.get_by_role("button")).to_have_count(0)


def test_add_customer_then_the_same_phone_is_refused(page, shop):
    sign_in(page, shop, interval="30000")
    page.get_by_role("button", name="Add customer").click()
    box = dialog(page, "Add customer")
    box.get_by_label("Phone").fill("07306 599123")
    box.get_by_label("Name").fill("Hana New")
    box.get_by_role("button", name="Add customer").click()
    expect(box).to_be_hidden()
    expect(row(page, "Hana New")).to_contain_text("+44 7306 599123", timeout=3000)
    panel = page.locator("#detail")
    expect(panel.get_by_role("heading", name="Hana New")).to_be_visible()
    expect(entries(panel).first).to_contain_text("Account opened")

    page.get_by_role("button", name="Add customer").click()
    box.get_by_label("Phone").fill("+44 7306 599123")
    box.get_by_role("button", name="Add customer").click()
    expect(box.get_by_role("alert")).to_contain_text("+447306599123 is already enrolled")
    box.get_by_label("Phone").fill("12")
    box.get_by_role("button", name="Add customer").click()
    expect(box.get_by_role("alert")).to_contain_text("phone")
    box.press("Escape")
    expect(box).to_be_hidden()


def test_edit_a_customers_name(page, shop):
    name, _ = customer(shop, "Ivo Oldname", earned=5)
    sign_in(page, shop, interval="30000")
    panel = open_panel(page, name)
    panel.get_by_role("button", name="Edit name").click()
    box = dialog(page, "Edit name")
    expect(box.get_by_label("Name")).to_have_value("Ivo Oldname")
    box.get_by_label("Name").fill("Ivo Newname")
    box.get_by_role("button", name="Save name").click()
    expect(box).to_be_hidden()
    expect(row(page, "Ivo Newname")).to_be_visible(timeout=3000)
    expect(panel.get_by_role("heading", name="Ivo Newname")).to_be_visible()


def test_export_csv_downloads_the_filtered_list(page, shop):
    customer(shop, "Jo Export", earned=12)
    customer(shop, "=cmd|' /C calc'!A0", earned=1)
    sign_in(page, shop)
    page.get_by_label("Search").fill("export")
    expect(page.locator("#customers tbody tr")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    assert download.value.suggested_filename == f"customers-{shop.slug}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [(r["name"], r["points_balance"]) for r in rows] == [("Jo Export", "12")]
    page.get_by_label("Search").fill("calc")
    expect(page.locator("#customers tbody tr")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [r["name"] for r in rows] == ["'=cmd|' /C calc'!A0"]


# ---- the ledger panel ------------------------------------------------------------------


def test_ledger_shows_signed_points_balance_after_and_older_entries(page, shop):
    name, _ = customer(shop, "Kim Many", earned=10, earn_times=44, redeemed=[20])
    sign_in(page, shop)
    panel = open_panel(page, name)
    expect(entries(panel)).to_have_count(20)
    first = entries(panel).first
    expect(first.locator("td").nth(0)).to_have_text("Redeemed")
    expect(first.locator("td").nth(1)).to_have_text(f"{MINUS}20")
    expect(first.locator("td").nth(2)).to_have_text("420")
    expect(panel.locator("#ledger-info")).to_have_text("20 entries of 46 shown")
    panel.get_by_role("button", name="Show older").click()
    expect(entries(panel)).to_have_count(40)
    panel.get_by_role("button", name="Show older").click()
    expect(entries(panel)).to_have_count(46)
    expect(panel.get_by_role("button", name="Show older")).to_be_hidden()
    last = entries(panel).last
    expect(last).to_contain_text("Account opened")
    expect(last.locator("td").nth(2)).to_have_text("0")
    expect(entries(panel).nth(44).locator("td").nth(2)).to_have_text("10")


# ---- phone -----------------------------------------------------------------------------


def scroll_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def test_phone_width_never_scrolls_sideways(phone_page, shop):
    page = phone_page
    name, _ = customer(shop, "Lou Phone-Number-With-A-Rather-Long-Name", earned=50, redeemed=[5])
    sign_in(page, shop)
    assert scroll_width(page) <= 390
    card = row(page, name)
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    phone_cell = card.locator("td").nth(1)
    assert phone_cell.bounding_box()["height"] < 40  # one line, not three
    page.screenshot(path=str(OUTPUT / "admin-phone.png"), full_page=True)
    panel = open_panel(page, name)
    assert scroll_width(page) <= 390
    for control in ("Adjust points", "Edit name", "Close"):
        expect(panel.get_by_role("button", name=control)).to_be_in_viewport(ratio=0.0)
    panel.get_by_role("button", name=re.compile("Refund")).scroll_into_view_if_needed()
    page.screenshot(path=str(OUTPUT / "admin-phone-panel.png"), full_page=True)
    panel.get_by_role("button", name="Adjust points").click()
    assert scroll_width(page) <= 390
    adjust = dialog(page, "Adjust points")
    dialog_box = adjust.bounding_box()
    assert dialog_box["x"] >= 0 and dialog_box["x"] + dialog_box["width"] <= 390
    page.screenshot(path=str(OUTPUT / "admin-phone-dialog.png"))
    adjust.get_by_role("button", name="Cancel").click()
    for control in ("Refresh", "Pause", "Add customer", "Export CSV", "Next"):
        button = page.get_by_role("button", name=control)
        button.scroll_into_view_if_needed()
        bounds = button.bounding_box()
        assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= 390, control


def test_desktop_screenshot(page, shop):
    name, _ = customer(shop, "Mo Desktop", earned=80, redeemed=[15])
    sign_in(page, shop)
    open_panel(page, name)
    assert scroll_width(page) <= 1280
    page.screenshot(path=str(OUTPUT / "admin-desktop.png"), full_page=True)


# ---- live ------------------------------------------------------------------------------


def test_a_changed_row_stays_marked_until_seen(page, shop):
    name, phone = customer(shop, "Nia Marked", earned=100)
    other, _ = customer(shop, "Noel Other", earned=100)
    sign_in(page, shop)
    page.mouse.move(5, 5)  # away from the rows
    Till(shop.api.url, shop.pos_key, phone).redeem(10, secrets.token_hex(6), expect=201)
    expect(row(page, name)).to_have_class(re.compile("changed"), timeout=7000)
    marked_at = time.monotonic()
    changes = page.locator("#changes")
    expect(changes).to_have_text("1 customer changed")
    assert changes.get_attribute("aria-live") == "polite"
    page.wait_for_timeout(8500)  # a shop owner who looked away for a while
    assert "changed" in row(page, name).get_attribute("class")
    assert time.monotonic() - marked_at >= 8.5
    row(page, other).hover()  # seeing another row leaves this one marked
    assert "changed" in row(page, name).get_attribute("class")
    row(page, name).hover()
    expect(row(page, name)).not_to_have_class(re.compile("changed"))
    expect(changes).to_have_text("")

    # Unseen, the mark goes by itself after 10 s.
    page.mouse.move(5, 5)
    Till(shop.api.url, shop.pos_key, phone).redeem(10, secrets.token_hex(6), expect=201)
    expect(row(page, name)).to_have_class(re.compile("changed"), timeout=7000)
    marked_at = time.monotonic()
    expect(row(page, name)).not_to_have_class(re.compile("changed"), timeout=13_000)
    assert time.monotonic() - marked_at >= 9


def wait_ready(shop):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{shop.api.url}/readyz", timeout=1).ok:
                return time.monotonic()
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("the API did not come back")


def retry_seconds(page) -> int:
    text = page.locator("#retry-info").inner_text()
    match = re.fullmatch(r"Retrying in (\d+) s", text)
    assert match, text
    return int(match.group(1))


def test_offline_retries_at_most_every_15_s_and_recovers_within_15_s(page, shop):
    sign_in(page, shop)
    status = page.get_by_role("status")
    shop.api.stop()
    try:
        expect(status).to_have_text("Offline: cannot reach the server.", timeout=7000)
        expect(page.locator("#retry-info")).to_have_text(re.compile(r"Retrying in \d+ s"))
        # Long enough for the backoff to reach its cap (5, 10, then 15 s).
        page.wait_for_timeout(31_000)
        assert retry_seconds(page) <= 15
        expect(status).to_contain_text("Offline")
    finally:
        shop.api.start()
    back = wait_ready(shop)
    expect(status).to_contain_text("Live", timeout=16_000)
    assert time.monotonic() - back <= 15.5
    expect(page.locator("#retry-info")).to_have_text("")


def offline_for_a_while(page, shop):
    """Stop the API until the page has failed three times (the next retry is 15 s away), then
    start it again; returns with the page still offline and its next retry seconds away."""
    shop.api.stop()
    try:
        expect(page.get_by_role("status")).to_contain_text("Offline", timeout=7000)
        page.wait_for_timeout(16_000)  # failures at +5 s and +15 s: the next one at +30 s
    finally:
        shop.api.start()
    wait_ready(shop)
    assert retry_seconds(page) >= 3  # so "Live" within 2 s below is not the scheduled retry
    expect(page.get_by_role("status")).to_contain_text("Offline")


def test_refresh_focus_and_the_online_event_retry_at_once(page, shop):
    sign_in(page, shop)
    status = page.get_by_role("status")
    offline_for_a_while(page, shop)
    page.get_by_role("button", name="Refresh").click()
    expect(status).to_contain_text("Live", timeout=2000)

    offline_for_a_while(page, shop)
    page.evaluate("window.dispatchEvent(new FocusEvent('focus'))")  # back to the window
    expect(status).to_contain_text("Live", timeout=2000)

    page.context.set_offline(True)
    expect(status).to_contain_text("Offline", timeout=7000)
    page.wait_for_timeout(5500)
    assert retry_seconds(page) >= 4
    page.context.set_offline(False)  # the browser fires `online`
    expect(status).to_contain_text("Live", timeout=2000)


# ---- keyboard and axe-core --------------------------------------------------------------


def test_everything_works_from_the_keyboard(page, shop):
    name, _ = customer(shop, "Oona Keys", earned=60)
    sign_in(page, shop, interval="30000")
    page.get_by_label("Search").fill("Oona")
    expect(page.locator("#customers tbody tr")).to_have_count(1)
    page.get_by_label("Search").focus()
    for _ in range(20):  # Tab along until the row has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.customerId") is not None:
            break
    page.keyboard.press("Enter")
    panel = page.locator("#detail")
    expect(panel.get_by_role("heading", name=name)).to_be_focused()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Adjust points":
            break
    page.keyboard.press("Enter")
    box = dialog(page, "Adjust points")
    expect(box.get_by_label("Points to add")).to_be_focused()
    page.keyboard.type("15")
    page.keyboard.press("Tab")
    page.keyboard.type("loyal guest")
    page.keyboard.press("Enter")
    expect(
        dialog(page, "Please confirm").get_by_role("button", name="Add 15 points")
    ).to_be_focused()
    page.keyboard.press("Enter")
    expect(box).to_be_hidden()
    expect(points_of(page, name)).to_have_text("75", timeout=3000)
    expect(page.get_by_role("button", name="Adjust points")).to_be_focused()  # back to it
    page.get_by_role("button", name="Add customer").focus()
    page.keyboard.press("Enter")
    expect(dialog(page, "Add customer")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog(page, "Add customer")).to_be_hidden()


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        subprocess.run([str(ROOT / "scripts" / "ensure-axe.sh")], check=True, timeout=300)  # noqa: S603
    return AXE.read_text()


def assert_accessible(page, axe_source, where):
    """axe-core finds no serious or critical violation on what is shown now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{where}: {bad}"


def test_axe_finds_no_serious_violations(page, shop, axe_source):
    name, _ = customer(shop, "Pat Axe", earned=50, redeemed=[10])
    page.goto(f"{shop.site.origin}/#/{shop.slug}/admin/customers")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert_accessible(page, axe_source, "sign-in")
    page.get_by_label("Tenant").fill(shop.slug)
    page.get_by_role("button", name="Sign in").click()  # with the error message on show
    assert_accessible(page, axe_source, "sign-in with an error")
    sign_in(page, shop, interval="30000")
    assert_accessible(page, axe_source, "list")
    panel = open_panel(page, name)
    assert_accessible(page, axe_source, "panel")
    dialogs = [
        ("Add customer", lambda: page.get_by_role("button", name="Add customer").click()),
        ("Edit name", lambda: panel.get_by_role("button", name="Edit name").click()),
        ("Adjust points", lambda: panel.get_by_role("button", name="Adjust points").click()),
        ("Refund", lambda: panel.get_by_role("button", name=re.compile("Refund")).click()),
    ]
    for title, open_it in dialogs:
        open_it()
        expect(dialog(page, title)).to_be_visible()
        assert_accessible(page, axe_source, f"dialog {title}")
        page.keyboard.press("Escape")
        expect(dialog(page, title)).to_be_hidden()
    panel.get_by_role("button", name="Adjust points").click()
    box = dialog(page, "Adjust points")
    box.get_by_label("Points to add").fill("5")
    box.get_by_label("Reason").fill("a check")
    box.get_by_role("button", name="Adjust points").click()
    expect(dialog(page, "Please confirm")).to_be_visible()
    assert_accessible(page, axe_source, "confirmation")
    confirm(page, "Go back")
    box.get_by_role("button", name="Cancel").click()
