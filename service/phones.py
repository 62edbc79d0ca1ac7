"""Phone numbers as POS terminals send them, normalised to E.164 with ``phonenumbers``."""

import re

import phonenumbers

from .exceptions import InvalidPhone

MAX_INPUT_LENGTH = 40
# Digits with the separators tills type; at least five digits, so "0" is not a phone (whether
# a number exists in the shop's region is for phonenumbers to say). The API publishes it too.
PHONE_PATTERN = r"^\+?[ ()./-]*(?:[0-9][ ()./-]*){5,20}$"


def normalize_phone(raw: str, region: str) -> str:
    """Return ``raw`` as E.164 (``+447306506797``), reading national numbers in ``region``.

    Accepts E.164, national format with spaces, dashes, dots or parentheses, the ``00``
    international prefix, and a leading ``+`` that reached us as a space because the POS did
    not percent-encode it in a query string. Raises InvalidPhone for anything else.
    """
    if not re.match(PHONE_PATTERN, raw or ""):
        raise InvalidPhone("A phone number is 5 to 20 digits, with an optional + and separators.")
    text = (raw or "")[: MAX_INPUT_LENGTH + 1]
    if text.startswith(" ") and text.strip()[:1].isdigit():
        # "?phone=+4473..." decodes to " 4473...": the space was a plus.
        text = "+" + text.strip()
    text = text.strip()
    if text.startswith("00"):
        # The ITU international prefix, whatever the tenant's own dialling prefix is.
        text = "+" + text[2:]
    if not text or len(text) > MAX_INPUT_LENGTH:
        raise InvalidPhone(f"{raw!r} is not a phone number.")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"{raw!r} is not a phone number: {exc}.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"{raw!r} is not a valid phone number for region {region}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_valid_region(region: str) -> bool:
    return region in phonenumbers.SUPPORTED_REGIONS
