"""POS endpoints (``X-API-Key``): look a customer up by phone, redeem points."""

from functools import partial

from flask import g, request
from flask.views import MethodView

from ..auth import tenant_for_pos_key
from ..db import get_conn
from ..exceptions import Unauthorized
from ..limits import refuse_wrong_pos_key
from ..loyalty import (
    PointsChange,
    earn_points,
    history_by_phone,
    lookup_customer,
    redeem_points,
    reverse_redemption,
)
from .common import POS_SECURITY, REVERSAL_PROBLEMS, Blueprint, api_endpoint, created_or_replayed
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


# The two kinds of till endpoint (see ``common.api_endpoint``).
till_read = partial(api_endpoint, blp, security=POS_SECURITY)
till_points_change = partial(api_endpoint, blp, security=POS_SECURITY, replay=True, status=201)


@blp.before_request
def authenticate_pos():
    # Credentials first: a request without a valid key learns nothing about its body.
    if request.method != "OPTIONS":
        try:
            g.tenant = tenant_for_pos_key(get_conn(), request.headers.get("X-API-Key"))
        except Unauthorized:
            refuse_wrong_pos_key()  # counts it; 429 once the address sent too many
            raise


@blp.route("/loyalty/phone-lookup")
class PhoneLookup(MethodView):
    @till_read(
        query=PhoneLookupQuery,
        response=CustomerCardSchema,
        problems={404: "customer_not_found", 422: "invalid_phone"},
    )
    def get(self, args):
        """Find a customer of this shop by phone number"""
        return lookup_customer(get_conn(), g.tenant, args["phone"])


# POST and PUT are one endpoint under two methods: one decorator documents both alike.
redemption = till_points_change(
    body=PointsChangeRequestSchema,
    response=RedemptionSchema,
    description="Redeemed",
    problems={
        404: "customer_not_found",
        409: "insufficient_points",
        422: "invalid_phone, transaction_reference_reused",
    },
)


def _redeem(args):
    return created_or_replayed(redeem_points(get_conn(), g.tenant, PointsChange(**args)))


@blp.route("/customer/loyalty/redeem")
class Redeem(MethodView):
    @redemption
    def post(self, args):
        """Redeem points (a repeated transaction_reference replays the first answer)"""
        return _redeem(args)

    @redemption
    def put(self, args):
        """Redeem points; same body and semantics as POST (idempotent by its reference)"""
        return _redeem(args)


@blp.route("/customer/loyalty/earn")
class Earn(MethodView):
    @till_points_change(
        body=EarnRequestSchema,
        response=EarningSchema,
        description="Earned",
        problems={422: "invalid_phone, transaction_reference_reused"},
    )
    def post(self, args):
        """Add points at the till; an unknown phone enrols the customer"""
        name = args.pop("name")
        return created_or_replayed(earn_points(get_conn(), g.tenant, PointsChange(**args), name))


# `path` so that a reference with `/` (sent percent-encoded, or not) still names its
# redemption; merge_slashes off so `a//b` is not redirected to `a/b`, another reference.
@blp.route("/customer/loyalty/redeem/<path:transaction_reference>/reverse", merge_slashes=False)
class Reverse(MethodView):
    @till_points_change(
        body=ReverseRequestSchema,
        body_required=False,  # every field is optional: no body gives back all that is left
        response=ReversalSchema,
        description="Points given back",
        problems=REVERSAL_PROBLEMS,
    )
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
    @till_read(
        query=PhoneHistoryQuerySchema,
        response=LedgerPageSchema,
        problems={404: "customer_not_found", 422: "invalid_phone"},
    )
    def get(self, args):
        """A customer's ledger entries, newest first"""
        return history_by_phone(get_conn(), g.tenant, args["phone"], args["page"], args["per_page"])
