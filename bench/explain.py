"""The query plans of what a request really ran: statements captured as PyMySQL sends them,
then EXPLAINed on a connection of their own."""

from collections.abc import Iterator
from contextlib import contextmanager

import pymysql.cursors

# Tables whose reads the plans are about (not sessions, keys or the tenant).
LISTED_TABLES = ("customers", "customer_loyalty_points", "customer_search_terms")
PLAN_COLUMNS = ("id", "select_type", "table", "type", "key", "key_len", "ref", "rows", "Extra")


@contextmanager
def captured_statements() -> Iterator[list[str]]:
    """Every statement any PyMySQL cursor executes in this process while inside, with its
    parameters filled in (``mogrify``), appended to the yielded list."""
    statements: list[str] = []
    original = pymysql.cursors.Cursor.execute

    def execute(self, query, args=None):
        statements.append(self.mogrify(query, args))
        return original(self, query, args)

    pymysql.cursors.Cursor.execute = execute
    try:
        yield statements
    finally:
        pymysql.cursors.Cursor.execute = original


def listed_reads(statements: list[str]) -> list[str]:
    """The SELECTs that read the customer tables, each once, in order."""
    seen, reads = set(), []
    for sql in statements:
        text = " ".join(sql.split())
        if not text.upper().startswith("SELECT") or text in seen:
            continue
        if any(table in text for table in LISTED_TABLES):
            seen.add(text)
            reads.append(text)
    return reads


def print_plans(conn, plans: dict[str, list[str]]) -> None:
    """For each request: its customer-table SELECTs and their EXPLAIN rows."""
    with conn.cursor() as cur:
        for label, statements in plans.items():
            print(f"\n{label}")
            for sql in listed_reads(statements):
                print(f"  {sql[:400]}{' …' if len(sql) > 400 else ''}")
                cur.execute(f"EXPLAIN {sql}")
                for row in cur.fetchall():
                    print("    " + "  ".join(f"{c}={row.get(c)}" for c in PLAN_COLUMNS
                                             if row.get(c) is not None))  # fmt: skip
