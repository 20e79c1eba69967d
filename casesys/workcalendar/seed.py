"""Load the holidays the installed ``chinesecalendar`` package knows into the calendar tables."""

from __future__ import annotations

from importlib.metadata import version

from sqlalchemy import select

from casesys.extensions import db
from casesys.workcalendar.models import CalendarDay, CalendarYear
from casesys.workcalendar.workdays import chinesecalendar_days, chinesecalendar_years


def seed_calendar() -> int:
    """Add the package's years that are not loaded yet; return the number of days added.

    A year already loaded (by an earlier seed, an import or an admin) is left alone, so running
    this again neither adds rows nor undoes an admin's edit. Flushes; the caller commits.
    """
    source = f"chinesecalendar {version('chinesecalendar')}"
    loaded_years = set(db.session.scalars(select(CalendarYear.year)))
    # Days an admin entered for a year not yet loaded keep their value (and the key stays unique).
    known_days = set(db.session.scalars(select(CalendarDay.day)))
    new_years = [year for year in chinesecalendar_years() if year not in loaded_years]
    added = 0
    for day, (is_working, name) in sorted(chinesecalendar_days().items()):
        if day.year in new_years and day not in known_days:
            db.session.add(CalendarDay(day=day, is_working=is_working, name=name))
            added += 1
    db.session.add_all(CalendarYear(year=year, source=source) for year in new_years)
    db.session.flush()
    return added
