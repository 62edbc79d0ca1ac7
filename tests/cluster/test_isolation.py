"""The writing node is cut off from the cluster (``gmcast.isolate``) under 8 tills: it stays up
but answers 1047 (not ready) to every statement and 1180 at COMMIT. The tills get 503 problems
that say what is known (never a 500), within DB_TIMEOUT + 1 s, and write again once HAProxy
moves them to node 2; nothing acknowledged is lost, nothing said unchanged was stored
(issue 19, item 5)."""

import threading
import time

import pytest

from ..browser import ApiProcess
from .conftest import connect_node, wait_cluster_settled, writer_node
from .test_node_kill import (
    NOTHING_CHANGED,
    RETRYABLE,
    key,
    ledger_references,
    seed_tills,
    till,
)

TILLS = 8
DB_TIMEOUT = 2.0
ISOLATED_SECONDS = 12


def isolate(database, node: int, value: int) -> None:
    with connect_node(database, node) as conn, conn.cursor() as cur:
        cur.execute(f"SET GLOBAL wsrep_provider_options = 'gmcast.isolate={value}'")


@pytest.fixture(scope="module")
def isolated_run(galera, database, tmp_path_factory):
    shop, phones = seed_tills(database, "galera-isolated", "+4473065079")
    api = ApiProcess(database, "http://127.0.0.1:8080", tmp_path_factory.mktemp("gunicorn"))
    api.env.update({"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4", "DB_POOL_SIZE": "8",
                    "DB_TIMEOUT": str(DB_TIMEOUT)})  # fmt: skip
    api.start()
    try:
        assert writer_node(database) == "node1"
        stop, answers = threading.Event(), []
        tills = [
            threading.Thread(target=till, args=(i, api.url, shop, phones, stop, answers))
            for i in range(TILLS)
        ]
        for thread in tills:
            thread.start()
        try:
            time.sleep(3)
            isolated_at = time.monotonic()
            isolate(database, 1, 1)
            time.sleep(ISOLATED_SECONDS)
            isolate(database, 1, 0)
            galera.wait_synced(1, 120)
            time.sleep(3)
        finally:
            stop.set()
            for thread in tills:
                thread.join(60)
        wait_cluster_settled(database)
        stored = ledger_references(database, 2, shop.tenant.id)
        yield answers, isolated_at, stored
    finally:
        isolate(database, 1, 0)
        api.stop()
    worst = max(a.ended - a.started for a in answers)
    print(
        f"\n{len(answers)} requests, {sum(a.status == 503 for a in answers)} 503s, "
        f"{sum(a.status == 500 for a in answers)} 500s, worst answer {worst:.2f} s"
    )


def test_an_isolated_writer_answers_503_problems_never_500(isolated_run):
    answers, _isolated_at, _stored = isolated_run
    assert [a for a in answers if a.error] == []
    assert [(a.status, a.body) for a in answers if a.status not in (200, 201, 503)] == []
    for answer in answers:
        if answer.status == 503:
            assert answer.mimetype == "application/problem+json", answer
            assert answer.code in RETRYABLE, answer.body
        assert answer.ended - answer.started <= DB_TIMEOUT + 1, answer


def test_writes_resume_on_another_node(isolated_run):
    answers, isolated_at, _stored = isolated_run
    assert any(a.status == 201 and a.started > isolated_at + 1 for a in answers)


def test_nothing_acknowledged_is_lost_and_nothing_said_unchanged_was_stored(isolated_run):
    answers, _isolated_at, stored = isolated_run
    assert {key(a) for a in answers if a.acknowledged} - stored == set()
    said_unchanged = {key(a) for a in answers if a.status == 503 and a.code in NOTHING_CHANGED}
    assert said_unchanged & stored == set()
