"""Toast's loyalty endpoint (``POST /api/integrations/toast``, Toast's own auth and answers), and
the admin's Toast pages (``/api/admin/toast/...``, Bearer session token).

Toast reads ``transactionStatus``, not problem+json: every answer of the Toast endpoint is a
JSON LoyaltyTransactionResponse, 200 only with ACCEPT, 400 (404 for an unknown account) with
Toast's error code, 503 ``ERROR`` when the database is in trouble. Never a 5xx for Toast's
input. The order of the checks: the key (ERROR_INVALID_TOKEN), the restaurant
(ERROR_INVALID_RESTAURANT), the type (ERROR_INVALID_TOAST_TRANSACTION_TYPE), then the GUID and
the body (ERROR_INVALID_INPUT_PROPERTIES): a request without a valid key learns nothing else.
"""

import logging
from decimal import Decimal

from flask import Response, g, request
from flask.views import MethodView
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from .. import toast, toast_json
from ..db import close_conn, get_conn
from ..exceptions import DatabaseBusy, DatabaseUnavailable, OutcomeUnknown
from ..points import utc_now
from . import observability
from .admin import admin_blueprint
from .common import Blueprint
from .errors import PROBLEM_MIMETYPE, _flatten_messages
from .parsing import loads_strict
from .schemas.shared import ProblemSchema
from .schemas.toast import (
    MAX_GUID,
    TOAST_ERRORS,
    LoyaltyTransactionSchema,
    ToastErrorSchema,
    ToastResponseSchema,
)
from .schemas.toast_admin import (
    LoyaltyIdentifierSchema,
    ToastRestaurantListSchema,
    UnknownOutcomeListSchema,
)

log = logging.getLogger(__name__)

# Toast sends the whole check; a big table's check is far beyond the API's 16 KiB.
MAX_TOAST_BODY = 1024 * 1024
INFORMATION = {
    toast.SEARCH: "searchTransactionInformation",
    toast.SIGNUP: "signupTransactionInformation",
    toast.INQUIRE: "checkTransactionInformation",
    toast.REDEEM: "checkTransactionInformation",
    toast.ACCRUE: "checkTransactionInformation",
    toast.REVERSE: "reverseTransactionInformation",
    toast.TRANSFER: "transferTransactionInformation",
}
TOAST_SECURITY = [{"ToastKey": []}]
TOAST_KEY_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "Authorization",
    "description": "The static key of `loyalty toast connect`, sent as-is (no 'Bearer').",
}

blp = Blueprint(
    "toast",
    __name__,
    url_prefix="/api/integrations",
    description="Toast POS loyalty integration (Toast's Loyalty Integration API v1.1.0)",
)
admin_blp, toast_admin_endpoint = admin_blueprint(
    "admin_toast",
    "/api/admin/toast",
    "Shop admins: Toast restaurants, loyalty identifiers, unknown outcomes",
)

_transaction_schema = LoyaltyTransactionSchema()


@blp.before_request
def _larger_bodies():
    request.max_content_length = MAX_TOAST_BODY


def _answer(status: int, body: dict) -> Response:
    return Response(toast_json.dumps(body), status=status, mimetype="application/json")


def _error(code: str, message: str, status: int = 400) -> Response:
    return _answer(status, {"transactionStatus": code, "message": message})


def _invalid(message: str) -> Response:
    return _error("ERROR_INVALID_INPUT_PROPERTIES", message)


GUID_PATTERN = r"^[!-~]+$"  # printable ASCII, no spaces: Toast's GUIDs are UUIDs


def _header_guid(name: str) -> str | None:
    value = request.headers.get(name, "")
    return value if toast.is_guid(value) else None


def _read_body() -> dict | Response:
    try:
        data = loads_strict(request.get_data(cache=True), parse_float=Decimal)
    except RequestEntityTooLarge:
        return _invalid(f"The body is larger than {MAX_TOAST_BODY} bytes.")
    except ValueError as exc:
        return _invalid(str(exc) or "The body is not valid JSON.")
    if not isinstance(data, dict):
        return _invalid("The body is not a LoyaltyTransaction object.")
    try:
        return _transaction_schema.load(data)
    except ValidationError as exc:
        fields = _flatten_messages(exc.messages)
        detail = "; ".join(f"{name}: {' '.join(m)}" for name, m in sorted(fields.items()))
        return _invalid(f"Invalid fields: {detail}")


TOAST_PARAMETERS = [
    {
        "in": "header",
        "name": "Toast-Transaction-Type",
        "required": True,
        "schema": {"type": "string", "enum": list(toast.TRANSACTION_TYPES)},
    },
    {
        "in": "header",
        "name": "Toast-Transaction-GUID",
        "required": True,
        "description": "Toast's id of the transaction: with the loyaltyIdentifier, a replay "
        "answers as the first time and changes nothing",
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_GUID,
            "pattern": GUID_PATTERN,
        },
    },
    {
        "in": "header",
        "name": "Toast-Restaurant-External-ID",
        "required": True,
        "description": "The restaurant's GUID, as bound by `loyalty toast connect`",
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_GUID,
            "pattern": GUID_PATTERN,
        },
    },
]


@blp.route("/toast")
class ToastTransaction(MethodView):
    @blp.doc(
        security=TOAST_SECURITY,
        parameters=TOAST_PARAMETERS,
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": LoyaltyTransactionSchema}},
        },
    )
    @blp.alt_response(
        414,
        schema=ProblemSchema,
        content_type=PROBLEM_MIMETYPE,
        description="Problem: uri_too_long (a request line over 4 KiB, refused before this "
        "endpoint reads anything; Toast's URL is the one it was given)",
    )
    @blp.alt_response(503, schema=ToastErrorSchema, description="ERROR: database trouble")
    @blp.alt_response(404, schema=ToastErrorSchema, description="ERROR_ACCOUNT_INVALID")
    @blp.alt_response(
        400,
        schema=ToastErrorSchema,
        description="Toast's error codes: "
        + ", ".join(c for c in TOAST_ERRORS if c not in ("ERROR_ACCOUNT_INVALID", "ERROR")),
    )
    @blp.response(200, ToastResponseSchema, description="ACCEPT")
    def post(self):
        """One Toast loyalty transaction (Toast's Loyalty Integration API v1.1.0)

        The type is the Toast-Transaction-Type header: LOYALTY_SEARCH, LOYALTY_SIGNUP,
        LOYALTY_INQUIRE (read only), LOYALTY_REDEEM, LOYALTY_ACCRUE, LOYALTY_REVERSE,
        LOYALTY_TRANSFER. Answers are Toast's LoyaltyTransactionResponse, never problem+json.
        See the README's "Using it from Toast".
        """
        conn = get_conn()
        try:
            restaurant = toast.restaurant_for_key(
                conn,
                request.headers.get("Authorization"),
                request.headers.get("Toast-Restaurant-External-ID"),
            )
            kind = request.headers.get("Toast-Transaction-Type")
            if kind not in toast.TRANSACTION_TYPES:
                return _error(
                    "ERROR_INVALID_TOAST_TRANSACTION_TYPE",
                    f"Toast-Transaction-Type must be one of {', '.join(toast.TRANSACTION_TYPES)}.",
                )
            guid = _header_guid("Toast-Transaction-GUID")
            if guid is None:
                return _invalid(f"Toast-Transaction-GUID: 1 to {MAX_GUID} printable characters.")
            body = _read_body()
            if isinstance(body, Response):
                return body
            if body.get("toastTransactionType") not in (None, kind):
                return _invalid("toastTransactionType differs from Toast-Transaction-Type.")
            info = body.get(INFORMATION[kind])
            if info is None:
                return _invalid(f"A {kind} needs {INFORMATION[kind]}.")
            g.tenant = restaurant.tenant
            answer = toast.handle(conn, restaurant, kind, guid, info, utc_now())
        except toast.ToastError as error:
            return _error(error.code, error.message, error.status)
        except toast.RedeemOutcomeUnknown as unknown:
            log.error("%s", unknown)
            close_conn()  # most likely dead: record it on a connection of its own
            try:
                toast.record_unknown_outcome(get_conn(), restaurant.tenant, unknown.row)
            except (DatabaseBusy, DatabaseUnavailable):
                log.exception("could not record the unknown outcome: %s", unknown.row)
            return _answer(503, toast.UNKNOWN_OUTCOME_ANSWER)
        except (DatabaseBusy, DatabaseUnavailable, OutcomeUnknown) as error:
            # Nothing was changed (busy, unavailable), or an ACCRUE/REVERSE's outcome is
            # unknown: Toast retries those, and the retry is answered as the first.
            log.error("Toast transaction not done: %s", error)
            return _error("ERROR", "The loyalty database is unavailable; retry later.", 503)
        for outcome in answer.outcomes:
            if not outcome["replayed"]:
                observability.points_changed(restaurant.tenant, outcome)
        return _answer(answer.status, answer.body)


# ---- the admin's Toast pages ---------------------------------------------------------


@admin_blp.route("/restaurants")
class ToastRestaurants(MethodView):
    @toast_admin_endpoint(response=ToastRestaurantListSchema)
    def get(self):
        """The Toast restaurants bound to this shop (`loyalty toast connect`)"""
        return {"items": toast.list_restaurants(get_conn(), g.tenant)}


@admin_blp.route("/unknown-outcomes")
class ToastUnknownOutcomes(MethodView):
    @toast_admin_endpoint(response=UnknownOutcomeListSchema)
    def get(self):
        """Toast REDEEMs whose commit's outcome was lost, newest first (at most 100)

        Toast never retries a REDEEM, so each is resolved here, read now: `committed` false
        means nothing was taken; true lists the ledger rows (`transaction_ids`) the admin can
        reverse like any redemption (POST
        /api/admin/customers/{customer_id}/transactions/{transaction_id}/reversals).
        """
        return toast.unknown_outcomes(get_conn(), g.tenant)


@admin_blp.route("/customers/<int:customer_id>/loyalty-identifier")
class ToastLoyaltyIdentifier(MethodView):
    @toast_admin_endpoint(response=LoyaltyIdentifierSchema, problems={404: "customer_not_found"})
    def get(self, customer_id):
        """The customer's Toast loyaltyIdentifier (null until Toast first looks them up)"""
        return toast.loyalty_identifier(get_conn(), g.tenant, customer_id)
