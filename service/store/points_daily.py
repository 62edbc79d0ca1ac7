"""SQL for the points report: flows summed from the ledger, and ``points_daily`` /
``report_days`` (the closed days' sums) and ``points_slices`` / ``report_slices`` (settled
quarter hours of open days), kept once."""

from datetime import date, datetime

from ..db import fetch_all, fetch_one
from ..rules import ADJUST, ADJUSTED_DOWN, OPERATION_TYPES


def _column_case() -> str:
    # Built from the constant table in rules.py, never from input.
    whens = " ".join(
        f"WHEN '{op}' THEN '{spec.report_column}'"
        for op, spec in OPERATION_TYPES.items()
        if op != ADJUST
    )
    return (
        f"CASE WHEN operation_type = '{ADJUST}' THEN IF(points_amount < 0, "
        f"'{ADJUSTED_DOWN}', '{OPERATION_TYPES[ADJUST].report_column}') "
        f"ELSE CASE operation_type {whens} END END"
    )


def ledger_flows(cur, tenant_id: int, start: datetime, end: datetime) -> list[dict]:
    """``[{location_id, report_column, points}]`` of the tenant's rows written in
    [``start``, ``end``) (naive UTC): one range of ix_ledger_tenant_created, index-only."""
    return fetch_all(
        cur,
        f"SELECT COALESCE(location_id, 0) AS location_id, {_column_case()} AS report_column, "
        "CAST(SUM(ABS(points_amount)) AS SIGNED) AS points FROM phone_loyalty_transactions "
        "WHERE tenant_id = %s AND created_at >= %s AND created_at < %s "
        "GROUP BY 1, 2",
        (tenant_id, start, end),
    )


def first_entry_at(cur, tenant_id: int) -> datetime | None:
    row = fetch_one(
        cur,
        "SELECT MIN(created_at) AS first FROM phone_loyalty_transactions WHERE tenant_id = %s",
        (tenant_id,),
    )
    return row["first"]


def summed_days(cur, tenant_id: int) -> dict[date, str]:
    """The days already summed, with the timezone they were summed in."""
    rows = fetch_all(
        cur, "SELECT day, timezone FROM report_days WHERE tenant_id = %s", (tenant_id,)
    )
    return {row["day"]: row["timezone"] for row in rows}


def forget(cur, tenant_id: int) -> None:
    """Drop the tenant's kept sums (its timezone changed: its days are other days now)."""
    cur.execute("DELETE FROM points_daily WHERE tenant_id = %s", (tenant_id,))
    cur.execute("DELETE FROM report_days WHERE tenant_id = %s", (tenant_id,))


def keep_day(cur, tenant_id: int, day: date, timezone: str, flows: list[dict]) -> None:
    """Keep one closed day's sums. INSERT IGNORE: two reports summing the same day at once
    write the same figures, once."""
    if flows:
        cur.executemany(
            "INSERT IGNORE INTO points_daily (tenant_id, day, location_id, report_column, points) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(tenant_id, day, f["location_id"], f["report_column"], f["points"]) for f in flows],
        )
    cur.execute(
        "INSERT IGNORE INTO report_days (tenant_id, day, timezone) VALUES (%s, %s, %s)",
        (tenant_id, day, timezone),
    )


def kept_flows(cur, tenant_id: int, first: date, last: date) -> list[dict]:
    """``[{day, location_id, report_column, points}]`` kept for the days [first, last]."""
    return fetch_all(
        cur,
        "SELECT day, location_id, report_column, points FROM points_daily "
        "WHERE tenant_id = %s AND day BETWEEN %s AND %s",
        (tenant_id, first, last),
    )


def kept_totals_before(cur, tenant_id: int, day: date) -> list[dict]:
    """``[{report_column, points}]`` of every kept day before ``day``, all locations."""
    return fetch_all(
        cur,
        "SELECT report_column, CAST(SUM(points) AS SIGNED) AS points FROM points_daily "
        "WHERE tenant_id = %s AND day < %s GROUP BY report_column",
        (tenant_id, day),
    )


def balance_sum(cur, tenant_id: int) -> int:
    row = fetch_one(
        cur,
        "SELECT CAST(COALESCE(SUM(points_balance), 0) AS SIGNED) AS total "
        "FROM customer_loyalty_points WHERE tenant_id = %s",
        (tenant_id,),
    )
    return row["total"]


SLICE_SECONDS = 900


def ledger_flows_by_slice(cur, tenant_id: int, start: datetime, end: datetime) -> list[dict]:
    """``ledger_flows`` of [``start``, ``end``) per quarter hour from ``start``:
    ``[{slice (0, 1, ...), location_id, report_column, points}]``."""
    return fetch_all(
        cur,
        f"SELECT FLOOR(TIMESTAMPDIFF(SECOND, %s, created_at) / {SLICE_SECONDS}) AS slice, "
        f"COALESCE(location_id, 0) AS location_id, {_column_case()} AS report_column, "
        "CAST(SUM(ABS(points_amount)) AS SIGNED) AS points FROM phone_loyalty_transactions "
        "WHERE tenant_id = %s AND created_at >= %s AND created_at < %s "
        "GROUP BY 1, 2, 3",
        (start, tenant_id, start, end),
    )


def kept_slice_starts(cur, tenant_id: int, start: datetime, end: datetime) -> set[datetime]:
    rows = fetch_all(
        cur,
        "SELECT slice_start FROM report_slices WHERE tenant_id = %s "
        "AND slice_start >= %s AND slice_start < %s",
        (tenant_id, start, end),
    )
    return {row["slice_start"] for row in rows}


def keep_slices(cur, tenant_id: int, starts: list[datetime], flows: list[dict]) -> None:
    """Keep settled quarter hours' sums (``flows`` with ``slice_start``); INSERT IGNORE, as
    ``keep_day``."""
    if flows:
        cur.executemany(
            "INSERT IGNORE INTO points_slices (tenant_id, slice_start, location_id, "
            "report_column, points) VALUES (%s, %s, %s, %s, %s)",
            [(tenant_id, f["slice_start"], f["location_id"], f["report_column"], f["points"])
             for f in flows],
        )  # fmt: skip
    cur.executemany(
        "INSERT IGNORE INTO report_slices (tenant_id, slice_start) VALUES (%s, %s)",
        [(tenant_id, start) for start in starts],
    )


def kept_slice_flows(cur, tenant_id: int, start: datetime, end: datetime) -> list[dict]:
    return fetch_all(
        cur,
        "SELECT location_id, report_column, CAST(SUM(points) AS SIGNED) AS points "
        "FROM points_slices WHERE tenant_id = %s AND slice_start >= %s AND slice_start < %s "
        "GROUP BY location_id, report_column",
        (tenant_id, start, end),
    )


def forget_slices_before(cur, tenant_id: int, before: datetime) -> None:
    cur.execute(
        "DELETE FROM points_slices WHERE tenant_id = %s AND slice_start < %s", (tenant_id, before)
    )
    cur.execute(
        "DELETE FROM report_slices WHERE tenant_id = %s AND slice_start < %s", (tenant_id, before)
    )
