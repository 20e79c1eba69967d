"""Calendar arithmetic for deadlines (DOMAIN.md §4, LEGAL-TIME-LIMITS.md §8).

The start day is never counted. Working days are Monday–Friday, minus statutory holidays, plus
make-up working days (调休). A year whose notice is not loaded (from 2025, the 2024 holiday rules)
gets provisional holidays derived from the rules (casesys.workcalendar.statutory: the statutory
days only, no make-up working days); any other missing year counts Monday–Friday. Nothing fails
for a missing year; callers ask ``confirmed_between`` to mark the result "calendar unconfirmed".
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
from casesys.workcalendar.statutory import RULES_FROM, statutory_holidays

_ONE_DAY = timedelta(days=1)
_MEMO_KEY = "_working_calendar"
# Years past the last loaded one that get provisional holidays; later ones count Monday–Friday.
# (The longest clock with its extensions spans well under two years.)
PROVISIONAL_HORIZON = 10


def _is_weekday(day: date) -> bool:
    return day.weekday() < 5


def _weekdays_before(ordinal: int) -> int:
    """Mondays–Fridays among ordinals 1 .. ordinal-1 (ordinal 1, 0001-01-01, is a Monday)."""
    weeks, rest = divmod(ordinal - 1, 7)
    return weeks * 5 + min(rest, 5)


def provisional_years_for(confirmed_years: frozenset[int] | set[int]) -> frozenset[int]:
    """The years that get derived holidays: from 2025 (the 2024 rules) through PROVISIONAL_HORIZON
    years past the last loaded one, minus the loaded ones."""
    last = max(max(confirmed_years, default=0), RULES_FROM - 1)
    return frozenset(y for y in range(RULES_FROM, last + PROVISIONAL_HORIZON + 1) if y not in confirmed_years)


@dataclass(frozen=True)
class WorkingCalendar:
    exceptions: Mapping[date, bool]  # day -> is_working, only for days that differ from Mon–Fri
    confirmed_years: frozenset[int]  # years whose holidays are loaded
    # Derive the statutory holidays of unloaded years (see provisional_years_for); False gives
    # the bare Monday–Friday rule for them.
    derive: bool = field(default=True, kw_only=True)
    # The years whose holidays were derived here: their dates are provisional.
    provisional_years: frozenset[int] = field(init=False, compare=False)
    # ``exceptions`` with the derived holidays under them (a loaded or entered day wins).
    _special: Mapping[date, bool] = field(init=False, repr=False, compare=False)
    # Sorted special days: counting a span needs only the special days inside it.
    _days: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A read-only copy: the calendar is shared (memoised per request) and must not drift.
        exceptions = dict(self.exceptions)
        object.__setattr__(self, "exceptions", MappingProxyType(exceptions))
        object.__setattr__(self, "confirmed_years", frozenset(self.confirmed_years))
        provisional = provisional_years_for(self.confirmed_years) if self.derive else frozenset()
        special = {day: False for year in sorted(provisional) for day, _name in statutory_holidays(year)}
        special.update(exceptions)
        object.__setattr__(self, "provisional_years", provisional)
        object.__setattr__(self, "_special", special)
        object.__setattr__(self, "_days", tuple(sorted(special)))

    @classmethod
    def from_chinesecalendar(cls) -> WorkingCalendar:
        """The calendar as the installed ``chinesecalendar`` package has it (no database)."""
        days = chinesecalendar_days()
        return cls({day: working for day, (working, _name) in days.items()}, frozenset(chinesecalendar_years()))

    def is_working_day(self, day: date) -> bool:
        working = self._special.get(day)
        return _is_weekday(day) if working is None else working

    def is_confirmed(self, year: int) -> bool:
        return year in self.confirmed_years

    def is_provisional(self, year: int) -> bool:
        """Whether ``year``'s holidays are derived from the rules (not loaded from its notice)."""
        return year in self.provisional_years

    def confirmed_between(self, first: date, last: date) -> bool:
        """Whether every year from first's to last's is loaded (in either order); a derived
        (provisional) year is not."""
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
            count += self._special[day] - _is_weekday(day)
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
