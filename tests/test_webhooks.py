"""Webhooks: written with the change or not at all, signed, retried, never sent twice at once."""

import hashlib
import hmac
import json
import threading
import time
from contextlib import closing

import pytest
import requests
import responses

from service import webhooks
from service.db import connect
from service.webhooks import DeliverySettings, add_endpoint, deliver_due

PHONE = "+447306506797"
HOOK = "https://crm.example/hooks/loyalty"
FAST = DeliverySettings(base_delay=0, max_attempts=3, timeout=2)


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    """crm.example does not resolve here: webhooks see it at a public address (no request
    leaves the machine: `responses` answers for it)."""
    monkeypatch.setattr(webhooks, "resolve_host", lambda host: ["93.184.215.14"])


@pytest.fixture
def hooked(shop):
    """A shop with one webhook endpoint; its secret is ``shop.webhook_secret``."""
    shop.add_customer(PHONE, points=200)
    endpoint_id, shop.webhook_secret = add_endpoint(shop.conn, shop.tenant, HOOK)
    shop.endpoint_id = endpoint_id
    yield shop
    with shop.conn.cursor() as cur:  # leave nothing pending for the next test's worker
        cur.execute("UPDATE webhook_deliveries SET status = 'failed' WHERE status = 'pending'")
        cur.execute("UPDATE webhook_endpoints SET removed_at = NOW(6) WHERE removed_at IS NULL")


@pytest.fixture
def till(client, hooked):
    """The hooked shop's till, serving PHONE."""
    return hooked.till(client, PHONE)


def deliveries(shop):
    """The deliveries addressed to the shop's endpoint."""
    with shop.conn.cursor() as cur:
        cur.execute(
            "SELECT d.id, d.status, d.attempts, d.last_error, d.next_attempt_at, v.event_type "
            "FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id "
            "WHERE d.endpoint_id = %s ORDER BY d.id",
            (shop.endpoint_id,),
        )
        return list(cur.fetchall())


def events(shop):
    with shop.conn.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) AS n FROM webhook_events WHERE tenant_id = %s", (shop.tenant.id,)
        )
        return cur.fetchone()["n"]


def verify_as_a_receiver(secret: str, headers, body: bytes, tolerance=300) -> dict:
    """What the README tells a receiver to do."""
    timestamp = headers["X-Loyalty-Timestamp"]
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(headers["X-Loyalty-Signature"], f"v1={expected}")
    assert abs(time.time() - int(timestamp)) < tolerance
    return json.loads(body)


@responses.activate
def test_delivery_is_signed_and_carries_the_change(client, hooked, till):
    responses.post(HOOK, status=204)
    till.redeem(20, "order-1")
    report = deliver_due(hooked.conn, settings=FAST)
    assert len(report.delivered) == 1
    sent = responses.calls[0].request
    event = verify_as_a_receiver(hooked.webhook_secret, sent.headers, sent.body)
    assert sent.headers["X-Loyalty-Event-Type"] == event["type"] == "loyalty.points_redeemed"
    assert sent.headers["X-Loyalty-Event-Id"] == event["id"]
    data = event["data"]
    assert (data["phone"], data["points"], data["points_balance"]) == (PHONE, 20, 180)
    assert data["transaction_reference"] == "order-1"
    assert data["tenant"] == hooked.tenant.slug
    assert [d["status"] for d in deliveries(hooked)] == ["delivered"]


@responses.activate
def test_a_tampered_body_fails_verification(client, hooked, till):
    responses.post(HOOK, status=200)
    till.redeem(20, "order-1")
    deliver_due(hooked.conn, settings=FAST)
    sent = responses.calls[0].request
    with pytest.raises(AssertionError):
        verify_as_a_receiver(hooked.webhook_secret, sent.headers, sent.body.replace(b"180", b"999"))


@responses.activate
def test_a_500_is_retried_with_backoff_then_delivered(client, hooked, till):
    responses.post(HOOK, status=500)
    till.redeem(20, "order-1")
    slow = DeliverySettings(base_delay=3600, max_attempts=3)
    report = deliver_due(hooked.conn, settings=slow)
    assert len(report.retrying) == 1
    [row] = deliveries(hooked)
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "HTTP 500")
    assert deliver_due(hooked.conn, settings=slow).retrying == []  # not due yet: backoff
    with hooked.conn.cursor() as cur:
        cur.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = NOW(6) WHERE id = %s", (row["id"],)
        )
    responses.replace(responses.POST, HOOK, status=200)
    assert len(deliver_due(hooked.conn, settings=slow).delivered) == 1
    assert deliveries(hooked)[0]["attempts"] == 2
    # the retry sent the same event, byte for byte
    assert responses.calls[0].request.body == responses.calls[-1].request.body


@responses.activate
def test_a_timeout_is_retried(client, hooked, till):
    responses.post(HOOK, body=requests.exceptions.ReadTimeout("read timed out"))
    till.redeem(20, "order-1")
    report = deliver_due(hooked.conn, settings=FAST)
    assert len(report.retrying) == 1
    assert "ReadTimeout" in deliveries(hooked)[0]["last_error"]


@responses.activate
def test_gives_up_after_the_limit_and_can_be_retried_by_hand(app, client, hooked, till):
    responses.post(HOOK, status=503)
    till.redeem(20, "order-1")
    for _ in range(FAST.max_attempts):
        deliver_due(hooked.conn, settings=FAST)
    [row] = deliveries(hooked)
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert len(responses.calls) == 3
    assert deliver_due(hooked.conn, settings=FAST).failed == []  # failed for good: left alone

    runner = app.test_cli_runner()
    listing = runner.invoke(args=["webhooks", "list", hooked.tenant.slug])
    assert f"failed delivery {row['id']}" in listing.output
    assert "failed=1" in listing.output
    assert runner.invoke(args=["webhooks", "retry", str(row["id"])]).exit_code == 0
    responses.replace(responses.POST, HOOK, status=200)
    assert deliver_due(hooked.conn, settings=FAST).delivered == [row["id"]]


def test_no_event_when_the_change_does_not_commit(client, hooked, conn, till):
    before = events(hooked)
    assert till.redeem(5000, "order-1").status_code == 409
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TRIGGER test_fail_ledger BEFORE INSERT ON phone_loyalty_transactions "
            "FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom'"
        )
    try:
        assert till.redeem(20, "order-1").status_code == 500
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP TRIGGER test_fail_ledger")
    assert events(hooked) == before
    assert till.redeem(20, "order-1").status_code == 201
    assert till.redeem(20, "order-1").status_code == 200  # a replay changes nothing: no event
    assert events(hooked) == before + 1


def test_every_operation_emits_its_event(client, hooked, admin_headers, till):
    till.earn(10, "e-1")
    till.redeem(20, "order-1")
    till.reverse("order-1")
    customer_id = till.lookup().json["customer_id"]
    client.post(
        f"/api/admin/customers/{customer_id}/adjustments",
        json={"points": 3, "reason": "goodwill"},
        headers=admin_headers(hooked),
    )
    assert [d["event_type"] for d in deliveries(hooked)] == [
        "loyalty.points_earned",
        "loyalty.points_redeemed",
        "loyalty.redemption_reversed",
        "loyalty.points_adjusted",
    ]


def test_other_tenants_endpoints_hear_nothing(client, hooked, make_shop):
    other = make_shop()
    other.add_customer(PHONE, points=50)
    other.till(client, PHONE).redeem(20, "order-1")
    assert deliveries(hooked) == []


@responses.activate
def test_two_workers_never_deliver_one_event_twice(client, hooked, database, till):
    def slow_ok(request):
        time.sleep(0.05)  # both workers are busy at once
        return (200, {}, "")

    responses.add_callback(responses.POST, HOOK, callback=slow_ok)
    for i in range(12):
        assert till.redeem(1, f"order-{i}").status_code == 201

    reports = []

    def worker():
        with closing(connect(database)) as conn:
            reports.append(deliver_due(conn, settings=FAST))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    sent_ids = [c.request.headers["X-Loyalty-Event-Id"] for c in responses.calls]
    assert len(sent_ids) == 12
    assert len(set(sent_ids)) == 12
    delivered = reports[0].delivered + reports[1].delivered
    assert sorted(delivered) == sorted(d["id"] for d in deliveries(hooked))
    assert all(r.delivered for r in reports)  # both workers took part
