"""The rules of points changes, as pure functions: no database, no Flask, no clock.

``points.py`` runs them inside the one write skeleton, on the locked balance row and the
ledger rows it read; ``tests/test_rules.py`` checks them without a database.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from .exceptions import (
    CurrencyMismatch,
    InsufficientPoints,
    NoEarnRule,
    ReversalExceedsEarn,
    ReversalExceedsRedemption,
)

EARN = "earn_points"
REDEEM = "redeem_points"
REVERSE_REDEMPTION = "reverse_redemption"
ADJUST = "adjust_points"
OPEN = "open_account"  # written once per customer at enrolment: its opening balance
REVERSE_EARN = "reverse_earn"  # a return: takes back what a purchase earned
EXPIRE = "expire_points"  # points that reached their expiry date (``loyalty points expire``)
IMPORT = "import_points"  # an opening balance brought from another system (``customers import``)
FORFEIT = "forfeit_points"  # the whole balance, taken when the customer's data is erased


@dataclass(frozen=True)
class OperationType:
    """One kind of ledger row: how it moves the balance row, and the webhook event it sends.

    ``effect`` is how one row moves (points_balance, total_points_earned,
    total_points_redeemed), as multiples of its points_amount (adjustments carry their sign).
    ``event_type`` is the webhook event (None: the row sends none). ``report_column`` is where
    the points report counts it (``report_column_of``).
    """

    effect: tuple[int, int, int]
    event_type: str | None
    report_column: str  # the points report's column (adjustments: by sign, see below)


# THE list of operation types. Everything else derives from it: the ledger's sums and its
# audit (store/ledger.py), webhook event types, the API's schemas, metrics' labels. Adding an
# operation type is one entry here plus the domain function that writes it (points.py).
OPERATION_TYPES = {
    EARN: OperationType((1, 1, 0), "loyalty.points_earned", "earned"),
    REDEEM: OperationType((-1, 0, 1), "loyalty.points_redeemed", "redeemed"),
    REVERSE_REDEMPTION: OperationType(
        (1, 0, -1), "loyalty.redemption_reversed", "redemptions_reversed"
    ),
    ADJUST: OperationType((1, 0, 0), "loyalty.points_adjusted", "adjusted_up"),
    OPEN: OperationType((1, 1, 0), None, "earned"),  # always 0 points
    REVERSE_EARN: OperationType((-1, -1, 0), "loyalty.earn_reversed", "earn_reversed"),
    EXPIRE: OperationType((-1, 0, 0), "loyalty.points_expired", "expired"),
    # An import sends no webhook: one file may hold 100,000 members (their receivers learn each
    # balance with the customer's next change).
    IMPORT: OperationType((1, 1, 0), None, "imported"),
    FORFEIT: OperationType((-1, 0, 0), "loyalty.points_forfeited", "forfeited"),
}
EFFECTS = {name: op.effect for name, op in OPERATION_TYPES.items()}
EVENT_TYPES = {name: op.event_type for name, op in OPERATION_TYPES.items() if op.event_type}
BALANCE_COLUMNS = ("points_balance", "total_points_earned", "total_points_redeemed")


def balance_change(operation_type: str, points: int) -> int:
    """How much a row of ``operation_type`` moving ``points`` changes the balance (signed)."""
    return EFFECTS[operation_type][0] * points


@dataclass(frozen=True)
class Totals:
    """A customer's balance row: what the ledger adds up to."""

    points_balance: int
    total_points_earned: int
    total_points_redeemed: int

    def after(self, operation_type: str, points: int) -> "Totals":
        """The totals once a row of ``operation_type`` moving ``points`` is applied."""
        balance, earned, redeemed = (e * points for e in EFFECTS[operation_type])
        return Totals(
            self.points_balance + balance,
            self.total_points_earned + earned,
            self.total_points_redeemed + redeemed,
        )


def is_same_request(
    stored: dict, customer_id: int, points: int | None, details: dict | None
) -> bool:
    """Whether a stored ledger row answers this request (so a repeat of it is a replay).

    The reference was the same; the customer, the amount and the details must be too.
    ``points`` None (a reversal of "all that is left") matches whatever amount was stored.
    """
    return (
        stored["customer_id"] == customer_id
        and (points is None or stored["points_amount"] == points)
        and stored["operation_details"] == details
    )


def check_balance_covers(totals: Totals, operation_type: str, points: int) -> None:
    """Raise InsufficientPoints when the change would take the balance below zero."""
    after = totals.after(operation_type, points).points_balance
    if after < 0:
        asked = totals.points_balance - after
        raise InsufficientPoints(
            f"The customer has {totals.points_balance} points; this change needs {asked}.",
            points_balance=totals.points_balance,
            points_requested=asked,
        )


def reversible_points(
    redeemed: int, already_reversed: int, requested: int | None, reference: str
) -> int:
    """How many points a reversal gives back: ``requested``, or all that is left when None.

    Reversals of one redemption never add up to more than it took: raises
    ReversalExceedsRedemption when nothing is left or more is asked for.
    """
    remaining = redeemed - already_reversed
    amount = remaining if requested is None else requested
    if amount <= 0 or amount > remaining:
        raise ReversalExceedsRedemption(
            f"Only {remaining} of the {redeemed} points redeemed by {reference!r} can still "
            "be given back.",
            points_remaining=remaining,
        )
    return amount


# ---- the programme: how a purchase earns points, and when points expire ----------------

MAX_PURCHASE_MINOR = 10**10
# Keys of operation_details the service computes (never the client's): a replay compares the
# request without them, and a client may not send them (api/fields.py refuses them).
COMPUTED_DETAILS = ("programme", "points_unrecovered", "actor")


@dataclass(frozen=True)
class Programme:
    """A tenant's programme settings as of one version (version 0: never set)."""

    currency: str
    timezone: str
    spend_points: int | None  # None: no earning from spend
    spend_per_amount_minor: int | None
    visit_points: int
    visit_min_spend_minor: int
    expiry_months: int | None  # None: points never expire
    point_value_minor: int
    version: int = 0


@dataclass(frozen=True)
class Purchase:
    """A bill as the till sends it, in minor units of ``currency``."""

    total_minor: int
    currency: str
    excluded_minor: int = 0

    @property
    def eligible_minor(self) -> int:
        return self.total_minor - self.excluded_minor


@dataclass(frozen=True)
class Calculation:
    """What a purchase earns, and how: the programme version, the eligible amount, the points
    from each rule (stored with the earn, so its return is judged by the same numbers)."""

    points: int
    programme_version: int
    eligible_minor: int
    spend_points: int
    visit_points: int

    def as_details(self) -> dict:
        return {
            "version": self.programme_version,
            "eligible_minor": self.eligible_minor,
            "spend_points": self.spend_points,
            "visit_points": self.visit_points,
        }


def can_earn(programme: Programme) -> bool:
    """Whether any purchase could earn points under ``programme``."""
    spend = bool(programme.spend_points) and programme.spend_per_amount_minor is not None
    return spend or programme.visit_points > 0


def points_for_purchase(programme: Programme, purchase: Purchase) -> Calculation:
    """Points = floor(eligible / per_amount) x points, plus the visit points when the eligible
    amount reaches the visit's minimum spend. Integers only: 99 minor units at 1 point per 100
    earn 0. Raises CurrencyMismatch, NoEarnRule (no rule could earn anything)."""
    if purchase.currency != programme.currency:
        raise CurrencyMismatch(
            f"The bill is in {purchase.currency}; this shop's programme counts "
            f"{programme.currency}.",
            programme_currency=programme.currency,
        )
    if not can_earn(programme):
        raise NoEarnRule("The shop's programme has no rule that earns points from a bill.")
    eligible = purchase.eligible_minor
    spend = 0
    if programme.spend_points and programme.spend_per_amount_minor:
        spend = eligible // programme.spend_per_amount_minor * programme.spend_points
    visit = programme.visit_points if eligible >= programme.visit_min_spend_minor else 0
    return Calculation(spend + visit, programme.version, eligible, spend, visit)


def expiry_for(programme: Programme, earned_at: datetime) -> datetime | None:
    """When points earned at ``earned_at`` (naive UTC) expire: the end of the calendar month
    ``expiry_months`` after the month they were earned in, in the programme's timezone
    (earned any day of January 2026 with 12 months: 31 January 2027, 23:59:59 local).
    Returned as naive UTC, like the database's columns; None when points never expire."""
    if programme.expiry_months is None:
        return None
    zone = ZoneInfo(programme.timezone)
    local = earned_at.replace(tzinfo=UTC).astimezone(zone)
    month_index = local.year * 12 + (local.month - 1) + programme.expiry_months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    end = datetime.combine(datetime(year, month + 1, last_day), time(23, 59, 59), zone)
    return end.astimezone(UTC).replace(tzinfo=None)


def request_details(details: dict | None) -> dict | None:
    """The part of stored operation_details that the request itself carried."""
    if not details:
        return details
    kept = {k: v for k, v in details.items() if k not in COMPUTED_DETAILS}
    return kept or None


def points_to_take_back(
    earned: int,
    eligible_minor: int | None,
    taken_back: int,
    returned_minor: int,
    returning_minor: int | None,
    reference: str,
) -> tuple[int, int | None]:
    """(points a return takes back, money it returns) for an earn of ``earned`` points on
    ``eligible_minor`` (None: the earn had no bill), of which earlier returns took back
    ``taken_back`` points for ``returned_minor``.

    A whole return (``returning_minor`` None), or one that brings the money returned to the
    whole eligible amount, takes all that is left; a part takes
    floor(earned x returning / eligible), by the numbers stored with the earn, never today's
    programme. Raises ReversalExceedsEarn when nothing is left, the money would exceed the
    eligible amount, or an earn without a bill is returned in part.
    """
    points_left = earned - taken_back
    if eligible_minor is None:
        if returning_minor is not None:
            raise ReversalExceedsEarn(
                f"{reference!r} earned points without a bill: it can only be returned whole "
                "(send no returned_minor).",
                points_remaining=points_left,
            )
        money_left = None
    else:
        money_left = eligible_minor - returned_minor
    if returning_minor is None:
        returning_minor = money_left
    fully_returned = money_left is not None and money_left <= 0
    if fully_returned or (money_left is None and taken_back > 0 and points_left <= 0):
        raise ReversalExceedsEarn(
            f"{reference!r} has been returned already.", points_remaining=points_left
        )
    if money_left is not None and returning_minor > money_left:
        raise ReversalExceedsEarn(
            f"Only {money_left} (minor units) of the {eligible_minor} that {reference!r} earned "
            "on can still be returned.",
            points_remaining=points_left,
        )
    if money_left is None or returning_minor == money_left:
        return points_left, returning_minor
    return min(points_left, earned * returning_minor // eligible_minor), returning_minor


def take_from_balance(balance: int, due: int) -> tuple[int, int]:
    """(points taken, points unrecovered): the balance never goes below zero, so what the
    customer already spent is not taken, and is said."""
    taken = min(balance, due)
    return taken, due - taken


def credit_of(operation_type: str, points: int) -> int:
    """The points a ledger row adds (0 for a row that takes points away)."""
    return max(0, balance_change(operation_type, points))


def points_due(lots: list[tuple[datetime, int]], consumed: int, as_of: datetime) -> list:
    """``[(expiry date, points)]`` that expire by ``as_of``, in date order, given the points
    credited per expiry date (``lots``, any order) and every point consumed so far
    (``consumed``: redeemed, returned, adjusted down, expired).

    Points are consumed soonest-to-expire first (oldest first, while the expiry rule is
    unchanged): what expires at a date is what was credited to expire by then, less all
    consumption, less what earlier dates already took. Pure; nothing below zero.
    """
    due, credited = [], 0
    for expires_at, points in sorted(lots):
        if expires_at > as_of:
            break
        credited += points
        amount = credited - consumed
        if amount > 0:
            due.append((expires_at, amount))
            consumed += amount
    return due


def next_expiring(lots: list[tuple[datetime, int]], consumed: int) -> tuple[datetime, int] | None:
    """(the next expiry date with points due, those points), or None: ``points_due`` with no
    bound on the date, first entry."""
    due = points_due(lots, consumed, datetime.max)
    return due[0] if due else None


# ---- the points report: every operation type lands in exactly one column ---------------

# Columns in the order of the report; the sign is how the column moves the balance.
REPORT_COLUMNS = {
    "earned": 1,
    "earn_reversed": -1,
    "redeemed": -1,
    "redemptions_reversed": 1,
    "adjusted_up": 1,
    "adjusted_down": -1,
    "expired": -1,
    "imported": 1,
    "forfeited": -1,
}
ADJUSTED_DOWN = "adjusted_down"


def report_column_of(operation_type: str, points: int) -> str:
    """The report column a ledger row lands in (a negative adjustment: ``adjusted_down``)."""
    if operation_type == ADJUST and points < 0:
        return ADJUSTED_DOWN
    return OPERATION_TYPES[operation_type].report_column


def net_change(flows: dict[str, int]) -> int:
    """How a set of column totals moves the balance: the report's reconciliation."""
    return sum(REPORT_COLUMNS[column] * flows.get(column, 0) for column in REPORT_COLUMNS)


def rate(part: int, whole: int) -> float | None:
    """part / whole as a ratio (4 decimals); None when nothing was earned."""
    return round(part / whole, 4) if whole else None
