"""What operators see: X-Request-ID on every response, one JSON log line per request and per
points change (never a phone number), and /metrics under real gunicorn with several workers."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from service import create_app
from service.config import DatabaseSettings
from service.webhooks import add_endpoint

from .browser import ApiProcess
from .harness import ROOT, database_url, free_port
from .helpers import Receiver, Till

PHONE = "+447306506797"
# The digits a phone number shows in any spelling (E.164, national, URL-encoded).
PHONE_DIGITS = "7306506797"


def log_lines(path: Path) -> list[dict]:
    """Every line of a log file, each parsed as JSON (fails on any line that is not)."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample of the exposition ``text`` (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        sample, _, value = line.rpartition(" ")
        sample_name, _, label_text = sample.partition("{")
        found = dict(re.findall(r'(\w+)="([^"]*)"', label_text))
        if sample_name == name and all(found.get(k) == str(v) for k, v in labels.items()):
            return float(value)
    return 0.0


# --- X-Request-ID, in process -------------------------------------------------------------


def test_every_response_carries_a_request_id(client, shop, admin_headers):
    admin = admin_headers(shop)
    ok = client.get("/api/admin/customers", headers=admin)
    not_modified = client.get(
        "/api/admin/customers", headers={**admin, "If-None-Match": ok.headers["ETag"]}
    )
    unauthorized = client.get("/api/loyalty/phone-lookup", query_string={"phone": PHONE})
    not_found = client.get("/nowhere")
    assert [ok.status_code, not_modified.status_code] == [200, 304]
    assert [unauthorized.status_code, not_found.status_code] == [401, 404]
    ids = [r.headers.get("X-Request-ID") for r in (ok, not_modified, unauthorized, not_found)]
    assert all(ids) and len(set(ids)) == 4, ids


def test_a_safe_request_id_is_kept_and_an_unsafe_one_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "till-7.req-42"})
    assert kept.headers["X-Request-ID"] == "till-7.req-42"
    for unsafe in ('x"} {"forged": 1', "a" * 65, "<script>"):
        replaced = client.get("/healthz", headers={"X-Request-ID": unsafe})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"]), unsafe


def test_forwarded_for_is_believed_only_from_the_trusted_proxy(database, monkeypatch, caplog):
    caplog.set_level("INFO", logger="loyalty.request")
    spoofed = {"X-Forwarded-For": "203.0.113.7"}
    create_app({"DATABASE": database}).test_client().get("/healthz", headers=spoofed)
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    behind_proxy = create_app({"DATABASE": database}).test_client()
    behind_proxy.get("/healthz", headers=spoofed)
    clients = [r.client for r in caplog.records if r.name == "loyalty.request"]
    assert clients == ["127.0.0.1", "203.0.113.7"]


# --- the real service: gunicorn with two workers, logging to a file --------------------------


@pytest.fixture(scope="module")
def observed_api(database, tmp_path_factory):
    api = ApiProcess(database, "http://127.0.0.1:8080", tmp_path_factory.mktemp("observed"))
    api.env.update({"WEB_CONCURRENCY": "2", "LOG_FORMAT": "json"})
    api.start()
    yield api
    api.stop()


@pytest.fixture
def hooked_shop(shop):
    """A shop with a customer and a webhook endpoint; nothing left pending afterwards."""
    shop.add_customer(PHONE, points=200)
    receiver = Receiver()
    add_endpoint(shop.conn, shop.tenant, receiver.url, allow_private_networks=True)
    yield shop, receiver
    receiver.close()
    with shop.conn.cursor() as cur:
        cur.execute("UPDATE webhook_deliveries SET status = 'failed' WHERE status = 'pending'")
        cur.execute("UPDATE webhook_endpoints SET removed_at = NOW(6) WHERE removed_at IS NULL")


def till(url, shop, request_id: str | None = None) -> Till:
    """The shop's till over HTTP, serving PHONE, naming its requests ``request_id`` if given."""
    return Till(url, shop.key, PHONE, headers={"X-Request-ID": request_id} if request_id else {})


def test_request_and_points_change_lines(observed_api, hooked_shop):
    shop, _receiver = hooked_shop
    lookup = till(observed_api.url, shop, "lookup-1").lookup()
    first = till(observed_api.url, shop, "till-1.redeem").redeem(20, "obs-1")
    replay = till(observed_api.url, shop).redeem(20, "obs-1")
    assert (lookup.status_code, first.status_code, replay.status_code) == (200, 201, 200)
    assert first.headers["X-Request-ID"] == "till-1.redeem"

    def settled():
        lines = log_lines(observed_api.log_path)  # every line parses as JSON
        if any(line.get("request_id") == replay.headers["X-Request-ID"] for line in lines):
            return lines
        return None

    lines = wait_for(settled)
    assert lines, "the replay's request line never appeared"
    by_id = {}
    for line in lines:
        by_id.setdefault(line.get("request_id"), []).append(line)

    [lookup_line] = by_id["lookup-1"]
    assert lookup_line["event"] == "request"
    assert lookup_line["route"] == "/api/loyalty/phone-lookup"
    assert lookup_line["method"] == "GET" and lookup_line["status"] == 200
    assert lookup_line["tenant"] == shop.tenant.slug
    assert isinstance(lookup_line["duration_ms"], float) and lookup_line["duration_ms"] > 0
    assert lookup_line["time"].endswith("Z")

    changes = [line for line in lines if line.get("event") == "points_change"]
    mine = [c for c in changes if c["transaction_reference"] == "obs-1"]
    assert len(mine) == 1, mine  # the replay logged no second change
    change = mine[0]
    assert change["request_id"] == "till-1.redeem"
    assert change["operation"] == "redeem_points"
    assert change["delta"] == -20 and change["balance_after"] == 180
    assert change["transaction_id"] == first.json()["transaction_id"]
    assert change["customer_id"] == first.json()["customer_id"]
    assert change["tenant"] == shop.tenant.slug
    assert [line["status"] for line in by_id["till-1.redeem"] if line["event"] == "request"] == [
        201
    ]

    text = observed_api.log_path.read_text()
    assert PHONE_DIGITS not in text  # no phone number, however spelt
    assert shop.key not in text and shop.key[:12] not in text


def test_metrics_count_a_redeem_across_workers(observed_api, hooked_shop):
    shop, _receiver = hooked_shop
    before = requests.get(f"{observed_api.url}/metrics", timeout=10)
    assert before.status_code == 200
    assert before.headers["Content-Type"].startswith("text/plain")
    # Several requests, so both workers serve some; the scrape adds their files up.
    for i in range(4):
        assert till(observed_api.url, shop).redeem(5, f"metrics-{i}").status_code == 201
    after = requests.get(f"{observed_api.url}/metrics", timeout=10).text

    def counted(text, name, **labels):
        return metric(text, name, **labels) - metric(before.text, name, **labels)

    assert counted(after, "loyalty_points_changes_total", operation="redeem_points") == 4
    route = "/api/customer/loyalty/redeem"
    histogram = "loyalty_http_request_duration_seconds_count"
    assert counted(after, histogram, route=route, method="POST", status="201") == 4
    # The four events wait for the receiver (no worker runs here): the outbox shows them.
    assert metric(after, "loyalty_outbox_pending_deliveries") >= 4
    assert metric(after, "loyalty_outbox_oldest_pending_age_seconds") > 0
    assert "loyalty_db_pool_connections_in_use" in after


def test_a_503_is_counted_by_reason(database):
    closed = DatabaseSettings(
        "127.0.0.1", free_port(), database.user, database.password, database.database
    )
    app = create_app({"DATABASE": closed})
    client = app.test_client()
    before = client.get("/metrics").get_data(as_text=True)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["code"] == "database_unavailable"
    after = client.get("/metrics")
    assert after.status_code == 200  # a scrape answers even with the database away
    text = after.get_data(as_text=True)
    labels = {"status": "503", "code": "database_unavailable"}
    assert metric(text, "loyalty_problems_total", **labels) == (
        metric(before, "loyalty_problems_total", **labels) + 1
    )
    reason = {"reason": "database_unavailable"}
    assert metric(text, "loyalty_database_errors_total", **reason) == (
        metric(before, "loyalty_database_errors_total", **reason) + 1
    )
    assert "loyalty_outbox_pending_deliveries" not in text


def test_webhook_delivery_lines_carry_the_request_id(observed_api, hooked_shop, database):
    shop, receiver = hooked_shop
    response = till(observed_api.url, shop, "till-9.hook").redeem(20, "hooked-1")
    assert response.status_code == 201
    worker = subprocess.run(  # noqa: S603 (a fixed command line)
        [str(Path(sys.executable).parent / "flask"), "--app", "service", "webhooks", "deliver",
         "--once"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "DATABASE_URL": database_url(database), "LOG_FORMAT": "json",
             "SECRET_KEY": "worker-test",
             # the receiver listens on loopback, which webhooks refuse unless told otherwise
             "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1"},
    )  # fmt: skip
    assert worker.returncode == 0, worker.stderr
    assert receiver.received.is_set()
    lines = [json.loads(line) for line in worker.stderr.splitlines() if line.strip()]
    delivered = [line for line in lines if line["message"].endswith("delivered")]
    assert [line["request_id"] for line in delivered] == ["till-9.hook"]
    assert delivered[0]["event_type"] == "loyalty.points_redeemed"
