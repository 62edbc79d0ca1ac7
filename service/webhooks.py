"""Webhooks: at-least-once, signed delivery of the events the outbox holds.

Events are written by ``points`` in the same transaction as the points change (so an event
exists exactly when its change committed). Workers claim one delivery at a time with a guarded
UPDATE (a lease with a token), post it outside any transaction, and record the outcome only if
they still hold the claim: several workers never send one delivery in parallel.

Destinations are the public internet only: http(s), no credentials in the URL, and no loopback,
private, link-local or otherwise reserved address, checked when an endpoint is added and again
at delivery, where the worker connects only to an address it has just checked (a name that
resolves elsewhere by then, DNS rebinding, reaches nothing). ``allow_private_networks`` lifts
the address rule (WEBHOOK_ALLOW_PRIVATE_NETWORKS=1), for receivers on the same network.
"""

import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import connection as urllib3_connection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.util.connection import create_connection

from . import logs
from .db import run_in_transaction, run_query
from .rules import EVENT_TYPES
from .store import webhooks
from .tenancy import Tenant

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Loyalty-Signature"
TIMESTAMP_HEADER = "X-Loyalty-Timestamp"


@dataclass(frozen=True)
class DeliverySettings:
    max_attempts: int = 8
    base_delay: float = 10.0  # seconds before the first retry; doubles per attempt
    max_delay: float = 3600.0
    timeout: float = 10.0
    lease_seconds: int = 60  # longer than timeout: a dead worker's claim lapses by itself
    allow_private_networks: bool = False  # see the module docstring


@dataclass
class DeliveryReport:
    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=UTC).isoformat() if value.tzinfo is None else value.isoformat()


class DestinationRefused(ValueError):
    """A webhook URL or address outside what deliveries may reach; the message says why."""


class DestinationUnresolved(DestinationRefused):
    """The URL's host does not resolve (now): nothing can be checked, nothing is sent."""


def resolve_host(host: str) -> list[str]:
    """The addresses ``host`` resolves to (tests replace this); raises OSError."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)})


def _refusal(address: str) -> str | None:
    """Why deliveries may not go to ``address``, or None when it is a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.version == 6 and (ip.sixtofour or ip.teredo):
        # 6to4 and Teredo carry an IPv4 address a relay may deliver to: judge that one too
        # (for Teredo, the server and the client address both).
        embedded = [ip.sixtofour] if ip.sixtofour else list(ip.teredo)
        for inner in embedded:
            reason = _refusal(str(inner))
            if reason is not None:
                return f"{reason} (inside {ip})"
    for kind in ("loopback", "link_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if ip.is_global else "not public"


def check_address(address: str, allow_private_networks: bool = False) -> None:
    """Raise DestinationRefused unless deliveries may connect to ``address``."""
    reason = None if allow_private_networks else _refusal(address)
    if reason:
        raise DestinationRefused(f"refused destination {address}: {reason} address")


def _literal_address(host: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return []


def check_url(url: str, allow_private_networks: bool = False) -> None:
    """Raise DestinationRefused unless ``url`` is an http(s) URL without credentials whose
    host resolves only to addresses deliveries may reach."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused(f"{redact_url(url)!r} is not an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused("the URL must not carry credentials (user:password@)")
    try:
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
        addresses = _literal_address(parts.hostname) or resolve_host(parts.hostname)
    except (OSError, ValueError) as exc:
        raise DestinationUnresolved(f"cannot resolve {parts.hostname!r}: {exc}") from exc
    for address in addresses:
        check_address(address, allow_private_networks)


def redact_url(url: str) -> str:
    """``url`` without credentials and with query values masked, for printing."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = "&".join(
        f"{pair.partition('=')[0]}=***" if "=" in pair else pair
        for pair in parts.query.split("&")
        if pair
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def add_endpoint(
    conn, tenant: Tenant, url: str, *, allow_private_networks: bool = False
) -> tuple[int, str]:
    """Register ``url`` for the tenant's events; returns (endpoint id, signing secret).

    Raises DestinationRefused (a ValueError) for a URL deliveries may not reach (``check_url``).
    A host that does not resolve yet is accepted: every delivery checks it again anyway.
    """
    with contextlib.suppress(DestinationUnresolved):
        check_url(url, allow_private_networks)
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint_id = run_in_transaction(
        conn, lambda cur: webhooks.insert_endpoint(cur, tenant.id, url, secret)
    )
    return endpoint_id, secret


def list_endpoints(conn, tenant: Tenant) -> tuple[list[dict], list[dict]]:
    """(endpoints with delivery counts, failed deliveries) of the tenant."""
    return run_query(
        conn,
        lambda cur: (
            webhooks.endpoints_with_counts(cur, tenant.id),
            webhooks.failed_deliveries(cur, tenant.id),
        ),
    )


def remove_endpoint(conn, endpoint_id: int) -> bool:
    return run_in_transaction(conn, lambda cur: webhooks.remove_endpoint(cur, endpoint_id)) == 1


class _CheckedConnectionMixin:
    """Resolves the host itself and connects only to an address ``check_address`` allows:
    the check and the connection use the same address, so DNS cannot change it between."""

    def _new_conn(self):
        try:
            infos = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(info[4][0] for info in infos))
            for address in addresses:
                check_address(address)
        except (OSError, DestinationRefused) as exc:
            raise NewConnectionError(self, str(exc)) from exc
        last_error = None
        for address in addresses:
            try:
                return create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as exc:
                last_error = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}")


class _CheckedHTTPConnection(_CheckedConnectionMixin, urllib3_connection.HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnectionMixin, urllib3_connection.HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool,
            "https": _CheckedHTTPSPool,
        }


def delivery_session(settings: "DeliverySettings") -> requests.Session:
    """A session that ignores proxy settings from the environment (the address connected to
    must be the receiver's) and, unless private networks are allowed, checks every address."""
    session = requests.Session()
    session.trust_env = False
    if not settings.allow_private_networks:
        session.mount("http://", _CheckedAdapter())
        session.mount("https://", _CheckedAdapter())
    return session


def retry_delivery(conn, delivery_id: int) -> bool:
    """Make a failed delivery pending again, with a fresh set of attempts."""
    return run_in_transaction(conn, lambda cur: webhooks.retry(cur, delivery_id)) == 1


def record_event(cur, tenant: Tenant, outcome: dict) -> None:
    """Write the outbox event of a points change; call inside the change's transaction."""
    event_type, payload = _event(tenant, outcome)
    webhooks.insert_event(cur, tenant.id, event_type, payload, logs.current_request_id())


def record_events(cur, tenant: Tenant, outcomes: list[dict]) -> None:
    """``record_event`` for many changes of one transaction (a batch of expiries): one
    multi-row INSERT when the tenant has no endpoint to deliver to (looked at now, inside the
    transaction: an endpoint added later gets the events after it), else one by one."""
    if webhooks.has_endpoints(cur, tenant.id):
        for outcome in outcomes:
            record_event(cur, tenant, outcome)
        return
    events = [_event(tenant, outcome) for outcome in outcomes]
    webhooks.insert_events_without_deliveries(cur, tenant.id, events, logs.current_request_id())


def _event(tenant: Tenant, outcome: dict) -> tuple[str, dict]:
    event_type = EVENT_TYPES[outcome["operation_type"]]
    payload = {
        "tenant": tenant.slug,
        "customer_id": outcome["customer_id"],
        "phone": outcome["phone"],
        "operation_type": outcome["operation_type"],
        "points": outcome["points_amount"],
        "points_balance": outcome["points_balance"],
        "transaction_id": outcome["transaction_id"],
        "transaction_reference": outcome["transaction_reference"],
        "occurred_at": _iso(outcome["created_at"]),
        "actor": outcome.get("actor"),
    }
    return event_type, payload


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: ``v1=`` and HMAC-SHA256 of ``timestamp.body``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def _envelope(row: dict) -> bytes:
    payload = row["payload"]
    if isinstance(payload, str):
        payload = json.loads(payload)
    body = {
        "id": f"evt_{row['event_id']}",
        "type": row["event_type"],
        "created_at": _iso(row["event_created_at"]),
        "data": payload,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def retry_delay(settings: DeliverySettings, attempts_made: int) -> float:
    """Exponential backoff with full jitter over the upper half."""
    ceiling = min(settings.base_delay * 2 ** (attempts_made - 1), settings.max_delay)
    return random.uniform(ceiling / 2, ceiling)


def _post(session: requests.Session, row: dict, settings: DeliverySettings) -> str | None:
    """Send one delivery; None on a 2xx, else what went wrong."""
    try:
        check_url(row["url"], settings.allow_private_networks)
    except DestinationRefused as exc:
        return str(exc)
    body = _envelope(row)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "loyalty-live-sync-webhooks/1",
        "X-Loyalty-Event-Id": f"evt_{row['event_id']}",
        "X-Loyalty-Event-Type": row["event_type"],
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(row["secret"], timestamp, body),
    }
    try:
        response = session.post(
            row["url"], data=body, headers=headers, timeout=settings.timeout, allow_redirects=False
        )
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


def deliver_due(
    conn,
    session: requests.Session | None = None,
    settings: DeliverySettings | None = None,
    limit: int = 100,
    stop: Callable[[], bool] = lambda: False,
) -> DeliveryReport:
    """Try every delivery that is due now, once; returns what happened to each.

    ``stop()`` is asked before each claim: once it says True no new delivery is taken, and the
    one in flight is finished and its outcome recorded (a clean shutdown holds no claim).
    """
    settings = settings or DeliverySettings()
    session = session or delivery_session(settings)
    report = DeliveryReport()
    candidates = run_query(conn, lambda cur: webhooks.due_delivery_ids(cur, limit))
    for delivery_id in candidates:
        if stop():
            break
        token = secrets.token_hex(16)

        def claim(cur, delivery_id=delivery_id, token=token) -> dict | None:
            if not webhooks.claim(cur, delivery_id, token, settings.lease_seconds):
                return None  # another worker has it
            return webhooks.claimed_delivery(cur, delivery_id)

        row = run_in_transaction(conn, claim)
        if row is None:
            continue
        # The lines about this delivery carry the id of the request that made the change.
        with logs.request_context(row.get("request_id")):
            _post_and_record(conn, session, settings, report, row, token)
    return report


def _post_and_record(conn, session, settings, report: DeliveryReport, row: dict, token: str):
    delivery_id = row["id"]
    error = _post(session, row, settings)
    attempts = row["attempts"] + 1
    if error is None:
        run_in_transaction(conn, lambda cur: webhooks.mark_delivered(cur, delivery_id, token))
        report.delivered.append(delivery_id)
        log.info("webhook delivery %s delivered", delivery_id, extra=_ids(row))
    elif attempts >= settings.max_attempts:
        run_in_transaction(
            conn,
            lambda cur: webhooks.mark_attempt_failed(cur, delivery_id, token, error, None),
        )
        report.failed.append(delivery_id)
        log.warning("webhook delivery %s failed for good: %s", delivery_id, error, extra=_ids(row))
    else:
        delay = retry_delay(settings, attempts)
        run_in_transaction(
            conn,
            lambda cur: webhooks.mark_attempt_failed(cur, delivery_id, token, error, delay),
        )
        report.retrying.append(delivery_id)
        log.info(
            "webhook delivery %s: %s; retry in %.0fs", delivery_id, error, delay, extra=_ids(row)
        )


def _ids(row: dict) -> dict:
    return {"delivery_id": row["id"], "event_id": row["event_id"], "event_type": row["event_type"]}
