"""A private, throwaway MariaDB server for tests that kill or freeze their database.

The shared server at DATABASE_URL is never touched: this one has its own data directory,
socket and loopback port, and is killed when the test ends.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pymysql

from service.config import DatabaseSettings
from service.db import connect
from service.migrate import upgrade

from .harness import free_port


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None
    )
    if found is None:
        raise RuntimeError(f"{name} is not installed (Debian package mariadb-server)")
    return found


class PrivateMariaDB:
    """``start()``, ``kill()`` (SIGKILL), ``freeze()``/``thaw()`` (SIGSTOP/SIGCONT), ``stop()``."""

    def __init__(self, log_bin: bool = False):
        # log_bin: keep a binary log (ROW format), as point-in-time recovery needs.
        self.log_bin = log_bin
        self.base = Path(tempfile.mkdtemp(prefix="loyalty-private-db-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.settings = DatabaseSettings("127.0.0.1", self.port, "root", "", "loyalty_faults")
        root = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(  # noqa: S603 (fixed arguments)
            [
                _binary("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={self.base / 'data'}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *root,
            ],
            check=True,
            capture_output=True,
        )
        self._root = root

    def start(self, timeout: float = 30) -> None:
        log = (self.base / "error.log").open("a")
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [
                _binary("mariadbd"),
                "--no-defaults",
                f"--datadir={self.base / 'data'}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.base / 'mariadb.sock'}",
                f"--pid-file={self.base / 'mariadb.pid'}",
                "--innodb-buffer-pool-size=32M",
                *(
                    ["--log-bin=mariadb-bin", "--server-id=1", "--binlog-format=ROW"]
                    if self.log_bin
                    else ["--skip-log-bin"]
                ),
                *self._root,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                pymysql.connect(
                    host="127.0.0.1", port=self.port, user="root", connect_timeout=1
                ).close()
                return
            except pymysql.err.OperationalError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        raise RuntimeError(f"private MariaDB did not start; see {self.base / 'error.log'}")

    def create_schema(self) -> None:
        server = pymysql.connect(host="127.0.0.1", port=self.port, user="root")
        with closing(server), server.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{self.settings.database}`")
        with closing(connect(self.settings)) as conn:
            upgrade(conn)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP, returning once the kernel reports every thread of the server stopped
        (the signal is asynchronous: a query could still be answered just after it)."""
        self.process.send_signal(signal.SIGSTOP)
        tasks = Path(f"/proc/{self.process.pid}/task")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            states = []
            for task in tasks.iterdir():
                try:
                    states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
                except (FileNotFoundError, IndexError):
                    continue
            if states and all(state in ("T", "t") for state in states):
                return
            time.sleep(0.01)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)


@contextmanager
def running_private_mariadb() -> Iterator[PrivateMariaDB]:
    """A private server, started with the schema migrated, stopped afterwards (a module
    fixture's body)."""
    server = PrivateMariaDB()
    try:
        server.start()
        server.create_schema()
        yield server
    finally:
        server.stop()
