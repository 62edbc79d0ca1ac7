"""The pure rules of an import row and of an erasure's scrubbing (no database)."""

from datetime import date

import pytest

from service.customer_data import ERASED, holds, needles, pseudonym, scrub
from service.member_import import _delimiter, check_row, reference_of

pytestmark = pytest.mark.pure
TODAY = date(2026, 12, 6)


def test_a_row_is_normalised_or_refused_with_its_reason():
    row, reason = check_row(2, {"phone": "07306 506797", "name": " Ann ", "points": "12"}, "GB",
                            TODAY)  # fmt: skip
    assert reason is None
    assert (row.phone, row.name, row.points, row.earned_at) == ("+447306506797", "Ann", 12, None)
    assert check_row(3, {"phone": "", "points": "1"}, "GB", TODAY) == (None, "no phone")
    refusals = {
        "points": ("-1", "negative points (-1)"),
        "earned_at": ("2027-01-01", "earned_at 2027-01-01 is in the future"),
    }
    for column, (value, expected) in refusals.items():
        assert check_row(4, {"phone": "+447306506797", column: value}, "GB", TODAY)[1] == expected
    assert check_row(5, {"phone": "+447306506797", "name": "a\x00b"}, "GB", TODAY)[1].startswith(
        "bad name"
    )
    assert check_row(6, {"phone": "+447306506797", "points": ""}, "GB", TODAY)[0].points == 0


def test_the_header_line_decides_the_delimiter_and_quotes_do_not_count():
    assert _delimiter("phone;name;points\n") == ";"
    assert _delimiter('phone,"a;b;c",points\n') == ","
    assert _delimiter("phone\n") == ","


def test_the_import_reference_depends_on_the_file_and_the_phone_only():
    assert reference_of("abc", "+447306506797") == reference_of("abc", "+447306506797")
    assert reference_of("abc", "+447306506797") != reference_of("abd", "+447306506797")
    assert len(reference_of("abc", "+447306506797")) <= 64


def test_the_pseudonym_is_never_a_phone_and_fits_the_phone_columns():
    assert pseudonym(42) == "erased-42"
    assert all(len(pseudonym(n)) <= 16 for n in (1, 999_999_999, 10**12, 2**63))
    assert not any(pseudonym(n).startswith("+") for n in (1, 2**63))
    assert pseudonym(36**6) != pseudonym(1_000_000)  # base 36 "1000000" is not id 1,000,000


def test_scrub_replaces_every_string_holding_the_phone_in_any_form_or_the_name():
    forms = needles("+447306506797", "Ann Smith")
    assert holds("call 07306 506 797", forms) and holds("ANN SMITH asked", forms)
    assert not holds("order 17", forms)
    details = {"note": "07306506797", "items": ["ok", "for ann smith"], "n": 3}
    assert scrub(details, forms) == {"note": ERASED, "items": ["ok", ERASED], "n": 3}
