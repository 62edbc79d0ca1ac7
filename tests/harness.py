"""What tests and benchmarks run on: a throwaway database, free loopback ports, the API under
gunicorn. Imports nothing of pytest, so ``python -m bench`` uses it as the tests do."""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from pathlib import Path

import pymysql
import requests

from service.config import DEFAULT_DATABASE_URL, DatabaseSettings
from service.db import connect, connect_kwargs
from service.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
API_APP = "service:create_app()"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(settings: DatabaseSettings) -> str:
    """``settings`` as the DATABASE_URL the service reads."""
    auth = settings.user + (f":{settings.password}" if settings.password else "")
    return f"mysql://{auth}@{settings.host}:{settings.port}/{settings.database}"


def _on_server(settings: DatabaseSettings, statement: str) -> None:
    # A fresh connection each time: an earlier one may have died with its server (node kills).
    server = pymysql.connect(**connect_kwargs(settings, database=False))
    with closing(server), server.cursor() as cur:
        cur.execute(statement)


@contextmanager
def throwaway_database(prefix: str = "loyalty_test") -> Iterator[DatabaseSettings]:
    """Settings of a new, migrated database on DATABASE_URL's server; dropped on exit."""
    server = DatabaseSettings.from_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    settings = replace(server, database=f"{prefix}_{secrets.token_hex(4)}")
    _on_server(settings, f"CREATE DATABASE `{settings.database}`")
    try:
        with closing(connect(settings)) as conn:
            upgrade(conn)
        yield settings
    finally:
        _on_server(settings, f"DROP DATABASE IF EXISTS `{settings.database}`")


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py APP`` on a free loopback port chosen once, so it can be
    stopped and started again at the same URL. ``env`` adds to (and overrides) os.environ;
    ``log`` is where gunicorn's output goes (a temporary file when None)."""

    def __init__(
        self,
        app: str = API_APP,
        env: dict | None = None,
        log: Path | None = None,
        args: tuple[str, ...] = (),
    ):
        self.app = app
        self.args = args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {}), "BIND": f"127.0.0.1:{self.port}"}
        self.log_path = log
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self, timeout: float = 30) -> None:
        """Start gunicorn and return once /readyz answers 200; raise with its log if not."""
        # Kept open while gunicorn runs (closed by stop()): it holds gunicorn's output.
        self._log = self.log_path.open("ab") if self.log_path else tempfile.TemporaryFile()  # noqa: SIM115
        self.process = self.spawn(self._log)
        self._wait_ready(timeout)

    def spawn(self, log) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 (a fixed command line)
            [GUNICORN, "-c", "gunicorn.conf.py", *self.args, self.app],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(f"{self.url}/readyz", timeout=1).ok:
                    return
            except requests.RequestException:
                pass  # not listening yet, or still booting while the request waits
            time.sleep(0.1)
        output = self.output()
        self.stop()
        raise RuntimeError(f"gunicorn did not start at {self.url}:\n{output[-2000:]}")

    def output(self) -> str:
        """What gunicorn has written so far."""
        if self.log_path:
            return self.log_path.read_text(errors="replace")
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self) -> None:
        """Terminate gunicorn (kill it if it has not gone within 15 s); safe to repeat."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "Gunicorn":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
