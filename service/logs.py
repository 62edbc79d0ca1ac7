"""Log lines operators can follow: JSON (one object per line) by default, text for ``make run``.

Every line carries the request id of the work it belongs to (``request_context``): the HTTP
request's, or in the webhook worker the id of the request that wrote the event. No Flask import:
the domain and the worker use this module too.

What is logged is chosen so that no line holds a phone number, a key, a token or a query string:
requests are logged by route rule (``/api/loyalty/phone-lookup``), never by raw URL.
"""

import logging
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

import pythonjsonlogger.json

LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a proxy or a client: short, and nothing that could forge a log line.
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")

requests_log = logging.getLogger("loyalty.request")
points_log = logging.getLogger("loyalty.points")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# LogRecord attributes every record has; anything else was passed with ``extra=``.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


def request_id_from(header_value: str | None) -> str:
    """The caller's request id when it is safe to log, else a new random one."""
    if header_value and SAFE_REQUEST_ID.match(header_value):
        return header_value
    return secrets.token_hex(16)


def current_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def request_context(request_id: str | None) -> Iterator[None]:
    """Tag every line logged inside the block with ``request_id``."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def set_request_id(request_id: str | None):
    """Set the id for the current request; returns a token for ``reset_request_id``."""
    return _request_id.set(request_id)


def reset_request_id(token) -> None:
    _request_id.reset(token)


def _fields(record: logging.LogRecord) -> dict:
    fields = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}
    if "request_id" not in fields and _request_id.get() is not None:
        fields["request_id"] = _request_id.get()
    return fields


def _time(record: logging.LogRecord) -> str:
    stamp = datetime.fromtimestamp(record.created, UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """One JSON object per line (python-json-logger): time, level, logger, message, then the
    record's fields and the request id."""

    def __init__(self):
        super().__init__(
            "{message}",
            style="{",
            json_default=str,
            json_ensure_ascii=False,
            exc_info_as_array=False,
            reserved_attrs=[*_STANDARD_ATTRS],
        )

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_data.update(time=_time(record), level=record.levelname.lower(), logger=record.name)
        super().add_fields(log_data, record, message_dict)
        if "exc_info" in log_data:
            log_data["exception"] = log_data.pop("exc_info")
        if "request_id" not in log_data and _request_id.get() is not None:
            log_data["request_id"] = _request_id.get()


class TextFormatter(logging.Formatter):
    """For a developer's terminal: ``time level logger message key=value ...``."""

    def format(self, record: logging.LogRecord) -> str:
        pairs = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = f"{_time(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        line = f"{line}  {pairs}" if pairs else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def formatter(log_format: str) -> logging.Formatter:
    return TextFormatter() if log_format == "text" else JsonFormatter()


def configure(log_format: str = "json", level: str = "INFO") -> None:
    """Send log lines to stderr in ``log_format``, unless the process configured logging already
    (gunicorn does, from ``gunicorn.conf.py``; pytest does): then only levels are set."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(formatter(log_format))
        root.addHandler(handler)
        root.setLevel(level)
    logging.getLogger("loyalty").setLevel(level)
    logging.getLogger("service").setLevel(level)


def log_request(**fields) -> None:
    """The one line per HTTP request (see ``observability``)."""
    requests_log.info(
        "%s %s %s", fields.get("method"), fields.get("route"), fields.get("status"), extra=fields
    )


def log_points_change(tenant, outcome: dict, delta: int) -> None:
    """The one line per committed points change: what changed, never who (no phone)."""
    fields = {
        "event": "points_change",
        "tenant": tenant.slug,
        "operation": outcome["operation_type"],
        "transaction_reference": outcome["transaction_reference"],
        "customer_id": outcome["customer_id"],
        "delta": delta,
        "balance_after": outcome["points_balance"],
        "transaction_id": outcome["transaction_id"],
    }
    points_log.info(
        "%s %+d -> %d", fields["operation"], delta, fields["balance_after"], extra=fields
    )
