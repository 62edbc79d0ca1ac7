"""The one clock: now, as the database stores instants (naive UTC)."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, as the ledger and every other table store instants (naive UTC). Points changes
    read it as ``points.utc_now`` (tests set the moment there)."""
    return datetime.now(UTC).replace(tzinfo=None)
