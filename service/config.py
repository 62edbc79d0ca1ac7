"""Configuration read from environment variables, with safe local defaults."""

import os
import re
import secrets
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .logs import LOG_FORMATS, LOG_LEVELS

DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/loyalty"
DEFAULT_CORS_ORIGINS = "http://127.0.0.1:8080,http://localhost:8080"


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration; ``problems`` lists each
    setting that is wrong, one clear sentence apiece (a RuntimeError: gunicorn prints it)."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in self.problems))


@dataclass(frozen=True)
class DatabaseSettings:
    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def from_url(cls, url: str) -> "DatabaseSettings":
        """Parse ``mysql://user:pass@host:port/dbname``; raises ConfigError when malformed."""
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if (
            parts.scheme not in ("mysql", "mariadb", "mysql+pymysql")
            or not parts.path.strip("/")
            or port == -1
            # "mysql:/db" or "mysql:///db" has no //host: refused, never read as localhost.
            or not parts.hostname
        ):
            # The URL may hold a password: only its shape is repeated back.
            shown = re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)
            raise ConfigError(
                f"DATABASE_URL must look like mysql://user:pass@host:port/db, not {shown!r}"
            )
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            database=parts.path.strip("/"),
        )


def is_production() -> bool:
    return (
        os.environ.get("FLASK_ENV") == "production" or os.environ.get("LOYALTY_ENV") == "production"
    )


def _integer(name: str, default: int, minimum: int, problems: list[str]) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name} must be a whole number, not {raw!r}")
        return default
    if value < minimum:
        problems.append(f"{name} must be at least {minimum}, not {value}")
    return value


def _seconds(name: str, default: float, problems: list[str]) -> float:
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name} must be a number of seconds, not {raw!r}")
        return default
    if not value > 0:
        problems.append(f"{name} must be more than 0 seconds, not {raw}")
    return value


def _choice(name: str, default: str, choices: tuple[str, ...], problems: list[str]) -> str:
    """The setting, spelt as in ``choices`` (case does not matter)."""
    value = os.environ.get(name, "").strip() or default
    by_key = {c.lower(): c for c in choices}
    if value.lower() not in by_key:
        problems.append(f"{name} must be one of {', '.join(choices)}, not {value!r}")
        return default
    return by_key[value.lower()]


def load_config() -> dict:
    """Build the Flask config mapping from the environment.

    Every setting is checked, and ConfigError lists all that are wrong at once. In production
    SECRET_KEY is required: a random key there would silently sign every admin out at each
    restart and differ between gunicorn workers.
    """
    problems: list[str] = []
    secret_key = os.environ.get("SECRET_KEY")
    if not secret_key:
        if is_production():
            problems.append("SECRET_KEY must be set in production (a long random string)")
        secret_key = os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    try:
        database = DatabaseSettings.from_url(database_url)
    except ConfigError as exc:
        problems.extend(exc.problems)
        database = None
    origins = os.environ.get("CORS_ORIGINS", DEFAULT_CORS_ORIGINS)
    settings = {
        "DB_POOL_SIZE": _integer("DB_POOL_SIZE", 10, 1, problems),
        # The most any request waits on the database, in all (connect, statements, COMMIT).
        "DB_TIMEOUT": _seconds("DB_TIMEOUT", 5.0, problems),
        # Pooled connections are replaced after this many seconds (proxies and failovers
        # drop old connections; a fresh one lands on the current primary).
        "DB_POOL_RECYCLE": _integer("DB_POOL_RECYCLE", 1800, 1, problems),
        "ADMIN_TOKEN_MAX_AGE": _integer("ADMIN_TOKEN_MAX_AGE", 12 * 3600, 60, problems),
        # How many proxies in front of us append to X-Forwarded-For (1 behind deploy/'s nginx).
        "TRUSTED_PROXY_HOPS": _integer("TRUSTED_PROXY_HOPS", 0, 0, problems),
        # gunicorn's worker processes (gunicorn.conf.py sets it): limits kept in memory are
        # divided by it (limits.py).
        "WORKERS": _integer("WEB_CONCURRENCY", 1, 1, problems),
        "LOG_FORMAT": _choice("LOG_FORMAT", "json", LOG_FORMATS, problems),
        "LOG_LEVEL": _choice("LOG_LEVEL", "INFO", LOG_LEVELS, problems),
    }
    if problems:
        raise ConfigError(problems)
    return {
        "SECRET_KEY": secret_key,
        "DATABASE": database,
        **settings,
        "CORS_ORIGINS": [o.strip() for o in origins.split(",") if o.strip()],
        # Rate limits (service/api/limits.py), in flask-limiter's notation.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "SIGN_IN_LIMIT_PER_ADDRESS": os.environ.get("SIGN_IN_LIMIT_PER_ADDRESS", "20 per minute"),
        # Failures per (account, address), and the ceiling for an account from everywhere.
        "SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS": os.environ.get(
            "SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS", "10 per 15 minutes"
        ),
        "SIGN_IN_LIMIT_PER_ACCOUNT": os.environ.get(
            "SIGN_IN_LIMIT_PER_ACCOUNT", "200 per 15 minutes"
        ),
        "POS_KEY_FAILURE_LIMIT": os.environ.get("POS_KEY_FAILURE_LIMIT", "30 per minute"),
        # Webhooks may reach loopback/private/link-local addresses only when this is set.
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": os.environ.get("WEBHOOK_ALLOW_PRIVATE_NETWORKS") == "1",
        # Bodies are small JSON documents; anything larger is a client bug or an attack.
        "MAX_CONTENT_LENGTH": 16 * 1024,
        "API_TITLE": "Loyalty Points Live Sync",
        "API_VERSION": "1.0.0",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/docs",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/",
        # Served by the app from the pinned swagger-ui-bundle package (api/index.py): no CDN.
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
    }
