"""The query plans of what a request really ran: statements captured as PyMySQL sends them,
then EXPLAINed on a connection of their own."""

import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pymysql.cursors

# Tables whose reads the plans are about (not sessions, keys or the tenant).
LISTED_TABLES = ("customers", "customer_loyalty_points", "customer_search_terms")
PLAN_COLUMNS = ("id", "select_type", "table", "type", "key", "key_len", "ref", "rows", "Extra")


@contextmanager
def captured_statements() -> Iterator[list[tuple[str, float]]]:
    """Every statement any PyMySQL cursor executes in this process while inside, with its
    parameters filled in (``mogrify``), and the milliseconds it took (fetching included for
    PyMySQL's buffered cursors), appended to the yielded list."""
    statements: list[tuple[str, float]] = []
    original = pymysql.cursors.Cursor.execute

    def execute(self, query, args=None):
        started = time.perf_counter()
        try:
            return original(self, query, args)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            statements.append((self.mogrify(query, args), elapsed))

    pymysql.cursors.Cursor.execute = execute
    try:
        yield statements
    finally:
        pymysql.cursors.Cursor.execute = original


@dataclass
class Kind:
    """The statements of one kind (the same text but for their values): how many, how long."""

    example: str  # the first of them, values filled in (what EXPLAIN is given)
    count: int = 0
    total_ms: float = 0.0


_VALUES = re.compile(r"'(?:[^'\\]|\\.)*'|\b\d+(?:\.\d+)?\b")


def kind_of(sql: str) -> str:
    """A statement's text with every quoted string and number replaced by ``?`` and blanks
    squeezed: statements that differ only in their values are of one kind."""
    text = _VALUES.sub("?", " ".join(sql.split()))
    # An IN list of any length is one kind.
    return re.sub(r"\((?:\?, )*\?\)", "(?…)", text)


def by_kind(statements: list[tuple[str, float]]) -> list[Kind]:
    """The statements grouped by ``kind_of``, in order of first appearance."""
    kinds: dict[str, Kind] = {}
    for sql, ms in statements:
        if isinstance(sql, bytes | bytearray):  # executemany's batched INSERTs
            sql = sql.decode("utf-8", "replace")
        kind = kinds.setdefault(kind_of(sql), Kind(" ".join(sql.split())))
        kind.count += 1
        kind.total_ms += ms
    return list(kinds.values())


@contextmanager
def statement_times() -> Iterator[dict[str, Kind]]:
    """Like ``captured_statements`` for a long run, in constant memory: per statement as the
    code wrote it (its template, before values), how many ran and their total time."""
    kinds: dict[str, Kind] = {}
    original = pymysql.cursors.Cursor.execute

    def execute(self, query, args=None):
        started = time.perf_counter()
        try:
            return original(self, query, args)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            if isinstance(query, bytes | bytearray):  # executemany's batched INSERTs
                query = bytes(query[:300]).decode("utf-8", "replace")
            key = query if len(query) < 300 else query[:300]
            kind = kinds.get(key)
            if kind is None:
                kind = kinds[key] = Kind(" ".join(query.split())[:300])
            kind.count += 1
            kind.total_ms += elapsed

    pymysql.cursors.Cursor.execute = execute
    try:
        yield kinds
    finally:
        pymysql.cursors.Cursor.execute = original


def print_kinds(
    conn, kinds: list[Kind], explain_tables: tuple[str, ...] = (), limit: int | None = None
) -> None:
    """Each kind, busiest first (the ``limit`` busiest): count, total and mean time, its
    text; and the EXPLAIN of its first statement when it is a SELECT of one of
    ``explain_tables`` (kinds from ``statement_times`` are templates: never explained)."""
    with conn.cursor() as cur:
        for kind in sorted(kinds, key=lambda k: -k.total_ms)[:limit]:
            text = kind.example
            more = " …" if len(text) > 300 else ""
            print(f"  {kind.count:>7,} x {kind.total_ms / kind.count:8.2f} ms = "
                  f"{kind.total_ms / 1000:7.2f} s  {text[:300]}{more}")  # fmt: skip
            explainable = "%s" not in text and text.upper().startswith("SELECT")
            if explainable and any(t in text for t in explain_tables):
                cur.execute(f"EXPLAIN {text}")
                for row in cur.fetchall():
                    print("      " + "  ".join(f"{c}={row.get(c)}" for c in PLAN_COLUMNS
                                               if row.get(c) is not None))  # fmt: skip


def listed_reads(statements: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The SELECTs that read the customer tables, each once (with its median time), in order."""
    times: dict[str, list[float]] = {}
    for sql, ms in statements:
        text = " ".join(sql.split())
        if text.upper().startswith("SELECT") and any(t in text for t in LISTED_TABLES):
            times.setdefault(text, []).append(ms)
    return [(text, statistics.median(ms)) for text, ms in times.items()]


def print_plans(conn, plans: dict[str, list[tuple[str, float]]]) -> None:
    """For each request: its customer-table SELECTs (median time), and their EXPLAIN rows."""
    with conn.cursor() as cur:
        for label, statements in plans.items():
            print(f"\n{label}")
            for sql, ms in listed_reads(statements):
                print(f"  [{ms:.1f} ms] {sql[:400]}{' …' if len(sql) > 400 else ''}")
                cur.execute(f"EXPLAIN {sql}")
                for row in cur.fetchall():
                    print("    " + "  ".join(f"{c}={row.get(c)}" for c in PLAN_COLUMNS
                                             if row.get(c) is not None))  # fmt: skip
