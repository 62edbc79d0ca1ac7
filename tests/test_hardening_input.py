"""Forged or malformed input is a 4xx problem, never a 500 and never a write; parameters the API
does not know are refused, never ignored (issue 19, items 6 to 12, 14 and 15)."""

import base64
import csv
import io
import json

import pytest
import yaml

from service import webhooks
from service.config import ConfigError, DatabaseSettings
from service.customer_export import spreadsheet_safe
from service.webhooks import DestinationRefused

from .helpers import assert_problem, ledger_count
from .test_bad_input import raw_http
from .test_openapi import COMMITTED

REDEEM = "/api/customer/loyalty/redeem"
EARN = "/api/customer/loyalty/earn"
CUSTOMERS = "/api/admin/customers"
PHONE = "+447306506797"


@pytest.fixture
def customer(shop):
    shop.add_customer(PHONE, points=100, name="Ann Lee")
    shop.add_customer("+447306506800", points=5, name="Ann Morgan")
    return shop


# ---- item 6: forged cursors -----------------------------------------------------------


def forged(kind: str, key_json: str) -> str:
    raw = f'{{"k":"{kind}","a":{key_json}}}'.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("q", "kind", "key"),
    [
        ("", "recent", '["2026-01-01T00:00:00", Infinity]'),
        ("", "recent", '["2026-01-01T00:00:00", {"a": 1}]'),
        ("", "recent", '[["2026-01-01T00:00:00"], 1]'),
        ("", "recent", '["2026-01-01T00:00:00", 1e400]'),
        ("", "recent", "[12, 1]"),
        ("ann", "name", '[{"a": 1}, 1]'),
        ("ann", "name", '[["ann"], 1]'),
        ("ann", "name", '["ann", 1.5]'),
        ("ann", "name", '["ann", true]'),
        ("+44 7306", "phone_prefix", "[[1]]"),
        ("+44 7306", "phone_prefix", '[{"a": 1}]'),
        ("+44 7306", "phone_prefix", "[null]"),
        ("6797", "phone_suffix", '[["7976"], 1]'),
        ("6797", "phone_suffix", '["7976", "x"]'),
        ("6797", "phone_suffix", '["7976", 99999999999999999999999999]'),
    ],
)
def test_a_forged_cursor_is_refused_not_a_500(client, customer, admin_headers, q, kind, key):
    response = client.get(
        CUSTOMERS,
        query_string={"q": q, "per_page": 1, "cursor": forged(kind, key)},
        headers=admin_headers(customer),
    )
    assert_problem(response, 422, "invalid_cursor")


def test_the_cursors_the_list_hands_out_still_work(client, customer, admin_headers):
    headers = admin_headers(customer)
    for q in ("", "ann", "+44 7306", "6797", "06800"):
        first = client.get(CUSTOMERS, query_string={"q": q, "per_page": 1}, headers=headers)
        assert first.status_code == 200, first.json
        if first.json["next_cursor"]:
            query = {"q": q, "per_page": 1, "cursor": first.json["next_cursor"]}
            following = client.get(CUSTOMERS, query_string=query, headers=headers)
            assert following.status_code == 200, following.json


# ---- item 7: a malformed chunked body ---------------------------------------------------


def test_a_malformed_chunked_body_is_a_400_problem_under_gunicorn(gunicorn_server, customer):
    before = ledger_count(customer.conn, customer.tenant.id)
    status, headers, body = raw_http(
        gunicorn_server,
        b"POST " + REDEEM.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"X-API-Key: " + customer.key.encode() + b"\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    )
    assert status == 400, body
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["code"] in ("bad_request", "malformed_json")
    assert ledger_count(customer.conn, customer.tenant.id) == before


# ---- item 8: duplicate keys ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f'{{"phone": "{PHONE}", "phone": "+447306506800", "points": 1, '
        '"transaction_reference": "dup-1"}',
        f'{{"phone": "{PHONE}", "points": 1, "points": 7, "transaction_reference": "dup-2"}}',
        f'{{"phone": "{PHONE}", "points": 1, "transaction_reference": "dup-3", '
        '"details": {"a": 1, "a": 2}}',
    ],
)
def test_duplicate_json_keys_are_refused(client, customer, text):
    before = ledger_count(customer.conn, customer.tenant.id)
    response = client.post(
        REDEEM, data=text, content_type="application/json", headers=customer.pos_headers
    )
    problem = assert_problem(response, 400, "malformed_json")
    assert "more than once" in problem["detail"]
    assert ledger_count(customer.conn, customer.tenant.id) == before


# ---- item 9: invisible characters on every plane --------------------------------------


@pytest.mark.parametrize(
    "reference",
    [
        "BI-café\U000e0041",  # a tag character (Cf, plane 14)
        "BI-\U0001d173café",  # a musical formatting character (Cf, plane 1)
        "BI-café\U000e0001",  # LANGUAGE TAG
        "BI-café\U0010fffe",  # unassigned (a non-character, Cn)
        "BI-caf\U0003ffffé",  # unassigned, plane 3
        "BI-caf\u0378é",  # unassigned in the BMP
        "BI-café\u2028x",  # Zl
    ],
)
def test_invisible_or_unassigned_characters_on_any_plane_are_refused(client, customer, reference):
    before = ledger_count(customer.conn, customer.tenant.id)
    body = {"phone": PHONE, "points": 1, "transaction_reference": reference}
    response = client.post(EARN, json=body, headers=customer.pos_headers)
    problem = assert_problem(response, 422, "validation_error")
    assert "transaction_reference" in problem["errors"]
    assert ledger_count(customer.conn, customer.tenant.id) == before


def test_visible_characters_beyond_the_bmp_are_still_references(client, customer):
    body = {"phone": PHONE, "points": 1, "transaction_reference": "BI-\U0001f600-\U00020000"}
    response = client.post(EARN, json=body, headers=customer.pos_headers)
    assert response.status_code == 201, response.json


# ---- item 10: query parameters read strictly --------------------------------------------


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (CUSTOMERS, "page=2"),
        (CUSTOMERS, "foo=1"),
        (CUSTOMERS, "sort="),
        (CUSTOMERS, "per_page=10&per_page=20"),
        (CUSTOMERS, "q=a&q=b"),
        (CUSTOMERS, "per_page=%2B10"),
        (CUSTOMERS, "per_page=%2010"),
        (CUSTOMERS, "per_page=10%20"),
        (CUSTOMERS, "per_page=%D9%A1%D9%A0"),
        (CUSTOMERS, "per_page=-0"),
        (CUSTOMERS, "per_page=1_0"),
        (f"{CUSTOMERS}/export.csv", "foo="),
        (f"{CUSTOMERS}/export.csv", "q=a&q=b"),
        ("{history}", "cursor="),
        ("{history}", "page=1&page=2"),
        ("{history}", "per_page=%EF%BC%91"),
    ],
)
def test_unknown_repeated_or_loosely_written_parameters_are_refused(
    client, customer, admin_headers, path, query
):
    headers = admin_headers(customer)
    cards = client.get(CUSTOMERS, headers=headers).json["items"]
    path = path.format(history=f"{CUSTOMERS}/{cards[0]['customer_id']}/transactions")
    assert_problem(client.get(f"{path}?{query}", headers=headers), 422, "validation_error")
    # Not even when the client holds the page's current tag: a 304 would say "what you have
    # is what you asked for".
    tag = client.get(path, headers=headers).headers.get("ETag")
    if tag:
        conditional = {**headers, "If-None-Match": tag}
        response = client.get(f"{path}?{query}", headers=conditional)
        assert_problem(response, 422, "validation_error")


@pytest.mark.parametrize(
    "query",
    ["phone=%2B447306506797&phone=%2B447306506800", f"phone={PHONE}&foo=1", "per_page=%2B5"],
)
def test_the_till_history_and_lookup_read_parameters_strictly(client, customer, query):
    for path in ("/api/loyalty/transactions", "/api/loyalty/phone-lookup"):
        if "per_page" in query and "lookup" in path:
            continue
        full = query if "phone" in query else f"phone=%2B447306506797&{query}"
        response = client.get(f"{path}?{full}", headers=customer.pos_headers)
        assert_problem(response, 422, "validation_error")


def test_plain_parameters_still_work(client, customer, admin_headers):
    headers = admin_headers(customer)
    response = client.get(f"{CUSTOMERS}?per_page=1&q=ann", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["per_page"] == 1


# ---- item 11: reverse with no body --------------------------------------------------------


def test_reverse_without_a_body_is_documented_as_it_behaves(client, customer):
    spec = yaml.safe_load(COMMITTED.read_text())
    operation = spec["paths"]["/api/customer/loyalty/redeem/{transaction_reference}/reverse"]
    assert operation["post"]["requestBody"].get("required", False) is False
    body = {"phone": PHONE, "points": 10, "transaction_reference": "nobody-1"}
    assert client.post(REDEEM, json=body, headers=customer.pos_headers).status_code == 201
    response = client.post(f"{REDEEM}/nobody-1/reverse", headers=customer.pos_headers)
    assert response.status_code == 201, response.json
    assert response.json["points_reversed"] == 10


# ---- item 12: DATABASE_URL without //host --------------------------------------------


@pytest.mark.parametrize(
    "url", ["mysql:/nohost", "mysql:nohost/db", "mysql:///loyalty", "mysql://:3306/loyalty"]
)
def test_a_database_url_without_a_host_is_refused(url):
    with pytest.raises(ConfigError) as caught:
        DatabaseSettings.from_url(url)
    assert caught.value.problems[0].startswith("DATABASE_URL must look like")


# ---- item 14: 6to4 and Teredo destinations ---------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 around 169.254.169.254
        "2002:0a00:0001::1",  # 6to4 around 10.0.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo with client 127.0.0.1
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo with client 10.0.0.1
    ],
)
def test_6to4_and_teredo_addresses_are_looked_inside(address):
    with pytest.raises(DestinationRefused):
        webhooks.check_address(address)


def test_6to4_around_a_public_address_is_still_public():
    assert webhooks._refusal("2002:5db8:d70e::1") is None  # 93.184.215.14


# ---- item 15: CSV injection ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [" =1+1", "\u200b=1+1", "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20SUM(A1)", "\u00a0\t=1",
     "\ufeff=1", " \u200d@x", "\u3000=1"],
)  # fmt: skip
def test_a_formula_behind_spaces_invisible_characters_or_in_full_width_is_neutralised(text):
    assert spreadsheet_safe(text).startswith("'")


def test_every_text_cell_is_quoted(client, admin_headers, shop):
    shop.add_customer(PHONE, name="x;=cmd|' /C calc'!A0")
    response = client.get(f"{CUSTOMERS}/export.csv", headers=admin_headers(shop))
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith('"customer_id","phone","name"')
    assert "\"x;=cmd|' /C calc'!A0\"" in lines[1]
    assert f'"\'{PHONE}"' in lines[1]
    row = next(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert row["name"] == "x;=cmd|' /C calc'!A0"
