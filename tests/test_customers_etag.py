"""The admin list and history are conditional: an unchanged poll costs a 304 and no list query."""

import pytest

from .helpers import assert_no_store, assert_problem, count_statements, let_changes_settle

CUSTOMERS = "/api/admin/customers"
PHONE = "+447306506797"


@pytest.fixture
def till(client, shop):
    """The shop's till, serving PHONE."""
    return shop.till(client, PHONE)


@pytest.fixture
def admin(client, shop, admin_headers):
    shop.add_customer(PHONE, points=100, name="Alex")
    let_changes_settle(shop.conn, shop.tenant.id)
    return admin_headers(shop)


def test_no_304_while_a_change_may_still_be_landing(client, shop, admin, till):
    """Right after a change, a transaction stamped earlier could still commit without moving
    the newest change time: until that cannot happen, every poll gets the data."""
    till.redeem(20, "order-1", expect=(200, 201))
    first = client.get(CUSTOMERS, headers=admin)
    again = client.get(CUSTOMERS, headers={**admin, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    let_changes_settle(shop.conn, shop.tenant.id)
    settled = client.get(CUSTOMERS, headers=admin).headers["ETag"]
    assert client.get(CUSTOMERS, headers={**admin, "If-None-Match": settled}).status_code == 304


def test_same_etag_while_nothing_changes_and_304_for_it(client, admin):
    first = client.get(CUSTOMERS, headers=admin)
    second = client.get(CUSTOMERS, headers=admin)
    assert first.headers["ETag"] and first.headers["ETag"] == second.headers["ETag"]

    unchanged = client.get(CUSTOMERS, headers={**admin, "If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == first.headers["ETag"]
    assert_no_store(unchanged)


def test_a_redeem_changes_the_etag(client, shop, admin, till):
    etag = client.get(CUSTOMERS, headers=admin).headers["ETag"]
    till.redeem(20, "order-1", expect=(200, 201))
    response = client.get(CUSTOMERS, headers={**admin, "If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert response.json["items"][0]["points_balance"] == 80


def test_a_replay_changes_nothing(client, shop, admin, till):
    till.redeem(20, "order-1", expect=(200, 201))
    let_changes_settle(shop.conn, shop.tenant.id)
    etag = client.get(CUSTOMERS, headers=admin).headers["ETag"]
    till.redeem(20, "order-1", expect=(200, 201))
    assert client.get(CUSTOMERS, headers={**admin, "If-None-Match": etag}).status_code == 304


def test_another_tenants_redeem_leaves_the_etag_alone(client, make_shop, admin):
    etag = client.get(CUSTOMERS, headers=admin).headers["ETag"]
    other = make_shop()
    other.add_customer(PHONE, points=100)
    other.till(client, PHONE).redeem(20, "order-1", expect=(200, 201))
    assert client.get(CUSTOMERS, headers={**admin, "If-None-Match": etag}).status_code == 304


def test_a_new_customer_changes_the_etag(client, shop, admin):
    etag = client.get(CUSTOMERS, headers=admin).headers["ETag"]
    shop.add_customer("+447306506798")
    assert client.get(CUSTOMERS, headers={**admin, "If-None-Match": etag}).status_code == 200


def test_etag_depends_on_the_query(client, admin):
    etag = client.get(CUSTOMERS, headers=admin).headers["ETag"]
    searched = client.get(
        CUSTOMERS, query_string={"q": "zzz"}, headers={**admin, "If-None-Match": etag}
    )
    assert searched.status_code == 200
    assert searched.json["total"] == 0


def test_a_failed_redeem_changes_nothing(client, shop, admin, till):
    etag = client.get(CUSTOMERS, headers=admin).headers["ETag"]
    till.redeem(5000, "too-much", expect=409)
    assert client.get(CUSTOMERS, headers={**admin, "If-None-Match": etag}).status_code == 304


def test_304_needs_a_valid_session(client, admin):
    etag = client.get(CUSTOMERS, headers=admin).headers["ETag"]
    assert_problem(client.get(CUSTOMERS, headers={"If-None-Match": etag}), 401, "unauthorized")


def test_history_lists_ledger_entries_newest_first(client, shop, admin, till):
    till.redeem(20, "order-1", expect=(200, 201))
    till.redeem(30, "order-2", expect=(200, 201))
    customer_id = client.get(CUSTOMERS, headers=admin).json["items"][0]["customer_id"]
    response = client.get(f"{CUSTOMERS}/{customer_id}/transactions", headers=admin)
    assert response.status_code == 200
    assert_no_store(response)
    body = response.json
    assert body["total"] == 4  # opening entry, the setup earning, two redemptions
    ops = [
        (e["operation_type"], e["points_amount"], e["transaction_reference"]) for e in body["items"]
    ]
    assert ops[:2] == [("redeem_points", 30, "order-2"), ("redeem_points", 20, "order-1")]
    assert ops[-1][0] == "open_account"
    assert set(body["items"][0]) == {
        "transaction_id",
        "operation_type",
        "points_amount",
        "transaction_reference",
        "operation_details",
        "created_at",
        "balance_after",
        "points_change",
        "expires_at",
        "actor",
    }
    paged = client.get(
        f"{CUSTOMERS}/{customer_id}/transactions",
        query_string={"per_page": 1, "page": 2},
        headers=admin,
    ).json
    assert [e["transaction_reference"] for e in paged["items"]] == ["order-1"]


def test_history_is_conditional_too(client, shop, admin, till):
    customer_id = client.get(CUSTOMERS, headers=admin).json["items"][0]["customer_id"]
    url = f"{CUSTOMERS}/{customer_id}/transactions"
    etag = client.get(url, headers=admin).headers["ETag"]
    assert client.get(url, headers={**admin, "If-None-Match": etag}).status_code == 304
    till.redeem(5, "order-3", expect=(200, 201))  # the customer's own version: no settling
    assert client.get(url, headers={**admin, "If-None-Match": etag}).status_code == 200


def test_history_of_another_tenants_customer_is_not_found(client, make_shop, admin_headers):
    mine, theirs = make_shop(), make_shop()
    theirs.add_customer(PHONE, points=10)
    their_admin = admin_headers(theirs)
    their_id = client.get(CUSTOMERS, headers=their_admin).json["items"][0]["customer_id"]
    response = client.get(f"{CUSTOMERS}/{their_id}/transactions", headers=admin_headers(mine))
    assert_problem(response, 404, "customer_not_found")
    assert_problem(
        client.get(f"{CUSTOMERS}/999999/transactions", headers=their_admin),
        404,
        "customer_not_found",
    )


def test_a_304_never_runs_the_list_query(client, conn, admin):
    """With the customers table out of reach (every listing joins it; the change marker reads
    only the balance index), only an answer that skips the list query works."""
    etag = client.get(CUSTOMERS, headers=admin).headers["ETag"]
    with conn.cursor() as cur:
        cur.execute("RENAME TABLE customers TO hidden_customers")
    try:
        unchanged = client.get(CUSTOMERS, headers={**admin, "If-None-Match": etag})
        fresh = client.get(CUSTOMERS, headers=admin)
    finally:
        with conn.cursor() as cur:
            cur.execute("RENAME TABLE hidden_customers TO customers")
    assert unchanged.status_code == 304
    assert fresh.status_code == 500  # proves the list query would have needed the table


def test_an_unchanged_poll_is_one_statement(client, admin, monkeypatch):
    """The live page's hot path: a known session and one change-marker read, nothing else."""
    etag = client.get(CUSTOMERS, headers=admin).headers["ETag"]
    statements = count_statements(monkeypatch)
    assert client.get(CUSTOMERS, headers={**admin, "If-None-Match": etag}).status_code == 304
    assert len(statements) == 1, statements


def test_a_known_tag_never_excuses_bad_arguments(client, admin):
    """A 304 is only ever for a request the view would have answered 200."""
    etag = client.get(CUSTOMERS, headers=admin).headers["ETag"]
    for query in ("per_page=0", "per_page=abc", "cursor="):
        response = client.get(f"{CUSTOMERS}?{query}", headers={**admin, "If-None-Match": etag})
        assert_problem(response, 422, "validation_error")
    star = client.get(f"{CUSTOMERS}?per_page=0", headers={**admin, "If-None-Match": "*"})
    assert_problem(star, 422, "validation_error")


def test_a_known_tag_never_hides_a_missing_customer(client, admin):
    response = client.get(
        f"{CUSTOMERS}/999999/transactions", headers={**admin, "If-None-Match": "*"}
    )
    assert_problem(response, 404, "customer_not_found")


def test_a_304_still_needs_its_own_tenants_session(client, make_shop, admin, admin_headers):
    """The tag of one shop's page is no key to another's: the tenant is part of the tag."""
    etag = client.get(CUSTOMERS, headers=admin).headers["ETag"]
    other = make_shop()
    other.add_customer(PHONE, points=1)
    let_changes_settle(other.conn, other.tenant.id)
    response = client.get(CUSTOMERS, headers={**admin_headers(other), "If-None-Match": etag})
    assert response.status_code == 200
