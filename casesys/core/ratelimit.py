"""Rate limits on log-in and on the API, counted where every worker sees them.

Log-in attempts (POST /login) are limited per client address and per account
(``CASESYS_RATELIMIT_LOGIN``); API requests per bearer token, or per address without one
(``CASESYS_RATELIMIT_API``; who counts as a caller is the API's to say: casesys.api.ratelimit).
Addresses are the client's as ``ProxyFix`` corrected them (see ``CASESYS_TRUSTED_PROXIES``). The
counters live in the application database (``casesys-db://``, the default: no other service to
run) or in Redis (``CASESYS_RATELIMIT_STORAGE_URI=redis://…``).
"""

from __future__ import annotations

import math
import random
import time

from flask import Flask, current_app, request
from limits.storage import Storage
from sqlalchemy import Float, Integer, String, case, delete, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from casesys.extensions import db, limiter

PRUNE_CHANCE = 0.01  # one hit in a hundred also deletes the windows that have ended


class RateLimitCounter(db.Model):
    """One fixed window of one limit and key (client address, account or token digest)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    window_end: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch
    count: Mapped[int] = mapped_column(Integer)


class DatabaseStorage(Storage):
    """Fixed-window counters in ``rate_limit_counters``, for ``limits``' fixed-window strategy.

    Each hit is one atomic upsert on a connection of its own, committed at once: a request that
    fails and rolls back its own work still counts. Limits are checked before a view touches the
    database, so on SQLite this short transaction never waits for the request's own.
    """

    STORAGE_SCHEME = ["casesys-db"]

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        table = RateLimitCounter.__table__
        insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(table).values(key=key, window_end=now + expiry, count=amount)
        ended = table.c.window_end <= now  # the stored window is over: this hit opens a new one
        stmt = stmt.on_conflict_do_update(index_elements=[table.c.key], set_={
            "count": case((ended, stmt.excluded.count), else_=table.c.count + stmt.excluded.count),
            "window_end": case((ended, stmt.excluded.window_end), else_=table.c.window_end),
        }).returning(table.c.count)
        with db.engine.begin() as connection:
            count = connection.execute(stmt).scalar_one()
            if random.random() < PRUNE_CHANCE:
                connection.execute(delete(table).where(table.c.window_end < now))
        return count

    def _window(self, key: str) -> tuple[int, float] | None:
        with db.engine.connect() as connection:
            row = connection.execute(select(RateLimitCounter.count, RateLimitCounter.window_end)
                                     .where(RateLimitCounter.key == key)).first()
        return tuple(row) if row is not None and row.window_end > time.time() else None

    def get(self, key: str) -> int:
        window = self._window(key)
        return window[0] if window else 0

    def get_expiry(self, key: str) -> float:
        window = self._window(key)
        return window[1] if window else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            return connection.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))


# --- who is counted -----------------------------------------------------------------------------


def client_address() -> str:
    return f"address:{request.remote_addr}"


def login_account() -> str:
    """The account a log-in attempt names, as ``authenticate`` reads it (whether it exists or not)."""
    return "account:" + (request.form.get("username") or "").strip().lower()[:64]


def _login_limit() -> str:
    return current_app.config["CASESYS_RATELIMIT_LOGIN"]


def limit_log_in(view):
    """Decorate the log-in view: attempts per client address and per account."""
    view = limiter.limit(_login_limit, key_func=login_account, methods=["POST"])(view)
    return limiter.limit(_login_limit, key_func=client_address, methods=["POST"])(view)


def retry_after() -> int:
    """Whole seconds until the limit this request broke lets it through again."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    return max(1, math.ceil(breached.window.reset_time - time.time()))


def init_app(app: Flask) -> None:
    limiter.init_app(app)
