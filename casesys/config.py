"""Configuration from the environment (``CASESYS_*``); tests pass a mapping instead."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = REPO_ROOT / "instance"
DEV_AUDIT_KEY_FILE = DEFAULT_INSTANCE / "audit.key"  # generated once outside production, never committed


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app."""


def normalise_database_url(url: str) -> str:
    """Point plain ``postgresql://`` URLs at the psycopg 3 driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def from_environment(environ: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping; refuse to start production without a secret key."""
    env = os.environ if environ is None else environ
    mode = env.get("CASESYS_ENV", "production")
    if mode not in {"production", "development", "test"}:
        raise ConfigError(f"CASESYS_ENV must be production, development or test, not {mode!r}")
    secret = env.get("CASESYS_SECRET_KEY")
    if not secret:
        if mode == "production":
            raise ConfigError(
                "CASESYS_SECRET_KEY is required outside development and tests "
                "(set CASESYS_ENV=development for a local server)."
            )
        secret = "dev-only-not-secret"
    database_url = env.get("CASESYS_DATABASE_URL") or f"sqlite:///{DEFAULT_INSTANCE / 'casesys.sqlite3'}"
    audit_key = _audit_key(env, mode)
    return {
        "CASESYS_ENV": mode,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SESSION_COOKIE_SECURE": env.get("CASESYS_SECURE_COOKIES", "1" if mode == "production" else "0") == "1",
        # The audit chain's HMAC key and where its signed heads go: both outside the database.
        "CASESYS_AUDIT_KEY": audit_key,
        "CASESYS_AUDIT_ANCHOR_FILE": env.get("CASESYS_AUDIT_ANCHOR_FILE")
        or str(DEFAULT_INSTANCE / "audit-anchors.jsonl"),
        "CASESYS_SCHEDULER_EMBEDDED": env.get("CASESYS_SCHEDULER_EMBEDDED", "0") == "1",
        # A scheduler whose heartbeat is this old (seconds) is taken over by a standby.
        "CASESYS_SCHEDULER_LEASE_SECONDS": int(env.get("CASESYS_SCHEDULER_LEASE_SECONDS", "60")),
        # Rate limits (Flask-Limiter notation) and where they are counted: the database, or Redis.
        "CASESYS_RATELIMIT_LOGIN": env.get("CASESYS_RATELIMIT_LOGIN", DEFAULTS["CASESYS_RATELIMIT_LOGIN"]),
        "CASESYS_RATELIMIT_API": env.get("CASESYS_RATELIMIT_API", DEFAULTS["CASESYS_RATELIMIT_API"]),
        "RATELIMIT_STORAGE_URI": env.get("CASESYS_RATELIMIT_STORAGE_URI", DEFAULTS["RATELIMIT_STORAGE_URI"]),
        "CASESYS_TRUSTED_PROXIES": _trusted_proxies(env),
        # Working days a receiving agency has to accept or return a handoff: a provincial
        # convention, not law; when set it overrides every workflow file's handoff.receipt_days.
        "CASESYS_HANDOFF_RECEIPT_DAYS": _handoff_receipt_days(env),
        # E-mail: without CASESYS_SMTP_HOST messages are written to the log (development).
        "CASESYS_SMTP_HOST": env.get("CASESYS_SMTP_HOST"),
        "CASESYS_SMTP_PORT": int(env.get("CASESYS_SMTP_PORT", "25")),
        "CASESYS_SMTP_USER": env.get("CASESYS_SMTP_USER"),
        "CASESYS_SMTP_PASSWORD": env.get("CASESYS_SMTP_PASSWORD"),
        "CASESYS_SMTP_STARTTLS": env.get("CASESYS_SMTP_STARTTLS", "0") == "1",
    }


def _audit_key(env, mode: str) -> str:
    """The audit chain's HMAC key: from the environment, or outside production a key generated
    once into the instance folder. Without it, whoever can write the database can rewrite the
    chain and recompute every hash."""
    key = env.get("CASESYS_AUDIT_KEY")
    if not key and mode != "production":
        key = _development_audit_key()
    if not key:
        raise ConfigError("CASESYS_AUDIT_KEY is required in production (at least 32 characters), "
                          "e.g. python3 -c 'import secrets; print(secrets.token_hex(32))'")
    if len(key) < 32:
        raise ConfigError("CASESYS_AUDIT_KEY must be at least 32 characters long")
    return key


def _development_audit_key() -> str:
    """Read, or create once (readable by its owner only), ``instance/audit.key``."""
    if not DEV_AUDIT_KEY_FILE.exists():
        DEV_AUDIT_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(DEV_AUDIT_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as key_file:
            key_file.write(secrets.token_hex(32) + "\n")
    return DEV_AUDIT_KEY_FILE.read_text().strip()


def _handoff_receipt_days(env) -> int | None:
    """The handoff receipt period in working days, or None to keep each workflow file's value."""
    value = (env.get("CASESYS_HANDOFF_RECEIPT_DAYS") or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise ConfigError(f"CASESYS_HANDOFF_RECEIPT_DAYS must be a number of working days (1, 2, …), not {value!r}")
    return int(value)


def _trusted_proxies(env) -> int:
    """How many reverse proxies in front of the app set X-Forwarded-* (0: none, trust no header)."""
    value = env.get("CASESYS_TRUSTED_PROXIES", "0").strip()
    if not (value.isascii() and value.isdigit()):
        raise ConfigError(f"CASESYS_TRUSTED_PROXIES must be a number of proxies (0, 1, …), not {value!r}")
    return int(value)


# Settings that do not vary by environment.
DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "casesys_session",
    # A log-in lasts one working day; there is no long-lived remember-me cookie.
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=10),
    "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "WTF_I18N_ENABLED": True,
    "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "BABEL_TRANSLATION_DIRECTORIES": "translations",
    "MAX_CONTENT_LENGTH": 1 * 1024 * 1024,  # no uploads yet; JSON bodies stay small
    "CASESYS_LOCKOUT_THRESHOLD": 5,
    "CASESYS_LOCKOUT_MINUTES": 15,
    "CASESYS_RATELIMIT_LOGIN": "10 per minute",  # log-in attempts per client address and per account
    "CASESYS_RATELIMIT_API": "600 per minute",  # API requests per bearer token
    "RATELIMIT_STORAGE_URI": "casesys-db://",  # see casesys.core.ratelimit
    "CASESYS_TRUSTED_PROXIES": 0,
    "CASESYS_PAGE_SIZE": 50,
    "CASESYS_MAIL_FROM": "casesys@localhost",
    "CASESYS_MAIL_DOMAIN": "casesys.local",
    "CASESYS_WORKFLOW_DIR": str(REPO_ROOT / "workflows"),
}
