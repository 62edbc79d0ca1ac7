"""deploy/nginx-loyalty.conf in front of the real service (Debian's nginx, gunicorn, MariaDB):
the admin app and the API work through it, /metrics does not, and POS lookups keep answering
while 40 clients dribble their headers one line a second."""

import json
import re
import shutil
import signal
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from .browser import ApiProcess, chromium, sign_in_page
from .harness import ROOT, free_port
from .helpers import ADMIN_PASSWORD

NGINX = "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx-loyalty.conf"
PHONE = "+447306506797"
PHONE_DIGITS = "7306506797"
SLOW_CLIENTS = 40
SLOW_SECONDS = 30  # each slow client sends one header line a second until stopped (or dropped)
LOOKUPS = 20


def render_site(tmp: Path, port: int, api_port: int, root: Path) -> Path:
    """The deployed file with only its marked lines (and the log path) pointed at this test."""
    text = SITE.read_text()
    for old, new in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{api_port};"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("root /opt/loyalty/frontend/dist;", f"root {root};"),
        ("/var/log/nginx/loyalty.access.log", str(tmp / "access.log")),
    ):
        assert text.count(old) == 1, f"{SITE.name} no longer has {old!r}"
        text = text.replace(old, new)
    site = tmp / "loyalty.conf"
    site.write_text(text)
    return site


def main_config(tmp: Path, site: Path) -> Path:
    """What Debian's /etc/nginx/nginx.conf provides around a site, with private paths."""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    config = tmp / "nginx.conf"
    config.write_text(
        f"""
daemon off;
user root;
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
{temp_paths}
    uwsgi_temp_path {tmp / "uwsgi"};
    scgi_temp_path {tmp / "scgi"};
    include {site};
}}
"""
    )
    return config


def start_nginx(config: Path, origin: str) -> subprocess.Popen:
    checked = subprocess.run([NGINX, "-t", "-c", str(config)], capture_output=True, text=True)  # noqa: S603
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen([NGINX, "-c", str(config)], stderr=subprocess.PIPE)  # noqa: S603
    deadline = time.monotonic() + 10
    while True:
        try:
            requests.get(f"{origin}/healthz", timeout=1)
            return nginx
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)


def stop_nginx(nginx: subprocess.Popen) -> None:
    nginx.send_signal(signal.SIGQUIT)  # graceful stop
    nginx.wait(timeout=10)


@pytest.fixture(scope="module")
def proxied(database, tmp_path_factory):
    """nginx with the deploy configuration in front of gunicorn; yields a namespace."""
    if not Path(NGINX).exists():
        pytest.fail(f"{NGINX} is missing: `make test` installs Debian's nginx package")
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    dist = tmp / "dist"
    shutil.copytree(ROOT / "frontend" / "src", dist)
    (dist / "config.js").write_text(f'export const API_BASE_URL = "{origin}";\n')

    api = ApiProcess(database, origin, tmp)
    api.env.update({"TRUSTED_PROXY_HOPS": "1", "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4"})
    api.start()
    nginx = start_nginx(main_config(tmp, render_site(tmp, port, api.port, dist)), origin)
    yield type("Proxied", (), {"url": origin, "api": api, "tmp": tmp})
    stop_nginx(nginx)
    api.stop()


def service_lines(api) -> list[dict]:
    return [json.loads(line) for line in api.log_path.read_text().splitlines() if line.strip()]


def test_the_admin_app_and_the_api_work_through_the_proxy(proxied, shop):
    shop.add_customer(PHONE, points=50)
    page = requests.get(f"{proxied.url}/", timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert '<script type="module"' in page.text
    for asset in ("app.js", "api.js", "config.js"):
        script = requests.get(f"{proxied.url}/{asset}", timeout=5)
        assert script.status_code == 200, asset
        # Browsers run ES modules only when served as JavaScript.
        assert script.headers["Content-Type"].startswith("application/javascript"), asset
    assert requests.get(f"{proxied.url}/styles.css", timeout=5).status_code == 200
    assert proxied.url in requests.get(f"{proxied.url}/config.js", timeout=5).text

    session = requests.post(
        f"{proxied.url}/api/admin/session",
        json={
            "tenant": shop.tenant.slug,
            "email": shop.admin_email,
            "password": ADMIN_PASSWORD,
        },
        headers={"Origin": proxied.url},
        timeout=5,
    )
    assert session.status_code == 200, session.text
    customers = requests.get(
        f"{proxied.url}/api/admin/customers",
        headers={"Authorization": f"Bearer {session.json()['token']}"},
        timeout=5,
    )
    assert customers.status_code == 200 and customers.json()["total"] == 1

    lookup = requests.get(
        f"{proxied.url}/api/loyalty/phone-lookup",
        params={"phone": PHONE},
        headers={**shop.pos_headers, "X-Forwarded-For": "198.51.100.9"},  # a client's lie
        timeout=5,
    )
    assert lookup.status_code == 200 and lookup.json()["points_balance"] == 50
    request_id = lookup.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's own, passed to the service
    [line] = [
        entry
        for entry in service_lines(proxied.api)
        if entry.get("request_id") == request_id and entry.get("event") == "request"
    ]
    assert line["client"] == "127.0.0.1"  # the address nginx saw, not the forged one
    assert line["route"] == "/api/loyalty/phone-lookup"

    own_id = requests.get(
        f"{proxied.url}/api/loyalty/phone-lookup",
        params={"phone": PHONE},
        headers={**shop.pos_headers, "X-Request-ID": "till-3.lookup-9"},
        timeout=5,
    )
    assert own_id.headers["X-Request-ID"] == "till-3.lookup-9"

    too_large = requests.post(
        f"{proxied.url}/api/customer/loyalty/redeem",
        data=b"{" + b" " * 20_000 + b"}",
        headers={**shop.pos_headers, "Content-Type": "application/json"},
        timeout=5,
    )
    assert too_large.status_code == 413
    assert too_large.headers["Content-Type"] == "application/problem+json"
    assert too_large.json()["code"] == "payload_too_large"

    assert requests.get(f"{proxied.url}/metrics", timeout=5).status_code == 404
    direct = requests.get(f"{proxied.api.url}/metrics", timeout=5)
    assert direct.status_code == 200 and "loyalty_http_request_duration_seconds" in direct.text

    access_log = (proxied.tmp / "access.log").read_text()
    assert "/api/loyalty/phone-lookup" in access_log
    assert PHONE_DIGITS not in access_log  # nginx logs the path, never the query string
    assert PHONE_DIGITS not in proxied.api.log_path.read_text()


def test_with_the_service_down_nginx_answers_a_problem_not_a_page(tmp_path):
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    nothing_listens = free_port()
    nginx = start_nginx(
        main_config(tmp_path, render_site(tmp_path, port, nothing_listens, tmp_path)), origin
    )
    try:
        response = requests.post(f"{origin}/api/customer/loyalty/redeem", json={}, timeout=10)
    finally:
        stop_nginx(nginx)
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    body = response.json()
    assert body["code"] == "service_unavailable" and body["status"] == 503
    assert "nothing was changed" not in body["detail"]  # the request may have reached it


def slow_client(url_port: int, stop: threading.Event, opened: list) -> None:
    """Send a request's headers one line a second, never finishing them, until told to stop."""
    try:
        sock = socket.create_connection(("127.0.0.1", url_port), timeout=5)
    except OSError:
        return
    opened.append(sock)
    try:
        sock.sendall(b"GET /api/loyalty/phone-lookup HTTP/1.1\r\nHost: loyalty\r\n")
        for i in range(SLOW_SECONDS):
            if stop.wait(1):
                return
            sock.sendall(f"X-Slow-{i}: 1\r\n".encode())
    except OSError:
        pass  # nginx may drop it: that is its job
    finally:
        sock.close()


def test_pos_lookups_answer_while_forty_clients_send_headers_slowly(proxied, shop):
    shop.add_customer(PHONE, points=50)
    port = int(proxied.url.rsplit(":", 1)[1])
    stop, opened = threading.Event(), []
    slow = [
        threading.Thread(target=slow_client, args=(port, stop, opened), daemon=True)
        for _ in range(SLOW_CLIENTS)
    ]
    for thread in slow:
        thread.start()
    time.sleep(1)  # every slow client is connected and has started its headers
    statuses, durations, with_all_slow = [], [], 0
    try:
        for _ in range(LOOKUPS):
            started = time.perf_counter()
            response = requests.get(
                f"{proxied.url}/api/loyalty/phone-lookup",
                params={"phone": PHONE},
                headers=shop.pos_headers,
                timeout=5,
            )
            durations.append(time.perf_counter() - started)
            statuses.append(response.status_code)
            with_all_slow += len(opened) == SLOW_CLIENTS and all(t.is_alive() for t in slow)
    finally:
        stop.set()
        for thread in slow:
            thread.join(timeout=5)
    p95 = statistics.quantiles(durations, n=20)[-1] * 1000
    print(
        f"\n{LOOKUPS} POS lookups through nginx with {SLOW_CLIENTS} slow-header clients: "
        f"p50 {statistics.median(durations) * 1000:.1f} ms, p95 {p95:.1f} ms, "
        f"max {max(durations) * 1000:.1f} ms ({with_all_slow} while all {SLOW_CLIENTS} were open)"
    )
    # The lookups really ran while the slow clients were there (nginx drops each after
    # client_header_timeout, 10 s; on a very busy machine the last lookups may come after).
    assert with_all_slow >= LOOKUPS // 2
    assert statuses == [200] * LOOKUPS


def test_the_deploy_files_agree_with_each_other():
    """nginx proxies to the address systemd listens on; the unit trusts exactly that one proxy
    and gives gunicorn longer to stop than gunicorn gives its requests."""
    deploy = ROOT / "deploy"
    upstream = re.search(r"server (\S+);", SITE.read_text()).group(1)
    socket_unit = (deploy / "loyalty-api.socket").read_text()
    assert f"ListenStream={upstream}\n" in socket_unit
    api_unit = (deploy / "loyalty-api.service").read_text()
    assert "Environment=TRUSTED_PROXY_HOPS=1\n" in api_unit
    assert "Environment=LOYALTY_ENV=production\n" in api_unit
    runtime = re.search(r"RuntimeDirectory=(\S+)", api_unit).group(1)
    assert f"PROMETHEUS_MULTIPROC_DIR=/run/{runtime}/" in api_unit
    graceful = int(
        re.search(r"graceful_timeout = (\d+)", (ROOT / "gunicorn.conf.py").read_text())[1]
    )
    assert int(re.search(r"TimeoutStopSec=(\d+)", api_unit)[1]) > graceful
    worker_unit = (deploy / "loyalty-webhooks.service").read_text()
    assert int(re.search(r"TimeoutStopSec=(\d+)", worker_unit)[1]) > 10  # the delivery timeout


@pytest.mark.browser
def test_the_admin_app_signs_in_and_lists_customers_through_the_proxy(proxied, shop):
    """In Chromium: the app, its modules and its API calls all come from nginx's one origin."""
    sync_api = pytest.importorskip("playwright.sync_api")
    shop.add_customer(PHONE, points=75, name="Proxy Customer")
    with chromium() as browser:
        page = browser.new_page()
        api_statuses = []
        page.on("response", lambda r: "/api/" in r.url and api_statuses.append(r.status))
        sign_in_page(page, proxied.url, shop.tenant.slug, shop.admin_email, ADMIN_PASSWORD)
        row = page.locator("#customers tbody tr", has_text="Proxy Customer")
        sync_api.expect(row).to_contain_text("75")
    assert api_statuses and set(api_statuses) <= {200, 304}
