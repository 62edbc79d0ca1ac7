"""Harness for the browser tests: the API under real gunicorn, the built admin app on a static
server, and Debian's Chromium driven by Playwright (test tools cannot download a browser)."""

import functools
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .harness import ROOT, Gunicorn, database_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


OUTPUT = ROOT / "test-output"  # screenshots and the API's log, kept after the run


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium, launched through Playwright; closed on exit."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright  # only browser tests pay for the import

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@contextmanager
def admin_app(database, build_dir: Path) -> Iterator[tuple["ApiProcess", "StaticSite"]]:
    """The admin app on a static server and the API under gunicorn answering it (its log in
    OUTPUT); both stopped on exit."""
    site = StaticSite(build_dir)
    OUTPUT.mkdir(exist_ok=True)
    api = ApiProcess(database, site.origin, OUTPUT)
    site.point_at(api.url)
    api.start()
    try:
        yield api, site
    finally:
        api.stop()
        site.close()


class ApiProcess(Gunicorn):
    """``gunicorn 'service:create_app()'`` on the test database, logging to
    ``log_dir/gunicorn.log``; tests may stop and restart it (same port)."""

    def __init__(self, database, cors_origin: str, log_dir: Path):
        env = {
            "DATABASE_URL": database_url(database),
            "CORS_ORIGINS": cors_origin,
            "SECRET_KEY": "browser-test-secret",
            "WEB_CONCURRENCY": "1",
        }
        super().__init__(env=env, log=log_dir / "gunicorn.log")


class StaticSite:
    """The admin app as `make frontend` builds it, served from a temporary folder."""

    def __init__(self, build_dir: Path):
        shutil.copytree(ROOT / "frontend" / "src", build_dir, dirs_exist_ok=True)
        self.build_dir = build_dir
        handler = functools.partial(QuietHandler, directory=str(build_dir))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def point_at(self, api_url: str) -> None:
        (self.build_dir / "config.js").write_text(f'export const API_BASE_URL = "{api_url}";\n')

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def sign_in_page(page, origin: str, tenant: str, email: str, password: str) -> None:
    """Open the admin app at the tenant's customers and sign in through its form."""
    page.goto(f"{origin}/#/{tenant}/admin/customers")
    page.get_by_label("Tenant").fill(tenant)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def owners_page(browser, width: int, height: int):
    """A page as a British owner's browser shows it (dates read "31 Dec 2027"), downloads on."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="en-GB", accept_downloads=True
    )
    return context.new_page()


@pytest.fixture
def page(browser):
    """A desk-sized owner's page (the module's ``browser``); closed afterwards."""
    page = owners_page(browser, 1280, 900)
    yield page
    page.context.close()


@pytest.fixture
def phone_page(browser):
    """A phone-sized (390 px) owner's page; closed afterwards."""
    page = owners_page(browser, 390, 844)
    yield page
    page.context.close()
