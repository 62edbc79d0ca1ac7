"""Demo data for ``make run``: tenant ``demo`` with the reference notes' customer and others.

Every point comes from a ledger operation with a fixed reference, so seeding twice replays
instead of duplicating, and every balance agrees with its ledger.
"""

import os
import random

from .auth import create_admin, create_pos_key, revoke_labelled_pos_keys
from .db import run_query
from .exceptions import TenantNotFound
from .points import PointsChange, earn_points, redeem_points
from .programme import SETTINGS, get_programme, set_programme
from .store import customers
from .tenancy import create_tenant, get_tenant

DEMO_TENANT = "demo"
DEMO_ADMIN_EMAIL = "admin@demo.test"
DEMO_KEY_LABEL = "demo seed"
NOTES_CUSTOMER = "+447306506797"  # balance 200, 1,025 redeemed, as in the reference notes

FIRST_NAMES = [
    "Amira", "Ben", "Chloe", "Dev", "Elena", "Farah", "George", "Hana", "Isaac", "Jade",
    "Kofi", "Lena", "Marek", "Nia", "Oscar", "Priya", "Quinn", "Rosa", "Sami", "Tariq",
    "Uma", "Viktor", "Wren", "Yusuf", "Zara", "Aidan", "Beth", "Callum", "Dina", "Ewan",
    "Freya", "Gus", "Holly", "Imran", "Jonas", "Kira",
]  # fmt: skip
LAST_NAMES = ["Patel", "Smith", "Nowak", "Okafor", "Jones", "Khan", "Murphy", "Silva", "Evans"]


def demo_admin_password() -> str:
    return os.environ.get("DEMO_ADMIN_PASSWORD", "demo-password")


def _history(rng: random.Random) -> tuple[list[int], list[int]]:
    earned = [rng.randrange(20, 300, 5) for _ in range(rng.randint(1, 5))]
    redeemed, left = [], sum(earned)
    for _ in range(rng.randint(0, 3)):
        if left >= 20:
            amount = rng.randrange(10, left // 2 + 11, 5)
            redeemed.append(amount)
            left -= amount
    return earned, redeemed


def _apply_history(conn, tenant, phone, name, earned, redeemed) -> None:
    digits = phone.lstrip("+")
    for i, points in enumerate(earned):
        earn_points(conn, tenant, PointsChange(phone, points, f"demo-{digits}-earn-{i}"), name)
    for i, points in enumerate(redeemed):
        redeem_points(conn, tenant, PointsChange(phone, points, f"demo-{digits}-redeem-{i}"))


def _demo_programme(conn, tenant) -> None:
    """1 point per £1 and a 12-month expiry, set once (an owner's later changes are kept)."""
    current = get_programme(conn, tenant)
    if current["version"] == 0:
        settings = {k: current[k] for k in SETTINGS}
        settings.update(spend_points=1, spend_per_amount_minor=100, expiry_months=12)
        set_programme(conn, tenant, settings, "demo seed")


def seed(conn) -> dict:
    """Create (or complete) the demo tenant, its admin and customers; return sign-in details.

    A new POS key is made each time and the previous demo keys are revoked.
    """
    try:
        tenant = get_tenant(conn, DEMO_TENANT)
    except TenantNotFound:
        tenant = create_tenant(conn, DEMO_TENANT, "Demo Bistro", "GB")
    create_admin(conn, tenant, DEMO_ADMIN_EMAIL, demo_admin_password())

    rng = random.Random(20251018)
    for i, first in enumerate(FIRST_NAMES):
        phone = f"+44730650{6800 + i:04d}"
        name = f"{first} {LAST_NAMES[i % len(LAST_NAMES)]}"
        _apply_history(conn, tenant, phone, name, *_history(rng))
    # Last, so that the customer the notes follow tops the list (most recently changed).
    _apply_history(
        conn, tenant, NOTES_CUSTOMER, "Alex Morgan", [500, 400, 325], [400, 300, 200, 75, 25, 25]
    )

    _demo_programme(conn, tenant)
    revoke_labelled_pos_keys(conn, tenant, DEMO_KEY_LABEL)
    # All the tenant has: the demo keeps what was done to it (customers enrolled at the till or
    # from the admin page) across runs.
    enrolled = run_query(conn, lambda cur: customers.count_for_tenant(cur, tenant.id))
    return {
        "tenant": tenant.slug,
        "customers": enrolled,
        "admin_email": DEMO_ADMIN_EMAIL,
        "admin_password": demo_admin_password(),
        "pos_key": create_pos_key(conn, tenant, DEMO_KEY_LABEL),
    }
