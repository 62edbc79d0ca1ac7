"""HAProxy counts a node up only while it is Synced: a node that is reachable but not in sync
(desynced here, joining or donating in real life) gets no connections."""

import time

import pymysql
import pytest
import requests

from .conftest import cluster

NODE = 3  # a backup of the writer listener and a member of the round-robin one


def wait_for(condition, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def haproxy_state(listener: str) -> str:
    return cluster.haproxy_servers()[(listener, f"node{NODE}")]


def agent_status() -> int:
    return requests.get(f"http://{cluster.HOST}:{cluster.agent_port(NODE)}/", timeout=2).status_code


def set_desync(on: bool) -> None:
    conn = cluster.connect_node(NODE)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SET GLOBAL wsrep_desync = {'ON' if on else 'OFF'}")
    finally:
        conn.close()


@pytest.fixture
def desynced_node(galera):
    set_desync(True)
    try:
        yield
    finally:
        set_desync(False)
        assert wait_for(lambda: haproxy_state("writer") == "UP"), "the node did not come back"


def test_a_reachable_node_that_is_not_synced_is_marked_down(desynced_node):
    assert wait_for(lambda: not cluster.is_synced(cluster.wsrep_status(NODE)))
    # It still accepts connections (a TCP check would pass)...
    with pymysql.connect(host=cluster.HOST, port=cluster.mysql_port(NODE), user="root") as conn:
        assert conn.open
    # ...but its agent says no, and HAProxy takes it out of both listeners.
    assert wait_for(lambda: agent_status() == 503)
    assert wait_for(lambda: haproxy_state("writer") == "DOWN")
    assert wait_for(lambda: haproxy_state("multi_writer") == "DOWN")


def test_a_synced_node_is_up(galera):
    assert agent_status() == 200
    assert haproxy_state("writer") == "UP"
    assert haproxy_state("multi_writer") == "UP"
