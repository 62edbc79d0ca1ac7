"""Conditional GETs: an ETag on every page the admin app polls, and the 304 for a page the
client already has, answered before the view runs.

The admin page polls every few seconds and nearly every poll finds nothing changed, so the 304
is the hot path: once the request is authenticated, it costs one change-marker read and a
comparison, without the framework's argument parsing, the view or any list query. The view
sends the same tag (computed by the same function) with the data whenever it does run.
"""

import hashlib
import json
import secrets
from collections.abc import Callable

from flask import current_app, g, request
from marshmallow import EXCLUDE, ValidationError
from werkzeug.http import quote_etag

from ..exceptions import CustomerNotFound

UNSETTLED = "unsettled"


def page_tag(data: dict) -> str:
    """The ETag of a page described by ``data`` (its tenant, change marker and parameters).

    A ``None`` marker (changes may still be landing) gets a tag that matches nothing, so the
    client is sent the data.
    """
    if data.get("marker") is None:
        data = {**data, "marker": f"{UNSETTLED}-{secrets.token_hex(8)}"}
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha1(encoded.encode(), usedforsecurity=False).hexdigest()


def etag_header(tag: str) -> dict:
    return {"ETag": quote_etag(tag)}


def answer_unchanged(tags: dict[str, Callable[[dict], str]], schemas: dict) -> object | None:
    """A blueprint's before_request hook (after authentication): 304 when the request's
    endpoint is in ``tags`` and its If-None-Match holds the page's current tag.

    ``tags[endpoint](args)`` computes the tag from the query arguments as ``schemas[endpoint]``
    loads them. Anything it cannot answer for sure (no If-None-Match, arguments the view
    would refuse, a customer that is not there) is left to the view. The tag is kept on ``g``
    for the view when the page did change.
    """
    tag_of = tags.get(request.endpoint)
    if tag_of is None or request.method != "GET" or not request.if_none_match:
        return None
    try:
        # As webargs reads a query string for the view: other parameters are ignored.
        args = schemas[request.endpoint].load(request.args, unknown=EXCLUDE)
        tag = tag_of({**args, **(request.view_args or {})})
    except (ValidationError, CustomerNotFound):
        return None
    if tag not in request.if_none_match:
        g.page_tag = tag
        return None
    response = current_app.response_class(status=304)
    response.set_etag(tag)
    return response


def current_tag(compute: Callable[[], str]) -> str:
    """The tag the before_request hook computed for this request, else ``compute()``."""
    return g.pop("page_tag", None) or compute()
