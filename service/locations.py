"""Locations: a tenant's shops or sites (a code such as ``hs`` and a name), where tills stand.

A POS key belongs to at most one location; every ledger row a till writes carries it, so the
points report can split a group's flows by shop.
"""

import re

import pymysql

from .db import run_in_transaction, run_query
from .exceptions import InvalidField, LocationExists, LocationNotFound
from .mysql_codes import ER_DUP_ENTRY
from .store import locations
from .tenancy import Tenant

CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"
MAX_NAME_LENGTH = 200


def code_from_name(name: str) -> str:
    """A code made from a name: "High Street" gives "high-street" (ASCII letters and digits)."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    return "-".join(words)[:32].strip("-") or "location"


def is_location_code(code: str) -> bool:
    return re.fullmatch(CODE_PATTERN, code) is not None


def add_location(conn, tenant: Tenant, name: str, code: str | None = None) -> dict:
    """Add a location; raises InvalidField for a bad code or name, LocationExists for a code
    in use in this tenant."""
    code = code or code_from_name(name)
    if not is_location_code(code):
        raise InvalidField("code", "1 to 32 lower-case letters, digits and dashes.")
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise InvalidField("name", f"1 to {MAX_NAME_LENGTH} characters, not only spaces.")

    def work(cur) -> dict:
        try:
            locations.insert(cur, tenant.id, code, name.strip())
        except pymysql.err.IntegrityError as exc:
            if exc.args[0] == ER_DUP_ENTRY:
                raise LocationExists(f"Location {code!r} exists already.") from exc
            raise
        return locations.by_code(cur, tenant.id, code)

    return run_in_transaction(conn, work)


def list_locations(conn, tenant: Tenant) -> list[dict]:
    return run_query(conn, lambda cur: locations.list_for_tenant(cur, tenant.id))


def rename_location(conn, tenant: Tenant, code: str, name: str) -> dict:
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise InvalidField("name", f"1 to {MAX_NAME_LENGTH} characters, not only spaces.")

    def work(cur) -> dict:
        locations.rename(cur, tenant.id, code, name.strip())
        found = locations.by_code(cur, tenant.id, code)
        if found is None:
            raise LocationNotFound(f"No location {code!r} in this shop.")
        return found

    return run_in_transaction(conn, work)


def location_by_code(conn, tenant: Tenant, code: str) -> dict:
    """The tenant's location with this code; raises LocationNotFound."""
    found = run_query(conn, lambda cur: locations.by_code(cur, tenant.id, code))
    if found is None:
        raise LocationNotFound(f"No location {code!r} in this shop.")
    return found
