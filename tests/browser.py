"""Harness for the browser tests: the API under real gunicorn, the built admin app on a static
server, and Debian's Chromium driven by Playwright (test tools cannot download a browser)."""

import functools
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(settings) -> str:
    auth = settings.user + (f":{settings.password}" if settings.password else "")
    return f"mysql://{auth}@{settings.host}:{settings.port}/{settings.database}"


class ApiProcess:
    """``gunicorn 'service:create_app()'`` on a fixed port, which tests may stop and restart."""

    def __init__(self, database, cors_origin: str, log_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(database),
            "CORS_ORIGINS": cors_origin,
            "SECRET_KEY": "browser-test-secret",
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "1",
        }
        self.log_path = log_dir / "gunicorn.log"
        self.process = None

    def start(self) -> None:
        log = self.log_path.open("a")
        self.process = subprocess.Popen(  # noqa: S603 (a fixed command line)
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
             "service:create_app()"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/readyz", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start; see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


class StaticSite:
    """The admin app as `make frontend` builds it, served from a temporary folder."""

    def __init__(self, build_dir: Path):
        shutil.copytree(ROOT / "frontend" / "src", build_dir, dirs_exist_ok=True)
        self.build_dir = build_dir
        handler = functools.partial(QuietHandler, directory=str(build_dir))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def point_at(self, api_url: str) -> None:
        (self.build_dir / "config.js").write_text(f'export const API_BASE_URL = "{api_url}";\n')

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
