"""Fixtures: a throwaway MariaDB database per session, the app, shops (tenants) with keys.

Modelled on the Flask tutorial's fixtures, with a real database instead of SQLite.
"""

import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace

import pymysql
import pytest
from werkzeug.serving import make_server

from service import create_app
from service.auth import create_admin, create_pos_key
from service.config import DEFAULT_DATABASE_URL, DatabaseSettings
from service.db import connect, connect_kwargs
from service.loyalty import PointsChange, earn_points, enrol_customer
from service.migrate import upgrade
from service.tenancy import Tenant, create_tenant

from .helpers import assert_ledger_agrees_with_balances

ADMIN_PASSWORD = "correct horse battery"


@contextmanager
def throwaway_database() -> Iterator[DatabaseSettings]:
    """A freshly migrated database on the configured server, dropped afterwards."""
    server = DatabaseSettings.from_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    settings = replace(server, database=f"loyalty_test_{secrets.token_hex(4)}")
    admin = pymysql.connect(**connect_kwargs(settings, database=False))
    with closing(admin):
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{settings.database}`")
        try:
            with closing(connect(settings)) as conn:
                upgrade(conn)
            yield settings
        finally:
            # A fresh connection: the first may have died with its server (cluster node kills).
            fresh = pymysql.connect(**connect_kwargs(settings, database=False))
            with closing(fresh), fresh.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{settings.database}`")


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

    def sign_in(shop: Shop) -> dict:
        response = client.post(
            "/api/admin/session",
            json={
                "tenant": shop.tenant.slug,
                "email": shop.admin_email,
                "password": ADMIN_PASSWORD,
            },
        )
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}

    return sign_in


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
    from .browser import ApiProcess

    api = ApiProcess(database, "http://127.0.0.1", tmp_path_factory.mktemp("gunicorn"))
    # Fuzzing signs in far more often than any admin (tests/test_rate_limits.py covers limits).
    api.env["SIGN_IN_LIMIT_PER_ADDRESS"] = "10000 per minute"
    api.env["SIGN_IN_LIMIT_PER_ACCOUNT"] = "10000 per minute"
    api.env["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"] = "10000 per minute"
    api.start()
    yield api.url
    api.stop()


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):
    """Each test starts with no sign-ins or failed keys counted (they all come from 127.0.0.1)."""
    app.extensions["rate_limits"].reset()
