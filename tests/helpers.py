"""Assertions and clients shared by the tests: a till on the POS API and an admin's sign-in."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import requests

from service import db
from service.audit import verify_ledger

ADMIN_PASSWORD = "correct horse battery"
EARN = "/api/customer/loyalty/earn"
REDEEM = "/api/customer/loyalty/redeem"
LOOKUP = "/api/loyalty/phone-lookup"
SESSION = "/api/admin/session"
HTTP_TIMEOUT = 10


def call(client, method: str, path: str, body=None, query=None, headers=None, timeout=HTTP_TIMEOUT):
    """One request through a Flask test client, or over HTTP when ``client`` is a base URL
    (then the answer is a ``requests.Response``: ``.json()`` rather than ``.json``)."""
    if isinstance(client, str):
        return requests.request(method, client + path, json=body, params=query,
                                headers=headers, timeout=timeout)  # fmt: skip
    return client.open(path, method=method.upper(), json=body, query_string=query,
                       headers=headers)  # fmt: skip


def expect_status(response, expect):
    """``response``, once its status is ``expect`` (a status or a tuple of them; None: any)."""
    if expect is not None:
        wanted = expect if isinstance(expect, tuple) else (expect,)
        text = response.text if isinstance(response, requests.Response) else response.get_data()
        assert response.status_code in wanted, (response.status_code, text)
    return response


class Till:
    """A shop's till on the POS API (``client``: a Flask test client or a base URL), serving
    ``phone`` unless told otherwise. ``expect=`` asserts the answer's status."""

    def __init__(self, client, key: str, phone=None, headers=None, timeout=HTTP_TIMEOUT):
        self.client = client
        self.timeout = timeout
        self.phone = phone
        self.headers = {"X-API-Key": key, **(headers or {})}

    def send(self, method: str, path: str, body=None, query=None):
        """Any request with the till's key, the body as given."""
        return call(self.client, method, path, body, query, self.headers, self.timeout)

    def earn(self, points, reference, *, phone=None, expect=None, **fields):
        return self._change("post", EARN, points, reference, phone, expect, fields)

    def redeem(self, points, reference, *, phone=None, method="post", expect=None, **fields):
        return self._change(method, REDEEM, points, reference, phone, expect, fields)

    def _change(self, method, path, points, reference, phone, expect, fields):
        body = {"phone": phone or self.phone, "points": points,
                "transaction_reference": reference, **fields}  # fmt: skip
        return expect_status(self.send(method, path, body), expect)

    def reverse(self, reference: str, *, expect=None, **fields):
        """Reverse the redemption ``reference`` (all of it, unless ``points=`` says); the
        reference goes into the URL percent-encoded, as a till must send it."""
        path = f"{REDEEM}/{quote(reference, safe='')}/reverse"
        return expect_status(self.send("post", path, fields), expect)

    def lookup(self, phone=None):
        return self.send("get", LOOKUP, query={"phone": phone or self.phone})


def sign_in(client, tenant: str, email: str, password: str = ADMIN_PASSWORD):
    """The admin sign-in as the admin app sends it; the answer as it comes."""
    body = {"tenant": tenant, "email": email, "password": password}
    return call(client, "post", SESSION, body)


NO_STORE = {
    "Cache-Control": "no-store, no-cache, must-revalidate, private",
    "Pragma": "no-cache",
    "Expires": "0",
}


def count_statements(monkeypatch) -> list[str]:
    """From now on, every SQL statement the service sends is listed in the returned list."""
    statements = []
    real_execute = db.DeadlineCursor.execute

    def execute(self, query, args=None):
        statements.append(query)
        return real_execute(self, query, args)

    monkeypatch.setattr(db.DeadlineCursor, "execute", execute)
    return statements


def assert_no_store(response) -> None:
    for header, value in NO_STORE.items():
        assert response.headers.get(header) == value, (header, response.headers)


def assert_problem(response, status: int, code: str) -> dict:
    """The response is a problem+json of this status and code; returns its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    assert body["title"]
    assert body["detail"]
    assert_no_store(response)
    return body


def balance_rows(conn) -> dict[int, dict]:
    """Every balance row by customer id."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT customer_id, points_balance, total_points_earned, total_points_redeemed "
            "FROM customer_loyalty_points"
        )
        return {row["customer_id"]: row for row in cur.fetchall()}


def ledger_count(conn, tenant_id: int) -> int:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) AS n FROM phone_loyalty_transactions WHERE tenant_id = %s",
            (tenant_id,),
        )
        return cur.fetchone()["n"]


def assert_ledger_agrees_with_balances(conn) -> None:
    """Every balance row equals the sums of its ledger rows, and none is negative."""
    checked, drifts = verify_ledger(conn)
    assert checked > 0 or not drifts
    assert drifts == []


def let_changes_settle(conn, tenant_id: int) -> None:
    """Move the tenant's change times an hour back, as if nothing had changed for that long.

    The admin list answers 304 only once its newest change is older than any transaction can
    live (``customer_list.customers_change_marker``); this stands in for the wait.
    """
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE customer_loyalty_points SET updated_at = updated_at - INTERVAL 1 HOUR "
            "WHERE tenant_id = %s",
            (tenant_id,),
        )


class Receiver:
    """A webhook receiver on loopback answering 200, ``delay`` seconds after each request."""

    def __init__(self, delay: float = 0.0):
        self.received = threading.Event()
        self.count = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.count += 1
                outer.received.set()
                time.sleep(outer.delay)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.delay = delay
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def change_programme(conn, tenant, **changes) -> None:
    """Set the tenant's programme to the one in force with ``changes`` (a new version)."""
    from service.programme import SETTINGS, get_programme, set_programme

    settings = {k: v for k, v in get_programme(conn, tenant).items() if k in SETTINGS}
    set_programme(conn, tenant, {**settings, **changes}, "tests")
