"""Management commands: ``flask --app service <group> <command>``."""

import sys
from contextlib import closing

import click
import pymysql
from flask import current_app
from flask.cli import AppGroup

from . import auth, demo, migrate
from .db import connect, connect_kwargs
from .errors import TenantNotFound
from .tenancy import create_tenant, get_tenant


def _connect():
    return closing(connect(current_app.config["DATABASE"]))


def _tenant(conn, slug):
    try:
        return get_tenant(conn, slug)
    except TenantNotFound as exc:
        raise click.ClickException(exc.detail) from exc


db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
def db_upgrade():
    """Create the database if missing and apply pending migrations."""
    settings = current_app.config["DATABASE"]
    server = pymysql.connect(**connect_kwargs(settings, database=False))
    with closing(server), server.cursor() as cur:
        quoted = settings.database.replace("`", "``")
        cur.execute(
            f"CREATE DATABASE IF NOT EXISTS `{quoted}` "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    with _connect() as conn:
        applied = migrate.upgrade(conn)
    click.echo("Applied: " + ", ".join(applied) if applied else "Database is up to date.")


tenants_cli = AppGroup("tenants", help="Shops and restaurant groups.")


@tenants_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Display name.")
@click.option("--region", default="GB", show_default=True, help="Phone region (ISO 3166).")
def tenants_create(slug, name, region):
    """Create a tenant."""
    with _connect() as conn:
        try:
            tenant = create_tenant(conn, slug, name, region)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Created tenant {tenant.slug} (id {tenant.id}, region {tenant.phone_region}).")


pos_keys_cli = AppGroup("pos-keys", help="API keys of POS terminals.")


@pos_keys_cli.command("create")
@click.argument("slug")
@click.option("--label", default="", help="Which terminal this key is for.")
def pos_keys_create(slug, label):
    """Create a POS key; it is printed once, alone on the last line."""
    with _connect() as conn:
        key = auth.create_pos_key(conn, _tenant(conn, slug), label)
    click.echo("Store this key now; it cannot be shown again:", err=True)
    click.echo(key)


@pos_keys_cli.command("revoke")
@click.argument("prefix")
def pos_keys_revoke(prefix):
    """Revoke the key whose public prefix is PREFIX (the part after 'lpk_')."""
    with _connect() as conn:
        if not auth.revoke_pos_key(conn, prefix):
            raise click.ClickException(f"No active key with prefix {prefix!r}.")
    click.echo(f"Revoked {prefix}.")


admins_cli = AppGroup("admins", help="Admin users of the customers page.")


@admins_cli.command("create")
@click.argument("slug")
@click.argument("email")
def admins_create(slug, email):
    """Create an admin (or reset its password); the password is read from stdin."""
    password = sys.stdin.readline().rstrip("\n")
    with _connect() as conn:
        try:
            auth.create_admin(conn, _tenant(conn, slug), email, password)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Admin {email} of {slug} is ready.")


demo_cli = AppGroup("demo", help="Local demo data.")


@demo_cli.command("seed")
def demo_seed():
    """Load the demo tenant (safe to run again) and print a fresh POS key."""
    with _connect() as conn:
        info = demo.seed(conn)
    click.echo(f"Demo tenant '{info['tenant']}' ready with {info['customers']} customers.")
    click.echo(
        f"Admin sign-in: tenant={info['tenant']} email={info['admin_email']} "
        f"password={info['admin_password']}"
    )
    click.echo("POS key (new; earlier demo keys are revoked):")
    click.echo(info["pos_key"])


def init_app(app) -> None:
    for group in (db_cli, tenants_cli, pos_keys_cli, admins_cli, demo_cli):
        app.cli.add_command(group)
