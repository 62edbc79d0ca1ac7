"""transaction_reference is an opaque identity: compared byte for byte, validated at the door,
and every accepted one can be reversed through its percent-encoded URL (issue 7, item 1)."""

from urllib.parse import quote

import pytest

from .helpers import REDEEM, assert_problem, ledger_count

PHONE = "+447306506797"

# Pairs that a case- or accent-insensitive (or PAD SPACE) comparison would call equal.
LOOK_ALIKES = [
    ("ORD-17-abc", "ORD-17-ABC"),
    ("straße", "strasse"),
    ("café", "cafe"),
    ("café", "cafe\u0301"),  # precomposed é vs e + combining accent: other bytes
    ("order-1", "order-\uff11"),  # full-width digit one
    ("🍕", "🍔"),
    ("A", "a"),
]


@pytest.mark.parametrize(("first", "second"), LOOK_ALIKES)
@pytest.mark.parametrize("verb", ["redeem", "earn"])
def test_look_alike_references_are_different_orders(client, shop, verb, first, second):
    shop.add_customer(PHONE, points=100)
    change = getattr(shop.till(client, PHONE), verb)
    one = change(5, first)
    two = change(5, second)
    assert one.status_code == 201, one.json
    assert two.status_code == 201, two.json  # counted, not a replay of the first
    assert two.json["replayed"] is False
    assert two.json["transaction_reference"] == second
    assert two.json["transaction_id"] != one.json["transaction_id"]
    # And each still replays itself exactly.
    again = change(5, second)
    assert again.status_code == 200
    assert again.json["transaction_id"] == two.json["transaction_id"]


@pytest.mark.parametrize(
    "reference",
    [
        "order 1 ",  # trailing space
        " order 1",
        "order\n1",
        "order\x001",
        "order\t1",
        "a\u200bb",  # zero-width space: invisible on a receipt
        "x" * 65,
        "",
    ],
)
def test_unprintable_or_padded_references_are_refused(client, shop, reference):
    shop.add_customer(PHONE, points=100)
    before = ledger_count(shop.conn, shop.tenant.id)
    response = shop.till(client, PHONE).redeem(5, reference)
    body = assert_problem(response, 422, "validation_error")
    assert "transaction_reference" in body["errors"]
    assert ledger_count(shop.conn, shop.tenant.id) == before


def test_lone_surrogate_reference_is_refused(client, shop):
    shop.add_customer(PHONE, points=100)
    raw = '{"phone": "' + PHONE + '", "points": 5, "transaction_reference": "a\\ud800"}'
    response = client.post(
        REDEEM, data=raw, content_type="application/json", headers=shop.pos_headers
    )
    assert_problem(response, 422, "validation_error")


@pytest.mark.parametrize(
    "reference", ["A/B", "../..", "a//b", "x?y#z", "50%", "ORD 17", "straße/1", "."]
)
def test_every_accepted_reference_can_be_reversed(client, shop, reference):
    shop.add_customer(PHONE, points=100)
    redeemed = shop.till(client, PHONE).redeem(30, reference)
    assert redeemed.status_code == 201, redeemed.json
    url = f"{REDEEM}/{quote(reference, safe='')}/reverse"
    reversed_ = client.post(url, json={"points": 10}, headers=shop.pos_headers)
    assert reversed_.status_code == 201, (url, reversed_.get_data(as_text=True))
    assert reversed_.json["points_reversed"] == 10
    assert reversed_.json["points_balance"] == 80


def test_reversal_url_reference_is_case_sensitive(client, shop):
    shop.add_customer(PHONE, points=100)
    shop.till(client, PHONE).redeem(30, "A-RED-1")
    response = client.post(f"{REDEEM}/a-red-1/reverse", json={}, headers=shop.pos_headers)
    assert_problem(response, 404, "transaction_not_found")


def test_reference_reuse_with_look_alike_is_not_reported_as_reuse(client, shop):
    """A look-alike with another amount is a new order, not 'reference reused'."""
    shop.add_customer(PHONE, points=100)
    shop.till(client, PHONE).redeem(5, "inv-9")
    response = shop.till(client, PHONE).redeem(7, "INV-9")
    assert response.status_code == 201, response.json
