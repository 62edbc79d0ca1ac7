"""Credentials: POS API keys (header ``X-API-Key``) and signed admin session tokens."""

import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from cachetools import TTLCache
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from .actors import ADMIN, POS_KEY, Actor
from .db import run_in_transaction, run_query
from .exceptions import (
    DatabaseBusy,
    DatabaseUnavailable,
    OutcomeUnknown,
    SignInBusy,
    TenantNotFound,
    Unauthorized,
)
from .identities import normalize_email
from .store import admin_users, pos_keys
from .tenancy import Tenant, get_tenant

log = logging.getLogger(__name__)

KEY_PREFIX = "lpk"
ADMIN_TOKEN_SALT = "loyalty-admin-session"  # noqa: S105 (a namespace, not a secret)
# Compared against when the email is unknown, so both paths cost one hash check.
_DUMMY_PASSWORD_HASH = generate_password_hash("not a password")
# One password check at a time per process, waited for briefly: each costs ~100 ms of CPU
# (scrypt), so a flood of sign-ins would otherwise hold every thread and starve the tills.
PASSWORD_CHECKS = threading.BoundedSemaphore(1)
PASSWORD_CHECK_WAIT = 0.5  # seconds; then 503 sign_in_busy


def _password_matches(password_hash: str, password: str) -> bool:
    """check_password_hash, bounded as above; raises SignInBusy when no check is free."""
    if not PASSWORD_CHECKS.acquire(timeout=PASSWORD_CHECK_WAIT):
        raise SignInBusy("Too many sign-ins at once; retry in a second.")
    try:
        return check_password_hash(password_hash, password)
    finally:
        PASSWORD_CHECKS.release()


def _hash_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough; a slow KDF guards weak passwords.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_pos_key(conn, tenant: Tenant, label: str = "", location_id: int | None = None) -> str:
    """Create a POS key for ``tenant`` (at ``location_id``, one of its locations, or none) and
    return it; only its hash is stored."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    run_in_transaction(
        conn,
        lambda cur: pos_keys.insert(
            cur, tenant.id, prefix, _hash_secret(secret), label, location_id
        ),
    )
    return f"{KEY_PREFIX}_{prefix}_{secret}"


def revoke_pos_key(conn, prefix: str) -> bool:
    """Revoke the key with this public prefix; False when no active key has it.

    Takes effect at once in this process, within CREDENTIAL_CACHE_SECONDS in the others.
    """
    revoked = run_in_transaction(conn, lambda cur: pos_keys.revoke(cur, prefix)) == 1
    known_pos_keys.forget_all()
    return revoked


def revoke_labelled_pos_keys(conn, tenant: Tenant, label: str) -> int:
    revoked = run_in_transaction(conn, lambda cur: pos_keys.revoke_labelled(cur, tenant.id, label))
    known_pos_keys.forget_all()
    return revoked


class KnownCredentials:
    """Credentials found valid a moment ago, kept so the hot paths (a till's lookup, the admin
    page's poll) make no database round trip to check them again.

    Bounded in size, and short-lived on purpose: a credential revoked by another process (the
    CLI, another gunicorn worker) keeps working here for at most ``seconds``; one revoked by
    this process is forgotten at once (``forget_all``). Entries are keyed by a digest of the
    whole credential, so a wrong secret never matches one.

    A check that was under way when ``forget_all`` ran may have read the credential before it
    was revoked, so what it found is not remembered: callers take ``epoch()`` before checking
    and hand it to ``remember``.
    """

    def __init__(self, seconds: float, size: int = 10_000, timer=time.monotonic):
        self._cache: TTLCache = TTLCache(maxsize=size, ttl=seconds, timer=timer)
        self._lock = threading.Lock()  # cachetools caches are not thread-safe
        self._epoch = 0  # moves on with every forget_all

    @staticmethod
    def digest(*parts: str | None) -> bytes:
        joined = "\0".join(part or "" for part in parts)
        return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).digest()

    def get(self, digest: bytes):
        with self._lock:
            return self._cache.get(digest)

    def epoch(self) -> int:
        with self._lock:
            return self._epoch

    def remember(self, digest: bytes, value, epoch: int) -> None:
        """Keep ``value`` unless ``forget_all`` ran since ``epoch`` was taken."""
        with self._lock:
            if epoch == self._epoch:
                self._cache[digest] = value

    def forget_all(self) -> None:
        with self._lock:
            self._epoch += 1
            self._cache.clear()


# How long a known POS key or admin session is believed without asking the database again.
CREDENTIAL_CACHE_SECONDS = 5
known_pos_keys = KnownCredentials(CREDENTIAL_CACHE_SECONDS)
known_admin_sessions = KnownCredentials(CREDENTIAL_CACHE_SECONDS)


@dataclass(frozen=True)
class Till:
    """Who an active POS key speaks for: its tenant, and the key as the ledger's actor (its
    id, label and location; never its secret)."""

    tenant: Tenant
    actor: Actor


def till_for_pos_key(conn, key: str | None) -> Till:
    """The till an active POS key belongs to; raises Unauthorized for anything else.

    A key seen valid within the last CREDENTIAL_CACHE_SECONDS is answered from memory.
    """
    digest = KnownCredentials.digest(key)
    till = known_pos_keys.get(digest)
    if till is None:
        epoch = known_pos_keys.epoch()
        till = _check_pos_key(conn, key)
        known_pos_keys.remember(digest, till, epoch)
    return till


def _check_pos_key(conn, key: str | None) -> Till:
    parts = (key or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise Unauthorized("Send a valid POS key in the X-API-Key header.")
    row = run_query(conn, lambda cur: pos_keys.find_active(cur, parts[1]))
    if row is None or not hmac.compare_digest(row["secret_hash"], _hash_secret(parts[2])):
        raise Unauthorized("The POS key is unknown or revoked.")
    # When the key was last used, for `pos-keys list`: written here, where the key is read
    # from the database (at most every CREDENTIAL_CACHE_SECONDS per key and process). It is
    # bookkeeping: a till is never refused because it could not be written.
    try:
        if row["used_long_ago"]:  # else nothing to write: no transaction on the till's path
            run_in_transaction(conn, lambda cur: pos_keys.mark_used(cur, row["id"]))
    except (DatabaseBusy, DatabaseUnavailable, OutcomeUnknown) as error:
        log.warning("POS key %s: last used not recorded: %s", parts[1], error)
    label = row["label"] or f"till {parts[1]}"
    actor = Actor(POS_KEY, row["id"], label, row["location_id"], row["location_code"])
    return Till(Tenant.from_row(row), actor)


def create_admin(conn, tenant: Tenant, email: str, password: str) -> int:
    """Create an admin of ``tenant``, or set the password of an existing one (which revokes all
    of that admin's session tokens); returns its id. The email is stored in its normal form."""
    if len(password) < 8:
        raise ValueError("password: at least 8 characters")
    email = normalize_email(email)
    password_hash = generate_password_hash(password)

    def work(cur) -> int:
        existing = admin_users.find(cur, tenant.id, email)
        if existing:
            admin_users.set_password(cur, existing["id"], password_hash)
            return existing["id"]
        return admin_users.insert(cur, tenant.id, email, password_hash)

    admin_id = run_in_transaction(conn, work)
    # In a server process (a test, a future admin endpoint) the old tokens stop working at
    # once; the servers learn of a change made by the CLI within CREDENTIAL_CACHE_SECONDS.
    known_admin_sessions.forget_all()
    return admin_id


@dataclass(frozen=True)
class SessionTokens:
    """How admin session tokens are signed (``secret_key``) and how long they live
    (``max_age`` seconds): the app builds one from its configuration."""

    secret_key: str
    max_age: int

    @cached_property
    def serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=ADMIN_TOKEN_SALT)


def sign_in_admin(conn, tokens: SessionTokens, tenant_slug: str, email: str, password: str) -> dict:
    """Check the admin's password; return ``{token, expires_at, tenant, tenant_name}``.

    Raises Unauthorized alike for an unknown tenant, email or wrong password; SignInBusy when
    the process's password checks stay taken (see PASSWORD_CHECKS).
    """
    try:
        tenant = get_tenant(conn, tenant_slug)
    except TenantNotFound:
        tenant = None
    admin = None
    if tenant is not None:
        admin = run_query(
            conn, lambda cur: admin_users.find(cur, tenant.id, normalize_email(email))
        )
    password_hash = admin["password_hash"] if admin else _DUMMY_PASSWORD_HASH
    if not _password_matches(password_hash, password) or admin is None:
        raise Unauthorized("Wrong tenant, email or password.")
    return {
        "token": tokens.serializer.dumps(
            {"admin": admin["id"], "tenant": tenant.id, "gen": admin["session_generation"]}
        ),
        "expires_at": datetime.now(UTC) + timedelta(seconds=tokens.max_age),
        "tenant": tenant.slug,
        "tenant_name": tenant.name,
    }


@dataclass(frozen=True)
class AdminIdentity:
    """Who a valid admin token speaks for: the admin (id, e-mail) and their tenant."""

    id: int
    email: str
    tenant: Tenant

    @property
    def actor(self) -> Actor:
        return Actor(ADMIN, self.id, self.email)


def admin_for_token(conn, tokens: SessionTokens, header: str | None) -> AdminIdentity:
    """The admin of a valid ``Authorization: Bearer`` token; raises Unauthorized."""
    row = _admin_for_token(conn, tokens, header)
    return AdminIdentity(row["id"], row["email"], Tenant.from_row(row))


def sign_out_admin(conn, tokens: SessionTokens, header: str | None) -> None:
    """Revoke the token in ``header``, and with it every other token of the same admin issued
    before (tokens carry their admin's session generation; this bumps it). Raises Unauthorized
    for a token that is not valid (already signed out included)."""
    admin = _admin_for_token(conn, tokens, header)
    revoked = run_in_transaction(
        conn, lambda cur: admin_users.revoke_sessions(cur, admin["id"], admin["session_generation"])
    )
    known_admin_sessions.forget_all()
    if not revoked:
        raise Unauthorized("The session is no longer valid; sign in again.")


def _admin_for_token(conn, tokens: SessionTokens, header: str | None) -> dict:
    """The admin row (with its tenant) of a valid, unrevoked, unexpired token.

    A token found valid within the last CREDENTIAL_CACHE_SECONDS is answered from memory
    (until it expires); else its signature is checked and its admin read (one primary-key
    read). Raises Unauthorized.
    """
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Sign in and send the token as 'Authorization: Bearer <token>'.")
    # The key and lifetime are part of the digest: a token is known only under what signed it.
    digest = KnownCredentials.digest(tokens.secret_key, str(tokens.max_age), token.strip())
    known = known_admin_sessions.get(digest)
    if known is not None and time.time() < known[1]:
        return known[0]
    epoch = known_admin_sessions.epoch()
    admin, expires_at = _check_admin_token(conn, tokens, token.strip())
    known_admin_sessions.remember(digest, (admin, expires_at), epoch)
    return admin


def _check_admin_token(conn, tokens: SessionTokens, token: str) -> tuple[dict, float]:
    """(admin row, expiry as a Unix time) of a valid token; raises Unauthorized."""
    try:
        claims, signed_at = tokens.serializer.loads(
            token, max_age=tokens.max_age, return_timestamp=True
        )
    except SignatureExpired as exc:
        raise Unauthorized("The session has expired; sign in again.", expired=True) from exc
    except BadSignature as exc:
        raise Unauthorized("The session token is not valid; sign in again.") from exc
    admin = run_query(conn, lambda cur: admin_users.get_with_tenant(cur, claims.get("admin")))
    # A token whose admin was deleted, whose claims were tampered with, or that was revoked
    # (sign-out, password change: the generation moved on) grants nothing.
    if (
        admin is None
        or admin["tenant_id"] != claims.get("tenant")
        or admin["session_generation"] != claims.get("gen")
    ):
        raise Unauthorized("The session is no longer valid; sign in again.")
    return admin, signed_at.timestamp() + tokens.max_age
