"""The admin customers page in a real browser: sign-in, live sync, pause, 304s, offline."""

import re
import time
from contextlib import closing

import pytest

from service import demo
from service.db import connect

from .browser import admin_app, chromium, sign_in_page
from .harness import ROOT
from .helpers import Till

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

NOTES_PHONE = "+447306506797"


@pytest.fixture(scope="module")
def stack(database, tmp_path_factory):
    """The seeded demo tenant, the API under gunicorn and the admin app; yields a namespace."""
    with closing(connect(database)) as conn:
        seeded = demo.seed(conn)
    with admin_app(database, tmp_path_factory.mktemp("admin-app")) as (api, site):
        yield type("Stack", (), {"api": api, "site": site, "seed": seeded})


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser, stack):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.customers_requests = []  # (status, url) of every list response the page received
    page.on(
        "response",
        lambda r: (
            "/api/admin/customers?" in r.url and page.customers_requests.append((r.status, r.url))
        ),
    )
    yield page
    context.close()


def sign_in(page, stack, password=None):
    password = password or stack.seed["admin_password"]
    sign_in_page(page, stack.site.origin, "demo", stack.seed["admin_email"], password)


def signed_in(page, stack):
    sign_in(page, stack)
    expect(page.get_by_role("status")).to_have_text("● Live (Auto-refresh: 5s)")
    expect(page.locator("#customers tbody tr").first).to_be_visible()
    return page


def notes_row(page):
    return page.locator("#customers tbody tr", has_text="Alex Morgan")


@pytest.fixture
def till(stack):
    """The demo shop's till, serving NOTES_PHONE."""
    return Till(stack.api.url, stack.seed["pos_key"], NOTES_PHONE)


def test_sign_in_shows_the_demo_customers(page, stack):
    signed_in(page, stack)
    headers = page.locator("#customers thead th").all_inner_texts()
    assert headers == ["Name", "Phone", "Points", "Redeemed", "Earned", "Updated"]
    expect(notes_row(page)).to_contain_text("+44 7306 506797")
    expect(page.locator("#page-info")).to_contain_text("37 customers")
    expect(page.locator("#last-updated")).to_have_text(re.compile(r"Last updated \d\d:\d\d:\d\d"))
    assert page.url.endswith("#/demo/admin/customers")
    page.reload()  # the route and the session survive a reload
    expect(notes_row(page)).to_be_visible()


def test_a_redemption_at_the_till_appears_within_one_interval(page, stack, till):
    signed_in(page, stack)
    page.evaluate("window.__sameDocument = true")
    balance = till.redeem(20, f"till-{time.time_ns()}", expect=201).json()["points_balance"]
    started = time.monotonic()
    expect(notes_row(page).locator("td").nth(2)).to_have_text(f"{balance:,}", timeout=6000)
    assert time.monotonic() - started < 6
    expect(notes_row(page)).to_have_class(re.compile("changed"))
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    page.screenshot(path=str(ROOT / "test-output" / "admin-live.png"), full_page=True)


def test_refresh_shows_a_change_at_once(page, stack, till):
    signed_in(page, stack)
    page.get_by_label("Auto-refresh").select_option("30000")
    expect(page.get_by_role("status")).to_have_text("● Live (Auto-refresh: 30s)")
    balance = till.redeem(5, f"till-{time.time_ns()}", expect=201).json()["points_balance"]
    page.get_by_role("button", name="Refresh").click()
    expect(notes_row(page).locator("td").nth(2)).to_have_text(f"{balance:,}", timeout=1500)
    page.reload()  # the chosen interval is remembered
    expect(page.get_by_role("status")).to_have_text("● Live (Auto-refresh: 30s)")
    page.get_by_label("Auto-refresh").select_option("5000")


def test_pause_stops_polling_and_resume_restarts_it(page, stack):
    signed_in(page, stack)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("status")).to_have_text("Paused")
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    before = len(page.customers_requests)
    page.wait_for_timeout(6500)
    assert len(page.customers_requests) == before
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("status")).to_have_text("● Live (Auto-refresh: 5s)")
    page.wait_for_timeout(5800)
    assert len(page.customers_requests) >= before + 2  # at once, then on the next tick


def test_unchanged_polls_get_304_and_do_not_re_render(page, stack):
    signed_in(page, stack)
    table = page.locator("#customers")
    page.wait_for_timeout(300)
    renders = table.get_attribute("data-render-count")
    first = len(page.customers_requests)
    page.wait_for_timeout(10_800)
    polls = page.customers_requests[first:]
    assert len(polls) >= 2
    assert {status for status, _ in polls} == {304}
    assert table.get_attribute("data-render-count") == renders


def test_offline_state_shows_and_clears_by_itself(page, stack, till):
    signed_in(page, stack)
    stack.api.stop()
    try:
        expect(page.get_by_role("status")).to_contain_text("Offline", timeout=7000)
    finally:
        stack.api.start()
    expect(page.get_by_role("status")).to_have_text("● Live (Auto-refresh: 5s)", timeout=20_000)
    balance = till.redeem(5, f"till-{time.time_ns()}", expect=201).json()["points_balance"]
    expect(notes_row(page).locator("td").nth(2)).to_have_text(f"{balance:,}", timeout=6000)


def test_wrong_password_shows_an_error(page, stack):
    sign_in(page, stack, password="not the password")
    expect(page.get_by_role("alert").first).to_have_text("Wrong tenant, email or password.")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def change_stored_session(page, **fields):
    """Edit the session the app keeps in sessionStorage, then reload the page."""
    page.evaluate(
        """(fields) => {
        const session = JSON.parse(sessionStorage.getItem("loyalty.session"));
        sessionStorage.setItem("loyalty.session", JSON.stringify({...session, ...fields}));
    }""",
        fields,
    )
    page.reload()


def test_expired_or_broken_session_returns_to_sign_in(page, stack):
    signed_in(page, stack)
    change_stored_session(page, expiresAt="2000-01-01T00:00:00+00:00")
    expect(page.locator("#sign-in-message")).to_have_text(re.compile("session has expired"))
    signed_in(page, stack)
    change_stored_session(page, token="forged")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.locator("#sign-in-message")).to_have_text("Please sign in again.")


def test_sign_out(page, stack):
    signed_in(page, stack)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('loyalty.session')") is None


def test_row_opens_the_ledger_and_it_stays_live(page, stack, till):
    signed_in(page, stack)
    notes_row(page).click()
    panel = page.locator("#detail")
    expect(panel.get_by_role("heading", name="Alex Morgan")).to_be_visible()
    expect(panel.locator("tbody tr").first).to_be_visible()
    reference = f"till-{time.time_ns()}"
    till.redeem(1, reference, expect=201)
    expect(panel.locator("tbody tr").first).to_contain_text(reference, timeout=6000)
    expect(panel.locator("tbody tr").first).to_contain_text("Redeemed")
    panel.get_by_role("button", name="Close").click()
    expect(panel).to_be_hidden()


def test_search_filters_by_name_and_phone(page, stack):
    signed_in(page, stack)
    page.get_by_label("Search").fill("alex")
    expect(page.locator("#customers tbody tr")).to_have_count(1)
    page.get_by_label("Search").fill("07306 506797")
    expect(page.locator("#customers tbody tr")).to_have_count(1)
    expect(notes_row(page)).to_be_visible()
    page.get_by_label("Search").fill("")
    expect(page.locator("#page-info")).to_contain_text("37 customers")
