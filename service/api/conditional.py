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

from flask import Response, current_app, g, request
from marshmallow import ValidationError
from werkzeug.http import quote_etag

from ..exceptions import CustomerNotFound
from .strict_query import query_arguments

UNSETTLED = "unsettled"


def page_tag(page: str, tenant_id: int, marker, params: dict) -> str:
    """The ETag of a ``page`` of a tenant: its change marker plus the request's parameters
    (kept apart, so no parameter can stand in for the marker).

    A ``None`` marker (changes may still be landing) gets a tag that matches nothing, so the
    client is sent the data.
    """
    if marker is None:
        marker = f"{UNSETTLED}-{secrets.token_hex(8)}"
    data = {"page": page, "tenant": tenant_id, "marker": marker, "params": params}
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha1(encoded.encode(), usedforsecurity=False).hexdigest()


def etag_header(tag: str) -> dict:
    return {"ETag": quote_etag(tag)}


def answer_unchanged() -> Response | None:
    """A blueprint's before_request hook (after authentication): 304 when the request's view
    is a conditional page (``common.api_endpoint(conditional=...)``) and its If-None-Match
    holds the page's current tag.

    The tag is computed from the query arguments as the view's own schema loads them. Anything
    the hook cannot answer for sure (no If-None-Match, arguments the view would refuse, a
    customer that is not there) is left to the view; the tag is kept on ``g`` for the view
    when the page did change.
    """
    if request.method != "GET" or not request.if_none_match:
        return None
    view = current_app.view_functions.get(request.endpoint)
    page = getattr(getattr(getattr(view, "view_class", None), "get", None), "conditional", None)
    if page is None:
        return None
    query_schema, tag_of = page
    try:
        # As the view's parser reads it (strict_query): a request the view would refuse is
        # left to the view, never answered "unchanged".
        args = query_schema.load(query_arguments(request.args, query_schema))
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
