"""The query plans of what a request really ran: statements captured as PyMySQL sends them,
then EXPLAINed on a connection of their own."""

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

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
