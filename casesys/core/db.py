"""Database behaviour that must hold on every connection."""

from __future__ import annotations

import sqlite3

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from casesys.extensions import db


def _sqlite_connect(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy emit BEGIN itself so that we can make it IMMEDIATE below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()


def _postgres_connect(dbapi_connection, _record):
    if type(dbapi_connection).__module__.startswith("psycopg"):
        # JIT compilation costs 100–500 ms per statement and pays off only for queries far longer
        # than any casesys runs: the statistics aggregates would spend most of their time in it.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()


def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        # Take the write lock up front: SQLite cannot upgrade a read lock under contention
        # without failing, and case numbers and the audit chain need serial writers.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def install_connection_hooks() -> None:
    if not event.contains(Engine, "connect", _sqlite_connect):
        event.listen(Engine, "connect", _sqlite_connect)
        event.listen(Engine, "connect", _postgres_connect)
        event.listen(Engine, "begin", _sqlite_begin)


def lock_for_serial_append(key: int) -> None:
    """Serialise writers of an append-only sequence until this transaction ends.

    PostgreSQL takes a transaction-scoped advisory lock; SQLite already holds the
    database write lock from ``BEGIN IMMEDIATE``.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
