"""Fixtures: a throwaway MariaDB database per session, the app, shops (tenants) with keys.

Modelled on the Flask tutorial's fixtures, with a real database instead of SQLite.
"""

import secrets
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from service import create_app
from service.auth import create_admin, create_pos_key
from service.config import DatabaseSettings
from service.customers import enrol_customer
from service.db import connect
from service.points import PointsChange, earn_points
from service.tenancy import Tenant, create_tenant

from .browser import ApiProcess
from .harness import throwaway_database
from .helpers import ADMIN_PASSWORD, Till, assert_ledger_agrees_with_balances, sign_in


@pytest.fixture(scope="session")
def database() -> Iterator[DatabaseSettings]:
    with throwaway_database() as settings:
        yield settings


@pytest.fixture(scope="session")
def app(database):
    return create_app(
        {
            "TESTING": True,
            "DATABASE": database,
            "SECRET_KEY": "test-secret-key",
            "DB_POOL_SIZE": 60,
            # These tests check correctness under contention (50 tills on one customer) on a
            # loaded 2-core machine, where the default 5 s budget would turn slow lock queues
            # into honest 503s; the budget itself is tested in test_faults.py.
            "DB_TIMEOUT": 30.0,
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def conn(database):
    with closing(connect(database)) as connection:
        yield connection


@pytest.fixture(autouse=True)
def ledger_invariant(request):
    """After every test that used the database: each balance row equals what its ledger rows
    add up to. (Tests of pure rules need no database at all.)"""
    yield
    if "corrupts_balances" in request.keywords or "database" not in request.fixturenames:
        return
    database = request.getfixturevalue("database")
    with closing(connect(database)) as connection:
        assert_ledger_agrees_with_balances(connection)


@dataclass
class Shop:
    """A tenant with a POS key and an admin, made fresh for one test."""

    tenant: Tenant
    key: str
    admin_email: str
    conn: object

    @property
    def pos_headers(self) -> dict:
        return {"X-API-Key": self.key}

    def till(self, client, phone: str | None = None) -> Till:
        """This shop's till, through ``client`` (a Flask test client or a base URL)."""
        return Till(client, self.key, phone)

    def sign_in(self, client, password: str = ADMIN_PASSWORD, email: str | None = None):
        """Its admin's sign-in (the answer as it comes)."""
        return sign_in(client, self.tenant.slug, email or self.admin_email, password)

    def add_customer(self, phone: str, points: int = 0, name: str | None = None) -> str:
        """Enrol a customer with ``points`` earned through the ledger; returns its E.164."""
        customer = enrol_customer(self.conn, self.tenant, phone, name)
        if points:
            reference = f"setup-{secrets.token_hex(6)}"
            earn_points(self.conn, self.tenant, PointsChange(phone, points, reference))
        return customer["phone"]


@pytest.fixture
def make_shop(conn):
    def make(region: str = "GB") -> Shop:
        slug = f"shop-{secrets.token_hex(4)}"
        tenant = create_tenant(conn, slug, f"Shop {slug}", region)
        email = f"admin@{slug}.test"
        create_admin(conn, tenant, email, ADMIN_PASSWORD)
        return Shop(tenant, create_pos_key(conn, tenant, "tests"), email, conn)

    return make


@pytest.fixture
def shop(make_shop) -> Shop:
    return make_shop()


@pytest.fixture
def admin_headers(client):
    """``admin_headers(shop)``: an Authorization header signed in as the shop's admin."""

    def headers_for(shop: Shop) -> dict:
        response = shop.sign_in(client)
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}

    return headers_for


@pytest.fixture(scope="session")
def live_server(app):
    """The app on a real threaded HTTP server on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def gunicorn_server(database, tmp_path_factory):
    """The API under real gunicorn (gunicorn.conf.py, one worker) on the test database; its URL."""
    api = ApiProcess(database, "http://127.0.0.1", tmp_path_factory.mktemp("gunicorn"))
    # Fuzzing signs in far more often than any admin (tests/test_rate_limits.py covers limits).
    api.env["SIGN_IN_LIMIT_PER_ADDRESS"] = "10000 per minute"
    api.env["SIGN_IN_LIMIT_PER_ACCOUNT"] = "10000 per minute"
    api.env["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"] = "10000 per minute"
    api.start()
    yield api.url
    api.stop()


@pytest.fixture(autouse=True)
def fresh_rate_limits(request):
    """Each test that uses the app starts with no sign-ins or failed keys counted (they all come
    from 127.0.0.1). It asks for the app only then: building it needs the database, and tests
    of pure rules must run without one."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").extensions["rate_limits"].reset()


def pytest_collection_modifyitems(items):
    """A test marked ``pure`` that would reach the database (through any fixture, autouse ones
    included) stops the run before anything runs."""
    impure = [
        i.nodeid for i in items if i.get_closest_marker("pure") and "database" in i.fixturenames
    ]
    if impure:
        raise pytest.UsageError(f"marked pure but reaching the database: {impure}")
