"""Loyalty Points Live Sync: the HTTP service. ``create_app()`` is the application factory."""

from flask import Flask, request
from flask.sessions import SessionInterface
from flask_cors import CORS
from flask_smorest import Api
from werkzeug.exceptions import RequestURITooLarge

from . import cli, db, errors, limits, observability
from .api import admin, health, index, pos
from .api.schemas import ProblemSchema
from .config import load_config

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


class LoyaltyFlask(Flask):
    """Flask, remembering which of its hooks and views are plain (not async) functions.

    Flask asks ``ensure_sync`` about every hook and view on every request, and each answer
    inspects the function's code flags again (a measured 2% of an unchanged poll). Answers are
    kept per function: a bound method (a MethodView's, new on every request) by the function
    it binds, so the memo holds one entry per function this app registered, never more.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain: dict = {}

    def ensure_sync(self, func):
        key = getattr(func, "__func__", func)  # a bound method is as async as its function
        try:
            plain = self._plain[key]
        except KeyError:
            plain = self._plain[key] = super().ensure_sync(func) is func
        except TypeError:  # an unhashable callable: asked afresh, as Flask would
            return super().ensure_sync(func)
        return func if plain else super().ensure_sync(func)


class NoCookieSessions(SessionInterface):
    """The API keeps no cookie session (admins send a bearer token, tills a key): Flask's
    default would still build a signing serializer for every request to look for one."""

    def open_session(self, app, request):
        return None  # Flask then uses a null session, which refuses writes

    def save_session(self, app, session, response):
        pass


def _no_store(response):
    # Balances change at the till at any moment: no browser, proxy or CDN may keep a copy.
    response.headers.update(NO_STORE_HEADERS)
    return response


def _refuse_long_urls():
    # gunicorn's own limit (gunicorn.conf.py) answers in HTML, so it sits above this one.
    uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    if len(uri) > MAX_URL_LENGTH:
        raise RequestURITooLarge(f"The URL is longer than {MAX_URL_LENGTH} bytes.")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from the environment (see ``config.load_config``), then ``test_config``."""
    app = LoyaltyFlask(__name__)
    app.session_interface = NoCookieSessions()
    # "/api//x" is a 404 like any unknown URL, not a 308 to "/api/x".
    app.url_map.merge_slashes = False
    app.before_request(_refuse_long_urls)
    app.config.from_mapping(load_config())
    if test_config:
        app.config.update(test_config)

    observability.init_app(app)  # before db.init_app: its teardown must run after db's
    db.init_app(app)
    limits.init_app(app, admin.sessions, pos.blp)
    api = LoyaltyApi(app)
    api.spec.components.security_scheme(
        "PosApiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    )
    api.spec.components.security_scheme(
        "AdminSession", {"type": "http", "scheme": "bearer", "bearerFormat": "signed token"}
    )
    for blueprint in (index.blp, health.blp, pos.blp, admin.sessions, admin.blp):
        api.register_blueprint(blueprint)
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
    cli.init_app(app)
    return app
