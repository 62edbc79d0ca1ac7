"""`make backup-drill`: back up, keep writing, restore to a moment between two known writes,
and check that every write acknowledged before that moment is there and none after.

Runs on a PRIVATE MariaDB started with a binary log (tests/private_mariadb.py), never on
DATABASE_URL's server: a till writes earns one after another while `create_backup` takes its
snapshot; the writes pause for a second around the chosen moment (the binary log dates its
events to the second), then go on; the restore replays the log up to the moment into a new
database and `ledger verify` runs on it.
"""

import sys
import threading
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import mkdtemp

from service.audit import verify_ledger
from service.backups import create_backup, for_database, restore_backup
from service.db import connect
from service.points import PointsChange, earn_points
from service.report import report_reconciles
from service.tenancy import create_tenant
from tests.private_mariadb import PrivateMariaDB

PHONES = [f"+44730650{i:04d}" for i in range(50)]
MAX_WRITES = 5000  # every loop is bounded


class Writer(threading.Thread):
    """Earns one after another; ``acknowledged`` lists (reference, UTC instant) of each
    write whose COMMIT returned. ``paused`` holds it between two writes."""

    def __init__(self, settings, tenant):
        super().__init__(daemon=True)
        self.settings, self.tenant = settings, tenant
        self.acknowledged: list[tuple[str, datetime]] = []
        self.running = threading.Event()
        self.running.set()
        self.idle = threading.Event()
        self.stopping = False
        self.failed: BaseException | None = None  # what stopped it early, if anything

    def run(self) -> None:
        try:
            self._write()
        except BaseException as error:  # the drill reports it: a dead writer proves nothing
            self.failed = error
            raise

    def _write(self) -> None:
        with closing(connect(self.settings)) as conn:
            for n in range(MAX_WRITES):
                if self.stopping:
                    break
                if not self.running.is_set():
                    self.idle.set()
                    self.running.wait()
                    self.idle.clear()
                reference = f"w-{n:06d}"
                change = PointsChange(PHONES[n % len(PHONES)], 1 + n % 7, reference)
                earn_points(conn, self.tenant, change)
                self.acknowledged.append((reference, datetime.now(UTC)))
                time.sleep(0.005)

    def pause(self) -> None:
        self.running.clear()
        if not self.idle.wait(timeout=30):
            raise RuntimeError(f"the writer did not pause (it failed: {self.failed!r})")


def wait_for(writer: Writer, count: int) -> None:
    """Until ``count`` writes are acknowledged; raises when the writer died or took 120 s."""
    deadline = time.monotonic() + 120
    while len(writer.acknowledged) < count:
        if writer.failed is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"{len(writer.acknowledged)} of {count} writes acknowledged; the writer "
                f"failed: {writer.failed!r}"
            )
        time.sleep(0.05)


def main() -> int:
    server = PrivateMariaDB(log_bin=True)
    try:
        server.start()
        server.create_schema()
        settings = server.settings
        with closing(connect(settings)) as conn:
            tenant = create_tenant(conn, "drill", "Backup drill", "GB")
        writer = Writer(settings, tenant)
        writer.start()
        wait_for(writer, 100)
        directory = Path(mkdtemp(prefix="loyalty-backup-")) / "backup"
        manifest = create_backup(settings, directory)
        during = len(writer.acknowledged)
        print(f"backup taken while writing ({manifest['seconds']} s, {manifest['bytes']:,} "
              f"bytes, binlog {manifest['binlog']})")  # fmt: skip
        wait_for(writer, during + 150)
        writer.pause()
        last_before, acked_at = writer.acknowledged[-1]
        moment = acked_at.replace(microsecond=0) + timedelta(seconds=1)
        time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.3)
        before = {ref for ref, _ in writer.acknowledged}
        writer.running.set()
        wait_for(writer, len(before) + 150)
        writer.stopping = True
        writer.join(timeout=30)
        after = {ref for ref, _ in writer.acknowledged} - before
        print(f"{len(before)} writes acknowledged before {moment:%H:%M:%S}Z (last {last_before}),"
              f" {len(after)} after; restoring to that moment")  # fmt: skip
        started = time.monotonic()
        done = restore_backup(settings, directory, "loyalty_restored", until=moment)
        restore_seconds = time.monotonic() - started
        with closing(connect(for_database(settings, "loyalty_restored"))) as restored:
            with restored.cursor() as cur:
                cur.execute(
                    "SELECT transaction_reference FROM phone_loyalty_transactions "
                    "WHERE operation_type = 'earn_points'"
                )
                present = {row["transaction_reference"].decode() for row in cur.fetchall()}
            checked, drifts = verify_ledger(restored)
            closes, total = report_reconciles(restored, tenant)
        missing, extra = before - present, present & after
        print(f"restored in {restore_seconds:.2f} s (load {done['load_seconds']} s, replay "
              f"{done['replay']['files']}); ledger verify: {checked} customers, "
              f"{len(drifts)} differences; report {closes} = balances {total}")  # fmt: skip
        # With no write after the moment the drill would prove nothing about "none after".
        ok = bool(after) and not missing and not extra and not drifts and closes == total
        print(
            "DRILL PASSED: every write acknowledged before the moment is there, none after"
            if ok
            else f"DRILL FAILED: missing {sorted(missing)[:10]}, extra {sorted(extra)[:10]}"
        )
        return 0 if ok else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
