"""Issue 18 in the admin app, as a shop owner uses it: the Import dialog (a preview listing
the refused lines, then Confirm with a progress line), a customer's data downloaded from the
panel, and erasure behind a typed confirmation.

The import, export and erasure endpoints are being built on the `members` branch; until it is
merged they are stubbed here with Playwright's page.route, in the shapes of that branch's
openapi.yaml (ImportReport, CustomerData, Erasure). The stubs stand in for the server only:
the list, the panel and everything else come from the real API, patched as an erasure would
change them."""

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.customers import enrol_customer
from service.points import PointsChange, earn_points

from . import browser as ui
from . import test_admin_actions as admin_app
from .browser import ROOT
from .test_admin_actions import (
    PHONES,
    assert_accessible,
    dialog,
    open_panel,
    row,
    scroll_width,
    sign_in,
)

shop, browser, axe_source = admin_app.shop, admin_app.browser, admin_app.axe_source
# The owner's pages, desk and phone (tests/browser.py).
page, phone_page = ui.page, ui.phone_page

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


# ---- the members endpoints, stubbed -----------------------------------------------------------


def cors(shop):
    return {
        "Access-Control-Allow-Origin": shop.site.origin,
        "Access-Control-Allow-Headers": "Authorization, Content-Type, If-None-Match",
        "Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE, OPTIONS",
        "Access-Control-Expose-Headers": "ETag, Content-Disposition",
        "Cache-Control": "no-store",
    }


class MembersStub:
    """The members branch's import, export and erasure on `page`, writing through the domain
    what the real import writes (so the list shows the imported customers)."""

    def __init__(self, page, shop):
        self.page, self.shop = page, shop
        self.erased: dict[int, int] = {}  # customer id -> points forfeited
        self.erasure_bodies: list[dict] = []
        self.import_calls: list[dict] = []
        self.imported: set[str] = set()
        api = re.escape(shop.api.url)
        page.route(re.compile(rf"^{api}/api/admin/customers/import\?"), self.import_file)
        page.route(re.compile(rf"^{api}/api/admin/customers/(\d+)/export$"), self.export)
        page.route(re.compile(rf"^{api}/api/admin/customers/(\d+)$"), self.erase)
        page.route(re.compile(rf"^{api}/api/admin/customers(\?|/\d+/transactions)"), self.patched)

    def answer(self, route, status, body, **headers):
        route.fulfill(
            status=status,
            headers={**cors(self.shop), **headers},
            content_type="application/json",
            body=json.dumps(body),
        )

    def preflight(self, route) -> bool:
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors(self.shop))
            return True
        return False

    # -- POST /api/admin/customers/import?dry_run=&skip_invalid= (text/csv body) --

    def check(self, text):
        """(valid rows, refused "line N: reason"), as the import's row rules read them."""
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        valid, refused, seen = [], [], set()
        for number, fields in enumerate(reader, start=2):
            phone = re.sub(r"[\s-]", "", fields.get("phone") or "")
            if phone.startswith("0"):
                phone = "+44" + phone[1:]
            points = (fields.get("points") or "0").strip()
            if not re.fullmatch(r"\+447\d{9}", phone):
                refused.append(f"line {number}: the phone {fields.get('phone')!r} is not a phone")
            elif phone in seen:
                refused.append(f"line {number}: the phone is already on an earlier line")
            elif not re.fullmatch(r"\d+", points):
                refused.append(f"line {number}: points must be a whole number, 0 or more")
            else:
                seen.add(phone)
                valid.append((phone, (fields.get("name") or "").strip() or None, int(points)))
        return valid, refused

    def import_file(self, route):
        if self.preflight(route):
            return
        request = route.request
        query = dict(re.findall(r"(\w+)=(\w+)", request.url.split("?", 1)[1]))
        self.import_calls.append({"query": query, "type": request.headers["content-type"]})
        valid, refused = self.check(request.post_data)
        dry_run, skip = query.get("dry_run") == "true", query.get("skip_invalid") == "true"
        new = [row for row in valid if row[0] not in self.imported]
        report = {
            "rows": len(valid) + len(refused),
            "valid": len(valid),
            "refused": refused,
            "refused_count": len(refused),
            "already_enrolled": 0,
            "already_imported": len(valid) - len(new),
            "to_import": len(new),
            "points_imported": sum(points for _, _, points in new),
            "imported": 0,
            "complete": True,
            "written": False,
            "file_sha256": "0" * 64,
        }
        if not dry_run and (skip or not refused):
            batch = new[:2]  # the request's time runs out after two: the app sends it again
            for phone, name, points in batch:
                enrol_customer(self.shop.conn, self.shop.tenant, phone, name)
                if points:
                    change = PointsChange(phone, points, f"import-{phone}")
                    earn_points(self.shop.conn, self.shop.tenant, change)
                self.imported.add(phone)
            report.update(
                imported=len(batch), written=True, complete=len(batch) == len(new), to_import=0
            )
        self.answer(route, 200, report)

    # -- GET /api/admin/customers/<id>/export --

    def export(self, route):
        if self.preflight(route):
            return
        customer_id = int(re.search(r"/customers/(\d+)/export", route.request.url)[1])
        document = {
            "customer": {"customer_id": customer_id},
            "transactions": [],
            "webhook_events": [],
            "erasure": None,
            "exported_at": datetime.now(UTC).isoformat(),
        }
        name = f"customer-{customer_id}-{self.shop.slug}.json"
        self.answer(
            route, 200, document, **{"Content-Disposition": f'attachment; filename="{name}"'}
        )

    # -- DELETE /api/admin/customers/<id> {"reason"} (PATCH goes to the real API) --

    def erase(self, route):
        if route.request.method != "DELETE":
            route.fallback()
            return
        customer_id = int(re.search(r"/customers/(\d+)$", route.request.url)[1])
        body = route.request.post_data_json
        self.erasure_bodies.append(body)
        if not (body or {}).get("reason"):
            self.answer(route, 422, {"code": "validation_error", "detail": "reason is required"})
            return
        self.erased[customer_id] = 800
        erasure = {
            "customer_id": customer_id,
            "erased_at": datetime.now(UTC).isoformat(),
            "erased_by": {"kind": "admin", "label": self.shop.email},
            "points_forfeited": 800,
            "reason": body["reason"],
            "replayed": False,
        }
        self.answer(route, 200, erasure)

    # -- the list and the ledger, as they read once the customer is erased --

    def patched(self, route):
        if route.request.method != "GET" or not self.erased:
            route.fallback()
            return
        headers = {k: v for k, v in route.request.headers.items() if k != "if-none-match"}
        response = route.fetch(headers=headers)
        data = response.json()
        for card in data.get("items", []):
            if card.get("customer_id") in self.erased:
                card.update(phone=f"erased-{card['customer_id']}", name=None, points_balance=0)
        self.answer(route, response.status, data)


@pytest.fixture
def stub(page, shop):
    return MembersStub(page, shop)


# ---- import ---------------------------------------------------------------------------------


def csv_file(tmp_path, text):
    path = tmp_path / "members.csv"
    path.write_text(text, encoding="utf-8")
    return path


def numbers(count):
    return [next(PHONES) for _ in range(count)]


def test_the_import_preview_lists_refused_lines_then_confirm_imports(page, shop, stub, tmp_path):
    a, b, c = numbers(3)
    text = (
        "name;phone;points\n"  # any order, `;` too
        f"Imp Ada;0{a[3:]};120\n"
        "Imp Bad;12345;5\n"
        f"Imp Bo;{b};0\n"
        f"Imp Dup;{b};7\n"
        f"Imp Cy;{c};-4\n"
    ).replace(";", ",")
    sign_in(page, shop)
    page.get_by_role("button", name="Import").click()
    box = dialog(page, "Import customers")
    expect(box.get_by_label("CSV file")).to_be_focused()
    box.get_by_role("button", name="Check file").click()
    expect(box.get_by_role("alert")).to_have_text("Choose a CSV file first.")
    box.get_by_label("CSV file").set_input_files(str(csv_file(tmp_path, text)))
    box.get_by_role("button", name="Check file").click()
    expect(box.locator("#import-summary")).to_contain_text("5 lines of members read.")
    expect(box.locator("#import-summary")).to_contain_text(
        "2 new customers to import, with 120 points between them."
    )
    refused = box.get_by_role("list", name="Refused lines").get_by_role("listitem")
    expect(refused).to_have_text(
        [
            re.compile(r"^line 3: the phone '12345'"),
            "line 5: the phone is already on an earlier line",
            "line 6: points must be a whole number, 0 or more",
        ]
    )
    assert stub.import_calls == [
        {"query": {"dry_run": "true", "skip_invalid": "false"}, "type": "text/csv"}
    ]
    assert not row(page, "Imp Ada").count()  # the preview wrote nothing
    box.get_by_role("button", name="Import 2 customers, skip 3 refused lines").click()
    expect(box).to_be_hidden()
    expect(page.locator("#list-notice")).to_have_text(
        "Imported 2 customers. 3 refused lines left out."
    )
    expect(row(page, "Imp Ada")).to_contain_text("120")
    expect(row(page, "Imp Bo")).to_be_visible()
    assert stub.import_calls[1]["query"] == {"dry_run": "false", "skip_invalid": "true"}


def test_a_long_import_shows_its_progress_and_carries_on(page, shop, stub, tmp_path):
    phones = numbers(3)
    text = "phone,name\n" + "".join(f"{p},Imp Run {i}\n" for i, p in enumerate(phones))
    sign_in(page, shop)
    page.get_by_role("button", name="Import").click()
    box = dialog(page, "Import customers")
    box.get_by_label("CSV file").set_input_files(str(csv_file(tmp_path, text)))
    box.get_by_role("button", name="Check file").click()
    expect(box.locator("#import-refused-box")).to_be_hidden()
    progress = []
    page.expose_function("seen", lambda text: progress.append(text))
    page.evaluate(
        """() => new MutationObserver(() => window.seen(
             document.getElementById('import-progress').textContent))
           .observe(document.getElementById('import-progress'),
                    {childList: true, characterData: true, subtree: true})"""
    )
    box.get_by_role("button", name="Import 3 customers").click()
    expect(box).to_be_hidden()
    expect(page.locator("#list-notice")).to_have_text("Imported 3 customers.")
    # Two rounds (the first ran out of time after two rows): the line said how far it got.
    assert [c["query"]["dry_run"] for c in stub.import_calls] == ["true", "false", "false"]
    assert "Importing… 2 of 3 customers" in progress
    for i in range(3):
        expect(row(page, f"Imp Run {i}")).to_be_visible()
    # The same file again: nothing new, nothing to confirm.
    page.get_by_role("button", name="Import").click()
    box.get_by_label("CSV file").set_input_files(str(csv_file(tmp_path, text)))
    box.get_by_role("button", name="Check file").click()
    expect(box.locator("#import-summary")).to_contain_text("No new customers to import.")
    expect(box.locator("#import-summary")).to_contain_text("3 lines imported from this file before")
    expect(box.locator("#import-confirm")).to_be_hidden()


# ---- a customer's data, and erasure ------------------------------------------------------------


def member(shop, name, points=800):
    phone = next(PHONES)
    customer = enrol_customer(shop.conn, shop.tenant, phone, name)
    earn_points(shop.conn, shop.tenant, PointsChange(phone, points, f"m-{customer['id']}"))
    return customer["id"], phone


def test_download_data_saves_the_customers_json(page, shop, stub):
    customer_id, _ = member(shop, "Dee Data")
    sign_in(page, shop)
    panel = open_panel(page, "Dee Data")
    with page.expect_download() as download:
        panel.get_by_role("button", name="Download data").click()
    saved = download.value
    assert saved.suggested_filename == f"customer-{customer_id}-{shop.slug}.json"
    document = json.loads(Path(saved.path()).read_text())
    assert document["customer"]["customer_id"] == customer_id


def test_erasure_needs_the_typed_confirmation_then_the_customer_shows_as_erased(page, shop, stub):
    customer_id, phone = member(shop, "Eve Erase")
    sign_in(page, shop)
    panel = open_panel(page, "Eve Erase")
    panel.get_by_role("button", name="Erase customer").click()
    box = dialog(page, "Erase customer")
    expect(box).to_contain_text("cannot be undone")
    expect(box).to_contain_text("Their balance of 800 points is forfeited")
    box.get_by_role("button", name="Erase for good").click()
    expect(box.get_by_role("alert")).to_contain_text("Give a reason")
    box.get_by_label("Reason").fill("asked in the shop on 6 Dec")
    box.get_by_label("To confirm, type the customer's phone number or ERASE").fill("yes")
    box.get_by_role("button", name="Erase for good").click()
    expect(box.get_by_role("alert")).to_have_text(
        "Type the customer's phone number or the word ERASE to confirm."
    )
    assert stub.erasure_bodies == []  # nothing was sent
    box.get_by_label("To confirm, type the customer's phone number or ERASE").fill(
        "0" + phone[3:7] + " " + phone[7:]
    )
    box.get_by_role("button", name="Erase for good").click()
    expect(box).to_be_hidden()
    assert stub.erasure_bodies == [{"reason": "asked in the shop on 6 Dec"}]
    expect(panel.locator("#detail-notice")).to_have_text(
        "Erased: the name and phone are gone. 800 points forfeited."
    )
    expect(panel.get_by_role("heading", name="Erased customer")).to_be_visible()
    for gone in ("Adjust points", "Edit name", "Erase customer"):
        expect(panel.get_by_role("button", name=gone)).to_be_hidden()
    expect(panel.get_by_role("button", name="Download data")).to_be_visible()
    erased_row = page.locator(f"#customers tbody tr[data-customer-id='{customer_id}']")
    expect(erased_row.locator("td").nth(0)).to_have_text("Erased customer")
    expect(erased_row.locator("td").nth(1)).to_have_text("—")
    expect(row(page, "Eve Erase")).to_have_count(0)


def test_axe_and_a_phone_on_the_import_and_erase_dialogs(
    page, phone_page, shop, axe_source, tmp_path
):
    MembersStub(page, shop)
    member(shop, "Axe Erase")
    text = f"phone,points\n{next(PHONES)},5\nnot-a-phone,1\n"
    sign_in(page, shop)
    page.get_by_role("button", name="Import").click()
    box = dialog(page, "Import customers")
    box.get_by_label("CSV file").set_input_files(str(csv_file(tmp_path, text)))
    box.get_by_role("button", name="Check file").click()
    expect(box.locator("#import-refused li")).to_have_count(1)
    assert_accessible(page, axe_source, "import preview")
    box.get_by_role("button", name="Close").click()
    open_panel(page, "Axe Erase").get_by_role("button", name="Erase customer").click()
    erase = dialog(page, "Erase customer")
    erase.get_by_role("button", name="Erase for good").click()
    expect(erase.get_by_role("alert")).not_to_be_empty()
    assert_accessible(page, axe_source, "erase dialog with an error")

    MembersStub(phone_page, shop)
    sign_in(phone_page, shop)
    phone_page.get_by_role("button", name="Import").click()
    box = dialog(phone_page, "Import customers")
    box.get_by_label("CSV file").set_input_files(str(csv_file(tmp_path, text)))
    box.get_by_role("button", name="Check file").click()
    expect(box.locator("#import-refused li")).to_have_count(1)
    confirm = box.get_by_role("button", name=re.compile("^Import 1 customer"))
    for part in (box, confirm, box.locator("#import-refused li")):
        bounds = part.bounding_box()
        assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= 390
    assert scroll_width(phone_page) <= 390
    phone_page.screenshot(path=str(ROOT / "test-output" / "admin-import-phone.png"))
    box.get_by_role("button", name="Close").click()
    panel = open_panel(phone_page, "Axe Erase")
    panel.get_by_role("button", name="Erase customer").click()
    erase = dialog(phone_page, "Erase customer")
    for part in (erase, erase.get_by_role("button", name="Erase for good")):
        bounds = part.bounding_box()
        assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= 390
    phone_page.screenshot(path=str(ROOT / "test-output" / "admin-erase-phone.png"))
