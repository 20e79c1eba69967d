"""The API's rate limit: one budget per caller for the whole API (``CASESYS_RATELIMIT_API``).

The counters and the 429 answer are core's (casesys.core.ratelimit); who counts as a caller needs
the API tokens of auth, so it is decided here, in the API layer above both.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from sqlalchemy import select

from casesys.auth.models import ApiToken, token_digest
from casesys.core.ratelimit import client_address
from casesys.extensions import db, limiter


def api_caller() -> str:
    """A live token's digest (never the token itself); else the client address, so made-up tokens
    share one budget per address instead of getting a fresh one each."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        digest = token_digest(token.strip())
        # On a connection of its own, closed at once: the request's session must hold no SQLite
        # read lock while the counter is written.
        with db.engine.connect() as connection:
            live = connection.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest,
                                                                ApiToken.revoked_at.is_(None)))
        if live is not None:
            return "token:" + digest
    return client_address()


def _api_limit() -> str:
    return current_app.config["CASESYS_RATELIMIT_API"]


def limit_api(bp: Blueprint) -> None:
    """One budget per caller for the whole API (not per endpoint). The limiter keeps blueprint
    limits by name, so applying it again for another app adds nothing: registered once."""
    limiter.shared_limit(_api_limit, scope="api", key_func=api_caller)(bp)
