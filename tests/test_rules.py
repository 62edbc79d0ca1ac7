"""The rules of points changes, without a database (service/rules.py)."""

import pytest

from service.exceptions import InsufficientPoints, ReversalExceedsRedemption
from service.rules import (
    ADJUST,
    EARN,
    REDEEM,
    REVERSE_REDEMPTION,
    Totals,
    check_balance_covers,
    is_same_request,
    reversible_points,
)

pytestmark = pytest.mark.pure  # no database: see conftest.py

START = Totals(points_balance=100, total_points_earned=300, total_points_redeemed=200)


@pytest.mark.parametrize(
    ("operation", "points", "expected"),
    [
        (EARN, 10, Totals(110, 310, 200)),
        (REDEEM, 10, Totals(90, 300, 210)),
        (REVERSE_REDEMPTION, 10, Totals(110, 300, 190)),
        (ADJUST, -10, Totals(90, 300, 200)),
        (ADJUST, 10, Totals(110, 300, 200)),
    ],
)
def test_each_operation_moves_the_totals_as_the_ledger_sums_them(operation, points, expected):
    assert START.after(operation, points) == expected


def test_the_balance_must_cover_a_redemption_or_a_negative_adjustment():
    check_balance_covers(START, REDEEM, 100)  # to zero is fine
    check_balance_covers(START, ADJUST, -100)
    with pytest.raises(InsufficientPoints) as refused:
        check_balance_covers(START, REDEEM, 101)
    assert refused.value.extra == {"points_balance": 100, "points_requested": 101}
    with pytest.raises(InsufficientPoints):
        check_balance_covers(START, ADJUST, -101)
    check_balance_covers(Totals(0, 0, 0), EARN, 5)


STORED = {"customer_id": 7, "points_amount": 20, "operation_details": {"till": 3}}


@pytest.mark.parametrize(
    ("customer_id", "points", "details", "same"),
    [
        (7, 20, {"till": 3}, True),
        (7, None, {"till": 3}, True),  # "all that is left" matches what was stored
        (8, 20, {"till": 3}, False),  # another customer
        (7, 21, {"till": 3}, False),  # another amount
        (7, 20, {"till": 4}, False),  # other details
        (7, 20, None, False),
    ],
)
def test_a_repeat_is_a_replay_only_when_it_is_the_same_request(customer_id, points, details, same):
    assert is_same_request(STORED, customer_id, points, details) is same


def test_a_reversal_gives_back_at_most_what_is_left():
    assert reversible_points(30, 0, None, "A-1") == 30
    assert reversible_points(30, 10, None, "A-1") == 20
    assert reversible_points(30, 10, 5, "A-1") == 5
    assert reversible_points(30, 10, 20, "A-1") == 20
    for already, requested in ((10, 21), (30, None), (30, 1), (0, 0)):
        with pytest.raises(ReversalExceedsRedemption) as refused:
            reversible_points(30, already, requested, "A-1")
        assert refused.value.extra == {"points_remaining": 30 - already}
