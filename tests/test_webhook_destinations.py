"""Webhook URLs reach only the public internet: http(s), no credentials, no loopback, private,
link-local or reserved destination, checked when added and again when delivering (after DNS,
on the address actually connected to); secrets are never printed (issue 7, item 10)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import responses

from service import webhooks
from service.webhooks import DeliverySettings, add_endpoint, deliver_due

from .test_webhooks import PHONE, deliveries

FAST = DeliverySettings(base_delay=0, max_attempts=3, timeout=2)
PUBLIC_IP = "93.184.215.14"


@pytest.fixture
def dns(monkeypatch):
    """A fake DNS: ``dns["host"] = "ip"``; names not in it do not resolve."""
    table = {"crm.example": PUBLIC_IP}

    def resolve(host):
        if host not in table:
            raise OSError(f"cannot resolve {host}")
        return [table[host]]

    monkeypatch.setattr(webhooks, "resolve_host", resolve)
    return table


@pytest.mark.parametrize(
    "url",
    [
        "ftp://crm.example/hook",
        "file:///etc/passwd",
        "https://user:secret@crm.example/hook",
        "https://token@crm.example/hook",
        "http://127.0.0.1:3306/",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://240.0.0.1/hook",
        "http://internal.example/hook",
        "https:///nohost",
    ],
)
def test_add_refuses_urls_outside_the_public_internet(dns, shop, url):
    dns["localhost"] = "127.0.0.1"
    dns["internal.example"] = "10.1.2.3"
    with pytest.raises(ValueError):
        add_endpoint(shop.conn, shop.tenant, url)


@responses.activate
def test_a_name_that_does_not_resolve_yet_is_added_but_never_sent_to(client, dns, shop):
    shop.add_customer(PHONE, points=100)
    shop.endpoint_id, _ = add_endpoint(shop.conn, shop.tenant, "https://later.example/hook")
    assert shop.till(client, PHONE).redeem(20, "order-1").status_code == 201
    assert deliver_due(shop.conn, settings=FAST).delivered == []
    assert len(responses.calls) == 0
    (row,) = deliveries(shop)
    assert "cannot resolve" in row["last_error"]
    _forget_endpoints(shop)


def test_the_cli_says_why(app, dns, shop):
    result = app.test_cli_runner().invoke(
        args=["webhooks", "add", shop.tenant.slug, "http://169.254.169.254/"]
    )
    assert result.exit_code != 0
    assert "link-local" in result.output


def test_private_destinations_only_with_the_explicit_setting(dns, shop):
    with pytest.raises(ValueError):
        add_endpoint(shop.conn, shop.tenant, "http://127.0.0.1:9/hook")
    endpoint_id, _ = add_endpoint(
        shop.conn, shop.tenant, "http://127.0.0.1:9/hook", allow_private_networks=True
    )
    assert endpoint_id


@responses.activate
def test_delivery_checks_the_destination_again_after_dns(client, dns, shop):
    shop.add_customer(PHONE, points=100)
    endpoint_id, _ = add_endpoint(shop.conn, shop.tenant, "https://crm.example/hook")
    shop.endpoint_id = endpoint_id
    responses.add(responses.POST, "https://crm.example/hook", status=200)
    dns["crm.example"] = "127.0.0.1"  # the name now points inside (DNS rebinding)
    assert shop.till(client, PHONE).redeem(20, "order-1").status_code == 201
    report = deliver_due(shop.conn, settings=FAST)
    assert report.delivered == []
    assert len(responses.calls) == 0
    (row,) = deliveries(shop)
    assert "loopback" in row["last_error"]
    _forget_endpoints(shop)


class Receiver(BaseHTTPRequestHandler):
    received: list = []  # noqa: RUF012

    def do_POST(self):
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_connection_itself_is_checked(client, dns, shop, receiver):
    """A name that resolved to a public address when checked, and to loopback when the worker
    connects, still never reaches the loopback receiver."""
    shop.add_customer(PHONE, points=100)
    url = f"http://crm.example:{receiver.server_port}/hook"
    shop.endpoint_id, _ = add_endpoint(shop.conn, shop.tenant, url)
    # The check sees the public address; the real resolver sends the connection to loopback.
    dns["crm.example"] = PUBLIC_IP
    real_getaddrinfo = webhooks.socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        return real_getaddrinfo("127.0.0.1" if host == "crm.example" else host, *args, **kwargs)

    webhooks.socket.getaddrinfo, saved = rebinding, real_getaddrinfo
    try:
        assert shop.till(client, PHONE).redeem(20, "order-1").status_code == 201
        report = deliver_due(shop.conn, settings=FAST)
    finally:
        webhooks.socket.getaddrinfo = saved
    assert report.delivered == []
    assert Receiver.received == []
    (row,) = deliveries(shop)
    assert "loopback" in row["last_error"]
    _forget_endpoints(shop)


def test_a_local_receiver_is_reached_when_allowed(client, shop, receiver):
    shop.add_customer(PHONE, points=100)
    url = f"http://127.0.0.1:{receiver.server_port}/hook"
    allowed = DeliverySettings(base_delay=0, max_attempts=3, timeout=2, allow_private_networks=True)
    shop.endpoint_id, _ = add_endpoint(shop.conn, shop.tenant, url, allow_private_networks=True)
    assert shop.till(client, PHONE).redeem(20, "order-1").status_code == 201
    assert len(deliver_due(shop.conn, settings=allowed).delivered) == 1
    assert len(Receiver.received) == 1
    _forget_endpoints(shop)


def test_list_never_prints_credentials_or_query_secrets(app, shop):
    # Stored before URLs were checked (or by hand): the listing still redacts them.
    with shop.conn.cursor() as cur:
        cur.execute(
            "INSERT INTO webhook_endpoints (tenant_id, url, secret) VALUES (%s, %s, %s)",
            (
                shop.tenant.id,
                "https://admin:hunter2@crm.example/hook?token=s3cr3t&x=1",
                "whsec_abc",
            ),
        )
    result = app.test_cli_runner().invoke(args=["webhooks", "list", shop.tenant.slug])
    assert result.exit_code == 0, result.output
    assert "crm.example/hook" in result.output
    for secret in ("hunter2", "admin:", "s3cr3t", "whsec_abc"):
        assert secret not in result.output
    _forget_endpoints(shop)


def _forget_endpoints(shop) -> None:
    with shop.conn.cursor() as cur:
        cur.execute("UPDATE webhook_deliveries SET status = 'failed' WHERE status = 'pending'")
        cur.execute("UPDATE webhook_endpoints SET removed_at = NOW(6) WHERE removed_at IS NULL")
