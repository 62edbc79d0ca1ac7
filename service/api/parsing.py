"""How request bodies become arguments: JSON only, parsed strictly, every failure a 4xx.

webargs' stock parser treats a non-JSON body as "no body" (so a text/plain body came back as
422 missing fields), lets RecursionError and Python's integer-digit limit escape as 500s, accepts
NaN/Infinity (which are not JSON, and which the database refuses), and reads a chunked body
only up to MAX_CONTENT_LENGTH, then reports the truncated text as malformed instead of too large.
"""

import json
import typing

from flask import current_app
from webargs import core
from webargs.flaskparser import FlaskParser, abort
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from .strict_query import query_arguments

try:  # what gunicorn raises while a body is read that is not framed as HTTP says
    from gunicorn.http.errors import ParseException as _BodyFramingError
except ImportError:  # another server: its own errors are OSError or ValueError
    _BodyFramingError = OSError

# Longer integers are read as floats, which every integer field refuses as "not an integer";
# without this, Python raises ValueError past 4,300 digits.
MAX_INTEGER_DIGITS = 40


def _refuse_constant(name: str) -> typing.NoReturn:
    raise ValueError(f"{name} is not a JSON number; send finite numbers only.")


def _parse_int(text: str) -> int | float:
    return int(text) if len(text) <= MAX_INTEGER_DIGITS else float(text)


def _refuse_duplicate_keys(pairs: list[tuple[str, typing.Any]]) -> dict:
    # RFC 8259 leaves a repeated name's meaning open and Python keeps the last one: a body
    # naming "points" twice must not be read as whichever a parser happens to keep.
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        repeated = next(name for name, _ in pairs if name in seen or seen.add(name))
        raise ValueError(f"The name {repeated!r} appears more than once in one object.")
    return data


def loads_strict(text: str | bytes, parse_float=float) -> typing.Any:
    """Parse JSON as RFC 8259 defines it; raises ValueError naming what is wrong.
    ``parse_float=decimal.Decimal`` keeps a fraction exactly as sent (Toast's money)."""
    try:
        return json.loads(
            text,
            parse_float=parse_float,
            parse_constant=_refuse_constant,
            parse_int=_parse_int,
            object_pairs_hook=_refuse_duplicate_keys,
        )
    except RecursionError as exc:
        raise ValueError("The JSON is nested too deeply.") from exc
    except UnicodeDecodeError as exc:
        raise ValueError("The body is not UTF-8.") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"The body is not valid JSON: {exc.msg} at position {exc.pos}.") from exc


def _malformed(message: str) -> typing.NoReturn:
    # errors.handle_http_exception answers 400 malformed_json with this message as the detail.
    abort(400, messages={"json": {"_schema": [f"Invalid JSON body. {message}"]}})


class StrictJsonParser(FlaskParser):
    """FlaskParser whose JSON location refuses other media types (415) and oversize (413),
    and whose query location is read strictly (``strict_query``): unknown parameters are
    refused by the schema's own ``unknown = RAISE``, as unknown body fields are."""

    DEFAULT_UNKNOWN_BY_LOCATION = {  # noqa: RUF012 (webargs' convention)
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
    }

    def load_querystring(self, req, schema):
        return query_arguments(req.args, schema)

    def _raw_load_json(self, req):
        chunked = "chunked" in req.headers.get("Transfer-Encoding", "").lower()
        if not req.content_length and not chunked:
            return core.missing
        if not req.is_json:
            raise UnsupportedMediaType("Send the body as application/json.")
        try:
            data = req.get_data(cache=True)
        except (_BodyFramingError, OSError, ValueError) as exc:
            # gunicorn raises InvalidChunkSize, ChunkMissingTerminator, NoMoreData... while
            # the body is read: the client's framing is wrong, not the server.
            raise BadRequest("The body's chunked framing is malformed.") from exc
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        # A chunked body has no length to check up front: werkzeug stops reading at the limit,
        # so a body that reaches it is (at least) that large.
        if chunked and limit is not None and len(data) >= limit:
            raise RequestEntityTooLarge()
        try:
            return loads_strict(data)
        except ValueError as exc:
            _malformed(str(exc))
