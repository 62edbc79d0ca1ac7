"""Bulk-load customers into one tenant with INSERT ... SELECT from MariaDB's Sequence engine.

Much faster than the API (a million customers in well under a minute), and the rows satisfy the
service's invariants, so ``verify_ledger`` finds no drift: each customer gets

- a ``customers`` row: phone ``+447900`` + 6 digits (valid GB mobiles), name ``Guest <n>``,
  joined days ago (see SETTLED_SECONDS);
- a ``customer_loyalty_points`` row: balance = total earned = ``points``, nothing redeemed;
- two ledger rows: ``open_account`` (0 points, reference ``open-<customer id>``, as enrolment
  writes it) and ``earn_points`` (``points``, reference ``seed-<customer id>``);
- when the schema has ``customer_search_terms``: one row per word of the name.

With a ``YearOfEarns`` (``make bench-scale``) the customers joined, and earned, over the last
year instead of the last days, each earn with the expiry date the programme gives it
(``rules.expiry_for``) and ``has_expiring`` set, and the oldest ``due`` of them earned in the
month whose points have expired by ``now``. ``load_earns`` adds earns made with a bill
(``make bench``'s returns reverse them).
"""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from service.db import connect
from service.rules import Programme, Purchase, expiry_for, points_for_purchase

MAX_CUSTOMERS = 1_000_000  # six digits after +447900
# Customer n joined (and last changed) MAX_CUSTOMERS + SETTLED_SECONDS - n seconds ago: distinct
# times in the order of n, all older than the admin list's settle time, so an unchanged poll
# is a 304 right after loading.
SETTLED_SECONDS = 3600
BATCH = 50_000  # customers per batch: bounded undo logs, steady progress

# The benches' programme (issue 16's example): 1 point per £1, points expire 12 months after
# the month they were earned in.
PROGRAMME = {
    "currency": "GBP",
    "timezone": "Europe/London",
    "spend_points": 1,
    "spend_per_amount_minor": 100,
    "visit_points": 0,
    "visit_min_spend_minor": 0,
    "expiry_months": 12,
    "point_value_minor": 1,
}


def phone(n: int) -> str:
    """The E.164 phone of customer number ``n`` (0-based), as the loader writes it."""
    return f"+447900{n:06d}"


def national(n: int) -> str:
    """The same phone as a person types it in the UK, with spaces."""
    return f"07900 {n:06d}"


def name(n: int) -> str:
    return f"Guest {n}"


def _table_exists(cur, table: str) -> bool:
    cur.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() "
        "AND table_name = %s",
        (table,),
    )
    return cur.fetchone() is not None


def _month_start(year: int, month: int, zone: ZoneInfo) -> datetime:
    """The first instant of a local month (``month`` may run past 12 or below 1), naive UTC."""
    year, month = divmod(year * 12 + month - 1, 12)
    local = datetime(year, month + 1, 1, tzinfo=zone)
    return local.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class YearOfEarns:
    """When the bulk-loaded customers joined and earned, and when their points expire.

    Customer n joined and earned at the same instant (as an earn that enrols does), in the
    order of n: the ``due`` oldest over the local month whose points expired by ``now`` (the
    last month before ``cutoff``), the others spread from ``cutoff`` to ``now`` less
    SETTLED_SECONDS. ``cutoff`` is the start of the local month ``expiry_months`` before
    ``now``'s: points earned from it on expire after ``now``, points earned before it by then.
    """

    programme: Programme
    now: datetime  # naive UTC
    count: int
    due: int

    def __post_init__(self):
        if self.programme.expiry_months is None:
            raise ValueError("a year of earns needs a programme whose points expire")
        if not 0 <= self.due < self.count:
            raise ValueError("due must be 0 .. count - 1")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.programme.timezone)

    @property
    def cutoff(self) -> datetime:
        local = self.now.replace(tzinfo=UTC).astimezone(self.zone)
        return _month_start(local.year, local.month - self.programme.expiry_months, self.zone)

    @property
    def first(self) -> datetime:
        """When the oldest customer joined: the start of the month before ``cutoff``."""
        local = self.cutoff.replace(tzinfo=UTC).astimezone(self.zone)
        return _month_start(local.year, local.month - 1, self.zone)

    @property
    def newest(self) -> datetime:
        return self.now - timedelta(seconds=SETTLED_SECONDS)

    def steps_us(self) -> tuple[int, int]:
        """Microseconds between consecutive customers: among the due ones, among the others."""
        due_span = (self.cutoff - self.first) // timedelta(microseconds=1)
        rest_span = (self.newest - self.cutoff) // timedelta(microseconds=1)
        return due_span // max(self.due, 1), rest_span // max(self.count - self.due, 1)

    def joined_at(self, n: int) -> datetime:
        """Customer n's join (and earn) instant, as the SQL of ``joined_sql`` computes it."""
        due_step, rest_step = self.steps_us()
        if n < self.due:
            return self.first + timedelta(microseconds=n * due_step)
        return self.cutoff + timedelta(microseconds=(n - self.due) * rest_step)

    def joined_sql(self) -> tuple[str, tuple]:
        """SQL of ``joined_at`` over the Sequence engine's ``seq``, and its parameters."""
        due_step, rest_step = self.steps_us()
        return (
            "IF(seq < %s, CAST(%s AS DATETIME(6)) + INTERVAL (seq * %s) MICROSECOND, "
            "CAST(%s AS DATETIME(6)) + INTERVAL ((seq - %s) * %s) MICROSECOND)",
            (self.due, self.first, due_step, self.cutoff, self.due, rest_step),
        )

    def month_starts(self) -> list[datetime]:
        """Every local month start from ``first`` through ``now``'s month, naive UTC."""
        local = self.first.replace(tzinfo=UTC).astimezone(self.zone)
        starts, k = [], 0
        while not starts or starts[-1] <= self.now:
            starts.append(_month_start(local.year, local.month + k, self.zone))
            k += 1
        return starts[:-1]

    def expires_sql(self, column: str) -> tuple[str, tuple]:
        """SQL of ``rules.expiry_for`` for an instant in ``column`` (one of ours): a CASE
        over the local months, each month's date computed by the service's own rule."""
        whens, params = [], []
        starts = self.month_starts()
        for start, following in pairwise(starts):
            whens.append(f"WHEN {column} < %s THEN %s")
            params += [following, expiry_for(self.programme, start)]
        params.append(expiry_for(self.programme, starts[-1]))
        return f"CASE {' '.join(whens)} ELSE %s END", tuple(params)


def load_customers(
    settings,
    tenant_id: int,
    count: int,
    points: int = 1000,
    workers: int = 3,
    progress=None,
    year: YearOfEarns | None = None,
) -> float:
    """Add customers 0 .. count-1 to the tenant (which has none of these phones yet), on
    ``workers`` connections of their own; returns the seconds it took.

    Foreign-key and unique checks are off in these sessions only: every row is built valid
    (ids come from the rows just inserted, phones and references are distinct by construction).
    """
    if not 0 < count <= MAX_CUSTOMERS:
        raise ValueError(f"count must be 1..{MAX_CUSTOMERS:,}")
    started = time.perf_counter()
    batches = [(first, min(first + BATCH, count) - 1) for first in range(0, count, BATCH)]
    done = 0
    lock = threading.Lock()

    def work(batch: tuple[int, int]) -> None:
        nonlocal done
        with closing(connect(settings)) as conn, conn.cursor() as cur:
            search_terms = _table_exists(cur, "customer_search_terms")
            cur.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0")
            _load_batch(cur, tenant_id, *batch, points, search_terms, year)
        with lock:
            done += batch[1] - batch[0] + 1
            if progress:
                progress(done, time.perf_counter() - started)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, batches))
    return time.perf_counter() - started


def _load_batch(
    cur, tenant_id: int, first: int, last: int, points: int, terms: bool, year: YearOfEarns | None
) -> None:
    if year is None:
        joined, joined_params = (
            "CURRENT_TIMESTAMP(6) - INTERVAL (%s - seq) SECOND",
            (MAX_CUSTOMERS + SETTLED_SECONDS,),
        )
        expires, expires_params = "NULL", ()
    else:
        joined, joined_params = year.joined_sql()
        expires, expires_params = year.expires_sql("created_at")
    # seq_<first>_to_<last> is a virtual table of the Sequence engine (integers only).
    cur.execute(
        "INSERT INTO customers (tenant_id, phone, name, created_at) "
        f"SELECT %s, CONCAT('+447900', LPAD(seq, 6, '0')), CONCAT('Guest ', seq), {joined} "
        f"FROM seq_{int(first)}_to_{int(last)}",
        (tenant_id, *joined_params),
    )
    # This batch's customers, by the unique (tenant_id, phone) index.
    batch = "FROM customers WHERE tenant_id = %s AND phone BETWEEN %s AND %s"
    where = (tenant_id, phone(first), phone(last))
    cur.execute(
        "INSERT INTO customer_loyalty_points "
        "(tenant_id, customer_id, phone, points_balance, total_points_earned, has_expiring, "
        f"updated_at) SELECT tenant_id, id, phone, %s, %s, %s, created_at {batch}",
        (points, points, year is not None, *where),
    )
    # Each customer's two ledger rows: the opening entry enrolment writes, then the earning
    # (with its expiry date, when the programme gives one).
    for operation, amount, prefix, expiry, params in (
        ("open_account", 0, "open-", "NULL", ()),
        ("earn_points", points, "seed-", expires, expires_params),
    ):
        cur.execute(
            "INSERT INTO phone_loyalty_transactions (phone, tenant_id, customer_id, "
            "operation_type, points_amount, transaction_reference, created_at, expires_at) "
            f"SELECT phone, tenant_id, id, %s, %s, CONCAT(%s, id), created_at, {expiry} {batch}",
            (operation, amount, prefix, *params, *where),
        )
    if terms:
        # "Guest" and the number: the words of the name, as enrolment indexes them.
        for term in ("'Guest'", "SUBSTRING(name, 7)"):
            cur.execute(
                "INSERT INTO customer_search_terms (tenant_id, term, customer_id) "
                f"SELECT tenant_id, {term}, id {batch}",
                where,
            )


BULK_EARN_PREFIX = "bulk-earn-"


def load_earns(
    settings,
    tenant_id: int,
    customers: int,
    count: int,
    programme: Programme,
    purchase: Purchase,
    now: datetime,
) -> float:
    """Add ``count`` earns of ``purchase`` under ``programme`` (in force, as set), made at
    ``now``: earn k by customer ``k % customers`` with reference ``bulk-earn-<k>``, its
    operation_details and expiry date as ``points.earn_points`` writes them, and the balance
    rows moved to match (so ``verify_ledger`` finds no drift). Returns the seconds it took."""
    calculation = points_for_purchase(programme, purchase)
    details = json.dumps({"purchase": asdict(purchase), "programme": calculation.as_details()})
    expires_at = expiry_for(programme, now)
    started = time.perf_counter()
    with closing(connect(settings)) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0")
        for first in range(0, count, BATCH):
            last = min(first + BATCH, count) - 1
            cur.execute(
                "INSERT INTO phone_loyalty_transactions (phone, tenant_id, customer_id, "
                "operation_type, points_amount, transaction_reference, operation_details, "
                "created_at, expires_at) "
                "SELECT c.phone, c.tenant_id, c.id, 'earn_points', %s, CONCAT(%s, s.seq), %s, "
                f"%s, %s FROM seq_{int(first)}_to_{int(last)} s JOIN customers c "
                "ON c.tenant_id = %s AND c.phone = CONCAT('+447900', LPAD(s.seq MOD %s, 6, '0'))",
                (calculation.points, BULK_EARN_PREFIX, details, now, expires_at, tenant_id,
                 customers),
            )  # fmt: skip
        # Customer n made count // customers earns, one more when n < count % customers.
        cur.execute(
            "UPDATE customer_loyalty_points p JOIN customers c ON c.id = p.customer_id "
            "SET p.points_balance = p.points_balance + %s * (%s + (CAST(SUBSTRING(c.phone, 8) "
            "AS UNSIGNED) < %s)), p.total_points_earned = p.total_points_earned + %s * (%s + "
            "(CAST(SUBSTRING(c.phone, 8) AS UNSIGNED) < %s)), "
            "p.has_expiring = p.has_expiring OR %s, p.version = p.version + 1, p.updated_at = %s "
            "WHERE p.tenant_id = %s AND c.phone <= %s",
            (calculation.points, count // customers, count % customers,
             calculation.points, count // customers, count % customers,
             expires_at is not None, now, tenant_id, phone(min(count, customers) - 1)),
        )  # fmt: skip
    return time.perf_counter() - started
