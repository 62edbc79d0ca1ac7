"""The rules of points changes, as pure functions: no database, no Flask, no clock.

``loyalty.py`` runs them inside the one write skeleton, on the locked balance row and the
ledger rows it read; ``tests/test_rules.py`` checks them without a database.
"""

from dataclasses import dataclass

from .exceptions import InsufficientPoints, ReversalExceedsRedemption

EARN = "earn_points"
REDEEM = "redeem_points"
REVERSE = "reverse_redemption"
ADJUST = "adjust_points"
OPEN = "open_account"  # written once per customer at enrolment: its opening balance

# How one ledger row of each operation type moves (points_balance, total_points_earned,
# total_points_redeemed), as multiples of its points_amount. Adjustments carry their sign.
EFFECTS = {
    EARN: (1, 1, 0),
    REDEEM: (-1, 0, 1),
    REVERSE: (1, 0, -1),
    ADJUST: (1, 0, 0),
    OPEN: (1, 1, 0),
}


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


def refundable_points(
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
