"""Recomputing open clocks when the working-day calendar changes (DOMAIN §4).

The calendar (casesys.workcalendar) sits below the workflows and does not know their clocks: it
tells the clock owners it has changed (casesys.workcalendar.listeners), and ``init_app`` of the
workflows registers this module as the owner of the engine's clocks. Each clock that changed is
audited here, with its old and new due dates."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from casesys.audit import services as audit
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.workcalendar import load_calendar
from casesys.workcalendar.listeners import ClockOwner
from casesys.workflows import clocks, engine
from casesys.workflows.models import CaseClock

# Reminders fall up to a few working days after a due date (overdue, then the supervisors), so a
# clock due shortly before the year starts still has reminder dates inside it.
_REMINDER_MARGIN = timedelta(days=31)


def affected_clocks_query(year: int):
    """Open clocks whose span (start to due date, plus reminder margin) touches ``year``, or that
    are marked "calendar unconfirmed"."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    return (select(CaseClock)
            .where(CaseClock.status.in_(clocks.OPEN_STATUSES),
                   or_(CaseClock.calendar_unconfirmed,
                       (CaseClock.started_on <= last) & (CaseClock.due_on >= first - _REMINDER_MARGIN)))
            .order_by(CaseClock.id))


def recompute_open_clocks(actor, year: int, *, reason: str) -> dict[str, int]:
    """Recompute each affected clock on the current calendar; audit each one that changed."""
    calendar, today = load_calendar(), today_in_china()
    query = (affected_clocks_query(year)
             .options(selectinload(CaseClock.case), selectinload(CaseClock.pauses),
                      selectinload(CaseClock.extensions))
             .with_for_update(of=CaseClock)  # an engine step on the same clock waits (PostgreSQL)
             .execution_options(populate_existing=True))
    counts = {"clocks_recomputed": 0, "clocks_changed": 0, "due_dates_moved": 0, "clocks_skipped": 0}
    for clock in db.session.scalars(query):
        try:
            definition = engine.clock_definition(engine.definition_of(clock.case), clock.key)
        except KeyError:  # the workflow (or its version) no longer declares the clock
            counts["clocks_skipped"] += 1
            continue
        old = (clock.due_on, clock.strict_due_on, clock.calendar_unconfirmed)
        clocks.recompute(clock, definition, calendar, today)
        counts["clocks_recomputed"] += 1
        new = (clock.due_on, clock.strict_due_on, clock.calendar_unconfirmed)
        if new == old:
            continue
        counts["clocks_changed"] += 1
        counts["due_dates_moved"] += clock.due_on != old[0]
        audit.record("calendar.recompute", "case", clock.case_id, actor, number=clock.case.number,
                     clock_id=clock.id, clock=clock.key, year=year, reason=reason,
                     old_due_on=old[0].isoformat(), new_due_on=clock.due_on.isoformat(),
                     old_strict_due_on=old[1].isoformat(), new_strict_due_on=clock.strict_due_on.isoformat(),
                     old_calendar_unconfirmed=old[2], new_calendar_unconfirmed=clock.calendar_unconfirmed)
    db.session.flush()
    return counts


def unconfirmed_clocks() -> int:
    """Open clocks marked "calendar unconfirmed", for the calendar's admin page."""
    return db.session.scalar(select(func.count()).select_from(CaseClock).where(
        CaseClock.status.in_(clocks.OPEN_STATUSES), CaseClock.calendar_unconfirmed))


CLOCK_OWNER = ClockOwner(recompute=lambda actor, year, reason: recompute_open_clocks(actor, year, reason=reason),
                         unconfirmed=unconfirmed_clocks)
