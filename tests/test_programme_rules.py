"""The programme's rules without a database: what a bill earns, when points expire, what a
return takes back, what expires when (service/rules.py)."""

from datetime import datetime

import pytest

from service.exceptions import CurrencyMismatch, NoEarnRule, ReversalExceedsEarn
from service.rules import (
    Programme,
    Purchase,
    expiry_for,
    next_expiring,
    points_due,
    points_for_purchase,
    points_to_take_back,
    take_from_balance,
)

pytestmark = pytest.mark.pure


def programme(**changes) -> Programme:
    settings = {
        "currency": "GBP",
        "timezone": "Europe/London",
        "spend_points": 1,
        "spend_per_amount_minor": 100,
        "visit_points": 0,
        "visit_min_spend_minor": 0,
        "expiry_months": 12,
        "point_value_minor": 1,
        "version": 4,
    }
    return Programme(**{**settings, **changes})


@pytest.mark.parametrize(
    ("total", "excluded", "points"),
    [(99, 0, 0), (100, 0, 1), (199, 0, 1), (2350, 0, 23), (2350, 350, 20), (0, 0, 0)],
)
def test_spend_rule_rounds_down_in_integers(total, excluded, points):
    calculation = points_for_purchase(programme(), Purchase(total, "GBP", excluded))
    assert calculation.points == points
    assert calculation.eligible_minor == total - excluded
    assert calculation.programme_version == 4


def test_spend_rule_points_multiply_whole_units():
    assert points_for_purchase(programme(spend_points=3), Purchase(2350, "GBP")).points == 69


def test_visit_rule_counts_from_its_minimum_spend():
    rules = programme(spend_points=None, spend_per_amount_minor=None, visit_points=10,
                      visit_min_spend_minor=500)  # fmt: skip
    assert points_for_purchase(rules, Purchase(499, "GBP")).points == 0
    at_minimum = points_for_purchase(rules, Purchase(600, "GBP", 100))
    assert (at_minimum.points, at_minimum.visit_points, at_minimum.spend_points) == (10, 10, 0)


def test_both_rules_add_up_and_say_how():
    rules = programme(visit_points=5, visit_min_spend_minor=1000)
    calculation = points_for_purchase(rules, Purchase(2350, "GBP"))
    assert calculation.as_details() == {
        "version": 4, "eligible_minor": 2350, "spend_points": 23, "visit_points": 5,
    }  # fmt: skip
    assert calculation.points == 28


def test_a_bill_in_another_currency_is_refused():
    with pytest.raises(CurrencyMismatch):
        points_for_purchase(programme(), Purchase(2350, "EUR"))


def test_no_rule_that_could_earn_is_refused():
    with pytest.raises(NoEarnRule):
        points_for_purchase(
            programme(spend_points=None, spend_per_amount_minor=None), Purchase(2350, "GBP")
        )
    with pytest.raises(NoEarnRule):
        points_for_purchase(programme(spend_points=0), Purchase(2350, "GBP"))


@pytest.mark.parametrize(
    ("earned_at", "months", "expires_at"),
    [
        # January in London is UTC: the end of January a year later.
        (datetime(2026, 1, 15, 12), 12, datetime(2027, 1, 31, 23, 59, 59)),
        # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): a July point.
        (datetime(2026, 6, 30, 23, 30), 1, datetime(2026, 8, 31, 22, 59, 59)),
        # Into a leap February.
        (datetime(2027, 12, 31, 12), 2, datetime(2028, 2, 29, 23, 59, 59)),
    ],
)
def test_points_expire_at_the_end_of_the_month_in_the_shops_timezone(earned_at, months, expires_at):
    assert expiry_for(programme(expiry_months=months), earned_at) == expires_at


def test_points_never_expire_without_expiry_months():
    assert expiry_for(programme(expiry_months=None), datetime(2026, 1, 1)) is None


def test_three_partial_returns_never_take_more_than_was_earned():
    # 23 points on an eligible £23.50.
    due, money = points_to_take_back(23, 2350, 0, 0, 1000, "B-1")
    assert (due, money) == (9, 1000)
    due, money = points_to_take_back(23, 2350, 9, 1000, 1000, "B-1")
    assert (due, money) == (9, 1000)
    with pytest.raises(ReversalExceedsEarn):  # 500 more than the 350 left
        points_to_take_back(23, 2350, 18, 2000, 500, "B-1")
    # The return that completes the bill takes all that is left: no rounding crumbs stay.
    assert points_to_take_back(23, 2350, 18, 2000, 350, "B-1") == (5, 350)
    with pytest.raises(ReversalExceedsEarn):
        points_to_take_back(23, 2350, 23, 2350, None, "B-1")


def test_a_whole_return_takes_what_is_left():
    assert points_to_take_back(23, 2350, 9, 1000, None, "B-1") == (14, 1350)


def test_an_earn_without_a_bill_is_returned_whole_only():
    assert points_to_take_back(50, None, 0, 0, None, "P-1") == (50, None)
    with pytest.raises(ReversalExceedsEarn):
        points_to_take_back(50, None, 0, 0, 100, "P-1")
    with pytest.raises(ReversalExceedsEarn):
        points_to_take_back(50, None, 50, 0, None, "P-1")


def test_a_return_never_takes_the_balance_below_zero():
    assert take_from_balance(balance=30, due=50) == (30, 20)
    assert take_from_balance(balance=80, due=50) == (50, 0)


JAN, FEB, MAR = datetime(2027, 1, 31), datetime(2027, 2, 28), datetime(2027, 3, 31)


def test_fifo_expiry_across_months_with_a_redemption_between():
    lots = [(FEB, 50), (JAN, 100)]  # any order
    # 120 redeemed: January's 100 are gone, and 20 of February's.
    assert points_due(lots, 120, datetime(2027, 1, 31, 23, 59, 59)) == []
    assert points_due(lots, 120, MAR) == [(FEB, 30)]
    assert next_expiring(lots, 120) == (FEB, 30)
    # Nothing redeemed: one row per date, each with its own points.
    assert points_due(lots, 0, MAR) == [(JAN, 100), (FEB, 50)]
    # Once expired (consumption includes the expiry rows), nothing is due again.
    assert points_due(lots, 150, MAR) == []
    assert next_expiring(lots, 150) is None


def test_points_due_later_are_not_due_yet():
    assert points_due([(MAR, 10)], 0, FEB) == []
    assert next_expiring([(MAR, 10)], 0) == (MAR, 10)
