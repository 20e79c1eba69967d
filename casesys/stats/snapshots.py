"""The dashboard's figures, kept until the records they came from change.

On a national-scale database one dashboard view aggregates a million cases several times over,
which takes seconds. A view's figures are stored with the *data version* they were computed
from: a fingerprint of everything a figure reads (cases, history, handoffs, clocks, inspections,
supervision orders, the holiday calendar) and of today's date (overdue depends on it). A stored
view is shown only while the version is unchanged, so it is always equal to the live query;
otherwise the view is computed live and stored again. The scheduler recomputes the views
supervisors open first (see ``preset_views``) whenever the version has moved.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from casesys.agencies.models import Region
from casesys.cases.models import Case, CaseEvent
from casesys.core.types import today_in_china, utcnow
from casesys.extensions import db
from casesys.reminders.models import SupervisionOrder
from casesys.reporting.models import InspectionRecord
from casesys.stats import figures
from casesys.stats.filters import StatsFilters, default_period
from casesys.stats.models import StatsSnapshot
from casesys.workcalendar.models import CalendarYear
from casesys.workflows.models import CaseClock, Handoff

KEEP = timedelta(days=2)  # views nobody opened for two days are dropped


@dataclass(frozen=True)
class View:
    data: dict
    computed_at: datetime
    stored: bool  # True: read from a snapshot of the unchanged records


def data_version() -> str:
    """Moves whenever anything the figures read changes. Every part is an index lookup: cases
    change through the engine, which moves ``updated_at``; rows added elsewhere get new ids."""
    parts = [select(func.max(Case.id)).scalar_subquery(), select(func.max(Case.updated_at)).scalar_subquery(),
             select(func.max(CaseEvent.id)).scalar_subquery(), select(func.max(Handoff.id)).scalar_subquery(),
             select(func.max(CaseClock.id)).scalar_subquery(),
             select(func.max(InspectionRecord.id)).scalar_subquery(),
             select(func.max(SupervisionOrder.id)).scalar_subquery(),
             select(func.count()).where(SupervisionOrder.status == "open").scalar_subquery(),
             select(func.max(CalendarYear.loaded_at)).scalar_subquery()]
    row = db.session.execute(select(*parts)).one()
    return hashlib.sha256(repr((today_in_china().isoformat(), *map(str, row))).encode()).hexdigest()


def _key(f: StatsFilters, bucket: str, sections: tuple[str, ...]) -> str:
    view = {"filters": f.as_args(), "bucket": bucket, "sections": sorted(sections)}
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()


def summary(f: StatsFilters, bucket: str, sections: tuple[str, ...]) -> View:
    """``figures.summary`` for the view: stored if the records have not changed since, else live."""
    key, version = _key(f, bucket, sections), data_version()
    snapshot = db.session.get(StatsSnapshot, key)
    if snapshot is not None and snapshot.data_version == version:
        return View(snapshot.data, snapshot.computed_at, stored=True)
    data = json.loads(json.dumps(figures.summary(f, bucket, sections), default=str))  # as stored: plain JSON
    _store(key, version, data)
    return View(data, utcnow(), stored=False)


def _store(key: str, version: str, data: dict) -> None:
    """Insert or replace the view; committed with the request (two requests may race: last wins)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    values = {"key": key, "data_version": version, "computed_at": utcnow(), "data": data}
    db.session.execute(insert(StatsSnapshot).values(**values).on_conflict_do_update(
        index_elements=[StatsSnapshot.key], set_={k: v for k, v in values.items() if k != "key"}))


def preset_views() -> list[tuple[StatsFilters, str, tuple[str, ...]]]:
    """What supervisors open first: this year's overview for the province and each city, and the
    province's last year and 13th Five-Year period (the plan's own figures)."""
    start, end = default_period()
    regions = db.session.scalars(select(Region).order_by(Region.code)).all()
    views = [StatsFilters(date_from=start, date_to=end, region=r.code if r.parent_code else None) for r in regions]
    views += [StatsFilters(date_from=date(start.year - 1, 1, 1), date_to=date(start.year - 1, 12, 31)),
              StatsFilters(date_from=date(2016, 1, 1), date_to=date(2020, 12, 31))]
    return [(f, "month", ("overview",)) for f in views]


def refresh(now: datetime | None = None) -> dict[str, int]:
    """Scheduler job: recompute the preset views whose records changed; drop views left unused."""
    done = 0
    for f, bucket, sections in preset_views():
        if not summary(f, bucket, sections).stored:
            done += 1
    cutoff = (now or utcnow()) - KEEP
    dropped = db.session.execute(delete(StatsSnapshot).where(StatsSnapshot.computed_at < cutoff)).rowcount
    return {"recomputed": done, "dropped": dropped}
