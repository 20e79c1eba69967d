"""Configuration from the environment (``CASESYS_*``); tests pass a mapping instead."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = REPO_ROOT / "instance"


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
    return {
        "CASESYS_ENV": mode,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SESSION_COOKIE_SECURE": env.get("CASESYS_SECURE_COOKIES", "1" if mode == "production" else "0") == "1",
        "CASESYS_SCHEDULER_EMBEDDED": env.get("CASESYS_SCHEDULER_EMBEDDED", "0") == "1",
        # E-mail: without CASESYS_SMTP_HOST messages are written to the log (development).
        "CASESYS_SMTP_HOST": env.get("CASESYS_SMTP_HOST"),
        "CASESYS_SMTP_PORT": int(env.get("CASESYS_SMTP_PORT", "25")),
        "CASESYS_SMTP_USER": env.get("CASESYS_SMTP_USER"),
        "CASESYS_SMTP_PASSWORD": env.get("CASESYS_SMTP_PASSWORD"),
        "CASESYS_SMTP_STARTTLS": env.get("CASESYS_SMTP_STARTTLS", "0") == "1",
    }


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
    "CASESYS_PAGE_SIZE": 50,
    "CASESYS_MAIL_FROM": "casesys@localhost",
    "CASESYS_MAIL_DOMAIN": "casesys.local",
    "CASESYS_WORKFLOW_DIR": str(REPO_ROOT / "workflows"),
}
