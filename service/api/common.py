"""What the blueprints share: error documentation, security schemes, replay statuses."""

from flask import g

from .. import observability
from ..errors import PROBLEM_MIMETYPE
from .schemas import ProblemSchema


def problems(blp, responses: dict[int, str]):
    """Document problem+json error responses: ``{status: "code, code"}`` (decorator)."""

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
