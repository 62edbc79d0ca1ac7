"""Admin endpoints: sign in, and the tenant's customers (``Authorization: Bearer``)."""

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import sign_in_admin, tenant_for_admin_token
from ..db import get_conn
from ..loyalty import list_customers
from .docs import ADMIN_SECURITY, problems
from .schemas import (
    AdminSessionRequestSchema,
    AdminSessionSchema,
    CustomerListQuerySchema,
    CustomerPageSchema,
)

sessions = Blueprint(
    "admin_sessions", __name__, url_prefix="/api/admin", description="Admin sign-in"
)
blp = Blueprint(
    "admin", __name__, url_prefix="/api/admin", description="Shop admins (Bearer session token)"
)


@sessions.route("/session")
class AdminSession(MethodView):
    @sessions.arguments(AdminSessionRequestSchema)
    @sessions.response(200, AdminSessionSchema)
    @problems(sessions, {401: "unauthorized", 422: "validation_error"})
    def post(self, args):
        """Sign in as an admin of a tenant; the token goes in 'Authorization: Bearer'"""
        return sign_in_admin(
            get_conn(),
            current_app.config["SECRET_KEY"],
            current_app.config["ADMIN_TOKEN_MAX_AGE"],
            args["tenant"],
            args["email"],
            args["password"],
        )


@blp.before_request
def authenticate_admin():
    if request.method != "OPTIONS":
        g.tenant = tenant_for_admin_token(
            get_conn(),
            current_app.config["SECRET_KEY"],
            current_app.config["ADMIN_TOKEN_MAX_AGE"],
            request.headers.get("Authorization"),
        )


@blp.route("/customers")
class Customers(MethodView):
    @blp.doc(security=ADMIN_SECURITY)
    @blp.arguments(CustomerListQuerySchema, location="query")
    @blp.response(200, CustomerPageSchema)
    @problems(blp, {401: "unauthorized", 422: "validation_error"})
    def get(self, args):
        """List the shop's customers, most recently changed first"""
        return list_customers(get_conn(), g.tenant, args["q"], args["page"], args["per_page"])
