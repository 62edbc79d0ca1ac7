"""Points expire: oldest first, one ledger row per customer and date, never twice, and the
balance, the ledger and the webhooks agree afterwards (``loyalty points expire``)."""

import os
import subprocess
import sys
from datetime import datetime

import pytest

from service import points
from service.audit import verify_ledger
from service.points import PointsChange, earn_points, expire_points, redeem_points

from .browser import database_url
from .helpers import balance_rows, change_programme

PHONE = "+447306506797"


@pytest.fixture
def clock(monkeypatch):
    """``clock(datetime)`` sets the time points changes are made at (naive UTC)."""

    def at(moment: datetime) -> None:
        monkeypatch.setattr(points, "utc_now", lambda: moment)

    return at


def ledger(conn, customer_id: int) -> list[dict]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT operation_type, points_amount, transaction_reference, created_at "
            "FROM phone_loyalty_transactions WHERE customer_id = %s ORDER BY id",
            (customer_id,),
        )
        return cur.fetchall()


def balance(conn, customer_id: int) -> int:
    return balance_rows(conn)[customer_id]["points_balance"]


def events(conn, tenant_id: int, event_type: str) -> list[dict]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT payload FROM webhook_events WHERE tenant_id = %s AND event_type = %s",
            (tenant_id, event_type),
        )
        return cur.fetchall()


def test_fifo_expiry_across_months_with_a_redemption_between(shop, conn, clock):
    change_programme(conn, shop.tenant, expiry_months=1)
    clock(datetime(2026, 1, 10, 12))
    earned = earn_points(conn, shop.tenant, PointsChange(PHONE, 100, "jan"))
    customer = earned["customer_id"]
    clock(datetime(2026, 2, 10, 12))
    earn_points(conn, shop.tenant, PointsChange(PHONE, 50, "feb"))
    clock(datetime(2026, 2, 20, 12))
    redeem_points(conn, shop.tenant, PointsChange(PHONE, 120, "spend"))

    # January's points were due at the end of February: all 100 were spent (oldest first).
    clock(datetime(2026, 3, 1, 1))
    report = expire_points(conn, shop.tenant, datetime(2026, 3, 1))
    assert (report.rows, report.points) == (0, 0)
    assert balance(conn, customer) == 30
    # February's were due at the end of March: 20 of them were spent, 30 expire.
    clock(datetime(2026, 4, 1, 1))
    report = expire_points(conn, shop.tenant, datetime(2026, 4, 1))
    assert (report.customers, report.rows, report.points) == (1, 1, 30)
    assert balance(conn, customer) == 0
    expired = [r for r in ledger(conn, customer) if r["operation_type"] == "expire_points"]
    assert [(r["points_amount"], r["transaction_reference"].decode()) for r in expired] == [
        (30, f"exp-{customer}-20260331225959")  # 23:59:59 BST on 31 March
    ]
    assert len(events(conn, shop.tenant.id, "loyalty.points_expired")) == 1
    # Run again: nothing expires twice.
    assert expire_points(conn, shop.tenant, datetime(2026, 4, 1)).rows == 0
    assert verify_ledger(conn, shop.tenant)[1] == []


def test_one_row_per_date_when_nothing_was_spent(shop, conn, clock):
    change_programme(conn, shop.tenant, expiry_months=1)
    clock(datetime(2026, 1, 10))
    customer = earn_points(conn, shop.tenant, PointsChange(PHONE, 100, "jan"))["customer_id"]
    clock(datetime(2026, 2, 10))
    earn_points(conn, shop.tenant, PointsChange(PHONE, 50, "feb"))
    clock(datetime(2026, 5, 1))
    report = expire_points(conn, shop.tenant, datetime(2026, 5, 1))
    assert (report.rows, report.points) == (2, 150)
    amounts = [r["points_amount"] for r in ledger(conn, customer)
               if r["operation_type"] == "expire_points"]  # fmt: skip
    assert amounts == [100, 50]


def test_a_change_of_expiry_applies_to_points_earned_after_it(shop, conn, clock):
    change_programme(conn, shop.tenant, expiry_months=12)
    clock(datetime(2026, 1, 10))
    customer = earn_points(conn, shop.tenant, PointsChange(PHONE, 100, "a"))["customer_id"]
    change_programme(conn, shop.tenant, expiry_months=1)
    earn_points(conn, shop.tenant, PointsChange(PHONE, 10, "b"))
    clock(datetime(2026, 3, 1))
    assert expire_points(conn, shop.tenant, datetime(2026, 3, 1)).points == 10
    assert balance(conn, customer) == 100  # the first earn keeps its 12 months


def test_refunded_points_are_new_points(shop, conn, clock):
    """Points given back by reversing a redemption expire like an earn made then: a refund
    never hands back points that are already out of date."""
    change_programme(conn, shop.tenant, expiry_months=1)
    clock(datetime(2026, 1, 10))
    customer = earn_points(conn, shop.tenant, PointsChange(PHONE, 100, "jan"))["customer_id"]
    redeem_points(conn, shop.tenant, PointsChange(PHONE, 100, "spend"))
    clock(datetime(2026, 3, 5))  # January's points are out of date by now
    points.reverse_redemption(conn, shop.tenant, "spend")
    clock(datetime(2026, 3, 6))
    assert expire_points(conn, shop.tenant, datetime(2026, 3, 6)).points == 0
    assert balance(conn, customer) == 100
    clock(datetime(2026, 5, 1))
    assert expire_points(conn, shop.tenant, datetime(2026, 5, 1)).points == 100


def test_the_job_run_concurrently_from_two_processes_expires_nothing_twice(
    shop, conn, clock, database
):
    change_programme(conn, shop.tenant, expiry_months=1)
    clock(datetime(2026, 1, 10))
    customers = []
    for i in range(40):
        phone = f"+4473065{i:05d}"
        customers.append(
            earn_points(conn, shop.tenant, PointsChange(phone, 10 + i, f"e-{i}"))["customer_id"]
        )
    env = {**os.environ, "DATABASE_URL": database_url(database)}
    command = [sys.executable, "-c", "from service import main; main()", "points", "expire",
               "--as-of", "2026-03-01T00:00:00Z", "--tenant", shop.tenant.slug]  # fmt: skip
    runs = [
        subprocess.Popen(  # noqa: S603 (a fixed command line)
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    expired = sum(sum(r["points_amount"] for r in ledger(conn, c)
                      if r["operation_type"] == "expire_points") for c in customers)  # fmt: skip
    assert expired == sum(10 + i for i in range(40))
    assert all(balance(conn, c) == 0 for c in customers)
    assert len(events(conn, shop.tenant.id, "loyalty.points_expired")) == 40
    assert verify_ledger(conn, shop.tenant)[1] == []


def test_as_of_in_the_future_needs_allow_future(shop, database):
    env = {**os.environ, "DATABASE_URL": database_url(database)}
    command = [sys.executable, "-c", "from service import main; main()", "points", "expire",
               "--as-of", "2999-01-01T00:00:00Z", "--tenant", shop.tenant.slug]  # fmt: skip
    refused = subprocess.run(  # noqa: S603 (a fixed command line)
        command, env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0
    assert "--allow-future" in refused.stderr
    allowed = subprocess.run(  # noqa: S603 (a fixed command line)
        [*command, "--allow-future"], env=env, capture_output=True, text=True, timeout=60
    )
    assert allowed.returncode == 0, allowed.stderr


def test_a_tenant_with_webhooks_gets_a_delivery_for_every_expiry(shop, conn, clock):
    from service.webhooks import add_endpoint

    add_endpoint(conn, shop.tenant, "http://127.0.0.1:9/hook", allow_private_networks=True)
    change_programme(conn, shop.tenant, expiry_months=1)
    clock(datetime(2026, 1, 10))
    for i in range(3):
        earn_points(conn, shop.tenant, PointsChange(f"+4473065{i:05d}", 10, f"w-{i}"))
    clock(datetime(2026, 3, 1))
    assert expire_points(conn, shop.tenant, datetime(2026, 3, 1)).rows == 3
    with conn.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) AS n FROM webhook_deliveries d JOIN webhook_events e "
            "ON e.id = d.event_id WHERE e.tenant_id = %s AND e.event_type = %s",
            (shop.tenant.id, "loyalty.points_expired"),
        )
        assert cur.fetchone()["n"] == 3
