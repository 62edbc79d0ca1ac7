"""Numbered plain-SQL migrations, applied in order and recorded in ``schema_migrations``."""

import re
from importlib import resources

from .db import run_in_transaction

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INT UNSIGNED NOT NULL PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB
"""


def available_migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL text) of every packaged migration, in order."""
    found = []
    for entry in resources.files("service.migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def split_statements(sql: str) -> list[str]:
    """Split a migration into statements at each ``;`` that ends a line (comments dropped)."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in re.split(r";\s*$", "\n".join(lines), flags=re.M) if s.strip()]


def upgrade(conn) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date).

    MySQL and MariaDB commit DDL implicitly, so a migration is not atomic: the version row is
    written last, and a failed migration raises and is not recorded, to be fixed and re-run.
    """
    with conn.cursor() as cur:
        cur.execute(CREATE_MIGRATIONS_TABLE)
        cur.execute("SELECT version FROM schema_migrations")
        applied = {row["version"] for row in cur.fetchall()}
    done = []
    for version, name, sql in available_migrations():
        if version in applied:
            continue
        with conn.cursor() as cur:
            for statement in split_statements(sql):
                cur.execute(statement)
        run_in_transaction(
            conn,
            lambda cur, version=version, name=name: cur.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name)
            ),
        )
        done.append(name)
    return done
