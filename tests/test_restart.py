"""Restarts under load: eight tills redeem without pause while gunicorn is reloaded (SIGHUP) and
then stopped (SIGTERM) and started again, as systemd runs it (deploy/loyalty-api.socket holds
the listening socket, so a connection made while no master runs waits instead of failing).
Requests in flight complete; no request fails; no write is lost or made twice. Each till opens a
new connection per request, as nginx does (deploy/nginx-loyalty.conf).
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from .browser import ApiProcess
from .harness import GUNICORN, ROOT

TILLS = 8
HUP_AT, TERM_AT, STOP_AT = 1.0, 2.5, 5.0  # seconds into the run


def children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (gunicorn's workers of a master)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


class Till:
    """Redeems 1 point per request with a new reference each time; a request that got no
    answer is sent again with the same reference (what a till does), until answered."""

    def __init__(self, number: int, port: int, shop, phone: str, stop: threading.Event):
        self.number, self.port, self.shop, self.phone, self.stop = number, port, shop, phone, stop
        self.answers: list[tuple[str, int, float, float]] = []  # reference, status, sent, answered
        self.refused = 0  # no listener: nothing was sent
        self.broken: list[tuple[str, str]] = []  # sent, but no answer came back

    def post(self, reference: str) -> tuple[int | None, float]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            try:
                conn.connect()
            except ConnectionRefusedError:
                self.refused += 1
                return None, 0.0
            body = json.dumps(
                {"phone": self.phone, "points": 1, "transaction_reference": reference}
            )
            sent = time.monotonic()
            try:
                conn.request(
                    "POST",
                    "/api/customer/loyalty/redeem",
                    body,
                    {**self.shop.pos_headers, "Content-Type": "application/json"},
                )
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.broken.append((reference, repr(exc)))
                return None, sent
            self.answers.append((reference, response.status, sent, time.monotonic()))
            return response.status, sent
        finally:
            conn.close()

    def run(self) -> None:
        n = 0
        give_up = time.monotonic() + 60  # bounded, however loaded the machine is
        while not self.stop.is_set() and time.monotonic() < give_up:
            reference = f"till{self.number}-{n}"
            while time.monotonic() < give_up:
                status, _ = self.post(reference)
                if status is not None:
                    break
                time.sleep(0.05)
            n += 1


class SocketActivatedApi(ApiProcess):
    """gunicorn started the way systemd's socket activation starts it: the listening socket is
    made once (here, by the test; in production by loyalty-api.socket) and handed to each new
    master as file descriptor 3 with LISTEN_FDS=1."""

    def __init__(self, database, log_dir: Path):
        super().__init__(database, "http://127.0.0.1:8080", log_dir)
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.env.update({"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4", "LISTEN_FDS": "1"})

    def spawn(self, log) -> subprocess.Popen:
        fd = self.listener.fileno()
        return subprocess.Popen(  # noqa: S603 (a fixed command line)
            ["/bin/sh", "-c", f'LISTEN_PID=$$ exec "{GUNICORN}" -c gunicorn.conf.py '
             "'service:create_app()'"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            close_fds=False, preexec_fn=lambda: os.dup2(fd, 3),
        )  # fmt: skip

    def start(self, timeout: float = 60) -> None:  # a busy 2-core machine boots gunicorn slowly
        super().start(timeout)

    def close(self) -> None:
        self.stop()
        self.listener.close()


@pytest.fixture
def api(database, tmp_path):
    process = SocketActivatedApi(database, tmp_path)
    process.start()
    yield process
    process.close()


def test_reload_and_restart_under_load_lose_nothing(api, shop):
    phones = [shop.add_customer(f"+4473065068{i:02d}", points=10_000) for i in range(TILLS)]
    stop = threading.Event()
    tills = [Till(i, api.port, shop, phones[i], stop) for i in range(TILLS)]
    threads = [threading.Thread(target=t.run, daemon=True) for t in tills]
    old_master = api.process
    started = time.monotonic()
    for thread in threads:
        thread.start()

    time.sleep(HUP_AT)
    workers_before = children(old_master.pid)
    hup_sent = time.monotonic()
    old_master.send_signal(signal.SIGHUP)  # a reload: new workers, the old ones finish
    time.sleep(TERM_AT - HUP_AT)
    deadline = time.monotonic() + 30  # graceful_timeout (25 s) bounds the old workers' exit
    while not workers_before.isdisjoint(children(old_master.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)  # the old workers finish what they started, then exit
    workers_after_hup = children(old_master.pid)
    term_sent = time.monotonic()
    old_master.send_signal(signal.SIGTERM)  # a stop: in-flight requests finish, then exit
    old_master.wait(timeout=30)
    restarted = time.monotonic()
    api.start()  # a new master on the same socket, as `systemctl restart loyalty-api` does
    time.sleep(max(0.0, STOP_AT - (time.monotonic() - started)))
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads)

    answers = [a for t in tills for a in t.answers]
    broken = [b for t in tills for b in t.broken]
    refused = sum(t.refused for t in tills)
    in_flight_at_term = [a for a in answers if a[2] < term_sent < a[3]]
    in_flight_at_hup = [a for a in answers if a[2] < hup_sent < a[3]]
    waited = [a for a in answers if a[2] < restarted < a[3]]
    print(
        f"\n{len(answers)} redeems answered ({Counter(a[1] for a in answers)}); completed while "
        f"in flight: {len(in_flight_at_hup)} at SIGHUP, {len(in_flight_at_term)} at SIGTERM; "
        f"{len(waited)} waited for the new master; slowest "
        f"{max(a[3] - a[2] for a in answers):.2f} s; refused {refused}, unanswered {len(broken)}"
    )
    assert workers_before and workers_before.isdisjoint(workers_after_hup)  # really reloaded
    assert in_flight_at_term  # the SIGTERM really met requests in flight
    assert waited  # and requests really arrived while no master ran
    assert (refused, broken) == (0, [])  # every request was answered
    assert {a[1] for a in answers} == {201}  # ... made, and none needed a second try

    # Every answered redeem is in the ledger exactly once, and nothing else is.
    with shop.conn.cursor() as cur:
        cur.execute(
            "SELECT transaction_reference, COUNT(*) AS n FROM phone_loyalty_transactions "
            "WHERE tenant_id = %s AND operation_type = 'redeem_points' "
            "GROUP BY transaction_reference",
            (shop.tenant.id,),
        )
        ledger = {bytes(r["transaction_reference"]).decode(): r["n"] for r in cur.fetchall()}
    assert ledger == {a[0]: 1 for a in answers}
