"""What operators see of each request: its id, one log line, its metrics; and ``/metrics``.

``init_app`` registers hooks that run for every response, errors and 304s included:

- ``X-Request-ID`` is taken from the request when it is short and safe (nginx sets it), else
  generated, and returned on the response;
- one line is logged per request (``logs.log_request``): time, request id, tenant, route rule
  (not the raw path, and never the query string, which may hold a phone number), method,
  status, duration, client address;
- the request duration histogram is observed by route and status.

``/metrics`` is served by the app outside ``/api``; the deployed nginx does not proxy it.
"""

import logging
import time

import pymysql
from flask import Response, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import logs, metrics
from ..db import connect_kwargs
from ..rules import balance_change
from ..store import webhooks as webhooks_store

log = logging.getLogger(__name__)


def _start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = logs.request_id_from(request.headers.get(logs.REQUEST_ID_HEADER))
    g.request_id_token = logs.set_request_id(g.request_id)


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id") or logs.request_id_from(None)
    response.headers[logs.REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    tenant = g.get("tenant")
    if route != "/metrics":
        metrics.observe_request(route, request.method, response.status_code, seconds)
    logs.log_request(
        event="request",
        request_id=request_id,
        tenant=tenant.slug if tenant is not None else None,
        route=route,
        method=request.method,
        status=response.status_code,
        duration_ms=round(seconds * 1000, 2),
        client=request.remote_addr,
    )
    return response


def _end_request(_exc: BaseException | None = None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        logs.reset_request_id(token)


def _sample_pool(_exc: BaseException | None = None) -> None:
    # Registered before db.init_app, so it runs after db.close_conn (app-context teardowns run
    # in reverse order): the figure is the connections other requests still hold.
    metrics.pool_in_use(current_app.extensions.get("db_pool"))


def _outbox_stats() -> dict | None:
    # Its own short-lived connection, bounded in time: a scrape must not wait behind requests
    # for the pool, nor hang on a database that does not answer.
    limits = {"connect_timeout": 2, "read_timeout": 2, "write_timeout": 2}
    try:
        conn = pymysql.connect(**{**connect_kwargs(current_app.config["DATABASE"]), **limits})
    except pymysql.err.MySQLError:  # only leaves the outbox figures out
        log.warning("metrics: the database did not answer; outbox figures left out")
        return None
    try:
        with conn.cursor() as cur:
            return webhooks_store.outbox_stats(cur)
    except pymysql.err.MySQLError:
        log.warning("metrics: outbox query failed", exc_info=True)
        return None
    finally:
        conn.close()


def metrics_view() -> Response:
    body, content_type = metrics.exposition(_outbox_stats)
    return Response(body, content_type=content_type)


def init_app(app) -> None:
    """Register the hooks and ``/metrics``. Call before ``db.init_app``, so that the pool gauge
    is read after the request's connection went back to the pool."""
    logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        # Only as many X-Forwarded-For entries as there are proxies of ours are believed, so a
        # client cannot pick the address rate limits and logs see.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
    app.teardown_appcontext(_sample_pool)
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])


def points_changed(tenant, outcome: dict) -> None:
    """After a points change committed (not a replay): its log line and its counter."""
    # The ledger stores amounts unsigned by operation; the balance's sign is in rules.py.
    delta = balance_change(outcome["operation_type"], outcome["points_amount"])
    logs.log_points_change(tenant, outcome, delta)
    metrics.points_changed(outcome["operation_type"])
