"""Behind the shipped nginx, the protocol errors gunicorn would answer in HTML are answered as
problem+json, by nginx itself or by the service (issue 19, item 13)."""

import json
import socket
from urllib.parse import urlsplit

import pytest

from .test_proxy import proxied  # noqa: F401 (the fixture: nginx in front of gunicorn)

HOST = b"Host: 127.0.0.1\r\nConnection: close\r\n"
LOOKUP = b"/api/loyalty/phone-lookup?phone=%2B447306506797"
BODY = b'{"phone":"+447306506797","points":1,"transaction_reference":"x"}'
POST = (
    b"POST /api/customer/loyalty/redeem HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
)

# The 15 requests gunicorn answered with its own HTML page (issue 19, item 13), and how
# each is written on the wire.
PROTOCOL_ERRORS = {
    "content-length with transfer-encoding": POST
    + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "negative content-length": POST + b"Content-Length: -1\r\n\r\n",
    "duplicate content-length": POST + b"Content-Length: 65\r\nContent-Length: 66\r\n\r\n" + BODY,
    "obs-fold": b"GET " + LOOKUP + b" HTTP/1.1\r\n" + HOST + b"X-Folded: a\r\n b\r\n\r\n",
    "bare LF": b"GET " + LOOKUP + b" HTTP/1.1\n" + HOST.replace(b"\r\n", b"\n") + b"\n",
    "NUL in a header": b"GET " + LOOKUP + b" HTTP/1.1\r\n" + HOST + b"X-Nul: a\x00b\r\n\r\n",
    "9,000-byte header": b"GET " + LOOKUP + b" HTTP/1.1\r\n" + HOST
    + b"X-Long: " + b"a" * 9000 + b"\r\n\r\n",
    "9,000-byte request line": b"GET /api/loyalty/phone-lookup?phone=" + b"1" * 9000
    + b" HTTP/1.1\r\n" + HOST + b"\r\n",
    "120 headers": b"GET " + LOOKUP + b" HTTP/1.1\r\n" + HOST
    + b"".join(b"X-H%d: v\r\n" % i for i in range(120)) + b"\r\n",
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "HTTP/9.9": b"GET " + LOOKUP + b" HTTP/9.9\r\n" + HOST + b"\r\n",
    "lower-case method": b"get " + LOOKUP + b" HTTP/1.1\r\n" + HOST + b"\r\n",
    "GET *": b"GET * HTTP/1.1\r\n" + HOST + b"\r\n",
    "unknown transfer-coding": POST + b"Transfer-Encoding: gzip\r\n\r\n",
    "malformed chunk": POST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
}  # fmt: skip


def send(url: str, request: bytes) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=15) as sock:
        # No shutdown of the sending side: nginx would take it for a client that went away
        # (499) before the service answered. Every request either fails (nginx closes) or
        # says "Connection: close".
        sock.sendall(request)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    assert data, "the connection was closed without an answer"
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if headers.get("transfer-encoding") == "chunked":
        size, _, rest = body.partition(b"\r\n")
        body = rest[: int(size, 16)]
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("kind", list(PROTOCOL_ERRORS))
def test_every_protocol_error_is_a_problem_through_nginx(proxied, kind):  # noqa: F811
    status, headers, body = send(proxied.url, PROTOCOL_ERRORS[kind])
    assert 400 <= status < 600, (kind, status, body)
    assert headers.get("content-type") == "application/problem+json", (kind, status, body)
    problem = json.loads(body)
    assert problem["status"] == status
    assert problem["code"] and problem["title"] and problem["detail"]
    assert "no-store" in headers.get("cache-control", "")


@pytest.mark.parametrize(("path", "status"), [(b"/metrics", 404), (b"/no-such-file.js", 404)])
def test_nginxs_own_not_found_is_a_problem(proxied, path, status):  # noqa: F811
    answer, headers, body = send(proxied.url, b"GET " + path + b" HTTP/1.1\r\n" + HOST
                                 + b"Connection: close\r\n\r\n")  # fmt: skip
    assert answer == status
    assert headers.get("content-type") == "application/problem+json", body
