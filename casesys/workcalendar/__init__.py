"""Working-day calendar: statutory holidays and make-up working days, and deadline arithmetic."""

from flask import Flask

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
    "init_app",
    "load_calendar",
    "seed_calendar",
]


def init_app(app: Flask) -> None:
    """``flask calendar`` and the admin pages under /admin/calendar."""
    from casesys.workcalendar.cli import calendar_cli
    from casesys.workcalendar.views import bp

    app.cli.add_command(calendar_cli)
    app.register_blueprint(bp)
