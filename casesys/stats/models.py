"""Dashboard figures kept between computations (see casesys.stats.snapshots)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Integer, String
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


class StatsDataVersion(db.Model):
    """One row counting the commits that changed anything a figure reads. It is bumped in the
    committing transaction itself (see casesys.stats.snapshots), so a reader that sees the count
    unchanged has seen every such commit."""

    __tablename__ = "stats_data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    version: Mapped[int] = mapped_column(BigInteger, default=0)
