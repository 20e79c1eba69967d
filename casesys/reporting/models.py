"""Figures agencies report rather than derive from cases (信息报送): copyright inspections and
the plan's periodic indicators (DOMAIN §5–6)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casesys.agencies.models import Agency
from casesys.auth.models import User
from casesys.core.types import UTCDateTime, utcnow
from casesys.extensions import db


class InspectionRecord(db.Model):
    """One inspection round of an agency: how many business units it inspected on a day."""

    __tablename__ = "inspection_records"
    __table_args__ = (CheckConstraint("units_inspected > 0", name="units_positive"),
                      Index("ix_inspection_records_agency_id_inspected_on", "agency_id", "inspected_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    inspected_on: Mapped[date] = mapped_column(index=True)
    units_inspected: Mapped[int]
    campaign: Mapped[str | None] = mapped_column(String(100))  # e.g. 剑网2019
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agency: Mapped[Agency] = relationship()
    created_by: Mapped[User] = relationship()


class IndicatorReport(db.Model):
    """An agency's value of one plan indicator for a year (quarter 0) or a quarter (1–4).
    Submitting again for the same period replaces the value; the audit log keeps the old one."""

    __tablename__ = "indicator_reports"
    __table_args__ = (
        UniqueConstraint("indicator", "agency_id", "year", "quarter", name="uq_indicator_reports_period"),
        CheckConstraint("quarter BETWEEN 0 AND 4", name="quarter_range"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(40), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    year: Mapped[int]
    quarter: Mapped[int] = mapped_column(default=0)
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    note: Mapped[str | None] = mapped_column(Text)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    agency: Mapped[Agency] = relationship()
    submitted_by: Mapped[User] = relationship()
