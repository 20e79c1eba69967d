"""Due dates of clocks (DOMAIN §4): pauses, extensions and roll-forward, as properties."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from casesys.workcalendar import WorkingCalendar, add_months
from casesys.workflows import clocks
from casesys.workflows.definitions import ClockDef, ExtensionStep, Text
from casesys.workflows.models import CaseClock, ClockExtension, ClockPause

CALENDAR = WorkingCalendar.from_chinesecalendar()
TODAY = date(2026, 11, 26)
LABEL = Text(zh="期限", en="Clock")
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 10, 1))


def _clock(unit: str, duration: int, start: date, roll_forward: bool = False) -> tuple[CaseClock, ClockDef]:
    definition = ClockDef(label=LABEL, duration=duration, unit=unit, roll_forward=roll_forward, legal_basis=LABEL,
                          extensions=[ExtensionStep(approver="agency_head", amount=30, unit=unit, label=LABEL)])
    return CaseClock(key="k", status="running", started_on=start, duration=duration, unit=unit,
                     pauses=[], extensions=[]), definition


@given(start=days, duration=st.integers(1, 60), offset=st.integers(0, 40), length=st.integers(0, 40))
def test_a_pause_pushes_a_working_day_clock_out_by_the_working_days_paused(start, duration, offset, length):
    clock, definition = _clock("working_days", duration, start)
    clocks.recompute(clock, definition, CALENDAR, TODAY)
    unpaused = clock.due_on
    paused_on = start + timedelta(days=offset)
    clock.pauses.append(ClockPause(paused_on=paused_on, resumed_on=paused_on + timedelta(days=length)))
    clocks.recompute(clock, definition, CALENDAR, TODAY)
    paused_days = CALENDAR.working_days_between(paused_on, paused_on + timedelta(days=length))
    assert clock.due_on == CALENDAR.add_working_days(unpaused, paused_days)
    assert CALENDAR.is_working_day(clock.due_on)


@given(start=days, duration=st.integers(1, 120), offset=st.integers(0, 40), length=st.integers(0, 40))
def test_natural_days_roll_forward_but_keep_the_strict_date(start, duration, offset, length):
    clock, definition = _clock("natural_days", duration, start, roll_forward=True)
    paused_on = start + timedelta(days=offset)
    clock.pauses.append(ClockPause(paused_on=paused_on, resumed_on=paused_on + timedelta(days=length)))
    clocks.recompute(clock, definition, CALENDAR, TODAY)
    assert clock.strict_due_on == start + timedelta(days=duration + length)
    assert clock.due_on == CALENDAR.next_working_day(clock.strict_due_on)
    assert clock.due_on - clock.strict_due_on < timedelta(days=10)  # the longest holiday is 9 days


@given(start=days, months=st.integers(1, 6), extra=st.integers(1, 3))
def test_an_extended_period_counts_from_the_start_with_the_summed_duration(start, months, extra):
    clock, definition = _clock("months", months, start)
    clock.extensions.append(ClockExtension(step=1, amount=extra, unit="months"))
    clocks.recompute(clock, definition, CALENDAR, TODAY)
    assert clock.due_on == add_months(start, months + extra)


def test_three_months_from_31_march_extended_by_one_end_on_31_july():
    clock, definition = _clock("months", 3, date(2026, 3, 31))
    clock.extensions.append(ClockExtension(step=1, amount=1, unit="months"))
    clocks.recompute(clock, definition, CALENDAR, TODAY)
    assert clock.due_on == date(2026, 7, 31)  # not 07-30, a month after 06-30


@given(start=days, duration=st.integers(1, 60), extra=st.integers(1, 30))
def test_an_extension_of_days_adds_its_days(start, duration, extra):
    for unit in ("working_days", "natural_days"):
        clock, definition = _clock(unit, duration, start)
        clock.extensions.append(ClockExtension(step=1, amount=extra, unit=unit))
        clocks.recompute(clock, definition, CALENDAR, TODAY)
        extended, _ = _clock(unit, duration + extra, start)
        clocks.recompute(extended, definition, CALENDAR, TODAY)
        assert clock.due_on == extended.due_on


def test_an_open_pause_counts_up_to_today():
    clock, definition = _clock("natural_days", 90, date(2026, 8, 3))
    clock.pauses.append(ClockPause(paused_on=date(2026, 11, 16), resumed_on=None))
    clocks.recompute(clock, definition, CALENDAR, TODAY)
    assert clock.strict_due_on == date(2026, 11, 1) + timedelta(days=10)


def test_a_year_without_a_calendar_is_marked_unconfirmed():
    clock, definition = _clock("working_days", 15, date(2026, 12, 20))
    clocks.recompute(clock, definition, CALENDAR, TODAY)
    assert clock.due_on.year == 2027 and clock.calendar_unconfirmed
    clock, definition = _clock("working_days", 15, date(2026, 9, 24))
    clocks.recompute(clock, definition, CALENDAR, TODAY)
    assert not clock.calendar_unconfirmed
    # Mid-Autumn (Sep 25–27) and National Day (Oct 1–7) are not counted; Saturday Oct 10 is worked.
    assert clock.due_on == date(2026, 10, 22)


def test_hour_clocks_start_at_the_next_full_hour():
    from datetime import datetime

    from casesys.core.types import CHINA_TZ

    clock, definition = _clock("hours", 24, date(2026, 11, 26))
    clock.started_at = datetime(2026, 11, 26, 9, 40, tzinfo=CHINA_TZ)
    clocks.recompute(clock, definition, CALENDAR, TODAY)
    assert clock.due_at == datetime(2026, 11, 27, 10, 0, tzinfo=CHINA_TZ)
