"""POS endpoints (``X-API-Key``): look a customer up by phone; earn, redeem and reverse points."""

from functools import partial

from flask import g, request
from flask.views import MethodView

from ..auth import till_for_pos_key
from ..customers import history_by_phone, lookup_customer
from ..db import get_conn
from ..exceptions import Unauthorized
from ..points import PointsChange, earn_points, redeem_points, reverse_earn, reverse_redemption
from ..programme import calculate_points
from .common import (
    EARN_PROBLEMS,
    EARN_REVERSAL_PROBLEMS,
    POS_SECURITY,
    REVERSAL_PROBLEMS,
    Blueprint,
    api_endpoint,
    created_or_replayed,
)
from .limits import refuse_wrong_pos_key
from .schemas.pos import (
    CalculateRequestSchema,
    EarnRequestSchema,
    EarnReverseRequestSchema,
    PhoneHistoryQuerySchema,
    PhoneLookupQuery,
    PointsChangeRequestSchema,
)
from .schemas.shared import (
    CalculationSchema,
    CustomerCardSchema,
    EarningSchema,
    LedgerPageSchema,
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
            till = till_for_pos_key(get_conn(), request.headers.get("X-API-Key"))
        except Unauthorized:
            refuse_wrong_pos_key()  # counts it; 429 once the address sent too many
            raise
        g.tenant, g.actor = till.tenant, till.actor


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
    return created_or_replayed(
        redeem_points(get_conn(), g.tenant, PointsChange(**args), actor=g.actor)
    )


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
        problems={422: f"invalid_phone, transaction_reference_reused, {EARN_PROBLEMS}"},
    )
    def post(self, args):
        """Add points at the till, given or computed from the bill; an unknown phone enrols
        the customer

        Send `points`, or the bill as `purchase`: the shop's programme computes the points
        (`floor(eligible / per_amount_minor) x points`, plus the visit rule's), and the entry
        records the programme version and how it was computed. A bill that earns 0 points is
        recorded too, so that its return can be matched.
        """
        name = args.pop("name")
        change = PointsChange(**args)
        return created_or_replayed(earn_points(get_conn(), g.tenant, change, name, g.actor))


# `path` so that a reference with `/` (sent percent-encoded, or not) still names its
# redemption; merge_slashes off so `a//b` is not redirected to `a/b`, another reference.
@blp.route("/customer/loyalty/redeem/<path:transaction_reference>/reverse", merge_slashes=False)
class ReverseRedemption(MethodView):
    @till_points_change(
        body=ReverseRequestSchema,
        body_required=False,  # every field is optional: no body gives back all that is left
        response=ReversalSchema,
        description="Points given back",
        problems=REVERSAL_PROBLEMS,
    )
    def post(self, args, transaction_reference):
        """Reverse all or part of a redemption: give its points back (a refunded order)"""
        return created_or_replayed(
            reverse_redemption(
                get_conn(),
                g.tenant,
                transaction_reference,
                points=args["points"],
                reason=args["reason"],
                reference=args["transaction_reference"],
                actor=g.actor,
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


@blp.route("/customer/loyalty/calculate")
class Calculate(MethodView):
    @till_read(
        body=CalculateRequestSchema,
        response=CalculationSchema,
        problems={422: EARN_PROBLEMS},
    )
    def post(self, args):
        """What a bill would earn under the shop's programme ("you will earn 23 points");
        writes nothing"""
        return calculate_points(get_conn(), g.tenant, args["purchase"])


@blp.route("/customer/loyalty/earn/<path:transaction_reference>/reverse", merge_slashes=False)
class ReverseEarn(MethodView):
    @till_points_change(
        body=EarnReverseRequestSchema,
        response=ReversalSchema,
        description="Points taken back",
        problems=EARN_REVERSAL_PROBLEMS,
    )
    def post(self, args, transaction_reference):
        """Reverse an earn: a purchase returned, all or `returned_minor` of its bill

        Takes back what the earn gave, by the numbers stored with it (never today's
        programme): all that is left for a whole return, else
        `floor(points_earned x returned_minor / eligible_minor)`; the return that completes
        the bill takes all that is left. The balance never goes below zero: points already
        spent are not taken and are reported as `points_unrecovered`.
        """
        return created_or_replayed(
            reverse_earn(
                get_conn(),
                g.tenant,
                transaction_reference,
                returned_minor=args["returned_minor"],
                reason=args["reason"],
                reference=args["transaction_reference"],
                actor=g.actor,
            )
        )
