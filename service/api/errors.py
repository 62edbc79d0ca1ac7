"""The one mapping of domain exceptions (``exceptions.py``) to RFC 9457 problem+json responses."""

import json
import logging
import time

import pymysql
from flask import Response, current_app
from werkzeug.exceptions import HTTPException

from .. import metrics
from ..db import is_connection_failure
from ..exceptions import (
    DatabaseBusy,
    DatabaseUnavailable,
    LoyaltyError,
    OutcomeUnknown,
    RateLimited,
    SignInBusy,
)

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"


def problem(status: int, code: str, title: str, detail: str, **extra) -> Response:
    """Build a problem+json response; ``extra`` members are added to the body."""
    metrics.problem_answered(status, code)
    body = {
        "type": f"urn:loyalty:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)


# Werkzeug's exceptions by status: (code, title) for the client errors Flask raises itself.
HTTP_PROBLEMS = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Missing or invalid credentials"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "Request body too large"),
    414: ("uri_too_long", "Request line too long"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_error", "Invalid request"),
    429: ("rate_limited", "Too many requests"),
}


def _flatten_messages(messages, prefix: str = "") -> dict[str, list[str]]:
    """webargs/marshmallow messages as ``{"field.sub": ["message", ...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten_messages(value, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def handle_loyalty_error(error: LoyaltyError) -> Response:
    return problem(error.status, error.code, error.title, error.detail, **error.extra)


def handle_http_exception(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if messages:
        # webargs keys by location ("json", "query"); the fields matter to the client.
        fields = {}
        for location_messages in messages.values():
            fields.update(_flatten_messages(location_messages))
        invalid_json = [m for m in fields.get("_schema", []) if m.startswith("Invalid JSON")]
        if invalid_json:
            # parsing.StrictJsonParser says what is wrong after webargs' "Invalid JSON body."
            reason = invalid_json[0].removeprefix("Invalid JSON body.").strip()
            detail = reason or "The body is not valid JSON."
            return problem(400, "malformed_json", "Malformed JSON", detail)
        detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in sorted(fields.items()))
        return problem(
            422, "validation_error", "Invalid request", f"Invalid fields: {detail}", errors=fields
        )
    status = error.code or 500
    code, title = HTTP_PROBLEMS.get(status, ("http_error", error.name))
    if status >= 500:
        return handle_unexpected(error)
    response = problem(status, code, title, error.description or title)
    if status == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429 and getattr(error, "limit", None) is not None:
        response.headers["Retry-After"] = str(_seconds_until_limit_frees(error))
    return response


def _seconds_until_limit_frees(error) -> int:
    """When the breached limit (flask-limiter's RateLimitExceeded) lets a request through
    again: exactly, from the limiter's window, else the limit's whole period."""
    try:
        breached = current_app.extensions["rate_limits"].current_limit
        if breached is not None:
            return max(1, int(breached.reset_at - time.time()))
    except Exception:  # noqa: BLE001 (the limits' store went away: the 429 must still answer)
        log.warning("rate limit store unreachable; Retry-After is the limit's whole period")
    return error.limit.limit.get_expiry()


def handle_sign_in_busy(error: SignInBusy) -> Response:
    response = handle_loyalty_error(error)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


RETRY_AFTER_SECONDS = "1"


def _service_unavailable(code: str, title: str, detail: str) -> Response:
    response = problem(503, code, title, detail)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def handle_database_busy(_error: DatabaseBusy) -> Response:
    return _service_unavailable(
        "database_busy",
        "Database busy",
        "The request kept conflicting with concurrent writes; nothing was changed. Retry it.",
    )


def handle_database_unavailable(error: BaseException) -> Response:
    log.error("database unavailable: %s", error)
    return _service_unavailable(
        "database_unavailable",
        "Database unavailable",
        "The database could not be reached or did not answer in time; nothing was changed. "
        "Retry later.",
    )


def handle_outcome_unknown(error: OutcomeUnknown) -> Response:
    log.error("outcome unknown: %s", error)
    return _service_unavailable(
        "outcome_unknown",
        "Outcome unknown",
        "The connection to the database was lost while the change was being committed, so it "
        "may or may not have been made. Retry with the same transaction_reference: if it was "
        "made, the retry answers it as a replay and nothing is counted twice.",
    )


def handle_database_error(error: pymysql.err.MySQLError) -> Response:
    if is_connection_failure(error):
        return handle_database_unavailable(error)
    return handle_unexpected(error)


def handle_unexpected(error: BaseException) -> Response:
    # The trace goes to the log, never to the client. Whether anything was stored is not
    # claimed: a fault inside a transaction rolls it back, but one after COMMIT does not.
    log.exception("unhandled error", exc_info=error)
    return problem(
        500,
        "internal_error",
        "Internal server error",
        "The request failed on the server. Retrying a points change with the same "
        "transaction_reference is safe: a change that was made is answered as a replay.",
    )


def init_app(app) -> None:
    """Register the handlers; call after flask-smorest's Api so these replace its JSON ones."""
    app.register_error_handler(LoyaltyError, handle_loyalty_error)
    app.register_error_handler(SignInBusy, handle_sign_in_busy)
    app.register_error_handler(RateLimited, handle_sign_in_busy)  # the same Retry-After
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DatabaseBusy, handle_database_busy)
    app.register_error_handler(DatabaseUnavailable, handle_database_unavailable)
    app.register_error_handler(OutcomeUnknown, handle_outcome_unknown)
    app.register_error_handler(pymysql.err.MySQLError, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
