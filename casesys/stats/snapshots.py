"""The dashboard's figures, kept until the records they came from change.

On a national-scale database one dashboard view aggregates a million cases several times over,
which takes seconds. A view's figures are stored with the *data version* they were computed
from: today's date (overdue depends on it) and a counter, ``stats_data_version``, that every
transaction writing a table a figure reads (``TRACKED``) bumps as the last thing before it
commits. The counter is read *before* the figures are computed, and a stored view is shown only
while the counter is unchanged: a commit the computation did not see has moved it, however its
ids and timestamps compare with other rows'. Otherwise the view is computed live and stored
again. The scheduler recomputes the views supervisors open first (see ``preset_views``)
whenever the version has moved.

Writes are noticed in the ORM session (rows added, changed or deleted; bulk UPDATE/DELETE/INSERT
statements on a tracked table); code that writes around the ORM calls ``records_changed`` (the
history loader does). The bump takes the counter row's lock only at commit, after every other
lock the transaction needed, so it never waits while holding it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain

from sqlalchemy import delete, event, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from casesys.agencies.models import Agency, Region
from casesys.cases.models import Case, CaseEvent, Party
from casesys.core.types import today_in_china, utcnow
from casesys.extensions import db
from casesys.reminders.models import SupervisionOrder
from casesys.reporting.models import InspectionRecord
from casesys.stats import figures
from casesys.stats.filters import StatsFilters, default_period
from casesys.stats.models import StatsDataVersion, StatsSnapshot
from casesys.workcalendar.models import CalendarDay, CalendarYear
from casesys.workflows.models import CaseClock, Handoff

KEEP = timedelta(days=2)  # views nobody opened for two days are dropped


@dataclass(frozen=True)
class View:
    data: dict
    computed_at: datetime
    stored: bool  # True: read from a snapshot of the unchanged records


# What casesys/stats/figures.py reads (and the calendar, which moves due dates).
TRACKED = (Case, CaseEvent, Party, Agency, Region, CaseClock, Handoff, InspectionRecord, SupervisionOrder,
           CalendarDay, CalendarYear)
_TRACKED_TABLES = frozenset(model.__tablename__ for model in TRACKED)
_CHANGED = "casesys.stats_records_changed"  # flag in Session.info until the transaction ends
# The same statement on SQLite and PostgreSQL; also run on raw DBAPI connections (history loader).
BUMP_SQL = ("INSERT INTO stats_data_version (id, version) VALUES (1, 1) "
            "ON CONFLICT (id) DO UPDATE SET version = stats_data_version.version + 1")


def data_version() -> str:
    """Moves whenever a commit changed anything the figures read, and every day."""
    counter = db.session.scalar(select(StatsDataVersion.version).where(StatsDataVersion.id == 1)) or 0
    return f"{today_in_china().isoformat()}/{counter}"


def records_changed(session: Session | None = None) -> None:
    """Have the current transaction bump the data version when it commits."""
    (session or db.session).info[_CHANGED] = True


def _note_flush(session: Session, _context, _instances) -> None:
    if session.info.get(_CHANGED):
        return
    if any(isinstance(obj, TRACKED) for obj in chain(session.new, session.deleted)) or any(
            isinstance(obj, TRACKED) and session.is_modified(obj) for obj in session.dirty):
        records_changed(session)


def _note_statement(state) -> None:
    """Bulk ``update(Case)``, ``delete(...)``, ``insert(...)`` statements bypass the unit of work."""
    if (state.is_insert or state.is_update or state.is_delete) and not state.session.info.get(_CHANGED):
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _TRACKED_TABLES:
            records_changed(state.session)


def _bump_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()  # every other write (and its locks) first: the counter row is locked last
    if session.info.get(_CHANGED):
        session.execute(text(BUMP_SQL))
    session.info.pop(_CHANGED, None)


def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: committed or rolled back
        session.info.pop(_CHANGED, None)


def install_version_hooks() -> None:
    if not event.contains(Session, "before_commit", _bump_before_commit):
        event.listen(Session, "before_flush", _note_flush)
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "before_commit", _bump_before_commit)
        event.listen(Session, "after_transaction_end", _forget)


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
