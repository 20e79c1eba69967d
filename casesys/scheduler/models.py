"""The scheduler's own rows: the heartbeat of the one active scheduler and each job's last run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casesys.core.types import UTCDateTime
from casesys.extensions import db


class SchedulerHeartbeat(db.Model):
    """The one active scheduler: who leads, under which term, and when it last proved it is alive.

    A standby takes over (and bumps the term) only when ``renewed_at`` is older than the lease;
    a leader renews only while the row still has its holder and term, so one that froze and
    woke up after a takeover finds out before it runs another job (fencing)."""

    __tablename__ = "scheduler_heartbeats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    term: Mapped[int] = mapped_column(default=0)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SchedulerJobRun(db.Model):
    """The last finished run of each scheduler job, for ``flask scheduler status``."""

    __tablename__ = "scheduler_job_runs"

    job_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    term: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ok: Mapped[bool]
    error: Mapped[str | None] = mapped_column(Text)
