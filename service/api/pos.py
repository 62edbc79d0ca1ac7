"""POS endpoints (``X-API-Key``): look a customer up by phone, redeem points."""

from flask import g, request
from flask.views import MethodView

from ..auth import tenant_for_pos_key
from ..db import get_conn
from ..loyalty import (
    PointsChange,
    earn_points,
    history_by_phone,
    lookup_customer,
    redeem_points,
    reverse_redemption,
)
from .common import (
    POS_SECURITY,
    REVERSAL_ERRORS,
    WRITE_UNAVAILABLE,
    Blueprint,
    created_or_replayed,
    points_change_responses,
    problems,
)
from .schemas import (
    CustomerCardSchema,
    EarningSchema,
    EarnRequestSchema,
    LedgerPageSchema,
    PhoneHistoryQuerySchema,
    PhoneLookupQuery,
    PointsChangeRequestSchema,
    RedemptionSchema,
    ReversalSchema,
    ReverseRequestSchema,
)

blp = Blueprint(
    "pos",
    __name__,
    url_prefix="/api",
    description="Point-of-sale terminals (X-API-Key)",
    problems={429: "rate_limited (too many wrong keys from this address)"},
)


@blp.before_request
def authenticate_pos():
    # Credentials first: a request without a valid key learns nothing about its body.
    if request.method != "OPTIONS":
        g.tenant = tenant_for_pos_key(get_conn(), request.headers.get("X-API-Key"))


@blp.route("/loyalty/phone-lookup")
class PhoneLookup(MethodView):
    @blp.doc(security=POS_SECURITY)
    @blp.arguments(PhoneLookupQuery(), location="query")
    @blp.response(200, CustomerCardSchema)
    @problems(
        blp,
        {401: "unauthorized", 404: "customer_not_found", 422: "invalid_phone, validation_error"},
    )
    def get(self, args):
        """Find a customer of this shop by phone number"""
        return lookup_customer(get_conn(), g.tenant, args["phone"])


REDEEM_ERRORS = {
    400: "malformed_json",
    401: "unauthorized",
    404: "customer_not_found",
    409: "insufficient_points",
    413: "payload_too_large",
    422: "invalid_phone, validation_error, transaction_reference_reused",
    503: WRITE_UNAVAILABLE,
}


def _redeem(args):
    return created_or_replayed(redeem_points(get_conn(), g.tenant, PointsChange(**args)))


@blp.route("/customer/loyalty/redeem")
class Redeem(MethodView):
    @blp.doc(security=POS_SECURITY)
    @blp.arguments(PointsChangeRequestSchema)
    @points_change_responses(blp, RedemptionSchema, "Redeemed")
    @problems(blp, REDEEM_ERRORS)
    def post(self, args):
        """Redeem points (a repeated transaction_reference replays the first answer)"""
        return _redeem(args)

    @blp.doc(security=POS_SECURITY)
    @blp.arguments(PointsChangeRequestSchema)
    @points_change_responses(blp, RedemptionSchema, "Redeemed")
    @problems(blp, REDEEM_ERRORS)
    def put(self, args):
        """Redeem points; same body and semantics as POST (idempotent by its reference)"""
        return _redeem(args)


@blp.route("/customer/loyalty/earn")
class Earn(MethodView):
    @blp.doc(security=POS_SECURITY)
    @blp.arguments(EarnRequestSchema)
    @points_change_responses(blp, EarningSchema, "Earned")
    @problems(blp, {k: v for k, v in REDEEM_ERRORS.items() if k not in (404, 409)})
    def post(self, args):
        """Add points at the till; an unknown phone enrols the customer"""
        name = args.pop("name")
        return created_or_replayed(earn_points(get_conn(), g.tenant, PointsChange(**args), name))


# `path` so that a reference with `/` (sent percent-encoded, or not) still names its
# redemption; merge_slashes off so `a//b` is not redirected to `a/b`, another reference.
@blp.route("/customer/loyalty/redeem/<path:transaction_reference>/reverse", merge_slashes=False)
class Reverse(MethodView):
    @blp.doc(security=POS_SECURITY)
    @blp.arguments(ReverseRequestSchema)
    @points_change_responses(blp, ReversalSchema, "Points given back")
    @problems(blp, REVERSAL_ERRORS)
    def post(self, args, transaction_reference):
        """Give back all or part of a redemption (a refunded order)"""
        return created_or_replayed(
            reverse_redemption(
                get_conn(),
                g.tenant,
                transaction_reference,
                points=args["points"],
                reason=args["reason"],
                reference=args["transaction_reference"],
            )
        )


@blp.route("/loyalty/transactions")
class PhoneHistory(MethodView):
    @blp.doc(security=POS_SECURITY)
    @blp.arguments(PhoneHistoryQuerySchema, location="query")
    @blp.response(200, LedgerPageSchema)
    @problems(
        blp,
        {401: "unauthorized", 404: "customer_not_found", 422: "invalid_phone, validation_error"},
    )
    def get(self, args):
        """A customer's ledger entries, newest first"""
        return history_by_phone(get_conn(), g.tenant, args["phone"], args["page"], args["per_page"])
