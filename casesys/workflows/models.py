"""What the engine records beside a case: clocks, their pauses and extensions, and handoffs.

Links between cases, access granted to other agencies and the numbers a case used to have are
the cases package's (who may see a case and what search finds read them); they are named here
too, so the engine's modules can keep importing them from one place."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text, UniqueConstraint, and_, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casesys.agencies.models import Agency
from casesys.auth.models import User
from casesys.cases.models import (  # noqa: F401 (re-exported for the engine's modules)
    ACCESS_LEVELS,
    Case,
    CaseAccess,
    CaseFormerNumber,
    CaseLink,
)
from casesys.core.types import UTCDateTime
from casesys.extensions import db

CLOCK_STATUSES = ("running", "paused", "stopped", "ended")
UNITS = ("natural_days", "working_days", "months", "hours")
HANDOFF_STATUSES = ("pending", "accepted", "returned")


def _enum(values, name: str):
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


class CaseClock(db.Model):
    """One statutory clock on a case. ``due_on`` is stored so sweepers can use an index; it
    is recomputed whenever a pause, an extension or the calendar changes it."""

    __tablename__ = "case_clocks"
    __table_args__ = (Index("ix_case_clocks_status_due_on", "status", "due_on"),
                      Index("ix_case_clocks_status_next_reminder_on", "status", "next_reminder_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(_enum(CLOCK_STATUSES, "clock_status"), default="running")
    started_on: Mapped[date]
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # hour clocks only
    duration: Mapped[int]
    unit: Mapped[str] = mapped_column(_enum(UNITS, "clock_unit"))
    due_on: Mapped[date]
    strict_due_on: Mapped[date]  # before rolling forward past non-working days
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # hour clocks only
    calendar_unconfirmed: Mapped[bool] = mapped_column(default=False)
    stopped_on: Mapped[date | None]
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # hour clocks only
    # The first day a reminder threshold of this clock falls due: the sweeper reads only clocks
    # with this on or before today (an index range, not a scan of every open clock).
    next_reminder_on: Mapped[date | None]

    case: Mapped[Case] = relationship(back_populates="clocks")
    pauses: Mapped[list[ClockPause]] = relationship(cascade="all, delete-orphan", order_by="ClockPause.id")
    extensions: Mapped[list[ClockExtension]] = relationship(cascade="all, delete-orphan",
                                                            order_by="ClockExtension.id")


# Met, late and overdue in SQL, as ``clocks.view`` judges them: an hour clock with its moments
# recorded by the time (``due_at``, ``stopped_at``), every other clock by the date.
def clock_overdue(today: date, now: datetime):
    """A running clock past its due moment."""
    return or_(and_(CaseClock.due_at.is_not(None), CaseClock.due_at < now),
               and_(CaseClock.due_at.is_(None), CaseClock.due_on < today))


def clock_on_time():
    """A stopped clock stopped by its due moment."""
    by_the_hour = and_(CaseClock.due_at.is_not(None), CaseClock.stopped_at.is_not(None))
    return or_(and_(by_the_hour, CaseClock.stopped_at <= CaseClock.due_at),
               and_(~by_the_hour, CaseClock.stopped_on <= CaseClock.due_on))


def clock_late(today: date, now: datetime):
    """Stopped after its due moment, or still open past it."""
    return or_(and_(CaseClock.stopped_on.is_not(None), ~clock_on_time()),
               and_(CaseClock.stopped_on.is_(None), clock_overdue(today, now)))


class ClockPause(db.Model):
    """Time not counted (testing, hearing, suspension...): pushes the due date out."""

    __tablename__ = "clock_pauses"
    __table_args__ = (CheckConstraint("resumed_on IS NULL OR resumed_on >= paused_on", name="resume_after_pause"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("case_clocks.id", ondelete="CASCADE"), index=True)
    paused_on: Mapped[date]
    resumed_on: Mapped[date | None]
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))


class ClockExtension(db.Model):
    """An approved extension: one step of the clock's declared ladder."""

    __tablename__ = "clock_extensions"
    __table_args__ = (UniqueConstraint("clock_id", "step", name="uq_clock_extensions_clock_step"),
                      CheckConstraint("amount > 0", name="amount_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("case_clocks.id", ondelete="CASCADE"), index=True)
    step: Mapped[int]
    amount: Mapped[int]
    unit: Mapped[str] = mapped_column(_enum(UNITS, "clock_unit"))
    approver_role: Mapped[str] = mapped_column(String(30))
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_on: Mapped[date]
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))

    approved_by: Mapped[User] = relationship()


class Handoff(db.Model):
    """A case sent to the competent agency (DOMAIN §3.7): pending until accepted or returned."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_to_agency_id_status", "to_agency_id", "status"),
        # At most one pending handoff per case.
        Index("uq_handoffs_one_pending", "case_id", unique=True,
              sqlite_where=db.text("status = 'pending'"), postgresql_where=db.text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    status: Mapped[str] = mapped_column(_enum(HANDOFF_STATUSES, "handoff_status"), default="pending")
    reason: Mapped[str] = mapped_column(Text)
    materials: Mapped[str] = mapped_column(Text)
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_on: Mapped[date]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_on: Mapped[date | None]
    return_reason: Mapped[str | None] = mapped_column(Text)
    old_number: Mapped[str] = mapped_column(String(40))
    new_number: Mapped[str | None] = mapped_column(String(40))
    clock_id: Mapped[int | None] = mapped_column(ForeignKey("case_clocks.id"))

    case: Mapped[Case] = relationship()
    from_agency: Mapped[Agency] = relationship(foreign_keys=[from_agency_id])
    to_agency: Mapped[Agency] = relationship(foreign_keys=[to_agency_id])
    sent_by: Mapped[User] = relationship(foreign_keys=[sent_by_id])
