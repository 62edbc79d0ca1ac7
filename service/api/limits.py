"""Rate limits (flask-limiter): sign-in per account and per client address, failed POS keys per
client address. Over a limit: 429 ``rate_limited`` problem+json with ``Retry-After``.

Counts live in memory (per process: each gunicorn worker counts on its own) unless
``RATELIMIT_STORAGE_URI`` names a shared store such as ``redis://127.0.0.1:6379/0``. If that
store cannot be reached, the limits fall back to memory rather than failing requests.

The client address is ``request.remote_addr``: behind a proxy, configure the proxy's trusted
forwarding (ProxyFix) so it is the client's, not the proxy's.
"""

import functools
import hashlib

from flask import Flask, current_app, g, request
from flask_limiter import Limiter

from ..auth import is_known_pos_key
from ..identities import normalize_email, normalize_slug
from .parsing import loads_strict


def client_address() -> str:
    return request.remote_addr or "unknown"


def sign_in_account() -> str:
    """The account a sign-in is for (tenant and email in their normal form), hashed: the key
    must be safe for any store whatever the client sent. Unreadable bodies share one key."""
    try:
        body = loads_strict(request.get_data(cache=True))
        account = f"{normalize_slug(body['tenant'])}\0{normalize_email(body['email'])}"
    except (ValueError, TypeError, KeyError, AttributeError):
        account = "unreadable"
    return "account:" + hashlib.sha256(account.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _failed(response) -> bool:
    return response.status_code == 401


def _unless_known_pos_key(hook):
    """``hook``, skipped for a POS request whose key was found valid a moment ago
    (``auth.is_known_pos_key``): such a request cannot be a wrong-key guess, so the tills' hot
    path pays nothing for the limit that is there to stop key guessing."""

    @functools.wraps(hook)
    def run(*args):
        skip = g.get("limits_skipped")
        if skip is None:  # decided once per request, by whichever hook runs first
            skip = g.limits_skipped = is_known_pos_key(request.headers.get("X-API-Key"))
        if skip:
            return args[0] if args else None  # an after_request hook hands the response on
        return hook(*args)

    return run


def _limiter_hooked_on(app: Flask, sessions_blueprint, pos_blueprint) -> Limiter:
    """A Limiter for ``app`` whose request hooks run for the two limited blueprints only.

    flask-limiter hooks every request of the app, and even a request no limit applies to
    costs it a few dozen microseconds of resolving and bookkeeping. So whatever hooks its
    ``init_app`` adds to the app are moved onto those blueprints, ahead of their own.
    """
    registries = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    earlier = [list(registry.get(None, [])) for registry in registries]
    limiter = Limiter(client_address, app=app)
    for registry, kept in zip(registries, earlier, strict=True):
        added = [hook for hook in registry.get(None, []) if hook not in kept]
        registry[None] = kept
        registry.setdefault(sessions_blueprint.name, [])[:0] = added
        registry.setdefault(pos_blueprint.name, [])[:0] = [_unless_known_pos_key(h) for h in added]
    return limiter


def _config(name: str):
    return lambda: current_app.config[name]


def init_app(app: Flask, sessions_blueprint, pos_blueprint) -> Limiter:
    """Create the app's limiter and put the limits on the sign-in and POS blueprints."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "loyalty")
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    # No X-RateLimit-*/Retry-After on answers that were not limited (a Retry-After on a 200
    # reads as an order to a till); a 429 says when to retry (errors.py).
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    # A shared store that is down must not take sign-in or the tills with it.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    )
    limiter = _limiter_hooked_on(app, sessions_blueprint, pos_blueprint)
    # Every attempt from an address counts (each costs a password check)...
    limiter.limit(
        _config("SIGN_IN_LIMIT_PER_ADDRESS"),
        methods=["POST"],
        scope="sign-in-address",
        error_message="Too many sign-ins from this address; wait before trying again.",
    )(sessions_blueprint)
    # ... an account counts its failures only, so its admin is not locked out by succeeding.
    limiter.limit(
        _config("SIGN_IN_LIMIT_PER_ACCOUNT"),
        methods=["POST"],
        key_func=sign_in_account,
        deduct_when=_failed,
        scope="sign-in-account",
        error_message="Too many failed sign-ins for this account; wait before trying again.",
    )(sessions_blueprint)
    limiter.limit(
        _config("POS_KEY_FAILURE_LIMIT"),
        deduct_when=_failed,
        scope="pos-key-failures",
        error_message="Too many requests with a wrong POS key from this address; wait.",
    )(pos_blueprint)
    app.extensions["rate_limits"] = limiter
    return limiter
