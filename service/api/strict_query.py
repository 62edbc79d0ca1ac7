"""Query strings read as strictly as bodies: a parameter the endpoint does not know, one given
twice, or an integer written other than in ASCII digits is a 422, never ignored or guessed at.

webargs' defaults would ignore unknown parameters, take the first of repeated ones, and read
integers with Python's ``int()``, which takes ``+10``, `` 10`` and Arabic-Indic digits
(U+0661 U+0660) as 10 alike.
"""

import re

from marshmallow import Schema, ValidationError, fields
from werkzeug.datastructures import MultiDict

_ASCII_DIGITS = re.compile(r"[0-9]{1,18}")


class QueryInteger(fields.Integer):
    """An integer query parameter: ASCII digits only (no sign, space, underscore or other
    script's digits); the range is for the field's own ``validate``."""

    default_error_messages = {  # noqa: RUF012 (marshmallow's convention)
        "digits": "Must be written with the digits 0-9 only (no sign, space or other digits).",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _ASCII_DIGITS.fullmatch(value):
            raise self.make_error("digits")
        return super()._deserialize(value, attr, data, **kwargs)


def query_arguments(args: MultiDict, schema: Schema) -> dict:
    """The query string as ``schema`` loads it: one value per parameter (a list for a List
    field). Raises ValidationError naming every single-valued parameter given more than once;
    unknown parameters are left in, for the schema (``unknown = RAISE``) to refuse."""
    by_key = {field.data_key or name: field for name, field in schema.fields.items()}
    data, repeated = {}, {}
    for key in args:
        values = args.getlist(key)
        if isinstance(by_key.get(key), fields.List):
            data[key] = values
        elif len(values) > 1:
            repeated[key] = ["Give this parameter once."]
        else:
            data[key] = values[0]
    if repeated:
        raise ValidationError(repeated)
    return data
