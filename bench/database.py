"""A throwaway database for a bench run: created, migrated, and dropped afterwards."""

import os
import secrets
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import replace

import pymysql

from service.config import DEFAULT_DATABASE_URL, DatabaseSettings
from service.db import connect, connect_kwargs
from service.migrate import upgrade


def database_url(settings: DatabaseSettings) -> str:
    auth = settings.user + (f":{settings.password}" if settings.password else "")
    return f"mysql://{auth}@{settings.host}:{settings.port}/{settings.database}"


@contextmanager
def throwaway_database(prefix: str = "loyalty_bench") -> Iterator[DatabaseSettings]:
    """Settings of a new, migrated database on DATABASE_URL's server; dropped on exit."""
    server = DatabaseSettings.from_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    settings = replace(server, database=f"{prefix}_{secrets.token_hex(4)}")
    admin = pymysql.connect(**connect_kwargs(settings, database=False))
    with closing(admin), admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{settings.database}`")
        try:
            with closing(connect(settings)) as conn:
                upgrade(conn)
            yield settings
        finally:
            cur.execute(f"DROP DATABASE IF EXISTS `{settings.database}`")
