"""Members brought from another system: a CSV file of phones, names and opening balances.

The file is read twice, streamed (memory grows only with the set of its phones, to find
duplicates): first to check every row (nothing is written when a row is refused, unless the
caller skips refused rows), then to write, a batch of customers per transaction. Each
customer is written by the one way to write: ``customers.enrol_many`` (customer, balance
row, search terms, ``open_account``) and ``points._record_many`` (an ``import_points`` row
for its opening balance, with the actor), a batch at a time. Its reference is derived from
the file's content and the phone, so the same file run again, or run again after being
stopped half-way, imports nothing twice; a phone already enrolled otherwise is skipped,
never overwritten.
"""

import csv
import hashlib
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from typing import BinaryIO
from zoneinfo import ZoneInfo

from . import rules
from .actors import Actor
from .customers import enrol_many
from .db import run_in_transaction, run_query
from .exceptions import ImportFileRefused, InvalidPhone
from .phones import normalize_phone
from .points import Decision, _record_many, utc_now
from .programme import current_programme
from .report import local_day
from .rules import IMPORT
from .store import customers as customer_rows
from .store import expiry_runs, ledger
from .tenancy import Tenant

COLUMNS = ("phone", "name", "points", "earned_at")
MAX_POINTS = 1_000_000_000
MAX_NAME_LENGTH = 200
BATCH = 500  # customers per transaction
MAX_REPORTED = 1000  # refused lines listed one by one; beyond, only counted
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class MemberRow:
    """One accepted row: its line, the phone in E.164, name, opening points, when earned."""

    line: int
    phone: str
    name: str | None
    points: int
    earned_at: date | None


@dataclass
class ImportReport:
    """What a run found and did. ``refused`` holds ``line N: reason`` (the first 1,000)."""

    rows: int = 0  # data rows read (blank lines aside)
    valid: int = 0
    refused: list[str] = field(default_factory=list)
    refused_count: int = 0
    to_import: int = 0  # new customers (dry run: that would be imported)
    imported: int = 0
    points_imported: int = 0
    already_imported: int = 0  # by this very file, on an earlier run
    already_enrolled: int = 0  # enrolled otherwise: skipped, never overwritten
    written: bool = False
    complete: bool = True  # False: stopped by the caller's time budget; run it again
    file_sha256: str = ""
    max_rows: int | None = None  # more rows: the file is refused (the API's limit)

    def refuse(self, line: int, reason: str) -> None:
        self.refused_count += 1
        if len(self.refused) < MAX_REPORTED:
            self.refused.append(f"line {line}: {reason}")

    @property
    def skipped(self) -> int:
        return self.already_imported + self.already_enrolled

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "valid": self.valid,
            "refused": self.refused,
            "refused_count": self.refused_count,
            "to_import": self.to_import,
            "imported": self.imported,
            "points_imported": self.points_imported,
            "already_imported": self.already_imported,
            "already_enrolled": self.already_enrolled,
            "written": self.written,
            "complete": self.complete,
            "file_sha256": self.file_sha256,
        }


class ImportFileTooLarge(ImportFileRefused):
    """More rows than the caller takes (``max_rows``)."""


class _Hashing(io.RawIOBase):
    """A binary stream that hashes what is read through it."""

    def __init__(self, raw: BinaryIO):
        self.raw, self.digest = raw, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """Left open when the text reader over it goes: the rest is hashed, and the caller
        closes the file it opened."""

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


def _delimiter(header: str) -> str:
    """``;`` when the header line has more of them than commas (outside quotes), else ``,``."""
    unquoted = re.sub(r'"[^"]*"', "", header)
    return ";" if unquoted.count(";") > unquoted.count(",") else ","


def _rows(stream: BinaryIO) -> Iterator[tuple[int, list[str] | None, list[str]]]:
    """``(line, header, fields)`` per data row; UTF-8 with or without BOM, ``,`` or ``;``."""
    text = io.TextIOWrapper(io.BufferedReader(stream), encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
        if not first.strip():
            raise ImportFileRefused("line 1: the file is empty (a header line is needed)")
        delimiter = _delimiter(first)
        header = next(csv.reader([first], delimiter=delimiter))
        _columns(header)  # refuses the file at once, data rows or none
        reader = csv.reader(text, delimiter=delimiter)
        line = 1
        for fields in reader:
            start, line = line + 1, reader.line_num + 1
            if fields and any(f.strip() for f in fields):
                yield start, header, fields
    except UnicodeDecodeError as exc:
        raise ImportFileRefused(f"the file is not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise ImportFileRefused(f"line {line + 1}: {exc}") from exc


def _columns(header: list[str]) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise ImportFileRefused(
            f"line 1: unknown column {unknown[0]!r} (the columns are {', '.join(COLUMNS)})"
        )
    if len(set(names)) != len(names):
        raise ImportFileRefused("line 1: a column appears twice")
    if "phone" not in names:
        raise ImportFileRefused("line 1: no phone column")
    return {name: names.index(name) for name in names}


def check_row(
    line: int, values: dict[str, str], region: str, today: date, e164: str | None = None
) -> tuple[MemberRow | None, str | None]:
    """(the row, None) when it can be imported, else (None, the reason). Pure.
    ``e164``: the row's phone as an earlier check normalised it."""
    raw_phone = values.get("phone", "").strip()
    if not raw_phone:
        return None, "no phone"
    try:
        phone = e164 or normalize_phone(raw_phone, region)
    except InvalidPhone:
        return None, f"bad phone {raw_phone[:40]!r}"
    name = values.get("name", "").strip() or None
    if name is not None and (len(name) > MAX_NAME_LENGTH or _CONTROL.search(name)):
        return None, f"bad name (1 to {MAX_NAME_LENGTH} characters, no control characters)"
    raw_points = values.get("points", "").strip() or "0"
    if not re.fullmatch(r"[+-]?[0-9]+", raw_points):
        return None, f"points {raw_points[:20]!r} is not a whole number"
    points = int(raw_points)
    if points < 0:
        return None, f"negative points ({points})"
    if points > MAX_POINTS:
        return None, f"points {points} is more than {MAX_POINTS:,}"
    raw_date = values.get("earned_at", "").strip()
    earned_at = None
    if raw_date:
        try:
            earned_at = date.fromisoformat(raw_date)
        except ValueError:
            return None, f"bad date {raw_date[:30]!r} (earned_at is YYYY-MM-DD)"
        if earned_at > today:
            return None, f"earned_at {raw_date} is in the future"
    return MemberRow(line, phone, name, points, earned_at), None


def _accepted(
    stream: BinaryIO,
    region: str,
    today: date,
    report: ImportReport | None,
    first_line: dict[str, int],
):
    """The file's rows that can be imported; refused ones go to ``report`` when given (the
    checking pass), and duplicates of a phone are refused after its first line.
    ``first_line`` (E.164 -> line) is filled by the checking pass; the writing pass is given
    it (its phones are parsed once; phonenumbers costs ~0.1 ms a number)."""
    checked = report is None
    by_line = {line: phone for phone, line in first_line.items()} if checked else {}
    columns = None
    for line, header, fields in _rows(stream):
        columns = columns or _columns(header)
        if report is not None:
            report.rows += 1
            if report.max_rows is not None and report.rows > report.max_rows:
                raise ImportFileTooLarge(
                    f"more than {report.max_rows:,} rows: split the file, or use "
                    "`loyalty customers import`"
                )
        if len(fields) != len(header):
            if report is not None:
                report.refuse(line, f"{len(fields)} fields, the header has {len(header)}")
            continue
        values = {name: fields[index] for name, index in columns.items()}
        if checked and line not in by_line:  # the checking pass refused this line
            continue
        row, reason = check_row(line, values, region, today, by_line.get(line))
        if checked:
            yield row
            continue
        if row is not None and row.phone in first_line:
            row, reason = (
                None,
                f"duplicate phone {row.phone} (first on line {first_line[row.phone]})",
            )
        if row is None:
            if report is not None:
                report.refuse(line, reason)
            continue
        first_line[row.phone] = line
        yield row


def reference_of(file_sha256: str, phone: str) -> str:
    """The import row's reference: the same file and phone always give the same one."""
    return "imp-" + hashlib.sha256(f"{file_sha256}:{phone}".encode()).hexdigest()[:32]


def import_members(
    conn,
    tenant: Tenant,
    opener: Callable[[], BinaryIO],
    actor: Actor,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    on_checked: Callable[[ImportReport], None] | None = None,
    keep_going: Callable[[], bool] | None = None,
    batch: int = BATCH,
    max_rows: int | None = None,
) -> ImportReport:
    """Check the whole file ``opener()`` gives, then (unless ``dry_run``, or a row was refused
    and not ``skip_invalid``) import it, ``batch`` customers per transaction.

    ``progress(n)`` is told after each batch of n rows; ``on_checked(report)`` after the
    check; ``keep_going()`` is asked before each batch (False: stop, ``complete`` False; the
    rows written so far stay, and a new run carries on). Raises ImportFileRefused (also for
    a file of more than ``max_rows`` rows).
    """
    report = ImportReport()
    programme = run_query(conn, lambda cur: current_programme(cur, tenant))
    zone = ZoneInfo(programme.timezone)
    today = local_day(utc_now(), zone)  # the shop's day: an earned_at after it is refused
    with opener() as raw:
        hashing = _Hashing(raw)
        phones: dict[str, int] = {}
        report.max_rows = max_rows
        report.valid = sum(
            1 for _ in _accepted(hashing, tenant.phone_region, today, report, phones)
        )
        # Whatever the reader left unread (nothing, normally) still belongs to the content.
        while hashing.read(65536):
            pass
        report.file_sha256 = hashing.digest.hexdigest()
    if on_checked is not None:
        on_checked(report)
    if report.refused_count and not skip_invalid and not dry_run:
        return report
    with opener() as raw:
        rows = _accepted(raw, tenant.phone_region, today, None, phones)
        while True:
            chunk = [row for _, row in zip(range(batch), rows, strict=False)]
            if not chunk:
                break
            if keep_going is not None and not keep_going():
                report.complete = False
                break
            if dry_run:
                counts = run_query(conn, lambda cur, c=chunk: _plan(cur, tenant, c, report))
            else:
                counts = run_in_transaction(
                    conn,
                    lambda cur, c=chunk: _write(cur, tenant, c, report, programme, zone, actor),
                )
            for name, value in counts.items():
                setattr(report, name, getattr(report, name) + value)
            if progress is not None:
                progress(len(chunk))
    report.written = report.imported > 0
    return report


def _classify(cur, tenant: Tenant, chunk: list[MemberRow], report: ImportReport):
    """(reference per phone, references already imported, phones already enrolled)."""
    references = {row.phone: reference_of(report.file_sha256, row.phone) for row in chunk}
    done = ledger.references_present(cur, tenant.id, IMPORT, list(references.values()))
    enrolled = customer_rows.enrolled_phones(cur, tenant.id, [row.phone for row in chunk])
    return references, done, enrolled


def _plan(cur, tenant: Tenant, chunk: list[MemberRow], report: ImportReport) -> dict:
    """The chunk's rows sorted into new, already imported (by this file), already enrolled."""
    references, done, enrolled = _classify(cur, tenant, chunk, report)
    counts = {"to_import": 0, "already_imported": 0, "already_enrolled": 0}
    for row in chunk:
        if references[row.phone] in done:
            counts["already_imported"] += 1
        elif row.phone in enrolled:
            counts["already_enrolled"] += 1
        else:
            counts["to_import"] += 1
    return counts


def _write(cur, tenant, chunk, report, programme, zone, actor) -> dict:
    """One transaction: the chunk's new customers, each enrolled with its import row."""
    references, done, enrolled = _classify(cur, tenant, chunk, report)
    counts = {"to_import": 0, "imported": 0, "points_imported": 0}
    counts["already_imported"] = sum(references[row.phone] in done for row in chunk)
    counts["already_enrolled"] = sum(
        row.phone in enrolled and references[row.phone] not in done for row in chunk
    )
    fresh = [r for r in chunk if references[r.phone] not in done and r.phone not in enrolled]
    if not fresh:
        return counts
    # enrol_many raises RetryableConflict when a phone was enrolled meanwhile: the batch runs
    # again and then finds it (imported by this file, or enrolled otherwise).
    customers = enrol_many(cur, tenant, [(row.phone, row.name) for row in fresh])
    now = utc_now()
    soonest, changes = None, []
    for row, customer in zip(fresh, customers, strict=True):
        account = {
            "customer_id": customer["id"],
            "phone": row.phone,
            "points_balance": 0,
            "total_points_earned": 0,
            "total_points_redeemed": 0,
        }
        earned = now if row.earned_at is None else _noon_utc(row.earned_at, zone)
        expires_at = rules.expiry_for(programme, earned) if row.points else None
        details = {"import": report.file_sha256[:16]}
        if row.earned_at is not None:
            details["earned_at"] = row.earned_at.isoformat()
        decision = Decision(row.points, details, expires_at)
        changes.append((account, IMPORT, references[row.phone], decision))
        counts["imported"] += 1
        counts["to_import"] += 1
        counts["points_imported"] += row.points
        if expires_at is not None and (soonest is None or expires_at < soonest):
            soonest = expires_at
    _record_many(cur, tenant, changes, actor)
    if soonest is not None:
        # The expiry job looks only past its watermark: dates it already passed are looked
        # at again by its next run (points past their date expire then).
        expiry_runs.lower(cur, tenant.id, soonest.replace(microsecond=0) - _SECOND)
    return counts


def _noon_utc(day: date, zone: ZoneInfo) -> datetime:
    """Midday of ``day`` in the shop's timezone, as naive UTC: the day's month, wherever."""
    return datetime.combine(day, day_time(12), zone).astimezone(UTC).replace(tzinfo=None)


_SECOND = timedelta(seconds=1)


def deadline_after(seconds: float) -> Callable[[], bool]:
    """A ``keep_going`` for ``import_members`` that says stop once ``seconds`` have passed."""
    end = time.monotonic() + seconds
    return lambda: time.monotonic() < end
