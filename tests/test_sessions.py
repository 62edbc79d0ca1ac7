"""Sign-in identities in one normal form; sign-out and password changes revoke tokens
(issue 7, items 1 and 6)."""

import secrets

import pytest

from service.auth import create_admin
from service.identities import normalize_email, normalize_slug
from service.tenancy import create_tenant

from .helpers import ADMIN_PASSWORD, SESSION, assert_problem, sign_in

CUSTOMERS = "/api/admin/customers"


def test_an_accented_tenant_does_not_sign_in_to_the_plain_one(client, shop):
    accented = shop.tenant.slug.replace("s", "ś", 1)
    assert_problem(sign_in(client, accented, shop.admin_email), 401, "unauthorized")


def test_an_accented_email_does_not_sign_in_as_the_plain_one(client, shop):
    accented = shop.admin_email.replace("a", "á", 1)
    assert_problem(sign_in(client, shop.tenant.slug, accented), 401, "unauthorized")


def test_case_and_surrounding_spaces_do_not_matter(client, shop):
    response = sign_in(client, f" {shop.tenant.slug.upper()} ", f"  {shop.admin_email.upper()} ")
    assert response.status_code == 200, response.json
    assert response.json["tenant"] == shop.tenant.slug


def test_an_email_signs_in_whichever_unicode_form_it_is_typed_in(client, conn, shop):
    decomposed = "jose\u0301@cafe.test"  # "josé" as e + combining acute
    create_admin(conn, shop.tenant, decomposed, ADMIN_PASSWORD)
    composed = "jos\u00e9@cafe.test"
    assert sign_in(client, shop.tenant.slug, composed).status_code == 200
    assert sign_in(client, shop.tenant.slug, decomposed.upper()).status_code == 200
    with conn.cursor() as cur:
        cur.execute("SELECT email FROM admin_users WHERE tenant_id = %s", (shop.tenant.id,))
        emails = {row["email"] for row in cur.fetchall()}
    assert composed in emails


def test_the_normal_forms():
    assert normalize_slug("  Corner-Cafe ") == "corner-cafe"
    assert normalize_email(" Jose\u0301@Cafe.TEST ") == "jos\u00e9@cafe.test"
    for bad in ("démo", "a b", "-x", "", "x" * 64, "\uff41\uff42\uff43"):
        with pytest.raises(ValueError):
            normalize_slug(bad, strict=True)


def test_tenants_create_refuses_a_slug_outside_the_normal_form(conn):
    with pytest.raises(ValueError):
        create_tenant(conn, "démo-" + secrets.token_hex(3), "Démo", "GB")
    tenant = create_tenant(conn, "Mixed-" + secrets.token_hex(3), "Mixed", "GB")
    assert tenant.slug == tenant.slug.lower()


def test_the_columns_compare_bytes(conn, shop):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) AS n FROM tenants WHERE slug = %s", (shop.tenant.slug.upper(),)
        )
        assert cur.fetchone()["n"] == 0
        cur.execute(
            "SELECT COUNT(*) AS n FROM admin_users WHERE email = %s", (shop.admin_email.upper(),)
        )
        assert cur.fetchone()["n"] == 0


def test_sign_out_revokes_the_token(client, shop, admin_headers):
    headers = admin_headers(shop)
    assert client.get(CUSTOMERS, headers=headers).status_code == 200
    response = client.delete(SESSION, headers=headers)
    assert response.status_code == 204
    body = assert_problem(client.get(CUSTOMERS, headers=headers), 401, "unauthorized")
    assert "sign in again" in body["detail"]
    # Signing out twice, or with no token, is refused like any other bad credential.
    assert_problem(client.delete(SESSION, headers=headers), 401, "unauthorized")
    assert_problem(client.delete(SESSION), 401, "unauthorized")
    # A fresh sign-in works again.
    assert client.get(CUSTOMERS, headers=admin_headers(shop)).status_code == 200


def test_setting_the_password_revokes_every_token_of_that_admin(
    client, conn, shop, make_shop, admin_headers
):
    other = make_shop()
    first, second, bystander = admin_headers(shop), admin_headers(shop), admin_headers(other)
    create_admin(conn, shop.tenant, shop.admin_email, "a brand new password")
    for headers in (first, second):
        assert_problem(client.get(CUSTOMERS, headers=headers), 401, "unauthorized")
    assert client.get(CUSTOMERS, headers=bystander).status_code == 200
    assert (
        sign_in(client, shop.tenant.slug, shop.admin_email, "a brand new password").status_code
        == 200
    )
