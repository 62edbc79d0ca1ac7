"""What the blueprints share: error documentation, security schemes, replay statuses."""

import flask_smorest
from flask import g

from .. import observability
from ..errors import PROBLEM_MIMETYPE
from .parsing import StrictJsonParser
from .schemas import ProblemSchema


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the strict body parser (``parsing.py``); ``problems``
    are documented on every endpoint of the blueprint (for instance its rate limit's 429)."""

    ARGUMENTS_PARSER = StrictJsonParser()

    def __init__(self, *args, problems: dict[int, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.common_problems = problems or {}


def problems(blp, responses: dict[int, str]):
    """Document problem+json error responses: ``{status: "code, code"}`` (decorator)."""

    # Any request line may be too long (werkzeug's RequestURITooLarge, see create_app).
    responses = {414: "uri_too_long", **getattr(blp, "common_problems", {}), **responses}

    def decorate(view):
        for status, codes in sorted(responses.items(), reverse=True):
            view = blp.alt_response(
                status,
                schema=ProblemSchema,
                content_type=PROBLEM_MIMETYPE,
                description=f"Problem: {codes}",
            )(view)
        return view

    return decorate


POS_SECURITY = [{"PosApiKey": []}]
ADMIN_SECURITY = [{"AdminSession": []}]


def points_change_responses(blp, schema, description: str):
    """Document a points change: 201 when made, 200 when it replays an earlier request."""

    def decorate(view):
        view = blp.alt_response(200, schema=schema, success=True, description="Replay")(view)
        return blp.response(201, schema, description=description)(view)

    return decorate


def created_or_replayed(outcome: dict):
    """201 for a new points change, 200 for the replay of one already made.

    Every points-changing view answers through here once its transaction committed, so this
    is where a new change is logged and counted (a replay changed nothing).
    """
    if not outcome["replayed"]:
        observability.points_changed(g.tenant, outcome)
    return outcome, 200 if outcome["replayed"] else 201


# What any points change may answer when the database is in trouble (see errors.py): the first
# two changed nothing; outcome_unknown may have, and a retry with the same reference tells.
WRITE_UNAVAILABLE = "database_busy, database_unavailable, outcome_unknown"

REVERSAL_ERRORS = {
    400: "malformed_json",
    401: "unauthorized",
    404: "transaction_not_found",
    409: "reversal_exceeds_redemption",
    422: "validation_error, transaction_reference_reused",
    503: WRITE_UNAVAILABLE,
}
