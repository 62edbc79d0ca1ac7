"""A shop's rewards over the admin API (GET/PUT /api/admin/rewards), and the Toast CLI."""

import uuid

from service.locations import add_location

from .helpers import assert_problem
from .toast_terminal import Terminal, fixture

URL = "/api/admin/rewards"
OFF5 = {"id": "off5", "name": "£5 off", "points": 500, "amount_minor": 500}
COFFEE = {"id": "free-coffee", "name": "A coffee", "points": 120, "amount_minor": 280}


def test_a_new_shop_has_no_rewards(client, shop, admin_headers):
    response = client.get(URL, headers=admin_headers(shop))
    assert response.status_code == 200
    assert response.json == {"rewards": []}


def test_put_replaces_the_whole_list_and_answers_it_as_stored(client, shop, admin_headers):
    headers = admin_headers(shop)
    response = client.put(URL, json={"rewards": [COFFEE, OFF5]}, headers=headers)
    assert response.status_code == 200
    assert response.json == {"rewards": [COFFEE, OFF5]}
    assert client.get(URL, headers=headers).json == {"rewards": [COFFEE, OFF5]}
    assert client.put(URL, json={"rewards": [OFF5]}, headers=headers).json == {"rewards": [OFF5]}
    assert client.put(URL, json={"rewards": []}, headers=headers).json == {"rewards": []}


def test_bad_entries_are_named_and_nothing_is_stored(client, shop, admin_headers):
    headers = admin_headers(shop)
    client.put(URL, json={"rewards": [OFF5]}, headers=headers)
    bad = [
        OFF5,
        {**COFFEE, "points": 0},
        {**COFFEE, "id": "Free Coffee!"},
        {**COFFEE, "amount_minor": 0, "id": "x"},
        {**OFF5, "name": "again"},
        {**COFFEE, "id": "y", "extra": 1},
    ]
    body = assert_problem(client.put(URL, json={"rewards": bad}, headers=headers), 422,
                          "validation_error")  # fmt: skip
    assert set(body["errors"]) == {
        "rewards.1.points", "rewards.2.id", "rewards.3.amount_minor", "rewards.4.id",
        "rewards.5.extra",
    }  # fmt: skip
    assert client.get(URL, headers=headers).json == {"rewards": [OFF5]}


def test_at_most_fifty_rewards(client, shop, admin_headers):
    many = [{**OFF5, "id": f"r{i}"} for i in range(51)]
    response = client.put(URL, json={"rewards": many}, headers=admin_headers(shop))
    assert "rewards" in assert_problem(response, 422, "validation_error")["errors"]


def test_rewards_need_an_admin_of_this_shop(client, shop, make_shop, admin_headers):
    assert_problem(client.get(URL), 401, "unauthorized")
    other = make_shop()
    client.put(URL, json={"rewards": [OFF5]}, headers=admin_headers(other))
    assert client.get(URL, headers=admin_headers(shop)).json == {"rewards": []}


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["toast", *args])


def test_toast_connect_list_and_disconnect(app, client, shop):
    add_location(shop.conn, shop.tenant, "Harbour", "harbour")
    guid = str(uuid.uuid4())
    connected = _cli(
        app, "connect", shop.tenant.slug, "--restaurant", guid, "--location", "harbour"
    )
    assert connected.exit_code == 0, connected.output
    key = connected.stdout.strip().splitlines()[-1]
    assert key.startswith("ltk_") and " " not in key
    listed = _cli(app, "list", shop.tenant.slug)
    assert guid in listed.stdout and "harbour" in listed.stdout
    again = _cli(app, "connect", shop.tenant.slug, "--restaurant", guid)
    assert again.exit_code != 0 and "connected already" in again.output
    terminal = Terminal(client, key, guid)
    body = fixture("search_request")
    assert (
        terminal.send("LOYALTY_SEARCH", body).json["transactionStatus"] == "ERROR_ACCOUNT_INVALID"
    )
    assert _cli(app, "disconnect", guid).exit_code == 0
    assert terminal.send("LOYALTY_SEARCH", body).json["transactionStatus"] == "ERROR_INVALID_TOKEN"
    assert _cli(app, "disconnect", guid).exit_code != 0


def test_toast_connect_refuses_a_guid_toasts_headers_could_never_carry(app, shop):
    """A restaurant connected as "café-1" could never authenticate: Toast's header is ASCII."""
    for guid in ("café-1", "has space", "x" * 65):
        refused = _cli(app, "connect", shop.tenant.slug, "--restaurant", guid)
        assert refused.exit_code != 0 and "--restaurant" in refused.output, guid
    assert _cli(app, "list", shop.tenant.slug).stdout == ""
