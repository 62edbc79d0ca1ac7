"""The rules of points changes, as pure functions: no database, no Flask, no clock.

``points.py`` runs them inside the one write skeleton, on the locked balance row and the
ledger rows it read; ``tests/test_rules.py`` checks them without a database.
"""

from dataclasses import dataclass

from .exceptions import InsufficientPoints, ReversalExceedsRedemption

EARN = "earn_points"
REDEEM = "redeem_points"
REVERSE = "reverse_redemption"
ADJUST = "adjust_points"
OPEN = "open_account"  # written once per customer at enrolment: its opening balance


@dataclass(frozen=True)
class OperationType:
    """One kind of ledger row: how it moves the balance row, and the webhook event it sends.

    ``effect`` is how one row moves (points_balance, total_points_earned,
    total_points_redeemed), as multiples of its points_amount (adjustments carry their sign).
    ``event_type`` is the webhook event (None: the row sends none).
    """

    effect: tuple[int, int, int]
    event_type: str | None


# THE list of operation types. Everything else derives from it: the ledger's sums and its
# audit (store/ledger.py), webhook event types, the API's schemas, metrics' labels. Adding an
# operation type is one entry here plus the domain function that writes it (points.py).
OPERATION_TYPES = {
    EARN: OperationType((1, 1, 0), "loyalty.points_earned"),
    REDEEM: OperationType((-1, 0, 1), "loyalty.points_redeemed"),
    REVERSE: OperationType((1, 0, -1), "loyalty.redemption_reversed"),
    ADJUST: OperationType((1, 0, 0), "loyalty.points_adjusted"),
    OPEN: OperationType((1, 1, 0), None),
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
