"""The webhook worker on SIGTERM: the delivery in flight is finished and recorded, nothing new
is claimed, and the process exits without leaving a claim to lapse."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from service.webhooks import add_endpoint

from .harness import ROOT, database_url
from .helpers import Receiver

PHONE = "+447306506797"


def test_sigterm_finishes_the_delivery_in_flight_and_claims_no_more(client, shop, database):
    shop.add_customer(PHONE, points=100)
    receiver = Receiver(delay=2.0)
    endpoint_id, _secret = add_endpoint(
        shop.conn, shop.tenant, receiver.url, allow_private_networks=True
    )
    for reference in ("stop-1", "stop-2"):
        shop.till(client, PHONE).redeem(10, reference, expect=201)
    worker = subprocess.Popen(  # noqa: S603 (a fixed command line)
        [str(Path(sys.executable).parent / "flask"), "--app", "service", "webhooks", "deliver",
         "--poll", "0.2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "DATABASE_URL": database_url(database), "SECRET_KEY": "worker-test",
             # the receiver listens on loopback, which webhooks refuse unless told otherwise
             "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1"},
    )  # fmt: skip
    try:
        assert receiver.received.wait(20), "the worker never posted"
        worker.send_signal(signal.SIGTERM)  # while the receiver is still answering
        _out, err = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
        receiver.close()
    try:
        assert worker.returncode == 0, err
        assert "webhook worker stopped" in err
        with shop.conn.cursor() as cur:
            cur.execute(
                "SELECT status, attempts, claim_token, claimed_until FROM webhook_deliveries "
                "WHERE endpoint_id = %s ORDER BY id",
                (endpoint_id,),
            )
            rows = list(cur.fetchall())
        assert receiver.count == 1
        assert [(r["status"], r["attempts"]) for r in rows] == [("delivered", 1), ("pending", 0)]
        assert all(r["claim_token"] is None and r["claimed_until"] is None for r in rows)
    finally:
        with shop.conn.cursor() as cur:
            cur.execute("UPDATE webhook_deliveries SET status = 'failed' WHERE status = 'pending'")
            cur.execute(
                "UPDATE webhook_endpoints SET removed_at = NOW(6) WHERE id = %s", (endpoint_id,)
            )
