"""What the blueprints share: the one decorator per kind of endpoint (its docs, arguments,
responses and problems), the security schemes, replay statuses."""

from collections.abc import Callable

import flask_smorest
from flask import g

from . import observability
from .errors import PROBLEM_MIMETYPE
from .parsing import StrictJsonParser
from .schemas.shared import ProblemSchema


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the strict body parser (``parsing.py``); ``problems``
    are documented on every endpoint of the blueprint (for instance its rate limit's 429)."""

    ARGUMENTS_PARSER = StrictJsonParser()

    def __init__(self, *args, problems: dict[int, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.common_problems = problems or {}


SECURITY_SCHEMES = {
    "PosApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "AdminSession": {"type": "http", "scheme": "bearer", "bearerFormat": "signed token"},
}
POS_SECURITY = [{"PosApiKey": []}]
ADMIN_SECURITY = [{"AdminSession": []}]

# What any points change may answer when the database is in trouble (see errors.py): the first
# two changed nothing; outcome_unknown may have, and a retry with the same reference tells.
WRITE_UNAVAILABLE = "database_busy, database_unavailable, outcome_unknown"


def api_endpoint(
    blp,
    *,
    problems: dict[int, str] | None = None,
    security: list | None = None,
    query=None,
    body=None,
    body_required: bool = True,
    response=None,
    status: int = 200,
    description: str | None = None,
    replay: bool = False,
    conditional: Callable[[dict], str] | None = None,
    doc: dict | None = None,
):
    """Everything the API says about an endpoint, as ONE decorator: its security, its
    arguments (``query`` or JSON ``body`` schema, parsed before the view runs), its success
    response, and every problem+json it may answer.

    The problems every endpoint of a kind shares are added here, so no copy can forget one:
    414 for any request; 401 with ``security``; 400/413/422 with a JSON ``body``; 422 with
    ``query``; a points change (``replay``) answers 201 when made, 200 when it replays an
    earlier request, and the 503s of WRITE_UNAVAILABLE. ``body_required=False`` documents the
    body as optional (no body is read as ``{}``). ``conditional`` makes a GET a
    conditional page: ``conditional(params)`` computes its tag from the query arguments (as
    ``query`` loads them) and the path's, and ``conditional.answer_unchanged`` answers its 304s
    before the view runs; ETag/If-None-Match/304 are documented.
    Schemas may be given as classes: each is instantiated once, here, not per request.
    """
    codes: dict[int, list[str]] = {}

    def add(found: dict[int, str]) -> None:
        for code_status, names in found.items():
            for name in names.split(", "):
                if name not in codes.setdefault(code_status, []):
                    codes[code_status].append(name)

    add({414: "uri_too_long"})  # any request line (werkzeug's RequestURITooLarge)
    add(getattr(blp, "common_problems", {}))
    if security:
        add({401: "unauthorized"})
    if body is not None:
        add({400: "malformed_json", 413: "payload_too_large", 422: "validation_error"})
    if query is not None:
        add({422: "validation_error"})
    add(problems or {})
    if replay:
        add({503: WRITE_UNAVAILABLE})

    query_schema = _instance(query) if query is not None else None

    def decorate(view):
        for code_status, names in sorted(codes.items(), reverse=True):
            view = blp.alt_response(
                code_status,
                schema=ProblemSchema,
                content_type=PROBLEM_MIMETYPE,
                description=f"Problem: {', '.join(names)}",
            )(view)
        if replay:
            view = blp.alt_response(200, schema=response, success=True, description="Replay")(view)
        if response is not None or description is not None:
            view = blp.response(status, response, description=description)(view)
        if query is not None:
            view = blp.arguments(query_schema, location="query")(view)
        if body is not None:
            view = blp.arguments(_instance(body), required=body_required)(view)
        if security or doc:
            view = blp.doc(**({"security": security} if security else {}), **(doc or {}))(view)
        if conditional is not None:
            # Documented as flask-smorest documents its own ETag support (If-None-Match, 304,
            # the ETag header), which conditional.py implements ahead of the view instead.
            view._apidoc = {**getattr(view, "_apidoc", {}), "etag": True}
            view.conditional = (query_schema, conditional)
        return view

    return decorate


def _instance(schema):
    # webargs instantiates a schema class on every request; an instance is built once.
    return schema() if isinstance(schema, type) else schema


def created_or_replayed(outcome: dict):
    """201 for a new points change, 200 for the replay of one already made.

    Every points-changing view answers through here once its transaction committed, so this
    is where a new change is logged and counted (a replay changed nothing).
    """
    if not outcome["replayed"]:
        observability.points_changed(g.tenant, outcome)
    return outcome, 200 if outcome["replayed"] else 201


# A reversal's own problems, alike for the till and the admin page.
REVERSAL_PROBLEMS = {
    404: "transaction_not_found",
    409: "reversal_exceeds_redemption",
    422: "transaction_reference_reused",
}
EARN_REVERSAL_PROBLEMS = {**REVERSAL_PROBLEMS, 409: "reversal_exceeds_earn"}
# What a bill may be refused for (the programme's currency, or no rule that earns).
EARN_PROBLEMS = "currency_mismatch, no_earn_rule"
