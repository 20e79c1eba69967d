from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from casesys.core.types import UTCDateTime, utcnow
from casesys.extensions import db


class CalendarDay(db.Model):
    """A day that differs from the Monday–Friday rule: a statutory holiday (or a rest day
    swapped into the week), or a make-up working day (调休) on a weekend."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_working: Mapped[bool]
    name: Mapped[str | None] = mapped_column(String(60))


class CalendarYear(db.Model):
    """A year whose holidays are loaded; a year without a row is provisional (from 2025 its
    statutory holidays are derived, see casesys.workcalendar.statutory; before, Monday–Friday)
    and its deadlines are marked "calendar unconfirmed"."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(60))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
