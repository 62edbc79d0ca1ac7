"""Assertions shared by the tests."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from service import db
from service.audit import verify_ledger

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
