"""Backups that restore: a consistent logical snapshot, its restore under another name, and
point-in-time recovery by replaying the binary log from the snapshot's position.

``create_backup`` runs ``mariadb-dump --single-transaction`` (one consistent snapshot while
tills keep writing; with ``--master-data=2`` when the server keeps a binary log, so the dump
records the log position it corresponds to) into DIR/dump.sql, with DIR/manifest.json.
``restore_backup`` creates NAME (refusing one that exists and holds tables), loads the dump,
optionally replays the binary log from the recorded position up to a moment
(``mariadb-binlog --read-from-remote-server --stop-datetime``, rewriting the database name),
and the caller then runs ``ledger verify`` on it. The tools come with the MariaDB client.
"""

import json
import os
import re
import shutil
import subprocess
import time
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pymysql

from .config import DatabaseSettings
from .db import connect_kwargs

DUMP = "dump.sql"
MANIFEST = "manifest.json"
_POSITION = re.compile(r"MASTER_LOG_FILE='([^']+)',\s*MASTER_LOG_POS=(\d+)")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,64}$")


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why."""


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name.replace("mariadb-", "mysql"))
    if found is None:
        raise BackupError(f"{name} is not installed (Debian package mariadb-client)")
    return found


def _client_args(settings: DatabaseSettings) -> list[str]:
    return [f"--host={settings.host}", f"--port={settings.port}", f"--user={settings.user}"]


def _env(settings: DatabaseSettings) -> dict:
    # The password goes in the environment, never on a command line others can read.
    return {**os.environ, "MYSQL_PWD": settings.password or "", "TZ": "UTC"}


def _server(settings: DatabaseSettings):
    return closing(pymysql.connect(**connect_kwargs(settings, database=False)))


def binlog_status(settings: DatabaseSettings) -> dict:
    """``{"log_bin": bool, "format": ..., "server_id": ...}`` of the server."""
    with _server(settings) as server, server.cursor() as cur:
        cur.execute("SELECT @@log_bin AS log_bin, @@binlog_format AS fmt, @@server_id AS sid")
        row = cur.fetchone()
    return {"log_bin": bool(int(row["log_bin"])), "format": row["fmt"], "server_id": row["sid"]}


def create_backup(settings: DatabaseSettings, directory: Path) -> dict:
    """Dump ``settings.database`` into ``directory`` (created; refused when it holds files).

    Returns the manifest: database, server, when, the binary log position (None when the
    server keeps no binary log: point-in-time recovery is then unavailable), seconds taken.
    """
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: choose a new directory for each backup")
    directory.mkdir(parents=True, exist_ok=True)
    status = binlog_status(settings)
    started = time.monotonic()
    when = datetime.now(UTC)
    command = [
        _tool("mariadb-dump"),
        *_client_args(settings),
        "--single-transaction",
        "--quick",
        "--hex-blob",
        "--routines",
        "--triggers",
        "--skip-add-locks",
        *(["--master-data=2"] if status["log_bin"] else []),
        settings.database,  # no --databases: no CREATE DATABASE/USE, so it restores anywhere
    ]
    with (directory / DUMP).open("wb") as out:
        done = subprocess.run(  # noqa: S603 (fixed arguments)
            command, stdout=out, stderr=subprocess.PIPE, env=_env(settings), check=False
        )
    if done.returncode != 0:
        raise BackupError(f"mariadb-dump failed: {done.stderr.decode(errors='replace').strip()}")
    position = None
    if status["log_bin"]:
        with (directory / DUMP).open("r", encoding="utf-8", errors="replace") as dump:
            for _, line in zip(range(200), dump, strict=False):
                found = _POSITION.search(line)
                if found:
                    position = {"file": found.group(1), "position": int(found.group(2))}
                    break
    manifest = {
        "database": settings.database,
        "server": f"{settings.host}:{settings.port}",
        "created_at": when.isoformat().replace("+00:00", "Z"),
        "binlog": position,
        "point_in_time_recovery": position is not None,
        "seconds": round(time.monotonic() - started, 2),
        "bytes": (directory / DUMP).stat().st_size,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def read_manifest(directory: Path) -> dict:
    path = Path(directory) / MANIFEST
    if not path.exists() or not (Path(directory) / DUMP).exists():
        raise BackupError(f"{directory} holds no backup ({MANIFEST} and {DUMP})")
    return json.loads(path.read_text())


def _is_empty(settings: DatabaseSettings, name: str) -> bool | None:
    """None when there is no database ``name``; else whether it holds no table."""
    with _server(settings) as server, server.cursor() as cur:
        cur.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (name,))
        if cur.fetchone() is None:
            return None
        cur.execute("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = %s",
                    (name,))  # fmt: skip
        return cur.fetchone()["n"] == 0


def restore_backup(
    settings: DatabaseSettings,
    directory: Path,
    name: str,
    until: datetime | None = None,
    source: DatabaseSettings | None = None,
) -> dict:
    """Restore the backup in ``directory`` as database ``name`` on ``settings``' server, and
    with ``until`` (UTC) replay the binary log of ``source`` (default: the same server) from
    the backup's position up to that moment (events of that second and later are not).

    Raises BackupError when ``name`` exists and holds tables, the backup is missing, or
    ``until`` is asked of a backup without a binary log position. Returns what was done.
    """
    if not NAME_PATTERN.match(name):
        raise BackupError("a database name is 1 to 64 letters, digits or underscores")
    manifest = read_manifest(directory)
    if until is not None and not manifest.get("binlog"):
        raise BackupError(
            "point-in-time recovery is unavailable for this backup: its server kept no "
            "binary log (log_bin OFF)"
        )
    empty = _is_empty(settings, name)
    if empty is False:
        raise BackupError(f"database {name} exists and is not empty: restore under a new name")
    started = time.monotonic()
    with _server(settings) as server, server.cursor() as cur:
        cur.execute(
            f"CREATE DATABASE IF NOT EXISTS `{name}` "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    with (Path(directory) / DUMP).open("rb") as dump:
        done = subprocess.run(  # noqa: S603 (fixed arguments)
            [_tool("mariadb"), *_client_args(settings), name],
            stdin=dump,
            stderr=subprocess.PIPE,
            env=_env(settings),
            check=False,
        )
    if done.returncode != 0:
        raise BackupError(f"loading the dump failed: {done.stderr.decode(errors='replace')}")
    loaded = time.monotonic() - started
    replayed = None
    if until is not None:
        replayed = _replay(source or settings, settings, manifest, name, until)
    return {
        "database": name,
        "load_seconds": round(loaded, 2),
        "replay": replayed,
        "seconds": round(time.monotonic() - started, 2),
    }


def _binlog_files(source: DatabaseSettings, first: str) -> list[str]:
    with _server(source) as server, server.cursor() as cur:
        cur.execute("SHOW BINARY LOGS")
        names = [row["Log_name"] for row in cur.fetchall()]
    if first not in names:
        raise BackupError(
            f"the binary log {first} the backup starts from is gone from the server "
            "(expired?): point-in-time recovery from this backup is no longer possible"
        )
    return names[names.index(first) :]


def _replay(source, target, manifest, name: str, until: datetime) -> dict:
    files = _binlog_files(source, manifest["binlog"]["file"])
    stop = (
        until.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        if until.tzinfo
        else (until.strftime("%Y-%m-%d %H:%M:%S"))
    )
    reader = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [
            _tool("mariadb-binlog"),
            "--read-from-remote-server",
            *_client_args(source),
            f"--start-position={manifest['binlog']['position']}",
            f"--stop-datetime={stop}",
            f"--rewrite-db={manifest['database']}->{name}",
            *files,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(source),
    )
    applier = subprocess.run(  # noqa: S603 (fixed arguments)
        [_tool("mariadb"), *_client_args(target), name],
        stdin=reader.stdout,
        stderr=subprocess.PIPE,
        env=_env(target),
        check=False,
    )
    reader.stdout.close()
    reader_errors = reader.stderr.read().decode(errors="replace")
    reader.wait()
    if reader.returncode != 0 or applier.returncode != 0:
        raise BackupError(
            "replaying the binary log failed: "
            f"{reader_errors.strip()} {applier.stderr.decode(errors='replace').strip()}"
        )
    return {"from": manifest["binlog"], "files": files, "until": stop + "Z"}


def for_database(settings: DatabaseSettings, name: str) -> DatabaseSettings:
    """The same server's settings for database ``name``."""
    return replace(settings, database=name)
