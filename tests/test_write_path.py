"""The write path at scale (issue 8): lean, no tenant-wide hot row, and a 304 that never
hides a committed change."""

import random
import threading
import time

import pytest
import requests
from werkzeug.serving import make_server

from service import create_app, db, points
from service.points import PointsChange, redeem_points

from .helpers import let_changes_settle

CUSTOMERS = "/api/admin/customers"


def test_a_redeem_is_at_most_seven_statements_and_reads_nothing_back(shop, monkeypatch):
    phone = shop.add_customer("+447306506797", points=100)
    statements: list[str] = []
    real_execute, real_executemany = db.DeadlineCursor.execute, db.DeadlineCursor.executemany

    def execute(self, query, args=None):
        statements.append(query.split()[0].upper())
        return real_execute(self, query, args)

    def executemany(self, query, args):
        statements.append(query.split()[0].upper())
        return real_executemany(self, query, args)

    monkeypatch.setattr(db.DeadlineCursor, "execute", execute)
    monkeypatch.setattr(db.DeadlineCursor, "executemany", executemany)
    outcome = redeem_points(shop.conn, shop.tenant, PointsChange(phone, 20, "lean-1"))
    monkeypatch.undo()

    assert outcome["points_balance"] == 80 and outcome["total_points_redeemed"] == 20
    assert len(statements) <= 7, statements
    first_write = next(i for i, s in enumerate(statements) if s in ("UPDATE", "INSERT"))
    assert "SELECT" not in statements[first_write:], f"read back after writing: {statements}"


def test_writes_to_different_customers_never_wait_for_each_other(
    client, shop, database, monkeypatch
):
    """One customer's redemption is held open just before COMMIT; another customer's of the
    same shop goes through meanwhile (with a tenant-wide row bumped inside every write, it
    would wait for the first to commit)."""
    first = shop.add_customer("+447306506701", points=100)
    second = shop.add_customer("+447306506702", points=100)
    holding, release = threading.Event(), threading.Event()
    real_record_event = points.record_event

    def record_event_then_hold(cur, tenant, outcome):
        real_record_event(cur, tenant, outcome)
        if outcome["transaction_reference"] == "held-1":
            holding.set()
            release.wait(timeout=30)

    monkeypatch.setattr(points, "record_event", record_event_then_hold)
    held = threading.Thread(
        target=redeem_points, args=(db.connect(database), shop.tenant,
                                    PointsChange(first, 10, "held-1")),
    )  # fmt: skip
    held.start()
    try:
        assert holding.wait(timeout=10)
        started = time.monotonic()
        shop.till(client).redeem(10, "free-1", phone=second, expect=201)
        assert not release.is_set()  # it did not need the held transaction to finish
        assert time.monotonic() - started < 2.5  # innodb_lock_wait_timeout is 3 s: no wait
    finally:
        release.set()
        held.join(timeout=30)


@pytest.fixture
def short_budget_server(app, database):
    """The API with a 1 s database budget (so changes settle in 3 s) on a threaded server."""
    fast = create_app(
        {
            "TESTING": True,
            "DATABASE": database,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "DB_TIMEOUT": 1.0,
        }
    )
    server = make_server("127.0.0.1", 0, fast, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_no_304_ever_hides_a_committed_change(short_budget_server, shop, admin_headers):
    """Tills write in bursts while two admin pages poll with If-None-Match. A 304 answered to
    a poll sent after some write was acknowledged, for a tag issued before that write began,
    would hide a committed change: there must be none, and there must be 304s."""
    base = short_budget_server
    phones = [shop.add_customer(f"+4473065067{i:02d}", points=10_000) for i in range(4)]
    let_changes_settle(shop.conn, shop.tenant.id)
    headers = admin_headers(shop)
    writes: list[tuple[float, float]] = []  # (sent, acknowledged) of each 201
    polls: list[tuple[int, float, float, int, str]] = []  # (poller, sent, received, status, tag)
    lock = threading.Lock()
    start = time.monotonic()
    deadline = start + 13

    def in_burst() -> bool:
        # Writes come in 1.5 s bursts with 5 s of quiet between: longer than the 3 s it takes
        # a change to settle, so quiet polls can be 304s.
        return (time.monotonic() - start) % 6.5 < 1.5

    def till(n: int) -> None:
        for i in range(500):
            if time.monotonic() > deadline:
                return
            if not in_burst():
                time.sleep(0.05)
                continue
            body = {"phone": phones[n], "points": 1, "transaction_reference": f"b-{n}-{i}"}
            sent = time.monotonic()
            r = requests.post(
                f"{base}/api/customer/loyalty/redeem", json=body, headers=shop.pos_headers,
                timeout=10,
            )  # fmt: skip
            if r.status_code == 201:
                with lock:
                    writes.append((sent, time.monotonic()))
            time.sleep(random.uniform(0, 0.2))

    def admin_page(n: int) -> None:
        tag = None
        for _ in range(2_000):
            if time.monotonic() > deadline:
                return
            sent = time.monotonic()
            conditional = {"If-None-Match": tag} if tag else {}
            r = requests.get(f"{base}{CUSTOMERS}", headers={**headers, **conditional}, timeout=10)
            received = time.monotonic()
            if r.status_code == 200:
                tag = r.headers["ETag"]
            with lock:
                polls.append((n, sent, received, r.status_code, tag))
            time.sleep(0.05)

    threads = [threading.Thread(target=till, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=admin_page, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert writes and any(p[3] == 304 for p in polls), "the run proved nothing"
    hidden = []
    for n, sent, _, status, tag in polls:
        if status != 304:
            continue
        issued_at = max(
            r for m, _, r, st, t in polls if m == n and st == 200 and t == tag and r < sent
        )
        hidden += [w for w in writes if w[0] > issued_at and w[1] < sent]
    assert hidden == [], f"{len(hidden)} committed writes hidden behind a 304"
