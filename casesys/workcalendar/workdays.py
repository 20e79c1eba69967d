"""Calendar arithmetic for deadlines (DOMAIN.md §4, LEGAL-TIME-LIMITS.md §8).

The start day is never counted. Working days are Monday–Friday, minus statutory holidays, plus
make-up working days (调休); a year whose holidays are not loaded still counts Monday–Friday, so
nothing fails for a missing year; callers ask ``confirmed_between`` to mark the result.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

from chinese_calendar import constants as chinesecalendar
from flask import g, has_app_context
from sqlalchemy import select

from casesys.extensions import db
from casesys.workcalendar.models import CalendarDay, CalendarYear

_ONE_DAY = timedelta(days=1)
_MEMO_KEY = "_working_calendar"


def _is_weekday(day: date) -> bool:
    return day.weekday() < 5


def _weekdays_before(ordinal: int) -> int:
    """Mondays–Fridays among ordinals 1 .. ordinal-1 (ordinal 1, 0001-01-01, is a Monday)."""
    weeks, rest = divmod(ordinal - 1, 7)
    return weeks * 5 + min(rest, 5)


@dataclass(frozen=True)
class WorkingCalendar:
    exceptions: Mapping[date, bool]  # day -> is_working, only for days that differ from Mon–Fri
    confirmed_years: frozenset[int]  # years whose holidays are loaded
    # Sorted exception days: counting a span needs only the exceptions inside it.
    _days: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A read-only copy: the calendar is shared (memoised per request) and must not drift.
        object.__setattr__(self, "exceptions", MappingProxyType(dict(self.exceptions)))
        object.__setattr__(self, "confirmed_years", frozenset(self.confirmed_years))
        object.__setattr__(self, "_days", tuple(sorted(self.exceptions)))

    @classmethod
    def from_chinesecalendar(cls) -> WorkingCalendar:
        """The calendar as the installed ``chinesecalendar`` package has it (no database)."""
        days = chinesecalendar_days()
        return cls({day: working for day, (working, _name) in days.items()}, frozenset(chinesecalendar_years()))

    def is_working_day(self, day: date) -> bool:
        working = self.exceptions.get(day)
        return _is_weekday(day) if working is None else working

    def is_confirmed(self, year: int) -> bool:
        return year in self.confirmed_years

    def confirmed_between(self, first: date, last: date) -> bool:
        """Whether every year from first's to last's is loaded (in either order)."""
        low, high = sorted((first.year, last.year))
        return all(year in self.confirmed_years for year in range(low, high + 1))

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after start (start itself is not counted); n == 0 gives start."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day = start
        while n:
            day += _ONE_DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def subtract_working_days(self, end: date, n: int) -> date:
        """The working day that lies n working days before end (end itself is not counted)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day = end
        while n:
            day -= _ONE_DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def next_working_day(self, day: date) -> date:
        """day itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def working_days_between(self, after: date, through: date) -> int:
        """Working days d with after < d <= through; 0 when through <= after."""
        if through <= after:
            return 0
        count = _weekdays_before(through.toordinal() + 1) - _weekdays_before(after.toordinal() + 1)
        # Correct Mon–Fri by each exception inside the span (+1 make-up day, -1 holiday).
        for day in self._days[bisect_right(self._days, after):bisect_left(self._days, through + _ONE_DAY)]:
            count += self.exceptions[day] - _is_weekday(day)
        return count


def add_natural_days(start: date, n: int) -> date:
    """N 日 from start ends on start + n (start day not counted)."""
    return start + timedelta(days=n)


def add_months(start: date, n: int) -> date:
    """民法典 Art 202: the same day of the final month, or that month's last day if it has none."""
    year, month0 = divmod(start.year * 12 + start.month - 1 + n, 12)
    month = month0 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def chinesecalendar_days() -> dict[date, tuple[bool, str]]:
    """day -> (is_working, holiday name in Chinese) from the installed ``chinesecalendar``.

    Its holidays include weekend days inside a holiday period and weekdays swapped to rest; its
    workdays are the make-up weekend days, named after the holiday they make up for.
    """
    def chinese(name: str) -> str:
        try:
            return chinesecalendar.Holiday(name).chinese
        except ValueError:  # a name the enum lacks: keep the package's English
            return name

    days = {day: (False, chinese(name)) for day, name in chinesecalendar.holidays.items()}
    days.update({day: (True, chinese(name)) for day, name in chinesecalendar.workdays.items()})
    return days


def chinesecalendar_years() -> range:
    """The years the package covers (the range its own ``is_workday`` accepts)."""
    return range(min(chinesecalendar.holidays).year, max(chinesecalendar.holidays).year + 1)


def load_calendar() -> WorkingCalendar:
    """The calendar from the database, read once per app context (i.e. per request or job)."""
    if has_app_context() and (memo := g.get(_MEMO_KEY)) is not None:
        return memo
    days = db.session.execute(select(CalendarDay.day, CalendarDay.is_working)).all()
    years = db.session.scalars(select(CalendarYear.year)).all()
    loaded = WorkingCalendar({day: working for day, working in days}, frozenset(years))
    if has_app_context():
        setattr(g, _MEMO_KEY, loaded)
    return loaded


def forget_calendar() -> None:
    """Drop the memo, so the next load_calendar() sees an edited calendar."""
    if has_app_context():
        g.pop(_MEMO_KEY, None)
