"""Admin endpoints: sign in; the tenant's customers and their points (``Authorization: Bearer``)."""

import io
from contextlib import contextmanager
from functools import partial

from flask import Response, current_app, g, request, stream_with_context
from flask.views import MethodView
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from ..auth import SessionTokens, admin_for_token, sign_in_admin, sign_out_admin
from ..customer_data import customer_data, erase_customer
from ..customer_export import csv_text, export_customers_csv
from ..customer_list import customers_change_marker, list_customers
from ..customers import add_customer, customer_history, customer_version, rename_customer
from ..db import close_conn, get_conn
from ..exceptions import InvalidField
from ..locations import add_location, list_locations
from ..member_import import ImportFileTooLarge, deadline_after, import_members
from ..points import adjust_points, reverse_transaction
from ..programme import calculate_with_draft, get_programme, set_programme
from ..report import points_report, report_csv_rows
from .common import (
    ADMIN_SECURITY,
    EARN_PROBLEMS,
    REVERSAL_PROBLEMS,
    Blueprint,
    api_endpoint,
    created_or_replayed,
)
from .conditional import answer_unchanged, current_tag, etag_header, page_tag
from .schemas.admin import (
    AdjustmentRequestSchema,
    AdjustmentSchema,
    AdminReverseRequestSchema,
    AdminSessionRequestSchema,
    AdminSessionSchema,
    CustomerChangeRequestSchema,
    CustomerDataSchema,
    CustomerExportQuerySchema,
    CustomerListQuerySchema,
    CustomerPageSchema,
    ErasureRequestSchema,
    ErasureSchema,
    ImportQuerySchema,
    ImportReportSchema,
    LocationListSchema,
    NewCustomerRequestSchema,
    NewLocationRequestSchema,
    PointsReportSchema,
    ProgrammeCalculateRequestSchema,
    ProgrammeSchema,
    ProgrammeSettingsSchema,
    ReportQuerySchema,
)
from .schemas.shared import (
    CalculationSchema,
    CustomerCardSchema,
    LedgerPageSchema,
    LocationSchema,
    PageQuerySchema,
    ReversalSchema,
)

sessions = Blueprint(
    "admin_sessions", __name__, url_prefix="/api/admin", description="Admin sign-in"
)
blp = Blueprint(
    "admin", __name__, url_prefix="/api/admin", description="Shop admins (Bearer session token)"
)


# The kinds of admin endpoint (see ``common.api_endpoint``).
admin_endpoint = partial(api_endpoint, blp, security=ADMIN_SECURITY)
admin_points_change = partial(api_endpoint, blp, security=ADMIN_SECURITY, replay=True, status=201)


@sessions.route("/session")
class AdminSession(MethodView):
    @api_endpoint(
        sessions,
        body=AdminSessionRequestSchema,
        response=AdminSessionSchema,
        problems={
            401: "unauthorized",
            429: "rate_limited (per client address, per account and address, per account)",
            503: "sign_in_busy",
        },
    )
    def post(self, args):
        """Sign in as an admin of a tenant; the token goes in 'Authorization: Bearer'"""
        return sign_in_admin(get_conn(), _tokens(), args["tenant"], args["email"], args["password"])

    @api_endpoint(
        sessions,
        security=ADMIN_SECURITY,
        status=204,
        description="Signed out: this token (and every earlier one of the same admin) no "
        "longer works",
    )
    def delete(self):
        """Sign out: revoke the session token sent in 'Authorization: Bearer'"""
        sign_out_admin(get_conn(), _tokens(), request.headers.get("Authorization"))


def _tokens() -> SessionTokens:
    """The app's admin session tokens, from its signing key and their lifetime; built again
    only when the configuration changed (a new key invalidates every earlier token)."""
    config = current_app.config
    wanted = (config["SECRET_KEY"], config["ADMIN_TOKEN_MAX_AGE"])
    tokens = current_app.extensions.get("session_tokens")
    if tokens is None or (tokens.secret_key, tokens.max_age) != wanted:
        tokens = current_app.extensions["session_tokens"] = SessionTokens(*wanted)
    return tokens


@blp.before_request
def authenticate_admin():
    if request.method != "OPTIONS":
        g.admin = admin_for_token(get_conn(), _tokens(), request.headers.get("Authorization"))
        g.tenant, g.actor = g.admin.tenant, g.admin.actor


# After authenticate_admin (hooks run in the order they are added): see conditional.py.
blp.before_request(answer_unchanged)


def admin_blueprint(name: str, url_prefix: str, description: str):
    """Another blueprint of admin pages (its own OpenAPI tag): Bearer session token, as
    ``blp``'s; returns it and its ``admin_endpoint``."""
    other = Blueprint(name, __name__, url_prefix=url_prefix, description=description)
    other.before_request(authenticate_admin)
    return other, partial(api_endpoint, other, security=ADMIN_SECURITY)


def _customers_tag(params: dict) -> str:
    """The list's tag: the tenant's change marker plus the listing's parameters. Cheap to
    compute, and different whenever anything the page shows could differ."""
    marker = customers_change_marker(get_conn(), g.tenant, _settle_seconds())
    return page_tag("customers", g.tenant.id, marker, params)


def _history_tag(params: dict) -> str:
    """A customer's ledger page's tag: its balance row's version plus the page's parameters.
    Raises CustomerNotFound."""
    version = customer_version(get_conn(), g.tenant, params["customer_id"])
    return page_tag("history", g.tenant.id, version, params)


def _settle_seconds() -> float:
    # Longer than any write transaction of this service can live: its time budget, twice,
    # plus a second of clock and scheduling margin.
    return 2 * current_app.config["DB_TIMEOUT"] + 1


@blp.route("/customers")
class Customers(MethodView):
    @admin_endpoint(
        query=CustomerListQuerySchema,
        response=CustomerPageSchema,
        problems={422: "invalid_cursor"},
        conditional=_customers_tag,
    )
    def get(self, args):
        """List or search the shop's customers, a keyset page at a time (conditional: ETag/304)

        Empty `q`: most recently changed first. A phone number in any form a till takes, its
        beginning (`+44 7306`, `07306 5`) or its last 4+ digits (`6797`): by number. Anything
        else: names with a word starting with each word of `q`, case- and
        accent-insensitively. `next_cursor` fetches the next page; `total` counts up to
        10,000 (`total_is_exact` false beyond: "10,000+").
        """
        tag = current_tag(lambda: _customers_tag(args))
        page = list_customers(get_conn(), g.tenant, args["q"], args["per_page"], args["cursor"])
        return page, 200, etag_header(tag)

    @admin_endpoint(
        body=NewCustomerRequestSchema,
        response=CustomerCardSchema,
        status=201,
        problems={409: "customer_exists", 422: "invalid_phone"},
    )
    def post(self, args):
        """Enrol a customer (zero balance); 409 customer_exists when the phone is enrolled"""
        return add_customer(get_conn(), g.tenant, args["phone"], args["name"]), 201


@blp.route("/customers/<int:customer_id>")
class Customer(MethodView):
    @admin_endpoint(
        body=CustomerChangeRequestSchema,
        response=CustomerCardSchema,
        problems={404: "customer_not_found"},
    )
    def patch(self, args, customer_id):
        """Change a customer's name"""
        return rename_customer(get_conn(), g.tenant, customer_id, args["name"])

    @admin_endpoint(
        body=ErasureRequestSchema,
        response=ErasureSchema,
        problems={404: "customer_not_found"},
    )
    def delete(self, args, customer_id):
        """Erase a customer's personal data (a data subject's request; `reason` required)

        The phone and name are removed from the customer, every ledger entry, the webhook
        events and the search terms; the customer stays as `erased-<id>`, its balance
        forfeited by a `forfeit_points` entry (the ledger and the points report still add up).
        Who erased, when and why is kept. The phone may then enrol again as a new customer.
        Erasing again answers the same erasure (`replayed`), changing nothing.
        """
        return erase_customer(get_conn(), g.tenant, customer_id, args["reason"], g.actor)


@blp.route("/customers/export.csv")
class CustomersExport(MethodView):
    @admin_endpoint(
        query=CustomerExportQuerySchema,
        doc={
            "responses": {
                200: {
                    "description": "customer_id, phone, name, points_balance, total_points_earned, "
                    "total_points_redeemed, updated_at (UTC), streamed by customer id; text cells "
                    "a spreadsheet would read as a formula start with an apostrophe",
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                }
            }
        },
    )
    def get(self, args):
        """The shop's customers matching the list's filter, as a CSV download (streamed)"""
        rows = export_customers_csv(_batch_connection, g.tenant, args["q"])
        return Response(
            stream_with_context(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{_export_name()}"'},
        )


@contextmanager
def _batch_connection():
    """A connection for one batch of an export, with a time budget of its own; returned to
    the pool between batches, so a slow download does not hold it."""
    try:
        yield get_conn()
    finally:
        close_conn()


def _export_name() -> str:
    return f"customers-{g.tenant.slug}.csv"


@blp.route("/customers/<int:customer_id>/transactions")
class CustomerTransactions(MethodView):
    @admin_endpoint(
        query=PageQuerySchema,
        response=LedgerPageSchema,
        problems={404: "customer_not_found"},
        conditional=_history_tag,
    )
    def get(self, args, customer_id):
        """A customer's ledger entries, newest first (conditional: ETag/304)"""
        tag = current_tag(lambda: _history_tag({**args, "customer_id": customer_id}))
        page = customer_history(get_conn(), g.tenant, customer_id, args["page"], args["per_page"])
        return page, 200, etag_header(tag)


@blp.route("/customers/<int:customer_id>/adjustments")
class Adjustments(MethodView):
    @admin_points_change(
        body=AdjustmentRequestSchema,
        response=AdjustmentSchema,
        description="Adjusted",
        problems={
            404: "customer_not_found",
            409: "insufficient_points",
            422: "transaction_reference_reused",
        },
    )
    def post(self, args, customer_id):
        """Correct a customer's balance (+/-) with a reason"""
        return created_or_replayed(
            adjust_points(
                get_conn(),
                g.tenant,
                customer_id,
                args["points"],
                args["reason"],
                args["transaction_reference"],
                actor=g.actor,
            )
        )


@blp.route("/customers/<int:customer_id>/transactions/<int:transaction_id>/reversals")
class Reversals(MethodView):
    @admin_points_change(
        body=AdminReverseRequestSchema,
        body_required=False,  # every field is optional: no body reverses all that is left
        response=ReversalSchema,
        description="Reversed",
        problems={
            **REVERSAL_PROBLEMS,
            409: "reversal_exceeds_redemption, reversal_exceeds_earn",
        },
    )
    def post(self, args, customer_id, transaction_id):
        """Reverse one of the customer's redemptions (give points back: all, or `points`) or
        earns (a purchase returned: all, or `returned_minor` of its bill)"""
        return created_or_replayed(
            reverse_transaction(
                get_conn(),
                g.tenant,
                customer_id,
                transaction_id,
                args["points"],
                args["reason"],
                args["transaction_reference"],
                args["returned_minor"],
                actor=g.actor,
            )
        )


@blp.route("/programme")
class Programme(MethodView):
    @admin_endpoint(response=ProgrammeSchema)
    def get(self):
        """The shop's loyalty programme in force (version 0: never set)"""
        return get_programme(get_conn(), g.tenant)

    @admin_endpoint(body=ProgrammeSettingsSchema, response=ProgrammeSchema)
    def put(self, args):
        """Set the whole programme: a new version (earlier ones are kept, with who set them)

        A change of `expiry_months` applies to points earned after it; points already earned
        keep their expiry date.
        """
        return set_programme(get_conn(), g.tenant, args, g.admin.email)


@blp.route("/programme/calculate")
class ProgrammeCalculate(MethodView):
    @admin_endpoint(
        body=ProgrammeCalculateRequestSchema,
        response=CalculationSchema,
        problems={422: EARN_PROBLEMS},
    )
    def post(self, args):
        """What a bill would earn under draft (unsaved) settings: the live preview, by the
        server's own rule; writes nothing"""
        return calculate_with_draft(args["programme"], args["purchase"])


@blp.route("/locations")
class Locations(MethodView):
    @admin_endpoint(response=LocationListSchema)
    def get(self):
        """The shop's locations (where its tills stand), by code"""
        return {"items": list_locations(get_conn(), g.tenant)}

    @admin_endpoint(
        body=NewLocationRequestSchema,
        response=LocationSchema,
        status=201,
        problems={409: "location_exists"},
    )
    def post(self, args):
        """Add a location; 409 location_exists when its code is in use"""
        return add_location(get_conn(), g.tenant, args["name"], args["code"]), 201


@blp.route("/reports/points")
class PointsReport(MethodView):
    @admin_endpoint(
        query=ReportQuerySchema,
        response=PointsReportSchema,
        problems={404: "location_not_found"},
    )
    def get(self, args):
        """The points report: what the shop owes its customers and how it moved

        Days in the programme's timezone, `to` included, at most 366. `opening_balance` + the
        signed flows = `closing_balance`, exactly; `liability_minor` = `closing_balance` x
        `point_value_minor`. `by_location` adds up to the whole (`location` null: changes
        made by an admin or the service); `location=` gives that location's flows only.
        """
        return points_report(get_conn(), g.tenant, args["first"], args["last"], args["location"])


@blp.route("/reports/points.csv")
class PointsReportCsv(MethodView):
    @admin_endpoint(
        query=ReportQuerySchema,
        problems={404: "location_not_found"},
        doc={
            "responses": {
                200: {
                    "description": "The points report as CSV: a row per day (opening balance, "
                    "each flow, closing balance), then the period's total",
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                }
            }
        },
    )
    def get(self, args):
        """The points report as a CSV download"""
        report = points_report(get_conn(), g.tenant, args["first"], args["last"], args["location"])
        name = f"points-{g.tenant.slug}-{report['from']}-{report['to']}.csv"
        return Response(
            csv_text(report_csv_rows(report)),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


# ---- members in and out (issue 18) -------------------------------------------------------

# A request checks the whole file (phonenumbers: ~0.1 ms a row) and writes it within the
# request's time budget: files up to this size; bigger ones go through the CLI.
IMPORT_MAX_BYTES = 512 * 1024
IMPORT_MAX_ROWS = 5_000


@blp.route("/customers/import")
class CustomersImport(MethodView):
    @admin_endpoint(
        query=ImportQuerySchema,
        response=ImportReportSchema,
        problems={
            413: "payload_too_large",
            415: "unsupported_media_type",
            422: "validation_error, import_file_refused",
        },
        doc={
            "requestBody": {
                "required": True,
                "description": "CSV: a header line naming the columns (any order) phone "
                "(required), name, points (>= 0), earned_at (YYYY-MM-DD); `,` or `;`; UTF-8 "
                f"with or without BOM; at most {IMPORT_MAX_ROWS:,} rows and "
                f"{IMPORT_MAX_BYTES // 1024} KiB (larger: `loyalty customers import`)",
                "content": {"text/csv": {"schema": {"type": "string", "minLength": 1}}},
            }
        },
    )
    def post(self, args):
        """Import members from a CSV file (the Import dialog; `dry_run=true`: the preview)

        The whole file is checked first (a file that cannot be read as a whole, for an
        unknown column say, is 422 import_file_refused). Every refused row is listed as
        `line N: reason`; with any, nothing is written unless `skip_invalid=true`. A phone
        already enrolled is skipped, never changed; the same file sent again imports nothing
        twice. `complete` false: the time ran out part-way, send it again to carry on.
        """
        if request.mimetype != "text/csv":
            raise UnsupportedMediaType("Send the file as the body, with Content-Type: text/csv.")
        request.max_content_length = IMPORT_MAX_BYTES
        data = request.get_data(cache=False)
        if not data:
            raise InvalidField("file", "The body is empty: send the CSV file.")
        try:
            report = import_members(
                get_conn(),
                g.tenant,
                lambda: io.BytesIO(data),
                g.actor,
                dry_run=args["dry_run"],
                skip_invalid=args["skip_invalid"],
                keep_going=deadline_after(current_app.config["DB_TIMEOUT"] / 2),
                max_rows=IMPORT_MAX_ROWS,
            )
        except ImportFileTooLarge as exc:
            raise RequestEntityTooLarge(exc.detail) from exc
        return report.as_dict()


@blp.route("/customers/<int:customer_id>/export")
class CustomerData(MethodView):
    @admin_endpoint(response=CustomerDataSchema, problems={404: "customer_not_found"})
    def get(self, customer_id):
        """Everything kept about a customer, as one JSON document (a data subject's request)

        The customer and its balance, every ledger entry, every webhook event about them
        (with its deliveries) and, once erased, the erasure.
        """
        name = f"customer-{customer_id}-{g.tenant.slug}.json"
        return (
            customer_data(get_conn(), g.tenant, customer_id),
            200,
            {"Content-Disposition": f'attachment; filename="{name}"'},
        )
