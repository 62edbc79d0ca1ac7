"""Rate limits (flask-limiter): sign-in per client address, per (account, address) and per
account; wrong POS keys per client address. Over a limit: 429 ``rate_limited`` problem+json
with ``Retry-After``.

Strangers cannot lock anyone out: a valid POS key is never counted or refused (only a key
found wrong is counted, and only a wrong key is refused), and a sign-in's failures count per
(account, address), so guessing from elsewhere does not stop the owner at their own address.
A much higher per-account ceiling bounds a guess spread over many addresses.

Counts are shared through ``RATELIMIT_STORAGE_URI`` (Redis: ``make run`` and deploy/ set it).
Kept in memory, each process counts on its own: the limits are then divided by the number of
worker processes (``WEB_CONCURRENCY``) and the start-up log says so. If a shared store cannot
be reached, the limits fall back to memory rather than failing requests.

The client address is ``request.remote_addr``: behind a proxy, configure the proxy's trusted
forwarding (ProxyFix) so it is the client's, not the proxy's.
"""

import hashlib
import logging
import time

import limits
from flask import Flask, current_app, request
from flask_limiter import Limiter

from ..exceptions import RateLimited
from ..identities import normalize_email, normalize_slug
from .parsing import loads_strict

log = logging.getLogger(__name__)


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


def _limiter_hooked_on(app: Flask, sessions_blueprint, pos_blueprint) -> Limiter:
    """A Limiter for ``app`` whose request hooks run for the sign-in blueprint only.

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
    # The POS blueprint gets no hooks: a wrong key is counted where it is found wrong
    # (``refuse_wrong_pos_key``), so no till with a valid key ever meets the limiter.
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
    _share_out_memory_limits(app)
    limiter = _limiter_hooked_on(app, sessions_blueprint, pos_blueprint)
    # Every attempt from an address counts (each costs a password check)...
    limiter.limit(
        _config("SIGN_IN_LIMIT_PER_ADDRESS"),
        methods=["POST"],
        scope="sign-in-address",
        error_message="Too many sign-ins from this address; wait before trying again.",
    )(sessions_blueprint)
    # ... an account counts its failures only, so its admin is not locked out by succeeding,
    # and per address: a stranger's failures do not stop the owner elsewhere...
    limiter.limit(
        _config("SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"),
        methods=["POST"],
        key_func=sign_in_account_and_address,
        deduct_when=_failed,
        scope="sign-in-account-address",
        error_message="Too many failed sign-ins for this account from this address; wait "
        "before trying again.",
    )(sessions_blueprint)
    # ... and a much higher ceiling per account bounds a guess spread over many addresses.
    limiter.limit(
        _config("SIGN_IN_LIMIT_PER_ACCOUNT"),
        methods=["POST"],
        key_func=sign_in_account,
        deduct_when=_failed,
        scope="sign-in-account",
        error_message="Too many failed sign-ins for this account; wait before trying again.",
    )(sessions_blueprint)
    app.extensions["rate_limits"] = limiter
    return limiter


def sign_in_account_and_address() -> str:
    return f"{sign_in_account()}:{client_address()}"


def refuse_wrong_pos_key() -> None:
    """Count a POS key just found wrong against its client address; raises RateLimited when
    the address has used up POS_KEY_FAILURE_LIMIT. Only wrong keys are counted or refused:
    a valid key from the same address (a till behind the guesser's NAT) is always served."""
    limiter = current_app.extensions["rate_limits"]
    item = limits.parse(current_app.config["POS_KEY_FAILURE_LIMIT"])
    key = (current_app.config["RATELIMIT_KEY_PREFIX"], "pos-key-failures", client_address())
    try:
        strategy = limiter.limiter
        if strategy.hit(item, *key):
            return
        reset_at, _remaining = strategy.get_window_stats(item, *key)
    except Exception:  # noqa: BLE001 (a store that is down must not turn a 401 into a 500)
        log.warning("rate limit store unreachable; a wrong POS key was not counted")
        return
    raise RateLimited(
        "Too many requests with a wrong POS key from this address; wait.",
        retry_after=max(1, int(reset_at + 1 - time.time())),
    )


SIGN_IN_AND_KEY_LIMITS = (
    "SIGN_IN_LIMIT_PER_ADDRESS",
    "SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS",
    "SIGN_IN_LIMIT_PER_ACCOUNT",
    "POS_KEY_FAILURE_LIMIT",
)


def _share_out_memory_limits(app: Flask) -> None:
    """With counts in memory, each of WORKERS processes counts alone: divide each limit by
    their number, so the configured limit holds for the service (rounded down, at least 1),
    and say so in the log."""
    workers = app.config.get("WORKERS", 1)
    if workers <= 1 or not app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        return
    for name in SIGN_IN_AND_KEY_LIMITS:
        configured = app.config[name]
        app.config[name] = "; ".join(
            f"{max(1, item.amount // workers)} per {item.multiples} {item.GRANULARITY.name}"
            for item in limits.parse_many(configured)
        )
        log.warning(
            "rate limits kept in memory by each of %d workers: %s %r divided by %d to %r "
            "(set RATELIMIT_STORAGE_URI to a Redis URL to share the counts)",
            workers, name, configured, workers, app.config[name],
        )  # fmt: skip
