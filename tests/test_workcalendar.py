"""Deadline arithmetic: working days, natural days and months (DOMAIN.md §4, LEGAL-TIME-LIMITS.md §8).

Pure: calendars are built in memory, the real one from the installed ``chinesecalendar`` data.
Expected dates in the tables are counted by hand from the State Council notices.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from bisect import bisect_right
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casesys.workcalendar import WorkingCalendar, add_months, add_natural_days
from casesys.workcalendar.workdays import chinesecalendar_days, chinesecalendar_years

D = date.fromisoformat
ONE_DAY = timedelta(days=1)
REAL = WorkingCalendar.from_chinesecalendar()
MON_FRI = WorkingCalendar({}, frozenset(), derive=False)  # the bare Monday–Friday rule

# 2003 and 2027–2028 lie outside the package's data: they must still count (Monday–Friday, minus
# the derived statutory holidays from 2025 on).
days = st.dates(min_value=date(2003, 1, 1), max_value=date(2028, 12, 31))
counts = st.integers(min_value=0, max_value=1000)
random_calendars = st.builds(
    WorkingCalendar,
    st.dictionaries(st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)), st.booleans(), max_size=60),
    st.frozensets(st.integers(min_value=2003, max_value=2028), max_size=5),
)
calendars = st.one_of(st.just(REAL), st.just(MON_FRI), random_calendars)


# --- Working days with the real chinesecalendar data -------------------------------------------

@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D("2026-02-14"), True),  # Saturday, make-up day before Spring Festival 2026
        (D("2026-02-15"), False),  # Sunday, first day of the 9-day break
        (D("2026-02-16"), False),
        (D("2026-02-20"), False),
        (D("2026-02-23"), False),  # Monday, last day of the break
        (D("2026-02-24"), True),
        (D("2026-02-28"), True),  # Saturday, make-up day after it
        (D("2026-03-01"), False),  # an ordinary Sunday
        (D("2025-01-26"), True),  # Sunday, make-up day before Spring Festival 2025
        (D("2025-01-28"), False),
        (D("2025-02-04"), False),
        (D("2025-02-05"), True),
        (D("2025-02-08"), True),  # Saturday, make-up day
        (D("2025-09-28"), True),  # Sunday, make-up day before National Day 2025
        (D("2025-10-01"), False),
        (D("2025-10-06"), False),  # Mid-Autumn inside the National Day break
        (D("2025-10-08"), False),
        (D("2025-10-09"), True),
        (D("2025-10-11"), True),  # Saturday, make-up day
        (D("2025-10-13"), True),  # an ordinary Monday
        (D("2025-10-18"), False),  # an ordinary Saturday
        (D("2026-09-20"), True),  # Sunday, make-up day before National Day 2026
        (D("2026-09-25"), False),  # Friday, Mid-Autumn 2026
        (D("2026-10-07"), False),
        (D("2026-10-08"), True),
        (D("2026-10-10"), True),  # Saturday, make-up day
        (D("2027-01-01"), False),  # New Year's Day: 2027 is not loaded, but its statutory holidays are derived
        (D("2027-02-05"), False),  # 除夕 2027, derived
        (D("2027-02-09"), True),  # no 补假 or swapped rest day is derived
    ],
    ids=str,
)
def test_is_working_day_real_calendar(day, working):
    assert REAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D("2026-02-10"), 15, D("2026-03-09")),  # through both Spring Festival make-up Saturdays
        (D("2026-02-10"), 4, D("2026-02-14")),  # lands on the make-up Saturday
        (D("2026-02-13"), 2, D("2026-02-24")),
        (D("2025-01-24"), 1, D("2025-01-26")),  # lands on the make-up Sunday
        (D("2025-01-24"), 3, D("2025-02-05")),
        (D("2025-01-27"), 5, D("2025-02-10")),
        (D("2025-09-30"), 5, D("2025-10-14")),  # Oct 9, 10, 11 (Sat), 13, 14
        (D("2025-09-24"), 3, D("2025-09-28")),  # lands on the make-up Sunday
        (D("2025-09-26"), 1, D("2025-09-28")),
        (D("2025-09-26"), 3, D("2025-09-30")),
        (D("2026-09-18"), 1, D("2026-09-20")),  # make-up Sunday
        (D("2026-09-18"), 7, D("2026-09-29")),  # skips Mid-Autumn Fri 25 – Sun 27
        (D("2026-09-29"), 3, D("2026-10-09")),
        (D("2026-09-29"), 4, D("2026-10-10")),  # make-up Saturday
        (D("2025-10-04"), 0, D("2025-10-04")),  # zero days: the start, even on a holiday
        (D("2026-12-31"), 1, D("2027-01-04")),  # 2027 not loaded: its New Year's Day is derived
        (D("2026-12-30"), 5, D("2027-01-07")),
        (D("2027-02-04"), 5, D("2027-02-15")),  # 除夕 Fri 02-05 to 初三 Mon 02-08 derived; no 调休
    ],
    ids=str,
)
def test_add_working_days_real_calendar(start, n, due):
    assert REAL.add_working_days(start, n) == due


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D("2026-02-10"), 15, D("2026-03-03")),
        (D("2025-09-30"), 5, D("2025-10-07")),
        (D("2025-09-26"), 1, D("2025-09-29")),
    ],
    ids=str,
)
def test_add_working_days_without_holidays_counts_monday_to_friday(start, n, due):
    assert MON_FRI.add_working_days(start, n) == due


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D("2025-10-04"), D("2025-10-09")),
        (D("2025-10-01"), D("2025-10-09")),
        (D("2025-09-27"), D("2025-09-28")),  # Saturday before the make-up Sunday
        (D("2025-01-28"), D("2025-02-05")),
        (D("2026-02-15"), D("2026-02-24")),
        (D("2026-02-14"), D("2026-02-14")),  # a make-up Saturday is itself working
        (D("2026-10-01"), D("2026-10-08")),
        (D("2026-10-10"), D("2026-10-10")),
        (D("2027-10-02"), D("2027-10-04")),  # 2027 derived: National Day Oct 1–3, then Monday
        (D("2027-01-01"), D("2027-01-04")),  # derived New Year's Day (Friday) rolls to Monday
        (D("2028-01-25"), D("2028-01-31")),  # derived 除夕 Tue 2028-01-25 to 初三 Fri 01-28
    ],
    ids=str,
)
def test_next_working_day_real_calendar(day, expected):
    assert REAL.next_working_day(day) == expected


@pytest.mark.parametrize(
    ("after", "through", "count"),
    [
        (D("2025-09-30"), D("2025-10-14"), 5),
        (D("2026-02-10"), D("2026-03-09"), 15),
        (D("2025-10-01"), D("2025-10-08"), 0),
        (D("2025-09-27"), D("2025-09-28"), 1),
        (D("2024-12-31"), D("2025-12-31"), 248),  # 261 weekdays - 18 weekday holidays + 5 make-up days
        (D("2025-12-31"), D("2026-12-31"), 248),  # 261 - 19 + 6
        (D("2025-10-14"), D("2025-09-30"), 0),  # reversed span
        (D("2025-10-14"), D("2025-10-14"), 0),
    ],
    ids=str,
)
def test_working_days_between_real_calendar(after, through, count):
    assert REAL.working_days_between(after, through) == count


@pytest.mark.parametrize(
    ("year", "confirmed"),
    [(2003, False), (2004, True), (2020, True), (2025, True), (2026, True), (2027, False)],
    ids=str,
)
def test_is_confirmed_real_calendar(year, confirmed):
    assert REAL.is_confirmed(year) is confirmed


@pytest.mark.parametrize(
    ("first", "last", "confirmed"),
    [
        (D("2025-12-01"), D("2026-01-31"), True),
        (D("2026-12-01"), D("2027-01-31"), False),
        (D("2027-01-31"), D("2026-12-01"), False),  # either order
        (D("2003-12-31"), D("2004-01-05"), False),
        (D("2004-01-01"), D("2026-12-31"), True),
    ],
    ids=str,
)
def test_confirmed_between_real_calendar(first, last, confirmed):
    assert REAL.confirmed_between(first, last) is confirmed


def test_chinesecalendar_covers_2004_to_2026():
    assert chinesecalendar_years() == range(2004, 2027)


@pytest.mark.parametrize(
    ("day", "entry"),
    [
        (D("2026-02-17"), (False, "春节")),
        (D("2026-02-28"), (True, "春节")),  # a make-up day carries the holiday's name
        (D("2025-10-06"), (False, "中秋")),
        (D("2025-10-07"), (False, "国庆节")),
        (D("2025-09-28"), (True, "国庆节")),
        (D("2015-09-03"), (False, "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日")),
    ],
    ids=str,
)
def test_chinesecalendar_days_names(day, entry):
    assert chinesecalendar_days()[day] == entry


def test_chinesecalendar_make_up_days_are_weekend_days():
    # Holidays may fall on weekends (a break includes its weekend), but a make-up working day on
    # a weekday would mean the data is misread.
    make_up = [day for day, (working, _name) in chinesecalendar_days().items() if working]
    assert make_up
    assert [day for day in make_up if day.weekday() < 5] == []


# --- The calendar object ---------------------------------------------------------------------------

def test_calendar_is_a_read_only_copy():
    source = {D("2025-10-13"): False}
    cal = WorkingCalendar(source, frozenset({2025}))
    source[D("2025-10-14")] = False
    assert cal.is_working_day(D("2025-10-14"))
    with pytest.raises(TypeError):
        cal.exceptions[D("2025-10-15")] = False  # type: ignore[index]


def test_negative_working_days_are_refused():
    with pytest.raises(ValueError, match="n must be >= 0"):
        REAL.add_working_days(D("2025-10-13"), -1)


def test_exceptions_win_over_the_weekday_rule():
    cal = WorkingCalendar({D("2025-10-13"): False, D("2025-10-18"): True}, frozenset())
    assert not cal.is_working_day(D("2025-10-13"))
    assert cal.is_working_day(D("2025-10-18"))
    assert cal.add_working_days(D("2025-10-10"), 1) == D("2025-10-14")
    assert cal.working_days_between(D("2025-10-12"), D("2025-10-19")) == 5


# --- Properties of working-day arithmetic ---------------------------------------------------------

@given(calendars, days, st.integers(min_value=1, max_value=1000))
def test_the_result_is_a_working_day_after_the_start(cal, start, n):
    due = cal.add_working_days(start, n)
    assert due > start
    assert cal.is_working_day(due)


@given(calendars, days, counts)
def test_counting_back_gives_n(cal, start, n):
    assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


@given(calendars, days, counts, counts)
def test_more_days_end_later(cal, start, a, b):
    if a < b:
        assert cal.add_working_days(start, a) < cal.add_working_days(start, b)


@given(calendars, days, st.integers(min_value=0, max_value=500), st.integers(min_value=0, max_value=500))
def test_working_days_compose(cal, start, a, b):
    assert cal.add_working_days(start, a + b) == cal.add_working_days(cal.add_working_days(start, a), b)


@given(calendars, days)
def test_next_working_day(cal, day):
    nxt = cal.next_working_day(day)
    assert cal.is_working_day(nxt)
    assert cal.next_working_day(nxt) == nxt
    assert nxt >= day
    # No working day is skipped on the way.
    assert cal.working_days_between(day - ONE_DAY, nxt) == 1
    assert nxt == cal.add_working_days(day - ONE_DAY, 1)


@given(calendars, days, st.integers(min_value=-30, max_value=800))
def test_working_days_between_matches_a_day_by_day_count(cal, after, span):
    through = after + timedelta(days=span)
    naive = sum(cal.is_working_day(after + timedelta(days=i)) for i in range(1, span + 1))
    assert cal.working_days_between(after, through) == naive


@given(calendars, days, st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=400))
def test_working_days_between_adds_up(cal, a, x, y):
    b = a + timedelta(days=x)
    c = b + timedelta(days=y)
    assert cal.working_days_between(a, b) + cal.working_days_between(b, c) == cal.working_days_between(a, c)


# Every Monday–Friday from 2002 to 2035, for an independent reference count.
_WEEKDAYS = [
    day
    for day in (date(2002, 1, 1) + timedelta(days=i) for i in range((date(2036, 1, 1) - date(2002, 1, 1)).days))
    if day.weekday() < 5
]


@given(days, counts)
def test_an_empty_calendar_counts_monday_to_friday(start, n):
    expected = _WEEKDAYS[bisect_right(_WEEKDAYS, start) + n - 1] if n else start
    assert MON_FRI.add_working_days(start, n) == expected
    assert MON_FRI.is_working_day(start) is (start.weekday() < 5)
    assert not MON_FRI.is_confirmed(start.year)
    assert not MON_FRI.confirmed_between(start, expected)


_DERIVED = WorkingCalendar({}, frozenset())  # nothing loaded: 2025–2034 derived


@given(st.dates(min_value=date(2027, 1, 1), max_value=date(2028, 12, 31)), counts)
def test_unloaded_years_count_the_derived_holidays_in_the_real_calendar(start, n):
    due = REAL.add_working_days(start, n)
    assert due == _DERIVED.add_working_days(start, n)
    assert due >= MON_FRI.add_working_days(start, n)  # derived holidays only ever push a date out
    assert not REAL.confirmed_between(start, due)


def test_provisional_years_are_the_unloaded_ones_from_2025():
    assert REAL.provisional_years == frozenset(range(2027, 2037))
    assert REAL.is_provisional(2027) and not REAL.is_provisional(2026) and not REAL.is_provisional(2003)
    assert not REAL.is_confirmed(2027)
    assert _DERIVED.provisional_years == frozenset(range(2025, 2035))
    assert MON_FRI.provisional_years == frozenset()
    assert REAL.is_working_day(D("2037-01-01"))  # past the horizon: Monday–Friday


def test_a_loaded_day_wins_over_a_derived_one():
    cal = WorkingCalendar({D("2027-01-01"): True}, frozenset({2026}))
    assert cal.is_working_day(D("2027-01-01"))
    assert cal.exceptions == {D("2027-01-01"): True}  # the derived days stay apart from the given ones


# --- Natural days and months ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D("2025-09-30"), 15, D("2025-10-15")),  # start day not counted; holidays count
        (D("2025-12-25"), 10, D("2026-01-04")),
        (D("2024-02-28"), 1, D("2024-02-29")),
        (D("2025-10-04"), 0, D("2025-10-04")),
    ],
    ids=str,
)
def test_add_natural_days(start, n, due):
    assert add_natural_days(start, n) == due


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D("2025-01-31"), 1, D("2025-02-28")),
        (D("2024-01-31"), 1, D("2024-02-29")),  # leap year
        (D("2024-03-31"), -1, D("2024-02-29")),
        (D("2025-08-31"), 1, D("2025-09-30")),
        (D("2024-02-29"), 12, D("2025-02-28")),
        (D("2025-05-15"), 3, D("2025-08-15")),
        (D("2025-11-30"), 3, D("2026-02-28")),
        (D("2025-12-31"), 2, D("2026-02-28")),
        (D("2025-10-31"), 6, D("2026-04-30")),
        (D("2025-03-31"), 0, D("2025-03-31")),
        (D("2025-01-15"), -13, D("2023-12-15")),
    ],
    ids=str,
)
def test_add_months(start, n, due):
    assert add_months(start, n) == due


months = st.integers(min_value=-120, max_value=120)


@given(days, months)
def test_add_months_keeps_the_day_or_takes_the_last_day(start, n):
    due = add_months(start, n)
    assert (due.year * 12 + due.month) - (start.year * 12 + start.month) == n
    last = stdlib_calendar.monthrange(due.year, due.month)[1]
    assert due.day == min(start.day, last)


@given(days, months, months)
def test_add_months_composes_where_defined(start, a, b):
    direct = add_months(start, a + b)
    stepwise = add_months(add_months(start, a), b)
    if start.day <= 28:  # every month has the day: exact
        assert stepwise == direct
    else:  # a short month on the way can only pull the day down, within the same final month
        assert (stepwise.year, stepwise.month) == (direct.year, direct.month)
        assert stepwise.day <= direct.day


@given(days, months, months)
def test_add_months_is_monotonic(start, a, b):
    if a < b:
        assert add_months(start, a) < add_months(start, b)


@given(start=st.dates(min_value=date(2005, 1, 1), max_value=date(2030, 1, 1)), n=st.integers(0, 300))
def test_subtracting_working_days_undoes_adding_them(start, n):
    calendar = WorkingCalendar.from_chinesecalendar()
    end = calendar.add_working_days(start, n)
    back = calendar.subtract_working_days(end, n)
    assert calendar.working_days_between(back, end) == n
    assert back <= start and calendar.working_days_between(back, start) == 0
