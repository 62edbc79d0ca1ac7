"""Configuration read from environment variables, with safe local defaults."""

import os
import secrets
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/loyalty"
DEFAULT_CORS_ORIGINS = "http://127.0.0.1:8080,http://localhost:8080"


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


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
        if parts.scheme not in ("mysql", "mariadb", "mysql+pymysql") or not parts.path.strip("/"):
            raise ConfigError(
                f"DATABASE_URL must look like mysql://user:pass@host:port/db, not {url!r}"
            )
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            database=parts.path.strip("/"),
        )


def is_production() -> bool:
    return (
        os.environ.get("FLASK_ENV") == "production" or os.environ.get("LOYALTY_ENV") == "production"
    )


def load_config() -> dict:
    """Build the Flask config mapping from the environment.

    Raises ConfigError in production when SECRET_KEY is missing: a random key there would
    silently sign every admin out at each restart and differ between gunicorn workers.
    """
    secret_key = os.environ.get("SECRET_KEY")
    if not secret_key:
        if is_production():
            raise ConfigError("SECRET_KEY must be set in production")
        secret_key = os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    origins = os.environ.get("CORS_ORIGINS", DEFAULT_CORS_ORIGINS)
    return {
        "SECRET_KEY": secret_key,
        "DATABASE": DatabaseSettings.from_url(database_url),
        "DB_POOL_SIZE": int(os.environ.get("DB_POOL_SIZE", "10")),
        # The most any request waits on the database, in all (connect, statements, COMMIT).
        "DB_TIMEOUT": float(os.environ.get("DB_TIMEOUT", "5")),
        # Pooled connections are replaced after this many seconds (proxies and failovers
        # drop old connections; a fresh one lands on the current primary).
        "DB_POOL_RECYCLE": int(os.environ.get("DB_POOL_RECYCLE", "1800")),
        "CORS_ORIGINS": [o.strip() for o in origins.split(",") if o.strip()],
        "ADMIN_TOKEN_MAX_AGE": int(os.environ.get("ADMIN_TOKEN_MAX_AGE", str(12 * 3600))),
        # Rate limits (service/limits.py), in flask-limiter's notation.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "SIGN_IN_LIMIT_PER_ADDRESS": os.environ.get("SIGN_IN_LIMIT_PER_ADDRESS", "20 per minute"),
        "SIGN_IN_LIMIT_PER_ACCOUNT": os.environ.get(
            "SIGN_IN_LIMIT_PER_ACCOUNT", "10 per 15 minutes"
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
        "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
    }
