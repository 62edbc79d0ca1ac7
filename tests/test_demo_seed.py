"""The reference notes' scenario on the demo data: 200 points, redeem 20, 180 left."""

from contextlib import closing

import pytest

from service import create_app, demo
from service.db import connect

from .harness import throwaway_database
from .helpers import (
    Till,
    assert_ledger_agrees_with_balances,
    balance_rows,
    ledger_count,
    sign_in,
)


def run_cli(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def fresh(database):
    """An app on a database of its own: the demo tenant exactly as `demo seed` leaves it."""
    with throwaway_database() as settings:
        app = create_app({"TESTING": True, "DATABASE": settings, "SECRET_KEY": "seed-test"})
        yield app, app.test_client(), settings


def test_seed_then_redeem_twenty_as_in_the_notes(fresh):
    app, client, database = fresh
    output = run_cli(app, "demo", "seed")
    key = output.strip().splitlines()[-1]
    assert key.startswith("lpk_")
    assert "admin@demo.test" in output
    headers = {"X-API-Key": key}

    card = client.get("/api/loyalty/phone-lookup?phone=+447306506797", headers=headers).json
    assert (card["points_balance"], card["total_points_redeemed"]) == (200, 1025)

    redeemed = Till(client, key, "+447306506797").redeem(20, "notes-1").json
    assert (redeemed["points_balance"], redeemed["total_points_redeemed"]) == (180, 1045)

    with closing(connect(database)) as conn:
        tenant_id = _demo_tenant_id(conn)
        rows_before, ledger_before = balance_rows(conn), ledger_count(conn, tenant_id)
        second = run_cli(app, "demo", "seed")
        assert balance_rows(conn) == rows_before  # nothing duplicated, the 180 stands
        assert ledger_count(conn, tenant_id) == ledger_before
        assert_ledger_agrees_with_balances(conn)  # every demo balance has its history
    new_key = second.strip().splitlines()[-1]
    assert new_key != key
    old = client.get("/api/loyalty/phone-lookup?phone=+447306506797", headers=headers)
    assert old.status_code == 401  # the previous demo key was revoked
    assert (
        client.get(
            "/api/loyalty/phone-lookup?phone=+447306506797", headers={"X-API-Key": new_key}
        ).json["points_balance"]
        == 180
    )

    token = sign_in(client, "demo", demo.DEMO_ADMIN_EMAIL, "demo-password").json["token"]
    listing = client.get("/api/admin/customers", headers={"Authorization": f"Bearer {token}"}).json
    assert listing["total"] == 37
    assert listing["items"][0]["phone"] == "+447306506797"  # the last one changed


def _demo_tenant_id(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM tenants WHERE slug = 'demo'")
        return cur.fetchone()["id"]


def test_management_commands(app, database):
    assert "up to date" in run_cli(app, "db", "upgrade")
    run_cli(app, "tenants", "create", "corner-cafe", "--name", "Corner Cafe", "--region", "us")
    key = run_cli(app, "pos-keys", "create", "corner-cafe", "--label", "till 1")
    key = key.strip().splitlines()[-1]
    assert key.startswith("lpk_")
    run_cli(app, "admins", "create", "corner-cafe", "owner@cafe.test", input="s3cret-pass\n")
    run_cli(app, "pos-keys", "revoke", key.split("_")[1])
    again = app.test_cli_runner().invoke(args=["pos-keys", "revoke", key.split("_")[1]])
    assert again.exit_code != 0
    with closing(connect(database)) as conn, conn.cursor() as cur:
        cur.execute("SELECT secret_hash FROM pos_api_keys WHERE prefix = %s", (key.split("_")[1],))
        stored = cur.fetchone()["secret_hash"]
    assert key.split("_", 2)[2] not in stored  # only the hash is kept
    bad = app.test_cli_runner().invoke(args=["tenants", "create", "x y", "--name", "Bad"])
    assert bad.exit_code != 0


def test_seed_message_counts_the_customers_the_demo_has(fresh):
    app, client, _database = fresh
    output = run_cli(app, "demo", "seed")
    assert "ready with 37 customers." in output
    key = output.strip().splitlines()[-1]
    earned = client.post(  # the README's earn example enrols a 38th customer
        "/api/customer/loyalty/earn",
        headers={"X-API-Key": key},
        json={"phone": "07306 506900", "points": 40, "transaction_reference": "A-1002"},
    )
    assert earned.status_code == 201, earned.json
    assert "ready with 38 customers." in run_cli(app, "demo", "seed")
