"""Everything HTTP: ``init_api(app)`` puts the API on a Flask app (blueprints, problem+json
errors, rate limits, CORS, no-store headers, the OpenAPI document's security schemes).

The modules: ``app`` (the Flask class the service runs on), ``common`` (one decorator per kind
of endpoint), ``pos``/``admin``/``health``/``index`` (the blueprints), ``conditional`` (ETags and
304s), ``parsing`` (strict JSON bodies), ``fields`` and ``schemas/`` (what is accepted and
answered), ``errors`` (exceptions to problem+json), ``limits`` (rate limits),
``observability`` (request ids, request log, ``/metrics``).
"""

from flask import Flask, request
from flask_cors import CORS
from flask_smorest import Api
from werkzeug.exceptions import RequestURITooLarge

from . import admin, errors, health, index, limits, pos, rewards, toast
from .common import SECURITY_SCHEMES
from .schemas.shared import ProblemSchema

# Far above any URL the API needs; longer ones are answered 414 problem+json.
MAX_URL_LENGTH = 4096

NO_STORE_HEADERS = {
    "Cache-Control": "no-store, no-cache, must-revalidate, private",
    "Pragma": "no-cache",
    "Expires": "0",
}


class LoyaltyApi(Api):
    # Errors are documented per endpoint as problem+json, not as flask-smorest's default JSON.
    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None


def _no_store(response):
    # Balances change at the till at any moment: no browser, proxy or CDN may keep a copy.
    response.headers.update(NO_STORE_HEADERS)
    return response


def _refuse_long_urls():
    # gunicorn's own limit (gunicorn.conf.py) answers in HTML, so it sits above this one.
    uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    if len(uri) > MAX_URL_LENGTH:
        raise RequestURITooLarge(f"The URL is longer than {MAX_URL_LENGTH} bytes.")


def _nullable_objects_as_refs(schemas: dict) -> None:
    """A nullable nested schema is either null or THAT object. apispec writes it for OpenAPI 3.0
    as ``anyOf: [$ref, {type: object, nullable: true}]``, whose second branch admits any
    object (``{}`` included); ``allOf: [$ref]`` with ``nullable: true`` says what we mean."""
    for schema in schemas.values():
        for prop in schema.get("properties", {}).values():
            options = prop.get("anyOf")
            nullable = {"nullable": True, "type": "object"}
            if isinstance(options, list) and len(options) == 2 and nullable in options:
                ref = options[1 - options.index(nullable)]  # apispec writes either order
                if "$ref" in ref:
                    del prop["anyOf"]
                    prop["allOf"] = [ref]
                    prop["nullable"] = True


def init_api(app: Flask) -> None:
    """Register the API on ``app`` (after the database: its hooks need a connection)."""
    # "/api//x" is a 404 like any unknown URL, not a 308 to "/api/x".
    app.url_map.merge_slashes = False
    app.before_request(_refuse_long_urls)
    limits.init_app(app, admin.sessions, pos.blp)
    api = LoyaltyApi(app)
    for name, scheme in {**SECURITY_SCHEMES, "ToastKey": toast.TOAST_KEY_SCHEME}.items():
        api.spec.components.security_scheme(name, scheme)
    for blueprint in (index.blp, health.blp, pos.blp, admin.sessions, admin.blp):
        api.register_blueprint(blueprint)
    for blueprint in (rewards.blp, toast.blp, toast.admin_blp):  # issue 20
        api.register_blueprint(blueprint)
    _nullable_objects_as_refs(api.spec.components.schemas)
    app.register_blueprint(index.assets)
    errors.init_app(app)
    CORS(
        app,
        # The admin app is the one browser client, and it calls the admin API only; tills are
        # not browsers, so the POS API grants no origin (and its requests skip CORS's work).
        resources={r"/api/admin/*": {"origins": app.config["CORS_ORIGINS"]}},
        allow_headers=["Authorization", "Content-Type", "If-None-Match"],
        expose_headers=["ETag", "Content-Disposition"],
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        max_age=600,
        # Only a request that names its origin (a browser's) gets CORS headers; tills do not.
        always_send=False,
    )
    app.after_request(_no_store)
