"""Reminders, their e-mail copies and supervision orders."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casesys.auth.models import User
from casesys.cases.models import Case
from casesys.core.types import UTCDateTime, utcnow
from casesys.extensions import db

THRESHOLDS = ("before_3", "before_1", "due", "overdue", "escalate_head", "escalate_supervisors", "order")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")
ORDER_STATUSES = ("open", "answered")


def _enum(values, name: str):
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=30)


class Notification(db.Model):
    """One message to one person. For a clock, the unique key makes each (clock, threshold,
    due date, recipient) exist at most once, whoever sweeps and however often: the database,
    not the scheduler, guarantees "exactly once". A new due date (extension, calendar) is a
    new key, so reminders follow the date."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("clock_id", "threshold", "due_on", "user_id", name="uq_notifications_once"),
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    clock_id: Mapped[int | None] = mapped_column(ForeignKey("case_clocks.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_orders.id", ondelete="CASCADE"))
    threshold: Mapped[str] = mapped_column(_enum(THRESHOLDS, "notification_threshold"))
    due_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    case: Mapped[Case] = relationship()


class EmailOutbox(db.Model):
    """The e-mail copy of a notification, written in the same transaction and sent after the
    commit. A row is marked ``sending`` (committed) before the SMTP call, so a crash mid-send
    never sends it twice; an SMTP error puts it back to ``pending`` with a back-off. A row left
    ``sending`` (the sender was killed) is reported, never re-sent on its own."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), unique=True)
    to_address: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(_enum(OUTBOX_STATUSES, "outbox_status"), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when it went ``sending`` (wall clock)


class SupervisionOrder(db.Model):
    """督办: a supervisor's order on a case, with a due date (its own clock) and an answer."""

    __tablename__ = "supervision_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_on: Mapped[date]
    due_on: Mapped[date]
    instructions: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(_enum(ORDER_STATUSES, "order_status"), default="open")
    clock_id: Mapped[int | None] = mapped_column(ForeignKey("case_clocks.id"))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_on: Mapped[date | None]

    case: Mapped[Case] = relationship()
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
