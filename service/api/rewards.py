"""The rewards endpoints (``GET/PUT /api/admin/rewards``, Bearer session token): the shop's
money-off rewards, edited whole on the Programme screen."""

from flask import g
from flask.views import MethodView

from ..db import get_conn
from ..rewards import get_rewards, set_rewards
from .admin import admin_blueprint
from .schemas.rewards import RewardListSchema, RewardsSchema

blp, rewards_endpoint = admin_blueprint("admin_rewards", "/api/admin", "Shop admins: rewards")


@blp.route("/rewards")
class Rewards(MethodView):
    @rewards_endpoint(response=RewardsSchema)
    def get(self):
        """The shop's rewards (money off the bill for points), in the order shown"""
        return get_rewards(get_conn(), g.tenant)

    @rewards_endpoint(body=RewardListSchema, response=RewardsSchema)
    def put(self, args):
        """Replace the whole list of rewards; answers the list as stored

        422 validation_error names each bad entry (`rewards.2.points`), a repeated id
        included. Redemptions already made keep the reward as it was in their ledger details.
        """
        return set_rewards(get_conn(), g.tenant, args["rewards"])
