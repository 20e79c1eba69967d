"""Column types and clocks shared by all models."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

CHINA_TZ = ZoneInfo("Asia/Shanghai")


# Primary keys are 32-bit integers on PostgreSQL; larger ids in URLs or cursors match nothing
# (casesys.core.params parses them).
MAX_ROW_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_in_china() -> date:
    """The civil date in China: deadlines and case numbers follow it, not UTC."""
    return datetime.now(CHINA_TZ).date()


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as UTC and always hand back aware UTC (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
