"""SQL for ``webhook_endpoints``, ``webhook_events`` (the outbox) and ``webhook_deliveries``."""

import json

from ..db import fetch_all, fetch_one


def insert_endpoint(cur, tenant_id: int, url: str, secret: str) -> int:
    cur.execute(
        "INSERT INTO webhook_endpoints (tenant_id, url, secret) VALUES (%s, %s, %s)",
        (tenant_id, url, secret),
    )
    return cur.lastrowid


def remove_endpoint(cur, endpoint_id: int) -> int:
    cur.execute(
        "UPDATE webhook_endpoints SET removed_at = CURRENT_TIMESTAMP(6) "
        "WHERE id = %s AND removed_at IS NULL",
        (endpoint_id,),
    )
    return cur.rowcount


def endpoints_with_counts(cur, tenant_id: int) -> list[dict]:
    return fetch_all(
        cur,
        "SELECT e.id, e.url, e.created_at, "
        "COALESCE(SUM(d.status = 'pending'), 0) AS pending, "
        "COALESCE(SUM(d.status = 'delivered'), 0) AS delivered, "
        "COALESCE(SUM(d.status = 'failed'), 0) AS failed "
        "FROM webhook_endpoints e LEFT JOIN webhook_deliveries d ON d.endpoint_id = e.id "
        "WHERE e.tenant_id = %s AND e.removed_at IS NULL GROUP BY e.id, e.url, e.created_at "
        "ORDER BY e.id",
        (tenant_id,),
    )


def failed_deliveries(cur, tenant_id: int) -> list[dict]:
    return fetch_all(
        cur,
        "SELECT d.id, d.endpoint_id, d.attempts, d.last_error, v.event_type, v.id AS event_id "
        "FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id "
        "WHERE v.tenant_id = %s AND d.status = 'failed' ORDER BY d.id",
        (tenant_id,),
    )


def insert_event(
    cur, tenant_id: int, event_type: str, payload: dict, request_id: str | None = None
) -> int:
    """Write the event and a pending delivery for each of the tenant's current endpoints."""
    cur.execute(
        "INSERT INTO webhook_events (tenant_id, event_type, payload, request_id) "
        "VALUES (%s, %s, %s, %s)",
        (tenant_id, event_type, json.dumps(payload), request_id),
    )
    event_id = cur.lastrowid
    cur.execute(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id) "
        "SELECT %s, id FROM webhook_endpoints WHERE tenant_id = %s AND removed_at IS NULL",
        (event_id, tenant_id),
    )
    return event_id


def has_endpoints(cur, tenant_id: int) -> bool:
    return (
        fetch_one(
            cur,
            "SELECT id FROM webhook_endpoints WHERE tenant_id = %s AND removed_at IS NULL LIMIT 1",
            (tenant_id,),
        )
        is not None
    )


def insert_events_without_deliveries(
    cur, tenant_id: int, events: list[tuple[str, dict]], request_id: str | None = None
) -> None:
    """Write many events in one multi-row INSERT, for a tenant with no endpoint (so no
    delivery to queue): ``[(event_type, payload)]``."""
    cur.executemany(
        "INSERT INTO webhook_events (tenant_id, event_type, payload, request_id) "
        "VALUES (%s, %s, %s, %s)",
        [(tenant_id, kind, json.dumps(payload), request_id) for kind, payload in events],
    )


def due_delivery_ids(cur, limit: int) -> list[int]:
    """Pending deliveries whose time has come and that no live claim holds."""
    rows = fetch_all(
        cur,
        "SELECT id FROM webhook_deliveries WHERE status = 'pending' "
        "AND next_attempt_at <= CURRENT_TIMESTAMP(6) "
        "AND (claimed_until IS NULL OR claimed_until < CURRENT_TIMESTAMP(6)) "
        "ORDER BY next_attempt_at, id LIMIT %s",
        (limit,),
    )
    return [row["id"] for row in rows]


def claim(cur, delivery_id: int, token: str, lease_seconds: int) -> bool:
    """Take the delivery for ``lease_seconds``; False when another worker holds it or it is
    no longer due (the guarded UPDATE is the arbiter: exactly one claimer matches)."""
    cur.execute(
        "UPDATE webhook_deliveries SET claim_token = %s, "
        "claimed_until = CURRENT_TIMESTAMP(6) + INTERVAL %s SECOND "
        "WHERE id = %s AND status = 'pending' AND next_attempt_at <= CURRENT_TIMESTAMP(6) "
        "AND (claimed_until IS NULL OR claimed_until < CURRENT_TIMESTAMP(6))",
        (token, lease_seconds, delivery_id),
    )
    return cur.rowcount == 1


def claimed_delivery(cur, delivery_id: int) -> dict | None:
    return fetch_one(
        cur,
        "SELECT d.id, d.attempts, d.claim_token, e.url, e.secret, v.id AS event_id, "
        "v.event_type, v.payload, v.created_at AS event_created_at, v.request_id "
        "FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id "
        "JOIN webhook_events v ON v.id = d.event_id WHERE d.id = %s",
        (delivery_id,),
    )


def mark_delivered(cur, delivery_id: int, token: str) -> int:
    cur.execute(
        "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, "
        "delivered_at = CURRENT_TIMESTAMP(6), last_error = NULL, claim_token = NULL, "
        "claimed_until = NULL WHERE id = %s AND claim_token = %s",
        (delivery_id, token),
    )
    return cur.rowcount


def mark_attempt_failed(
    cur, delivery_id: int, token: str, error: str, retry_in_seconds: float | None
) -> int:
    """Record a failed attempt: pending again after ``retry_in_seconds``, or failed for good
    when that is None."""
    if retry_in_seconds is None:
        cur.execute(
            "UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, "
            "last_error = %s, claim_token = NULL, claimed_until = NULL "
            "WHERE id = %s AND claim_token = %s",
            (error[:500], delivery_id, token),
        )
    else:
        cur.execute(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = %s, "
            "next_attempt_at = CURRENT_TIMESTAMP(6) + INTERVAL %s MICROSECOND, "
            "claim_token = NULL, claimed_until = NULL WHERE id = %s AND claim_token = %s",
            (error[:500], int(retry_in_seconds * 1_000_000), delivery_id, token),
        )
    return cur.rowcount


def retry(cur, delivery_id: int) -> int:
    cur.execute(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, "
        "next_attempt_at = CURRENT_TIMESTAMP(6), claim_token = NULL, claimed_until = NULL "
        "WHERE id = %s AND status = 'failed'",
        (delivery_id,),
    )
    return cur.rowcount


def outbox_stats(cur) -> dict:
    """Pending deliveries, the age in seconds of the oldest event still pending (0 when none),
    and deliveries failed for good: for the metrics scrape (uses the status index). Times are
    stored in UTC, so the age is taken against UTC whatever the session's time zone."""
    row = fetch_one(
        cur,
        "SELECT COUNT(*) AS pending, COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(v.created_at), "
        "UTC_TIMESTAMP(6)), 0) / 1000000 AS oldest_pending_age_seconds "
        "FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id "
        "WHERE d.status = 'pending'",
    )
    failed = fetch_one(
        cur, "SELECT COUNT(*) AS failed FROM webhook_deliveries WHERE status = 'failed'"
    )
    return {
        "pending": int(row["pending"]),
        "oldest_pending_age_seconds": float(row["oldest_pending_age_seconds"]),
        "failed": int(failed["failed"]),
    }


def events_about(cur, tenant_id: int, customer_id: int) -> list[dict]:
    """The tenant's outbox events about the customer (by the payload's customer_id, through
    ix_webhook_events_customer), oldest first, each with its deliveries."""
    events = fetch_all(
        cur,
        "SELECT id, event_type, payload, created_at FROM webhook_events "
        "WHERE tenant_id = %s AND payload_customer_id = %s ORDER BY id",
        (tenant_id, customer_id),
    )
    for event in events:
        if isinstance(event["payload"], str):
            event["payload"] = json.loads(event["payload"])
    if events:
        ids = [event["id"] for event in events]
        deliveries = fetch_all(
            cur,
            "SELECT event_id, endpoint_id, status, attempts, delivered_at, last_error "
            f"FROM webhook_deliveries WHERE event_id IN ({', '.join(['%s'] * len(ids))}) "
            "ORDER BY id",
            tuple(ids),
        )
        by_event: dict[int, list] = {}
        for delivery in deliveries:
            by_event.setdefault(delivery.pop("event_id"), []).append(delivery)
        for event in events:
            event["deliveries"] = by_event.get(event["id"], [])
    return events


def rewrite_event(cur, event_id: int, payload: dict) -> None:
    cur.execute(
        "UPDATE webhook_events SET payload = %s WHERE id = %s", (json.dumps(payload), event_id)
    )


def clear_delivery_errors(cur, event_ids: list[int]) -> None:
    """Forget the last error of the events' deliveries (a receiver's answer may quote them)."""
    if event_ids:
        cur.execute(
            "UPDATE webhook_deliveries SET last_error = NULL "
            f"WHERE event_id IN ({', '.join(['%s'] * len(event_ids))})",
            tuple(event_ids),
        )
