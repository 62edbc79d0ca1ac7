"""Liveness and readiness probes."""

from flask.views import MethodView

from ..db import get_conn
from .common import Blueprint, api_endpoint
from .schemas.shared import HealthSchema

# A load balancer's probe must get its answer quickly, even from a frozen database.
READY_BUDGET = 2.0

blp = Blueprint("health", __name__, description="Probes for process managers and load balancers")


@blp.route("/healthz")
class Health(MethodView):
    @api_endpoint(blp, response=HealthSchema)
    def get(self):
        """The process is up (does not touch the database)"""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @api_endpoint(blp, response=HealthSchema, problems={503: "database_unavailable"})
    def get(self):
        """The database answers (within READY_BUDGET seconds)"""
        with get_conn(time_budget=READY_BUDGET).cursor() as cur:
            cur.execute("SELECT 1")
        return {"status": "ready"}
