"""Bad input answers a 4xx problem+json that names the problem, and writes nothing (issue 7,
items 8, 9 and 11). Cases a real server frames differently (chunked bodies, request lines) run
against gunicorn too."""

import json
import re
import socket
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from .helpers import assert_problem, ledger_count
from .test_openapi import COMMITTED

REDEEM = "/api/customer/loyalty/redeem"
EARN = "/api/customer/loyalty/earn"
PHONE = "+447306506797"
VALID = {"phone": PHONE, "points": 5, "transaction_reference": "bad-input-1"}


def post_raw(client, shop, text: str, path: str = REDEEM, content_type="application/json"):
    return client.post(path, data=text, content_type=content_type, headers=shop.pos_headers)


def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"n": value}
    return value


@pytest.fixture
def customer(shop):
    shop.add_customer(PHONE, points=100)
    return shop


def assert_nothing_written(shop, before: int) -> None:
    assert ledger_count(shop.conn, shop.tenant.id) == before


def test_details_nested_deeper_than_the_database_allows_is_refused(client, customer):
    before = ledger_count(customer.conn, customer.tenant.id)
    response = client.post(
        REDEEM, json={**VALID, "details": nested(40)}, headers=customer.pos_headers
    )
    problem = assert_problem(response, 422, "validation_error")
    assert "details" in problem["errors"]
    assert "nested" in problem["detail"]
    assert_nothing_written(customer, before)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e309"])
def test_non_finite_numbers_in_details_are_refused(client, customer, number):
    before = ledger_count(customer.conn, customer.tenant.id)
    text = json.dumps(VALID)[:-1] + f', "details": {{"amount": {number}}}}}'
    response = post_raw(client, customer, text)
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    problem = assert_problem(
        response, response.status_code, "malformed_json" if response.status_code == 400 else
        "validation_error",
    )  # fmt: skip
    assert "finite" in problem["detail"] or "NaN" in problem["detail"]
    assert_nothing_written(customer, before)


def test_a_body_nested_a_thousand_levels_is_malformed_not_a_crash(client, customer):
    before = ledger_count(customer.conn, customer.tenant.id)
    text = "[" * 1000 + "]" * 1000
    problem = assert_problem(post_raw(client, customer, text), 400, "malformed_json")
    assert "nested" in problem["detail"]
    text = json.dumps(VALID)[:-1] + ', "details": ' + '{"a":' * 1000 + "1" + "}" * 1000 + "}"
    assert_problem(post_raw(client, customer, text), 400, "malformed_json")
    assert_nothing_written(customer, before)


def test_points_with_thousands_of_digits_are_refused(client, customer):
    before = ledger_count(customer.conn, customer.tenant.id)
    text = json.dumps(VALID).replace('"points": 5', '"points": ' + "9" * 5001)
    problem = assert_problem(post_raw(client, customer, text), 422, "validation_error")
    assert "points" in problem["errors"]
    assert_nothing_written(customer, before)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (REDEEM, "phone"),
        (EARN, "name"),
        ("/api/customer/loyalty/redeem/x/reverse", "reason"),
    ],
)
def test_a_lone_surrogate_in_a_string_field_is_refused(client, customer, path, field):
    before = ledger_count(customer.conn, customer.tenant.id)
    body = {} if "reverse" in path else dict(VALID)
    body[field] = "ab\ud800cd"
    text = json.dumps(body)  # ensure_ascii: the surrogate travels as the escape \ud800
    problem = assert_problem(post_raw(client, customer, text, path), 422, "validation_error")
    assert field in problem["errors"]
    assert "surrogate" in problem["detail"]
    assert_nothing_written(customer, before)


def test_a_lone_surrogate_or_control_character_in_details_is_refused(client, customer):
    for details in ({"note": "\ud800"}, {"\udfff": 1}):
        response = post_raw(client, customer, json.dumps({**VALID, "details": details}))
        assert "details" in assert_problem(response, 422, "validation_error")["errors"]


def test_control_characters_in_a_name_are_refused(client, customer):
    body = {**VALID, "name": "Sam\x00\x1b[31m"}
    response = client.post(EARN, json=body, headers=customer.pos_headers)
    problem = assert_problem(response, 422, "validation_error")
    assert "control" in problem["detail"]


def test_a_text_plain_body_is_unsupported_media_type(client, customer):
    before = ledger_count(customer.conn, customer.tenant.id)
    response = post_raw(client, customer, json.dumps(VALID), content_type="text/plain")
    problem = assert_problem(response, 415, "unsupported_media_type")
    assert "application/json" in problem["detail"]
    assert_nothing_written(customer, before)


@pytest.mark.parametrize(
    "path",
    ["/api/loyalty/phone-lookup/", "/api/admin/customers/", "/api//loyalty/phone-lookup"],
)
def test_a_trailing_or_doubled_slash_is_not_a_redirect(client, customer, path):
    response = client.get(path, query_string={"phone": PHONE}, headers=customer.pos_headers)
    assert_problem(response, 404, "not_found")


def test_phone_zero_is_refused_and_the_schema_says_so(client, customer):
    spec = yaml.safe_load(COMMITTED.read_text())
    lookup = spec["paths"]["/api/loyalty/phone-lookup"]["get"]["parameters"]
    phone = next(p for p in lookup if p["name"] == "phone")["schema"]
    assert "pattern" in phone

    assert not re.search(phone["pattern"], "0")  # the schema says what the server refuses
    assert re.search(phone["pattern"], "+447306506797")
    assert re.search(phone["pattern"], "07306 506797")
    assert re.search(phone["pattern"], "(073) 065-06797")
    response = client.get(
        "/api/loyalty/phone-lookup", query_string={"phone": "0"}, headers=customer.pos_headers
    )
    assert_problem(response, 422, "invalid_phone")


def test_an_adjustment_of_zero_is_documented_as_refused():
    spec = yaml.safe_load(COMMITTED.read_text())
    body = spec["components"]["schemas"]["AdjustmentRequest"]["properties"]["points"]
    assert body.get("not") == {"enum": [0]}


def test_414_is_documented():
    spec = yaml.safe_load(COMMITTED.read_text())
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if (
                method in ("get", "post", "put", "delete")
                and path.startswith("/api/")
                and "docs" not in path
            ):
                assert "414" in operation["responses"], (method, path)


# --- the same through gunicorn: how a real server frames bodies and request lines ---


def raw_http(url: str, request: bytes) -> tuple[int, dict, bytes]:
    """Send ``request`` verbatim; returns (status, headers, body) of the answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def test_a_chunked_body_over_the_limit_is_413_under_gunicorn(gunicorn_server, customer):
    before = ledger_count(customer.conn, customer.tenant.id)
    megabyte = (json.dumps({**VALID, "details": {"x": "y" * 1_000_000}})).encode()

    def chunks():
        for i in range(0, len(megabyte), 65536):
            yield megabyte[i : i + 65536]

    response = requests.post(
        gunicorn_server + REDEEM,
        data=chunks(),
        headers={**customer.pos_headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"
    assert_nothing_written(customer, before)


def test_an_over_long_request_line_is_a_414_problem_under_gunicorn(gunicorn_server, customer):
    status, headers, body = raw_http(
        gunicorn_server,
        b"GET /api/loyalty/phone-lookup?phone=" + b"1" * 6000 + b" HTTP/1.1\r\n"
        b"Host: 127.0.0.1\r\nX-API-Key: " + customer.key.encode() + b"\r\n"
        b"Connection: close\r\n\r\n",
    )
    assert status == 414, body
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["code"] == "uri_too_long"
