"""Management commands: `loyalty <group> <command>` (or `flask --app service ...`)."""

import logging
import signal
import sys
import time
from contextlib import closing
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pymysql
from flask import current_app
from flask.cli import AppGroup

from . import auth, backups, demo, migrate, toast, webhooks
from .actors import system
from .audit import verify_ledger
from .clock import utc_now
from .config import is_production
from .db import connect, connect_kwargs, run_query
from .exceptions import (
    ImportFileRefused,
    InvalidField,
    LocationExists,
    LocationNotFound,
    TenantNotFound,
)
from .locations import add_location, list_locations, location_by_code, rename_location
from .member_import import ImportReport, import_members
from .points import expire_points
from .programme import (
    SETTINGS,
    format_money,
    get_programme,
    is_currency_code,
    is_timezone,
    minor_digits,
    set_programme,
)
from .report import (
    keep_closed_days,
    last_closed_day,
    points_report,
    report_reconciles,
    validate_period,
)
from .rules import REPORT_COLUMNS
from .store import pos_keys as pos_key_rows
from .store import tenants as tenant_rows
from .tenancy import all_tenants, create_tenant, get_tenant

log = logging.getLogger(__name__)


def _connect():
    return closing(connect(current_app.config["DATABASE"]))


def _location_id(conn, tenant, code: str | None) -> int | None:
    """The id of the tenant's location ``code`` (None when no code was given)."""
    if code is None:
        return None
    try:
        return location_by_code(conn, tenant, code)["id"]
    except LocationNotFound as exc:
        raise click.ClickException(exc.detail) from exc


def _tenant(conn, slug):
    try:
        return get_tenant(conn, slug)
    except TenantNotFound as exc:
        raise click.ClickException(exc.detail) from exc


db_cli = AppGroup("db", help="Database schema.")


def _on_server(statement: str) -> None:
    """Run ``statement`` with ``{db}`` replaced by the quoted configured database name."""
    settings = current_app.config["DATABASE"]
    server = pymysql.connect(**connect_kwargs(settings, database=False))
    with closing(server), server.cursor() as cur:
        cur.execute(statement.format(db="`" + settings.database.replace("`", "``") + "`"))


@db_cli.command("upgrade")
def db_upgrade():
    """Create the database if missing and apply pending migrations."""
    _remember_if_created()
    _on_server(
        "CREATE DATABASE IF NOT EXISTS {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    with _connect() as conn:
        applied = migrate.upgrade(conn)
    click.echo("Applied: " + ", ".join(applied) if applied else "Database is up to date.")


@db_cli.command("drop")
@click.confirmation_option(prompt="Drop the whole database, with every tenant's points?")
def db_drop():
    """Drop the configured database (for local demos; refused in production)."""
    if is_production():
        raise click.ClickException("Refusing to drop a production database.")
    _on_server("DROP DATABASE IF EXISTS {db}")
    click.echo(f"Dropped {current_app.config['DATABASE'].database}.")


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
@click.option("--location", "code", default=None, help="The location (code) the till is at.")
def pos_keys_create(slug, label, code):
    """Create a POS key; it is printed once, alone on the last line."""
    with _connect() as conn:
        tenant = _tenant(conn, slug)
        location_id = _location_id(conn, tenant, code)
        key = auth.create_pos_key(conn, tenant, label, location_id)
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
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
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
    count = info["customers"]
    click.echo(
        f"Demo tenant '{info['tenant']}' ready with {count} customer{'' if count == 1 else 's'}."
    )
    click.echo(
        f"Admin sign-in: tenant={info['tenant']} email={info['admin_email']} "
        f"password={info['admin_password']}"
    )
    click.echo("POS key (new; earlier demo keys are revoked):")
    click.echo(info["pos_key"])


ledger_cli = AppGroup("ledger", help="The points ledger.")


@ledger_cli.command("verify")
@click.option("--tenant", "slug", default=None, help="Only this tenant.")
def ledger_verify(slug):
    """Check every balance against its ledger; exit 1 on any drift."""
    with _connect() as conn:
        tenant = _tenant(conn, slug) if slug else None
        checked, drifts = verify_ledger(conn, tenant)
        reports = [
            (t, *report_reconciles(conn, t)) for t in ([tenant] if tenant else all_tenants(conn))
        ]
    for d in drifts:
        click.echo(
            f"DRIFT tenant={d['tenant']} customer={d['customer_id']} phone={d['phone']} "
            f"{d['column']}: stored {d['stored']}, ledger says {d['expected']}"
        )
    report_drifts = [(t, closes, total) for t, closes, total in reports if closes != total]
    for t, closes, total in report_drifts:
        click.echo(
            f"REPORT DRIFT tenant={t.slug}: the points report closes at {closes}, "
            f"the balances add up to {total}"
        )
    customers = len({d["customer_id"] for d in drifts})
    click.echo(
        f"Checked {checked} customers: {customers} drifting, {len(drifts)} differences; "
        f"the points report of {len(reports)} tenants: {len(report_drifts)} not reconciling."
    )
    if drifts or report_drifts:
        sys.exit(1)


webhooks_cli = AppGroup("webhooks", help="Webhook endpoints and their delivery worker.")


@webhooks_cli.command("add")
@click.argument("slug")
@click.argument("url")
def webhooks_add(slug, url):
    """Send SLUG's points events to URL; prints the signing secret once, on the last line."""
    with _connect() as conn:
        try:
            endpoint_id, secret = webhooks.add_endpoint(
                conn,
                _tenant(conn, slug),
                url,
                allow_private_networks=current_app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"],
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Endpoint {endpoint_id} added. Its signing secret (shown once):", err=True)
    click.echo(secret)


@webhooks_cli.command("list")
@click.argument("slug")
def webhooks_list(slug):
    """SLUG's endpoints with delivery counts, and the deliveries that failed for good."""
    with _connect() as conn:
        endpoints, failed = webhooks.list_endpoints(conn, _tenant(conn, slug))
    if not endpoints:
        click.echo("No endpoints.")
    for e in endpoints:
        click.echo(
            f"{e['id']}\t{webhooks.redact_url(e['url'])}\tpending={e['pending']} "
            f"delivered={e['delivered']} failed={e['failed']}"
        )
    for d in failed:
        click.echo(
            f"failed delivery {d['id']}: endpoint {d['endpoint_id']}, {d['event_type']} "
            f"evt_{d['event_id']}, {d['attempts']} attempts, last error: {d['last_error']} "
            f"(retry with: webhooks retry {d['id']})"
        )


@webhooks_cli.command("remove")
@click.argument("endpoint_id", type=int)
def webhooks_remove(endpoint_id):
    """Stop sending events to the endpoint ENDPOINT_ID."""
    with _connect() as conn:
        if not webhooks.remove_endpoint(conn, endpoint_id):
            raise click.ClickException(f"No endpoint {endpoint_id}.")
    click.echo(f"Removed endpoint {endpoint_id}.")


@webhooks_cli.command("retry")
@click.argument("delivery_id", type=int)
def webhooks_retry(delivery_id):
    """Make the failed delivery DELIVERY_ID pending again."""
    with _connect() as conn:
        if not webhooks.retry_delivery(conn, delivery_id):
            raise click.ClickException(f"No failed delivery {delivery_id}.")
    click.echo(f"Delivery {delivery_id} will be tried again.")


@webhooks_cli.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between looks.")
@click.option(
    "--expire-every",
    default=3600,
    show_default=True,
    help="Seconds between runs of `points expire` for every tenant (0: never).",
)
def webhooks_deliver(once, poll, expire_every):
    """Deliver pending events until stopped (SIGTERM or Ctrl-C); expire due points hourly.

    A stop signal lets the delivery in flight finish and record its outcome, then exits: the
    worker never leaves a claim behind for the lease to expire. The expiry run is the same as
    `loyalty points expire` (idempotent, so several workers may run it).
    """
    stopping = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.append(True))
    settings = webhooks.DeliverySettings(
        allow_private_networks=current_app.config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"]
    )
    next_expiry = time.monotonic()
    with _connect() as conn:
        while not stopping:
            if expire_every and not once and time.monotonic() >= next_expiry:
                _expire_all(conn)
                next_expiry = time.monotonic() + expire_every
            report = webhooks.deliver_due(conn, settings=settings, stop=lambda: bool(stopping))
            if once:
                click.echo(
                    f"delivered={len(report.delivered)} retrying={len(report.retrying)} "
                    f"failed={len(report.failed)}"
                )
                return
            time.sleep(poll)
    log.info("webhook worker stopped")


locations_cli = AppGroup("locations", help="A tenant's locations (shops, sites).")


@locations_cli.command("add")
@click.argument("slug")
@click.argument("name")
@click.option("--code", default=None, help="Short code (default: from the name).")
def locations_add(slug, name, code):
    """Add a location NAME to SLUG."""
    with _connect() as conn:
        try:
            location = add_location(conn, _tenant(conn, slug), name, code)
        except (InvalidField, LocationExists) as exc:
            raise click.ClickException(exc.detail) from exc
    click.echo(f"Added {location['code']}: {location['name']}.")


@locations_cli.command("list")
@click.argument("slug")
def locations_list(slug):
    """SLUG's locations: code and name."""
    with _connect() as conn:
        found = list_locations(conn, _tenant(conn, slug))
    if not found:
        click.echo("No locations.")
    for location in found:
        click.echo(f"{location['code']}\t{location['name']}")


@locations_cli.command("rename")
@click.argument("slug")
@click.argument("code")
@click.argument("name")
def locations_rename(slug, code, name):
    """Give SLUG's location CODE a new NAME."""
    with _connect() as conn:
        try:
            location = rename_location(conn, _tenant(conn, slug), code, name)
        except (InvalidField, LocationNotFound) as exc:
            raise click.ClickException(exc.detail) from exc
    click.echo(f"{location['code']} is now {location['name']}.")


programme_cli = AppGroup("programme", help="The shop's loyalty programme.")


def _money(value: str | None, currency: str, option: str) -> int | None:
    """A decimal amount in major units ("1.00") as integer minor units of ``currency``."""
    if value is None:
        return None
    digits = minor_digits(currency)
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise click.BadParameter(f"{value!r} is not an amount", param_hint=option) from exc
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value() or minor < 0:
        raise click.BadParameter(
            f"{value} has more than {digits} decimal places of {currency}, or is negative",
            param_hint=option,
        )
    return int(minor)


def _echo_programme(p: dict) -> None:
    money = lambda minor: format_money(minor, p["currency"])  # noqa: E731
    spend = (
        f"{p['spend_points']} point(s) per {money(p['spend_per_amount_minor'])}"
        if p["spend_points"] is not None
        else "none"
    )
    visit = (
        f"{p['visit_points']} point(s) per visit of at least {money(p['visit_min_spend_minor'])}"
        if p["visit_points"]
        else "none"
    )
    expiry = f"{p['expiry_months']} months" if p["expiry_months"] else "never"
    set_by = f" by {p['set_by']}" if p.get("set_by") else ""
    when = f" on {p['updated_at']:%Y-%m-%d %H:%M} UTC" if p.get("updated_at") else " (never set)"
    click.echo(f"Version {p['version']}{set_by}{when}")
    click.echo(f"  currency      {p['currency']}")
    click.echo(f"  timezone      {p['timezone']}")
    click.echo(f"  spend rule    {spend}")
    click.echo(f"  visit rule    {visit}")
    click.echo(f"  expiry        {expiry}")
    click.echo(f"  point value   {money(p['point_value_minor'])}")


@programme_cli.command("show")
@click.argument("slug")
def programme_show(slug):
    """Print SLUG's programme in force."""
    with _connect() as conn:
        _echo_programme(get_programme(conn, _tenant(conn, slug)))


@programme_cli.command("set")
@click.argument("slug")
@click.option("--currency", help="ISO 4217 code, e.g. GBP.")
@click.option("--timezone", help="IANA time zone, e.g. Europe/London.")
@click.option("--points", type=click.IntRange(0), help="Spend rule: points per --per-amount.")
@click.option("--per-amount", help="Spend rule: per this much spent, in major units (1.00).")
@click.option("--no-spend-rule", is_flag=True, help="No points from spend.")
@click.option("--visit-points", type=click.IntRange(0), help="Points per visit.")
@click.option("--visit-min-spend", help="A visit counts from this spend (major units).")
@click.option("--expiry-months", help="Months until points expire (1-120), or 'never'.")
@click.option("--point-value", help="What one point is worth, in major units (0.01).")
def programme_set(slug, currency, timezone, points, per_amount, no_spend_rule, **options):
    """Change SLUG's programme: a new version; options not given keep their value."""
    with _connect() as conn:
        tenant = _tenant(conn, slug)
        current = get_programme(conn, tenant)
        settings = {k: current[k] for k in SETTINGS}
        settings["currency"] = (currency or settings["currency"]).upper()
        settings["timezone"] = timezone or settings["timezone"]
        cur = settings["currency"]
        if not is_currency_code(cur):
            raise click.BadParameter(f"{cur!r} is not an ISO 4217 code", param_hint="--currency")
        if not is_timezone(settings["timezone"]):
            raise click.BadParameter("not an IANA time zone name", param_hint="--timezone")
        if no_spend_rule:
            settings["spend_points"] = settings["spend_per_amount_minor"] = None
        elif points is not None or per_amount is not None:
            settings["spend_points"] = points if points is not None else settings["spend_points"]
            per = _money(per_amount, cur, "--per-amount") or settings["spend_per_amount_minor"]
            if settings["spend_points"] is None or not per:
                raise click.UsageError("A spend rule needs both --points and --per-amount (> 0).")
            settings["spend_per_amount_minor"] = per
        if options["visit_points"] is not None:
            settings["visit_points"] = options["visit_points"]
        minimum = _money(options["visit_min_spend"], cur, "--visit-min-spend")
        if minimum is not None:
            settings["visit_min_spend_minor"] = minimum
        expiry = options["expiry_months"]
        if expiry is not None:
            if expiry.lower() == "never":
                settings["expiry_months"] = None
            elif expiry.isdigit() and 1 <= int(expiry) <= 120:
                settings["expiry_months"] = int(expiry)
            else:
                raise click.BadParameter("1 to 120, or 'never'", param_hint="--expiry-months")
        value = _money(options["point_value"], cur, "--point-value")
        if value is not None:
            settings["point_value_minor"] = value
        _echo_programme(set_programme(conn, tenant, settings, "cli"))


reports_cli = AppGroup("reports", help="Reports.")


@reports_cli.command("points")
@click.argument("slug")
@click.option("--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "last", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--location", "code", default=None, help="Only this location's flows.")
def reports_points(slug, first, last, code):
    """SLUG's points report for the days --from to --to (the programme's timezone)."""
    first, last = first.date(), last.date()
    try:
        validate_period(first, last)
        with _connect() as conn:
            report = points_report(conn, _tenant(conn, slug), first, last, code)
    except InvalidField as exc:
        raise click.ClickException(exc.detail) from exc
    money = format_money(report["liability_minor"] or 0, report["currency"])
    where = f" at {code}" if code else ""
    click.echo(f"Points{where} from {report['from']} to {report['to']} ({report['timezone']})")
    if report["opening_balance"] is not None:
        click.echo(f"  {'opening_balance':<22}{report['opening_balance']:>12,}")
    for column in REPORT_COLUMNS:
        click.echo(f"  {column:<22}{report[column]:>12,}")
    if report["closing_balance"] is not None:
        click.echo(f"  {'closing_balance':<22}{report['closing_balance']:>12,}")
        click.echo(f"Owed to customers: {report['closing_balance']:,} points, worth {money}.")


points_cli = AppGroup("points", help="Points across customers.")


@points_cli.command("expire")
@click.option("--as-of", "as_of", help="ISO 8601 instant (default: now); UTC if no offset.")
@click.option("--allow-future", is_flag=True, help="Accept an --as-of later than now (drills).")
@click.option("--tenant", "slug", default=None, help="Only this tenant.")
def points_expire(as_of, allow_future, slug):
    """Expire the points due by now (or --as-of): one expire_points row per customer and date.

    Safe to run again, and on two hosts at once: nothing expires twice.
    """
    now = datetime.now(UTC)
    when = now
    if as_of:
        try:
            when = datetime.fromisoformat(as_of)
        except ValueError as exc:
            raise click.BadParameter("an ISO 8601 instant", param_hint="--as-of") from exc
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        if when > now and not allow_future:
            raise click.BadParameter(
                "is later than now; add --allow-future for a drill", param_hint="--as-of"
            )
    moment = when.replace(tzinfo=None)
    with _connect() as conn:
        tenants = [_tenant(conn, slug)] if slug else all_tenants(conn)
        for tenant in tenants:
            report = expire_points(conn, tenant, moment)
            click.echo(
                f"{tenant.slug}: {report.points} points expired for {report.customers} "
                f"customers ({report.rows} rows), as of {when:%Y-%m-%dT%H:%M:%SZ}."
            )


def _expire_all(conn) -> None:
    """One expiry run for every tenant, as of now; a failure is logged, never fatal to the
    worker (the next run picks up where this one stopped)."""
    now = utc_now()
    for tenant in all_tenants(conn):
        try:
            report = expire_points(conn, tenant, now)
        except Exception:  # logged; deliveries go on, and the next run retries
            log.exception("points expiry failed for tenant %s", tenant.slug)
            continue
        if report.rows:
            log.info("expired %d points of %d customers of %s", report.points,
                     report.customers, tenant.slug)  # fmt: skip
        try:  # the points report's closed days, summed ahead of the first report that needs them
            programme = get_programme(conn, tenant)
            closed = last_closed_day(now, ZoneInfo(programme["timezone"]))
            keep_closed_days(conn, tenant, programme["timezone"], closed)
        except Exception:  # logged; the report sums what is missing itself
            log.exception("summing closed days failed for tenant %s", tenant.slug)


toast_cli = AppGroup("toast", help="Toast restaurants using this service for loyalty.")


@toast_cli.command("connect")
@click.argument("slug")
@click.option("--restaurant", "guid", required=True, help="The Toast restaurant's GUID.")
@click.option("--location", "code", default=None, help="The location (code) it is.")
def toast_connect(slug, guid, code):
    """Bind a Toast restaurant to a shop; its key is printed once, alone on the last line."""
    guid = guid.strip()
    if not toast.is_guid(guid):
        raise click.ClickException(
            f"--restaurant: Toast's restaurant GUID (1 to {toast.MAX_GUID} printable ASCII "
            "characters, no spaces)."
        )
    with _connect() as conn:
        tenant = _tenant(conn, slug)
        location_id = _location_id(conn, tenant, code)
        try:
            key = toast.connect_restaurant(conn, tenant, guid, location_id)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Connected Toast restaurant {guid} to {tenant.slug}.", err=True)
    click.echo("Paste this key into Toast's loyalty set-up; it cannot be shown again:", err=True)
    click.echo(key)


@toast_cli.command("list")
@click.argument("slug")
def toast_list(slug):
    """The Toast restaurants bound to a shop."""
    with _connect() as conn:
        rows = toast.list_restaurants(conn, _tenant(conn, slug))
    for row in rows:
        click.echo(f"{row['restaurant_guid']}\t{row['location_code'] or '-'}\t{row['created_at']}")


@toast_cli.command("disconnect")
@click.argument("guid")
def toast_disconnect(guid):
    """Unbind a Toast restaurant: its key stops working at once."""
    with _connect() as conn:
        if not toast.disconnect_restaurant(conn, guid):
            raise click.ClickException(f"No Toast restaurant {guid} is connected.")
    click.echo(f"Disconnected {guid}.")


def init_app(app) -> None:
    groups = (
        db_cli, tenants_cli, pos_keys_cli, admins_cli, demo_cli, ledger_cli, webhooks_cli,
        programme_cli, points_cli, locations_cli, reports_cli, toast_cli, customers_cli,
        backup_cli,
    )  # fmt: skip
    for group in groups:
        app.cli.add_command(group)


# ---- members in and out (issue 18) -------------------------------------------------------


@tenants_cli.command("list")
def tenants_list():
    """Every tenant: slug, name, phone region, customers, active POS keys, created."""
    with _connect() as conn:
        found = run_query(conn, tenant_rows.list_with_counts)
    if not found:
        click.echo("No tenants.")
    for t in found:
        click.echo(
            f"{t['slug']}\t{t['name']}\tregion {t['phone_region']}\t{t['customers']} customers"
            f"\t{t['active_pos_keys']} active POS keys\tcreated {t['created_at']:%Y-%m-%d}"
        )


@pos_keys_cli.command("list")
@click.argument("slug")
def pos_keys_list(slug):
    """SLUG's POS keys: prefix, label, location, created, last used, revoked (never a secret).

    "last used" is to the minute, recorded when a process checks the key against the
    database (not on every request).
    """
    with _connect() as conn:
        keys = run_query(
            conn, lambda cur: pos_key_rows.list_for_tenant(cur, _tenant(conn, slug).id)
        )
    if not keys:
        click.echo("No POS keys.")
        return
    click.echo("prefix\tlabel\tlocation\tcreated (UTC)\tlast used\trevoked (UTC)")
    for k in keys:
        revoked = f"{k['revoked_at']:%Y-%m-%d %H:%M}" if k["revoked_at"] else "—"
        used = f"{k['last_used_at']:%Y-%m-%d %H:%M}" if k["last_used_at"] else "—"
        click.echo(
            f"{k['prefix']}\t{k['label'] or '—'}\t{k['location_code'] or '—'}\t"
            f"{k['created_at']:%Y-%m-%d %H:%M}\t{used}\t{revoked}"
        )


customers_cli = AppGroup("customers", help="A tenant's customers (members).")


@customers_cli.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and count; write nothing.")
@click.option(
    "--skip-invalid", is_flag=True, help="Import the valid rows even if some are refused."
)
def customers_import(slug, file, dry_run, skip_invalid):
    """Import members from FILE (CSV: phone, name, points, earned_at; any order).

    The whole file is checked first: each refused row is listed as `line N: reason`, and then
    nothing is written (exit 1) unless --skip-invalid. Safe to run again: a row already
    imported from this file, or a phone already enrolled, is skipped.
    """
    bar = []

    def checked(report: ImportReport) -> None:
        for line in report.refused:
            click.echo(line, err=True)
        more = report.refused_count - len(report.refused)
        if more:
            click.echo(f"... and {more} more refused lines", err=True)
        click.echo(
            f"Checked {report.rows} rows: {report.valid} valid, {report.refused_count} refused."
        )
        if (report.refused_count and not skip_invalid) and not dry_run:
            return
        label = "Dry run" if dry_run else "Importing"
        bar.append(click.progressbar(length=report.valid, label=label, file=sys.stderr))
        bar[0].__enter__()

    with _connect() as conn:
        tenant = _tenant(conn, slug)
        try:
            report = import_members(
                conn,
                tenant,
                lambda: open(file, "rb"),  # noqa: SIM115 (closed by import_members)
                system("import"),
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                on_checked=checked,
                progress=lambda n: bar[0].update(n),
            )
        except ImportFileRefused as exc:
            raise click.ClickException(exc.detail) from exc
        finally:
            if bar:
                bar[0].__exit__(None, None, None)
    skipped = (
        f"{report.already_imported} already imported from this file, "
        f"{report.already_enrolled} already enrolled (left as they are)"
    )
    if report.refused_count and not skip_invalid:
        if dry_run:
            click.echo(f"Dry run: would import {report.to_import} customers; skip {skipped}.")
        click.echo(
            f"Nothing was written: {report.refused_count} rows refused (fix them, or "
            "--skip-invalid to import the others).",
            err=True,
        )
        sys.exit(1)
    if dry_run:
        click.echo(
            f"Dry run: would import {report.to_import} customers; skip {skipped}. "
            "Nothing was written."
        )
        return
    click.echo(
        f"Imported {report.imported} customers ({report.points_imported:,} points); "
        f"skipped {skipped}; refused {report.refused_count}."
    )


backup_cli = AppGroup("backup", help="Backups that restore (mariadb-dump, binary log).")


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False))
def backup_create(directory):
    """A consistent snapshot of the database into DIRECTORY while tills keep writing."""
    settings = current_app.config["DATABASE"]
    try:
        manifest = backups.create_backup(settings, Path(directory))
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Backed up {manifest['database']} from {manifest['server']} into {directory} "
        f"({manifest['bytes']:,} bytes, {manifest['seconds']} s)."
    )
    if manifest["binlog"]:
        click.echo(
            f"Binary log position {manifest['binlog']['file']}:{manifest['binlog']['position']}: "
            "point-in-time recovery from this backup is possible (restore --until)."
        )
    else:
        click.echo(
            "The server keeps no binary log (log_bin OFF): point-in-time recovery unavailable; "
            "a restore brings back this snapshot only."
        )


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--database", "name", required=True, help="The new database to restore into.")
@click.option("--until", default=None, help="Replay the binary log up to this UTC instant.")
def backup_restore(directory, name, until):
    """Restore DIRECTORY's backup as a new database NAME, then run `ledger verify` on it."""
    settings = current_app.config["DATABASE"]
    moment = None
    if until:
        try:
            moment = datetime.fromisoformat(until.replace("Z", "+00:00"))
        except ValueError as exc:
            raise click.BadParameter("an ISO 8601 instant", param_hint="--until") from exc
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    try:
        done = backups.restore_backup(settings, Path(directory), name, moment)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    replay = done["replay"]
    click.echo(
        f"Restored into {name} in {done['seconds']} s (load {done['load_seconds']} s"
        + (f"; binary log replayed up to {replay['until']}" if replay else "")
        + ")."
    )
    restored = backups.for_database(settings, name)
    with closing(connect(restored)) as conn:
        checked, drifts = verify_ledger(conn)
        reports = [(t, *report_reconciles(conn, t)) for t in all_tenants(conn)]
    bad = [t.slug for t, closes, total in reports if closes != total]
    click.echo(
        f"ledger verify on {name}: {checked} customers, {len(drifts)} differences; "
        f"points report of {len(reports)} tenants: {len(bad)} not reconciling."
    )
    if drifts or bad:
        sys.exit(1)


def _created_marker() -> Path:
    return Path(current_app.root_path).parent / ".local" / "created-databases"


def _database_id() -> str:
    settings = current_app.config["DATABASE"]
    return f"{settings.host}:{settings.port}/{settings.database}"


def _remember_if_created() -> None:
    """Note the database in .local/created-databases when `db upgrade` is about to create it:
    `demo reset` drops such a one without asking."""
    settings = current_app.config["DATABASE"]
    server = pymysql.connect(**connect_kwargs(settings, database=False))
    with closing(server), server.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
            (settings.database,),
        )
        exists = cur.fetchone() is not None
    if not exists:
        marker = _created_marker()
        marker.parent.mkdir(parents=True, exist_ok=True)
        with marker.open("a") as out:
            out.write(_database_id() + "\n")


@demo_cli.command("reset")
def demo_reset():
    """Drop the local demo database: without asking when `make run` created it here, else only
    after a yes (it may hold another system's data)."""
    if is_production():
        raise click.ClickException("Refusing to drop a production database.")
    ident = _database_id()
    marker = _created_marker()
    ours = marker.exists() and ident in marker.read_text().split()
    if ours:
        click.echo(f"Dropping {ident} (created by `make run` here).")
    else:
        click.confirm(
            f"{ident} was not created by `make run` here. Drop it, with every tenant's points?",
            abort=True,
        )
    _on_server("DROP DATABASE IF EXISTS {db}")
    if ours:
        kept = [line for line in marker.read_text().split() if line != ident]
        marker.write_text("".join(f"{line}\n" for line in kept))
    click.echo(f"Dropped {ident}.")
