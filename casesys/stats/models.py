"""Dashboard figures kept between computations (see casesys.stats.snapshots)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from casesys.core.types import UTCDateTime, utcnow
from casesys.extensions import db


class StatsSnapshot(db.Model):
    """The figures of one dashboard view, and the version of the records they were computed from.
    Never a source of truth: used only while the records still have that version."""

    __tablename__ = "stats_snapshots"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the view's filters
    data_version: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    data: Mapped[dict] = mapped_column(JSON)
