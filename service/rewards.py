"""A tenant's rewards (money off the bill for points), and how a check's redemptions of them
are sorted into applied and rejected (a pure rule, ``sort_redemptions``).

The list is edited whole on the Programme screen (``GET/PUT /api/admin/rewards``); Toast
terminals see it as offers (``toast.py``). Amounts are integer minor units of the
programme's currency.
"""

import re
from dataclasses import dataclass

from .db import run_in_transaction, run_query
from .store import rewards as reward_rows
from .tenancy import Tenant

MAX_REWARDS = 50
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"  # a short slug: "off5", "free-coffee"
MAX_NAME_LENGTH = 100
MAX_REWARD_POINTS = 1_000_000
MAX_REWARD_MINOR = 10**10


@dataclass(frozen=True)
class Reward:
    id: str
    name: str
    points: int
    amount_minor: int


def is_reward_id(text: str) -> bool:
    return re.fullmatch(ID_PATTERN, text) is not None


def duplicate_ids(ids: list) -> list[int]:
    """Positions of the ids (strings; others ignored) that an earlier entry already has."""
    seen: set[str] = set()
    repeated = []
    for index, reward_id in enumerate(ids):
        if isinstance(reward_id, str) and reward_id in seen:
            repeated.append(index)
        if isinstance(reward_id, str):
            seen.add(reward_id)
    return repeated


def get_rewards(conn, tenant: Tenant) -> dict:
    """``{"rewards": [...]}`` in the owner's order."""
    return {"rewards": run_query(conn, lambda cur: reward_rows.list_for_tenant(cur, tenant.id))}


def rewards_of(cur, tenant: Tenant) -> dict[str, Reward]:
    """The tenant's rewards by id, read inside the caller's transaction or query."""
    return {r["id"]: Reward(**r) for r in reward_rows.list_for_tenant(cur, tenant.id)}


def set_rewards(conn, tenant: Tenant, rewards: list[dict]) -> dict:
    """Replace the tenant's list with ``rewards`` (validated by the API's schema, ids unique)
    and return it as stored. Redemptions already made keep the reward's name, points and
    money in their ledger details, so editing the list never changes the past."""
    run_in_transaction(conn, lambda cur: reward_rows.replace_all(cur, tenant.id, rewards))
    return get_rewards(conn, tenant)


@dataclass(frozen=True)
class Sorted:
    """A check's redemptions sorted: ``applied`` as (redemption, reward) in the order sent,
    ``rejected`` as (redemption, message), and the points the applied ones take."""

    applied: list
    rejected: list
    points: int


def sort_redemptions(balance: int, rewards: dict[str, Reward], redemptions: list[dict]) -> Sorted:
    """Which of a check's ``redemptions`` the balance covers, in the order sent: an unknown
    reward, one that names no discount (no appliedDiscountGuid or multiItemDiscountGuid: it
    is what a redemption is recorded, replayed and reversed by), a discount GUID already seen,
    or one the points left cannot cover is rejected (with a message a server can read out);
    the others are applied. Pure."""
    applied, rejected, seen, left = [], [], set(), balance
    for redemption in redemptions:
        reward = rewards.get(redemption.get("identifier") or "")
        guid = redemption.get("appliedDiscountGuid") or redemption.get("multiItemDiscountGuid")
        if reward is None:
            rejected.append((redemption, "This reward is not offered by the programme."))
        elif guid is None:
            message = "Name the discount: an appliedDiscountGuid or multiItemDiscountGuid."
            rejected.append((redemption, message))
        elif guid in seen:
            rejected.append((redemption, "This discount was already redeemed on this check."))
        elif reward.points > left:
            message = f"Not enough points: {reward.name} needs {reward.points}, {left} left."
            rejected.append((redemption, message))
        else:
            seen.add(guid)
            applied.append((redemption, reward))
            left -= reward.points
    return Sorted(applied, rejected, balance - left)
