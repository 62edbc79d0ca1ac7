"""The shop's loyalty programme: its settings (versioned), their defaults, and what a bill earns.

The settings are a ``rules.Programme``; every PUT makes a new version and keeps the old ones
(with who set them and when). A tenant that never set one has version 0: no rule that earns
from a bill, no expiry, and the currency and timezone of its region, so tills that send
``points`` keep working unchanged. Currency codes and their minor units come from Babel.
"""

import zoneinfo
from dataclasses import asdict, replace
from decimal import Decimal
from functools import cache

from babel.core import get_global
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_territory_currencies,
    is_currency,
    list_currencies,
)

from .db import run_in_transaction, run_query
from .rules import Calculation, Programme, Purchase, points_for_purchase
from .store import programmes
from .tenancy import Tenant

DEFAULT_POINT_VALUE_MINOR = 1
SETTINGS = tuple(f for f in Programme.__dataclass_fields__ if f != "version")


@cache
def timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    return name in timezones()


@cache
def currency_codes() -> list[str]:
    """Every ISO 4217 code Babel knows, sorted (the API publishes them as an enum)."""
    return sorted(code for code in list_currencies() if is_currency_code(code))


def is_currency_code(code: str) -> bool:
    """An ISO 4217 code as Babel knows them (upper case, three letters)."""
    return len(code) == 3 and code.isascii() and code.isupper() and is_currency(code)


def minor_digits(currency: str) -> int:
    """How many digits the currency's minor unit has (GBP 2, JPY 0, KWD 3)."""
    return get_currency_precision(currency)


def format_money(minor: int, currency: str, locale: str = "en_GB") -> str:
    """Minor units as the currency's money, by Babel (2350 GBP: "£23.50")."""
    return format_currency(Decimal(minor).scaleb(-minor_digits(currency)), currency, locale=locale)


def default_programme(region: str) -> Programme:
    """Version 0 for a tenant of ``region``: its currency and timezone, nothing else.

    A region with several timezones (US, AU...) starts in UTC until the owner picks one.
    """
    currencies = get_territory_currencies(region) or ["XXX"]
    zones = get_global("territory_zones").get(region, [])
    return Programme(
        currency=currencies[0],
        timezone=zones[0] if len(zones) == 1 else "UTC",
        spend_points=None,
        spend_per_amount_minor=None,
        visit_points=0,
        visit_min_spend_minor=0,
        expiry_months=None,
        point_value_minor=DEFAULT_POINT_VALUE_MINOR,
        version=0,
    )


def programme_from_row(row: dict | None, region: str) -> Programme:
    if row is None:
        return default_programme(region)
    return Programme(**{f: row[f] for f in Programme.__dataclass_fields__})


def current_programme(cur, tenant: Tenant) -> Programme:
    """The programme in force, read inside the caller's transaction or query."""
    return programme_from_row(programmes.current(cur, tenant.id), tenant.phone_region)


def get_programme(conn, tenant: Tenant) -> dict:
    """The programme in force as the API shows it (with ``updated_at``, None if never set)."""
    row = run_query(conn, lambda cur: programmes.current(cur, tenant.id))
    return {
        **asdict(programme_from_row(row, tenant.phone_region)),
        "updated_at": row["created_at"] if row else None,
        "set_by": row["set_by"] if row else None,
    }


def set_programme(conn, tenant: Tenant, settings: dict, set_by: str | None) -> dict:
    """Make ``settings`` (every field of SETTINGS, already validated) the new version.

    Returns the programme as ``get_programme`` does. Points already earned keep the expiry
    date they were given: a change of ``expiry_months`` applies to points earned after it.
    """

    def work(cur) -> None:
        current = programmes.current(cur, tenant.id, lock=True)
        version = (current["version"] if current else 0) + 1
        programmes.insert(cur, tenant.id, version, settings, set_by)

    run_in_transaction(conn, work)
    return get_programme(conn, tenant)


def calculate_points(conn, tenant: Tenant, purchase: Purchase) -> Calculation:
    """What ``purchase`` would earn under the programme in force; writes nothing. Raises
    CurrencyMismatch, NoEarnRule."""
    programme = run_query(conn, lambda cur: current_programme(cur, tenant))
    return points_for_purchase(programme, purchase)


def calculate_with_draft(settings: dict, purchase: Purchase) -> Calculation:
    """What ``purchase`` would earn under unsaved ``settings`` (the Programme screen's live
    preview, by the server's own rule); no database."""
    draft = Programme(**{f: settings[f] for f in SETTINGS})
    return points_for_purchase(replace(draft, version=0), purchase)
