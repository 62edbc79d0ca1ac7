"""Run a WSGI app under gunicorn with the project's gunicorn.conf.py, on a free loopback port."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def memory(self) -> "Memory":
        return memory_of(self.pid)


@dataclass(frozen=True)
class Memory:
    processes: int
    rss_mb: float  # sum of resident sets; pages shared since the fork count once per process
    pss_mb: float  # proportional set size: shared pages split between the processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app: str, env: dict | None = None) -> Iterator[Server]:
    """Serve ``app`` ("module:callable") with gunicorn.conf.py; WEB_CONCURRENCY,
    GUNICORN_THREADS etc. come from the environment exactly as gunicorn.conf.py reads them.
    Access logs go to /dev/null for every app alike."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **(env or {}), "BIND": f"127.0.0.1:{port}"}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(  # noqa: S603 (a fixed command line)
            [GUNICORN, "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", app],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        try:
            _wait_ready(process, url, log)
            yield Server(url, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_ready(process: subprocess.Popen, url: str, log) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{url}/readyz", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    log.seek(0)
    raise SystemExit(f"gunicorn did not start at {url}:\n{log.read().decode()[-2000:]}")


def memory_of(pid: int) -> Memory:
    """RSS and PSS of a process and its children (a gunicorn master and its workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    rss = pss = 0
    for p in [pid, *map(int, children)]:
        for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
            field, _, rest = line.partition(":")
            if field == "Rss":
                rss += int(rest.split()[0])
            elif field == "Pss":
                pss += int(rest.split()[0])
    return Memory(1 + len(children), rss / 1024, pss / 1024)
