"""Toast's JSON: its money is a JSON number in major units, written and read here as exact
decimals (``decimal.Decimal``), never through a float. Toast's answers and what is stored of
them (a replay answers the very same text) go through these two functions."""

from decimal import Decimal

import simplejson


def dumps(value) -> str:
    """JSON text; a Decimal is written as the number it is (5.00, 1000000000000000.01)."""
    return simplejson.dumps(value, use_decimal=True)


def loads(text: str | bytes):
    """The value of JSON text, its fractions as Decimals (``dumps`` writes them back alike)."""
    return simplejson.loads(text, parse_float=Decimal)
