"""Working-day calendar: statutory holidays and make-up working days, and deadline arithmetic."""

from casesys.workcalendar.seed import seed_calendar
from casesys.workcalendar.workdays import (
    WorkingCalendar,
    add_months,
    add_natural_days,
    forget_calendar,
    load_calendar,
)

__all__ = [
    "WorkingCalendar",
    "add_months",
    "add_natural_days",
    "forget_calendar",
    "load_calendar",
    "seed_calendar",
]
