"""The one normal form of the names people sign in with: tenant slugs and admin emails.

Both are stored in binary-collated columns (migration 0005) and compared byte for byte, so what
matches is decided here, in Python, and nowhere else (no database collation folds accents or
case behind our back: ``démo`` is not ``demo``).

- slug: surrounding spaces dropped, ASCII letters lower-cased; must then be ``[a-z0-9-]``,
  starting with a letter or digit, at most 63 characters (checked when a tenant is created;
  sign-in simply finds no tenant for anything else).
- email: surrounding spaces dropped, Unicode NFC (so "é" typed composed or decomposed is the
  same address), then lower-cased.
"""

import re
import unicodedata

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def normalize_slug(text: str, *, strict: bool = False) -> str:
    """The slug's normal form; with ``strict`` raises ValueError when it is not a valid slug."""
    slug = text.strip()
    slug = "".join(c.lower() if c.isascii() else c for c in slug)
    if strict and not SLUG.fullmatch(slug):
        raise ValueError("slug: lowercase letters a-z, digits and dashes, at most 63 characters")
    return slug


def normalize_email(text: str) -> str:
    """The email's normal form: stripped, NFC, lower-cased."""
    return unicodedata.normalize("NFC", text.strip()).lower()
