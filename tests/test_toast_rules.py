"""Toast's money and checks, and the sorting of a check's redemptions: pure, no database."""

from decimal import Decimal

import pytest

from service import toast_json
from service.rewards import Reward, sort_redemptions
from service.toast import eligible_purchase, to_major, to_minor

from .toast_terminal import fixture

pytestmark = pytest.mark.pure

OFF5 = Reward("off5", "£5 off", 500, 500)
OFF2 = Reward("off2", "£2 off", 200, 250)


@pytest.mark.parametrize(
    ("amount", "digits", "minor"),
    [
        ("24.00", 2, 2400),
        ("5.49612811", 2, 550),
        ("0.005", 2, 1),  # half up, not to even
        ("0.015", 2, 2),
        ("0.0049", 2, 0),
        ("2.5", 0, 3),  # JPY
        ("1.2345", 3, 1235),  # KWD
        ("-1.005", 2, -101),
    ],
)
def test_major_units_become_minor_units_half_up(amount, digits, minor):
    assert to_minor(Decimal(amount), digits) == minor


def test_minor_units_become_exact_decimal_major_units_never_floats():
    amounts = [to_major(500, 2), to_major(1234, 2), to_major(7, 0), to_major(1235, 3)]
    assert all(isinstance(a, Decimal) for a in amounts)
    assert [str(a) for a in amounts] == ["5.00", "12.34", "7", "1.235"]


def test_toasts_json_writes_money_as_exact_numbers_and_reads_it_back_exactly():
    body = {"amount": to_major(500, 2), "yen": to_major(500, 0), "big": to_major(10**17 + 1, 2)}
    text = toast_json.dumps(body)
    assert text == '{"amount": 5.00, "yen": 500, "big": 1000000000000000.01}'
    assert toast_json.loads(text) == body


def _decimal(value):
    # the endpoint parses numbers as Decimal (parse_float=Decimal)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _decimal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimal(v) for v in value]
    return value


def test_the_eligible_amount_of_a_published_accrue_check():
    check = _decimal(fixture("accrue_request")["checkTransactionInformation"]["check"])
    purchase = eligible_purchase(check, "GBP")
    # burger 12.00 + pint 6.50 less its included 1.08333333 tax; not the voided steak, the
    # deferred gift card, the 3.00 tip, the 18% gratuity, or the burger's added tax
    assert (purchase.total_minor, purchase.excluded_minor, purchase.eligible_minor) == (
        1850, 108, 1742,
    )  # fmt: skip


def test_a_check_with_no_selections_or_a_refund_is_worth_nothing():
    assert eligible_purchase({"selections": None}, "GBP").eligible_minor == 0
    refund = {"selections": [{"price": Decimal("-12.00"), "voided": False}]}
    assert eligible_purchase(refund, "GBP").eligible_minor == 0
    all_tax = {"selections": [{"price": Decimal(1), "tax": Decimal(2), "taxInclusion": "INCLUDED"}]}
    assert eligible_purchase(all_tax, "GBP").eligible_minor == 0


def _r(reward, guid):
    return {"identifier": reward, "appliedDiscountGuid": guid}


def test_redemptions_are_applied_in_order_while_the_balance_covers_them():
    rewards = {"off5": OFF5, "off2": OFF2}
    asked = [_r("off5", "a"), _r("off2", "b"), _r("off5", "c"), _r("nope", "d"), _r("off2", "b")]
    ranked = sort_redemptions(800, rewards, asked)
    assert [(r["appliedDiscountGuid"], w.id) for r, w in ranked.applied] == [
        ("a", "off5"), ("b", "off2"),
    ]  # fmt: skip
    assert [r["appliedDiscountGuid"] for r, _ in ranked.rejected] == ["c", "d", "b"]
    assert ranked.points == 700
    assert all(message for _, message in ranked.rejected)


def test_nothing_is_applied_from_an_empty_balance():
    ranked = sort_redemptions(0, {"off2": OFF2}, [_r("off2", "a")])
    assert (ranked.applied, ranked.points) == ([], 0)
    assert "Not enough points" in ranked.rejected[0][1]
