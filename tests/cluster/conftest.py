"""Fixtures for the Galera cluster tests (``make test-cluster``; plain ``make test`` skips them).

They need the cluster of ``scripts/cluster.py`` running and ``DATABASE_URL`` at its HAProxy
writer port, which ``make test-cluster`` arranges; the tests kill and restart its nodes.
"""

import os
from contextlib import closing
from dataclasses import replace

import pymysql
import pytest

from scripts import cluster
from service.db import connect

from ..browser import ApiProcess

# Collected only when asked for: these tests kill database nodes.
collect_ignore_glob = [] if os.environ.get("LOYALTY_CLUSTER_TESTS") else ["test_*.py"]


@pytest.fixture(scope="session")
def galera(database):
    """The running cluster (the module of scripts/cluster.py), all three nodes Synced."""
    if database.port != cluster.WRITER_PORT:
        pytest.fail(f"DATABASE_URL must point at HAProxy's writer port {cluster.WRITER_PORT}")
    for node in cluster.NODES:
        if not cluster.is_synced(cluster.wsrep_status(node)):
            pytest.fail(f"node {node} is not Synced: run `make cluster` first")
    return cluster


def node_settings(database, node: int):
    """The test database, reached on one node directly (bypassing HAProxy)."""
    return replace(database, port=cluster.mysql_port(node))


def connect_node(database, node: int):
    return closing(connect(node_settings(database, node)))


def text(reference) -> str:
    """A stored reference (VARBINARY since migration 0004) as the till sent it."""
    return reference.decode() if isinstance(reference, bytes | bytearray) else reference


def wait_cluster_settled(database, timeout: float = 60) -> None:
    """Wait until every node is Synced and has applied everything the others committed."""
    for node in cluster.NODES:
        cluster.wait_synced(node, timeout)
        with connect_node(database, node) as conn, conn.cursor() as cur:
            # A read that waits until this node applied every write set it has seen.
            cur.execute("SET SESSION wsrep_sync_wait = 1")
            cur.execute("SELECT 1")


@pytest.fixture
def gunicorn_on(tmp_path):
    """``gunicorn_on(settings)``: the API under gunicorn (2 workers x 8 threads) on ``settings``."""
    started = []

    def start(settings):
        api = ApiProcess(settings, "http://127.0.0.1:8080", tmp_path)
        api.env.update({"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "8", "DB_POOL_SIZE": "10"})
        api.start()
        started.append(api)
        return api

    yield start
    for api in started:
        api.stop()


def writer_node(database) -> str:
    """The node HAProxy's writer port leads to now."""
    with closing(pymysql.connect(**{**_kwargs(database)})) as conn, conn.cursor() as cur:
        cur.execute("SELECT @@wsrep_node_name")
        return cur.fetchone()[0]


def _kwargs(database) -> dict:
    return {
        "host": database.host,
        "port": database.port,
        "user": database.user,
        "password": database.password,
        "connect_timeout": 5,
    }
