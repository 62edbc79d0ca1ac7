"""Tenants: each shop or restaurant group, whose data no other tenant's credentials reach."""

from dataclasses import dataclass

from .db import run_in_transaction, run_query
from .exceptions import TenantNotFound
from .identities import normalize_slug
from .phones import is_valid_region
from .store import tenants


@dataclass(frozen=True)
class Tenant:
    id: int
    slug: str
    name: str
    phone_region: str

    @classmethod
    def from_row(cls, row: dict) -> "Tenant":
        """Build from a row with ``tenant_id`` (or ``id``), ``slug``, ``name``, ``phone_region``."""
        return cls(
            id=row.get("tenant_id", row.get("id")),
            slug=row["slug"],
            name=row["name"],
            phone_region=row["phone_region"],
        )


def create_tenant(conn, slug: str, name: str, region: str) -> Tenant:
    """Create a tenant; raises ValueError for a bad slug or region (or a slug in use).

    The slug is stored in its normal form (``identities.normalize_slug``).
    """
    region = region.upper()
    slug = normalize_slug(slug, strict=True)
    if not is_valid_region(region):
        raise ValueError(f"region: {region!r} is not a phone region such as GB or US")

    def work(cur) -> int:
        if tenants.get_by_slug(cur, slug):
            raise ValueError(f"tenant {slug!r} exists already")
        return tenants.insert(cur, slug, name, region)

    return Tenant(run_in_transaction(conn, work), slug, name, region)


def get_tenant(conn, slug: str) -> Tenant:
    """The tenant with this slug (in any case; see ``identities``); raises TenantNotFound."""
    row = run_query(conn, lambda cur: tenants.get_by_slug(cur, normalize_slug(slug)))
    if row is None:
        raise TenantNotFound(f"No tenant {slug!r}.")
    return Tenant.from_row(row)


def all_tenants(conn) -> list[Tenant]:
    """Every tenant, by id."""
    return [Tenant.from_row(row) for row in run_query(conn, tenants.list_all)]
