"""POS endpoints (``X-API-Key``): look a customer up by phone, redeem points."""

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import tenant_for_pos_key
from ..db import get_conn
from ..loyalty import PointsChange, lookup_customer, redeem_points
from .docs import POS_SECURITY, problems
from .schemas import (
    CustomerCardSchema,
    PhoneLookupQuery,
    PointsChangeRequestSchema,
    RedemptionSchema,
)

blp = Blueprint(
    "pos", __name__, url_prefix="/api", description="Point-of-sale terminals (X-API-Key)"
)


@blp.before_request
def authenticate_pos():
    # Credentials first: a request without a valid key learns nothing about its body.
    if request.method != "OPTIONS":
        g.tenant = tenant_for_pos_key(get_conn(), request.headers.get("X-API-Key"))


@blp.route("/loyalty/phone-lookup")
class PhoneLookup(MethodView):
    @blp.doc(security=POS_SECURITY)
    @blp.arguments(PhoneLookupQuery, location="query")
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
    503: "database_busy, database_unavailable",
}


def _redeem(args):
    result = redeem_points(get_conn(), g.tenant, PointsChange(**args))
    return result, 200 if result["replayed"] else 201


@blp.route("/customer/loyalty/redeem")
class Redeem(MethodView):
    @blp.doc(security=POS_SECURITY)
    @blp.arguments(PointsChangeRequestSchema)
    @blp.response(201, RedemptionSchema, description="Redeemed")
    @blp.alt_response(200, schema=RedemptionSchema, success=True, description="Replay")
    @problems(blp, REDEEM_ERRORS)
    def post(self, args):
        """Redeem points (a repeated transaction_reference replays the first answer)"""
        return _redeem(args)

    @blp.doc(security=POS_SECURITY)
    @blp.arguments(PointsChangeRequestSchema)
    @blp.response(201, RedemptionSchema, description="Redeemed")
    @blp.alt_response(200, schema=RedemptionSchema, success=True, description="Replay")
    @problems(blp, REDEEM_ERRORS)
    def put(self, args):
        """Redeem points; same body and semantics as POST (idempotent by its reference)"""
        return _redeem(args)
