"""scripts/cluster.py's node recovery, against a stand-in mariadbd (no database, no Galera)."""

import stat
import time
from pathlib import Path

import pytest

from scripts import cluster

pytestmark = pytest.mark.pure

POSITION = "8566a347-f154-11f1-b92a-2e3321f69ffc:4668"


def fake_mariadbd(tmp_path: Path, body: str) -> str:
    """A mariadbd that writes what ``--wsrep-recover`` logs to its ``--log-error`` file, then
    runs ``body`` (a shell fragment)."""
    script = tmp_path / "mariadbd"
    script.write_text(
        "#!/bin/sh\n"
        'for arg; do case "$arg" in --log-error=*) log="${arg#--log-error=}";; esac; done\n'
        f'echo "[Note] WSREP: Recovered position: {POSITION}" >> "$log"\n'
        f"{body}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.fixture
def node_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "node_dir", lambda node: tmp_path / f"node{node}")
    (tmp_path / "node1").mkdir()
    return tmp_path


def test_recovery_returns_the_position_of_a_mariadbd_that_exits(node_dir, monkeypatch):
    monkeypatch.setattr(cluster, "find_executable", lambda name: fake_mariadbd(node_dir, "exit 0"))
    assert cluster.recover_position(1) == POSITION


def test_recovery_does_not_wait_for_a_mariadbd_that_hangs_after_logging_its_position(
    node_dir, monkeypatch
):
    """CI's node 1 did not come back from --wsrep-recover within 120 s after a kill -9: once
    the position is logged there is nothing left to wait for."""
    monkeypatch.setattr(
        cluster, "find_executable", lambda name: fake_mariadbd(node_dir, "exec sleep 600")
    )
    started = time.monotonic()
    assert cluster.recover_position(1, grace=0.5) == POSITION
    assert time.monotonic() - started < 30  # not the 600 s the stand-in would hang for
    assert not stand_ins_running(node_dir)


def test_a_recovery_that_logs_no_position_is_stopped_at_its_timeout(node_dir, monkeypatch):
    script = fake_mariadbd(node_dir, "sleep 600 & wait")  # a child of its own, too
    text = Path(script).read_text().replace("Recovered position", "Recovering")
    Path(script).write_text(text)
    monkeypatch.setattr(cluster, "find_executable", lambda name: script)
    assert cluster.recover_position(1, timeout=1) is None
    assert not stand_ins_running(node_dir)


def stand_ins_running(tmp_path: Path) -> list[str]:
    """The command lines of processes still running the stand-in or its sleep."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            line = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(tmp_path) in line or line.startswith("sleep 600"):
            found.append(line)
    return found
