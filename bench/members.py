"""Members in and out at scale: the 100,000-row import and the restore of a big tenant.

``python -m bench.members`` (``make bench-members``) on throwaway databases:

1. writes a CSV of BENCH_IMPORT_ROWS members (100,000 by default; names, points, dates) and
   runs ``loyalty customers import`` on it in a process of its own, twice as many rows as a
   second figure: wall time and the process's peak memory (flat memory: the peak barely moves
   with the file's size);
2. bulk-loads BENCH_RESTORE_CUSTOMERS customers (1,000,000 by default, as ``make
   bench-scale``) into one tenant, backs the database up (``loyalty backup create``) and
   restores it under a new name (``loyalty backup restore``, which runs ``ledger verify``):
   the RTO of a restore at that scale.

Prints figures; asserts nothing.
"""

import os
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import pymysql

from service.db import connect
from service.tenancy import create_tenant
from tests.harness import database_url, throwaway_database

from .loader import load_customers
from .report import print_machine_load

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
RESTORE_CUSTOMERS = int(os.environ.get("BENCH_RESTORE_CUSTOMERS", "1000000"))
# The child prints its own peak resident memory when the command is done.
CHILD = (
    "import resource, sys\nfrom service import main\ntry:\n    main()\nexcept SystemExit as e:\n"
    "    code = e.code\nelse:\n    code = 0\nprint(f'peak_rss_kb={resource.getrusage("
    "resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr)\nsys.exit(code)\n"
)


def write_file(path: Path, rows: int, offset: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("phone,name,points,earned_at\n")
        for i in range(rows):
            n = offset + i
            out.write(f'+4478{n:08d},"Member {n}, imported",{n % 900},2026-0{1 + n % 9}-15\n')


def loyalty(settings, *args) -> tuple[float, int, str]:
    """(seconds, peak RSS in MiB, output) of one `loyalty` command in its own process."""
    env = {**os.environ, "DATABASE_URL": database_url(settings)}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (fixed arguments)
        [sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, check=False
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"loyalty {' '.join(args)} failed: {done.stdout} {done.stderr}")
    peak = int(done.stderr.rsplit("peak_rss_kb=", 1)[1].split()[0]) // 1024
    return took, peak, done.stdout.strip()


def bench_import() -> None:
    with throwaway_database("loyalty_bench_import") as settings, tempfile.TemporaryDirectory() as d:
        with closing(connect(settings)) as conn:
            tenant = create_tenant(conn, "import-bench", "Import Bench", "GB")
        for rows, offset in ((ROWS // 5, 0), (ROWS, ROWS)):
            path = Path(d) / f"members-{rows}.csv"
            write_file(path, rows, offset)
            took, peak, out = loyalty(settings, "customers", "import", tenant.slug, str(path))
            print(f"import of {rows:,} rows ({path.stat().st_size / 2**20:.1f} MiB): "
                  f"{took:.1f} s wall, {rows / took:,.0f} rows/s, peak RSS {peak} MiB")  # fmt: skip
            print("   ", out.splitlines()[-1])
        took, peak, out = loyalty(settings, "customers", "import", tenant.slug, str(path))
        print(f"the same {ROWS:,}-row file again: {took:.1f} s, peak RSS {peak} MiB "
              "(nothing imported twice)")  # fmt: skip


def bench_restore() -> None:
    with throwaway_database("loyalty_bench_backup") as settings, tempfile.TemporaryDirectory() as d:
        with closing(connect(settings)) as conn:
            tenant = create_tenant(conn, "restore-bench", "Restore Bench", "GB")
        took = load_customers(settings, tenant.id, RESTORE_CUSTOMERS)
        print(f"loaded {RESTORE_CUSTOMERS:,} customers ({2 * RESTORE_CUSTOMERS:,} ledger rows) "
              f"in {took:.1f} s")  # fmt: skip
        backup = Path(d) / "backup"
        took, _, out = loyalty(settings, "backup", "create", str(backup))
        print(f"backup create: {took:.1f} s, {(backup / 'dump.sql').stat().st_size / 2**20:.0f} "
              "MiB")  # fmt: skip
        name = settings.database + "_restored"
        try:
            took, _, out = loyalty(settings, "backup", "restore", str(backup), "--database", name)
            print(f"backup restore (load + ledger verify): {took:.1f} s  <- RTO at this scale")
            print("   ", out.replace("\n", "\n    "))
        finally:
            server = pymysql.connect(host=settings.host, port=settings.port, user=settings.user,
                                     password=settings.password)  # fmt: skip
            with closing(server), server.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def main() -> None:
    print_machine_load("at the start")
    bench_import()
    if RESTORE_CUSTOMERS:
        bench_restore()
    print_machine_load("at the end")


if __name__ == "__main__":
    main()
