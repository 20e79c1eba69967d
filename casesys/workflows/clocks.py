"""Statutory clocks (DOMAIN §4): start, pause, resume, extend, stop, and the due date.

The functions work on ``ClockState`` values (the decision core) and on the ``CaseClock`` rows
that hold them (recomputing after a calendar change, supervision orders) alike.
The start day is not counted; months follow 民法典 Art 202; a clock that rolls forward moves a
last day that is not a working day to the next working day, keeping the strict date too;
pauses push the due date out by the paused time, counted in the clock's own unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from casesys.core.types import CHINA_TZ
from casesys.workcalendar import WorkingCalendar, add_months, add_natural_days
from casesys.workflows.definitions import ClockDef, ExtensionStep, Text
from casesys.workflows.values import ClockState, Extension, Pause

OPEN_STATUSES = ("running", "paused")


def _add(calendar: WorkingCalendar, start: date, amount: int, unit: str) -> date:
    if unit == "working_days":
        return calendar.add_working_days(start, amount)
    if unit == "months":
        return add_months(start, amount)
    return add_natural_days(start, amount)


def recompute(clock: ClockState, definition: ClockDef, calendar: WorkingCalendar, today: date) -> None:
    """Set the clock's due dates from its start, extensions and pauses (an open pause counts
    up to today, so a paused clock shows how far out its date has moved)."""
    if clock.unit == "hours":
        started = clock.started_at.astimezone(CHINA_TZ)
        next_full_hour = started.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        due_at = next_full_hour + timedelta(hours=clock.duration)
        clock.due_at, clock.due_on = due_at, due_at.date()
        clock.strict_due_on, clock.calendar_unconfirmed = clock.due_on, False
        _schedule_reminders(clock, calendar)
        return
    # An extension lengthens the period: counted from the start with the summed duration, so
    # 3 months from 31 March plus 1 month ends on 31 July (民法典 Arts 201–203), not on the day a
    # month after 30 June. An extension in another unit is added after.
    same_unit = sum(x.amount for x in clock.extensions if x.unit == clock.unit)
    due = _add(calendar, clock.started_on, clock.duration + same_unit, clock.unit)
    for extension in clock.extensions:
        if extension.unit != clock.unit:
            due = _add(calendar, due, extension.amount, extension.unit)
    for pause in clock.pauses:
        end = pause.resumed_on or max(today, pause.paused_on)
        if clock.unit == "working_days":
            due = calendar.add_working_days(due, calendar.working_days_between(pause.paused_on, end))
        else:
            due = add_natural_days(due, (end - pause.paused_on).days)
    clock.strict_due_on = due
    clock.due_on = calendar.next_working_day(due) if definition.roll_forward else due
    depends_on_calendar = clock.unit == "working_days" or definition.roll_forward
    clock.calendar_unconfirmed = depends_on_calendar and not calendar.confirmed_between(
        clock.started_on, clock.due_on)
    _schedule_reminders(clock, calendar)


def reminder_dates(due_on: date, calendar: WorkingCalendar) -> list[tuple[str, date]]:
    """When each reminder threshold of a clock due on ``due_on`` falls (DOMAIN §4): 3 and 1
    working days before, the due day, the first working day after (overdue, and the agency
    head), and 3 working days after that (the region's supervisors)."""
    overdue = calendar.add_working_days(due_on, 1)
    return [("before_3", calendar.subtract_working_days(due_on, 3)),
            ("before_1", calendar.subtract_working_days(due_on, 1)),
            ("due", due_on), ("overdue", overdue), ("escalate_head", overdue),
            ("escalate_supervisors", calendar.add_working_days(overdue, 3))]


def _schedule_reminders(clock: ClockState, calendar: WorkingCalendar) -> None:
    """A running clock is next looked at on its first threshold (an hour clock: on its due day,
    it is too short for the days-before reminders); the sweeper moves it on."""
    first = clock.due_on if clock.unit == "hours" else reminder_dates(clock.due_on, calendar)[0][1]
    clock.next_reminder_on = first if clock.status == "running" else None


def start(key: str, definition: ClockDef, anchor: date, calendar: WorkingCalendar, today: date,
          started_at: datetime | None = None) -> ClockState:
    """A new running clock ``key`` from ``anchor`` (the caller ends a running one of the same key).
    An hour clock counts from ``started_at``, the moment the step happened."""
    if definition.unit == "hours" and started_at is None:
        raise ValueError("an hour clock needs the moment it starts")
    clock = ClockState(key=key, status="running", started_on=anchor,
                       started_at=started_at if definition.unit == "hours" else None,
                       duration=definition.duration, unit=definition.unit)
    recompute(clock, definition, calendar, today)
    return clock


def open_clocks(clocks: list[ClockState], key: str | None = None) -> list[ClockState]:
    return [c for c in clocks if c.status in OPEN_STATUSES and (key is None or c.key == key)]


def stop(clock: ClockState, on: date, status: str = "stopped", at: datetime | None = None) -> None:
    """Stop on ``on``; an hour clock also keeps the moment (``at``), which decides met or late."""
    if clock.status == "paused":
        clock.pauses[-1].resumed_on = on
    clock.status, clock.stopped_on, clock.next_reminder_on = status, on, None
    if clock.unit == "hours":
        clock.stopped_at = at


def pause(clock: ClockState, on: date) -> Pause:
    clock.pauses.append(pause := Pause(paused_on=on))
    clock.status, clock.next_reminder_on = "paused", None  # paused clocks do not remind
    return pause


def resume(clock: ClockState, on: date) -> None:
    clock.pauses[-1].resumed_on = on
    clock.status = "running"


def next_extension(clock: ClockState, definition: ClockDef) -> ExtensionStep | None:
    steps = definition.extensions
    return steps[len(clock.extensions)] if len(clock.extensions) < len(steps) else None


def extend(clock: ClockState, step: ExtensionStep, amount: int, approver_id: int, role: str, on: date) -> Extension:
    extension = Extension(step=len(clock.extensions) + 1, amount=amount, unit=step.unit, approver_role=role,
                          approved_by_id=approver_id, granted_on=on)
    clock.extensions.append(extension)
    return extension


@dataclass(frozen=True)
class ClockView:
    """A clock as people read it: what it is for, its legal basis, when it is due."""

    id: int
    key: str
    label: Text
    legal_basis: Text
    kind: str
    status: str  # running, overdue, paused, met, late, ended
    started_on: date
    due_on: date
    strict_due_on: date
    due_at: datetime | None
    calendar_unconfirmed: bool
    remaining_working_days: int | None
    extensions: tuple
    extensions_left: int


def judged_by_the_hour(clock) -> bool:
    """An hour clock with its moments recorded is judged by the time, not the date."""
    return clock.unit == "hours" and clock.due_at is not None


def view(clock, definition: ClockDef, calendar: WorkingCalendar, today: date, now: datetime) -> ClockView:
    remaining = None
    if clock.status == "running":
        late = now > clock.due_at if judged_by_the_hour(clock) else today > clock.due_on
        status = "overdue" if late else "running"
        remaining = (calendar.working_days_between(today, clock.due_on) if today <= clock.due_on
                     else -calendar.working_days_between(clock.due_on, today))
    elif clock.status == "stopped":
        if judged_by_the_hour(clock) and clock.stopped_at is not None:
            status = "met" if clock.stopped_at <= clock.due_at else "late"
        else:
            status = "met" if clock.stopped_on <= clock.due_on else "late"
    else:
        status = clock.status
    return ClockView(id=clock.id, key=clock.key, label=definition.label, legal_basis=definition.legal_basis,
                     kind=definition.kind, status=status, started_on=clock.started_on, due_on=clock.due_on,
                     strict_due_on=clock.strict_due_on, due_at=clock.due_at,
                     calendar_unconfirmed=clock.calendar_unconfirmed, remaining_working_days=remaining,
                     extensions=tuple(clock.extensions),
                     extensions_left=len(definition.extensions) - len(clock.extensions))
