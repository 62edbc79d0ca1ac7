"""Probes, and what happens when the database is gone."""

from dataclasses import replace

from service import create_app

from .helpers import assert_problem


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}


def test_unreachable_database_is_503_problem(database):
    down = create_app({"TESTING": True, "DATABASE": replace(database, port=1)})
    client = down.test_client()
    assert client.get("/healthz").status_code == 200
    assert_problem(client.get("/readyz"), 503, "database_unavailable")
    response = client.get(
        "/api/loyalty/phone-lookup?phone=%2B447306506797",
        headers={"X-API-Key": "lpk_000000000000_x"},
    )
    assert_problem(response, 503, "database_unavailable")


def test_cors_lets_the_admin_app_send_credentials_and_read_etags(client):
    response = client.options(
        "/api/admin/customers",
        headers={
            "Origin": "http://127.0.0.1:8080",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, if-none-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8080"
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed
    assert "if-none-match" in allowed
    get = client.get("/api/admin/customers", headers={"Origin": "http://127.0.0.1:8080"})
    assert "ETag" in get.headers.get("Access-Control-Expose-Headers", "")


def test_other_origins_get_no_cors_grant(client):
    response = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_request_without_origin_gets_no_cors_headers(client):
    """Tills and scripts are not browsers: CORS headers are for a request that names its
    origin, and only then does the answer vary by it."""
    response = client.get("/api/admin/customers")
    assert [h for h, _ in response.headers.items() if h.lower().startswith("access-control")] == []
    assert "Origin" not in response.headers.get("Vary", "")


def test_the_pos_api_grants_no_origin(client, shop):
    """The admin app calls the admin API only; a page on its origin gets no grant to act as a
    till, even with a till's key in hand."""
    response = client.get(
        "/api/loyalty/phone-lookup",
        query_string={"phone": "+447306506797"},
        headers={**shop.pos_headers, "Origin": "http://127.0.0.1:8080"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers
