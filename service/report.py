"""The points report: what the shop owes its customers, and how that moved, by day and location.

Unredeemed points are a debt (deferred revenue). For a period of days in the programme's
timezone the report gives the opening balance, each flow (every ledger type lands in exactly one
column, ``rules.REPORT_COLUMNS``), the closing balance and its worth, and they reconcile exactly:
``closing = opening + Σ signed flows``, and the closing balance of a period ending today is the
sum of every customer's balance now. A closed day never changes, so its sums are kept once
(``points_daily``) and only today's part is read live: no tenant-wide row is written on the path
of a points change.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .clock import utc_now
from .db import run_in_transaction, run_query
from .exceptions import InvalidField, LocationNotFound
from .programme import current_programme
from .rules import REPORT_COLUMNS, net_change, rate
from .store import locations, points_daily
from .tenancy import Tenant

MAX_DAYS = 366
# A row is stamped before its transaction commits, which takes at most the request's budget:
# a day is closed once it ended this long ago (nothing dated in it can still appear).
SETTLE = timedelta(seconds=120)
KEEP_CHUNK = 31  # closed days summed per transaction


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local day as naive UTC (23 or 25 hours on a DST change)."""
    start = datetime.combine(day, time(0), zone).astimezone(UTC).replace(tzinfo=None)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end.replace(tzinfo=None)


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.replace(tzinfo=UTC).astimezone(zone).date()


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def last_closed_day(now: datetime, zone: ZoneInfo) -> date:
    """The newest local day that ended at least SETTLE before ``now`` (naive UTC)."""
    return local_day(now - SETTLE, zone) - timedelta(days=1)


def keep_closed_days(conn, tenant: Tenant, timezone: str, through: date) -> int:
    """Sum and keep every closed day of the tenant up to ``through`` not yet kept (in
    ``timezone``; sums kept under another timezone are dropped first). Returns days summed."""
    zone = ZoneInfo(timezone)

    def read(cur):
        return points_daily.summed_days(cur, tenant.id), points_daily.first_entry_at(cur, tenant.id)

    summed, first_entry = run_query(conn, read)
    if any(tz != timezone for tz in summed.values()):
        run_in_transaction(conn, lambda cur: points_daily.forget(cur, tenant.id))
        summed = {}
    if first_entry is None:
        return 0
    missing = [d for d in _days(local_day(first_entry, zone), through) if d not in summed]
    for i in range(0, len(missing), KEEP_CHUNK):
        chunk = missing[i : i + KEEP_CHUNK]

        def keep(cur, chunk=chunk):
            for day in chunk:
                start, end = day_bounds(day, zone)
                flows = points_daily.ledger_flows(cur, tenant.id, start, end)
                points_daily.keep_day(cur, tenant.id, day, timezone, flows)

        run_in_transaction(conn, keep)
    if missing:  # the quarter hours of days now kept are not needed any more
        before = day_bounds(through, zone)[1]
        run_in_transaction(
            conn, lambda cur: points_daily.forget_slices_before(cur, tenant.id, before)
        )
    return len(missing)


def points_report(
    conn,
    tenant: Tenant,
    first: date,
    last: date,
    location_code: str | None = None,
    now: datetime | None = None,
) -> dict:
    """The report for the local days [``first``, ``last``] (see the module's docstring).

    With ``location_code`` the flows are that location's only, and the balances and the
    liability are None (balances belong to customers, not places). Raises LocationNotFound
    for a location that is not the tenant's. Reads, and keeps closed days' sums.
    """
    now = now or utc_now()
    programme = run_query(conn, lambda cur: current_programme(cur, tenant))
    zone = ZoneInfo(programme.timezone)
    known = {row["id"]: row["code"] for row in run_query(
        conn, lambda cur: locations.list_for_tenant(cur, tenant.id))}  # fmt: skip
    only = None
    if location_code is not None:
        only = next((lid for lid, code in known.items() if code == location_code), None)
        if only is None:
            raise LocationNotFound(f"No location {location_code!r} in this shop.")
    closed = last_closed_day(now, zone)
    keep_closed_days(conn, tenant, programme.timezone, min(last, closed))

    # {day: {location_id: {column: points}}} for the period, kept or live.
    period: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    if first <= closed:
        kept_last = min(last, closed)
        rows = run_query(
            conn, lambda cur: points_daily.kept_flows(cur, tenant.id, first, kept_last)
        )
        for row in rows:
            period[row["day"]][row["location_id"]][row["report_column"]] += row["points"]
    today = local_day(now, zone)
    for day in _days(max(first, closed + timedelta(days=1)), min(last, today)):
        for row in _live(conn, tenant, day, zone, now):
            period[day][row["location_id"]][row["report_column"]] += row["points"]

    by_day, totals = [], dict.fromkeys(REPORT_COLUMNS, 0)
    by_location: dict = {lid: dict.fromkeys(REPORT_COLUMNS, 0) for lid in known}
    for day in _days(first, last):
        flows = dict.fromkeys(REPORT_COLUMNS, 0)
        for lid, columns in period.get(day, {}).items():
            if only is not None and lid != only:
                continue
            location_flows = by_location.setdefault(lid or 0, dict.fromkeys(REPORT_COLUMNS, 0))
            for column, points in columns.items():
                flows[column] += points
                location_flows[column] += points
        for column in REPORT_COLUMNS:
            totals[column] += flows[column]
        by_day.append({"date": day.isoformat(), **flows})

    opening = closing = liability = None
    if only is None:
        opening = _balance_before(conn, tenant, first, closed, zone, now)
        closing = opening + net_change(totals)
        liability = closing * programme.point_value_minor
    locations_shown = [only] if only is not None else sorted(by_location, key=lambda i: (i == 0, i))
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": programme.timezone,
        "currency": programme.currency,
        "point_value_minor": programme.point_value_minor,
        "opening_balance": opening,
        **totals,
        "closing_balance": closing,
        "liability_minor": liability,
        "redemption_rate": rate(totals["redeemed"], totals["earned"]),
        "breakage_rate": rate(totals["expired"], totals["earned"]),
        "by_location": [
            {"location": known.get(lid), **by_location.get(lid, dict.fromkeys(REPORT_COLUMNS, 0))}
            for lid in locations_shown
        ],
        "by_day": by_day,
    }


def _live(conn, tenant: Tenant, day: date, zone: ZoneInfo, now: datetime) -> list[dict]:
    """The flows of a day that is not closed: its settled quarter hours kept (``points_slices``),
    the rest read from the ledger."""
    start, end = day_bounds(day, zone)
    settled = min(end, _slice_floor(now - SETTLE))
    rows = []
    if settled > start:
        _keep_slices(conn, tenant, start, settled)
        rows = run_query(
            conn, lambda cur: points_daily.kept_slice_flows(cur, tenant.id, start, settled)
        )
        start = settled
    if start < end:
        rows += run_query(conn, lambda cur: points_daily.ledger_flows(cur, tenant.id, start, end))
    return rows


SLICE = timedelta(seconds=points_daily.SLICE_SECONDS)


def _slice_floor(instant: datetime) -> datetime:
    seconds = int(instant.replace(tzinfo=UTC).timestamp())
    floored = seconds - seconds % points_daily.SLICE_SECONDS
    return datetime.fromtimestamp(floored, UTC).replace(tzinfo=None)


def _keep_slices(conn, tenant: Tenant, start: datetime, end: datetime) -> None:
    """Keep the quarter hours of [``start``, ``end``) not kept yet, summed in ONE grouped read
    from the first missing one."""
    kept = run_query(conn, lambda cur: points_daily.kept_slice_starts(cur, tenant.id, start, end))
    starts, moment = [], start
    while moment < end:
        starts.append(moment)
        moment += SLICE
    missing = [s for s in starts if s not in kept]
    if not missing:
        return
    first = missing[0]

    def keep(cur):
        flows = points_daily.ledger_flows_by_slice(cur, tenant.id, first, end)
        for flow in flows:
            flow["slice_start"] = first + SLICE * int(flow["slice"])
        points_daily.keep_slices(cur, tenant.id, [s for s in starts if s >= first], flows)

    run_in_transaction(conn, keep)


def _balance_before(
    conn, tenant: Tenant, first: date, closed: date, zone: ZoneInfo, now: datetime
) -> int:
    """The sum of all balances at the start of ``first``: every kept day before it, plus the
    days between the last closed one and it, read live."""
    totals: dict = defaultdict(int)
    for row in run_query(
        conn,
        lambda cur: points_daily.kept_totals_before(
            cur, tenant.id, min(first, closed + timedelta(days=1))
        ),
    ):
        totals[row["report_column"]] += row["points"]
    for day in _days(closed + timedelta(days=1), first - timedelta(days=1)):
        for row in _live(conn, tenant, day, zone, now):
            totals[row["report_column"]] += row["points"]
    return net_change(totals)


def report_reconciles(conn, tenant: Tenant, now: datetime | None = None) -> tuple[int, int]:
    """(the report's closing balance for today, the sum of the customers' balances): equal
    whenever no points change is in flight (``ledger verify`` checks them)."""
    now = now or utc_now()
    programme = run_query(conn, lambda cur: current_programme(cur, tenant))
    today = local_day(now, ZoneInfo(programme.timezone))
    report = points_report(conn, tenant, today, today, now=now)
    return report["closing_balance"], run_query(
        conn, lambda cur: points_daily.balance_sum(cur, tenant.id)
    )


CSV_COLUMNS = ("date", "opening_balance", *REPORT_COLUMNS, "closing_balance")


def report_csv_rows(report: dict) -> list[list]:
    """The report as spreadsheet rows: a header, one row per day (its opening and closing
    balance, unless the report is for one location), then the period's total."""
    rows = [list(CSV_COLUMNS)]
    balance = report["opening_balance"]
    for day in report["by_day"]:
        opening = balance
        if balance is not None:
            balance = balance + net_change(day)
        rows.append([day["date"], _blank(opening), *(day[c] for c in REPORT_COLUMNS),
                     _blank(balance)])  # fmt: skip
    rows.append([
        f"total {report['from']} to {report['to']}",
        _blank(report["opening_balance"]),
        *(report[c] for c in REPORT_COLUMNS),
        _blank(report["closing_balance"]),
    ])  # fmt: skip
    return rows


def _blank(value):
    return "" if value is None else value


def validate_period(first: date, last: date) -> None:
    """Raise InvalidField when ``first`` is after ``last`` or the period is over MAX_DAYS."""
    if first > last:
        raise InvalidField("from", "Must not be after to.")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidField("to", f"A report covers at most {MAX_DAYS} days.")
