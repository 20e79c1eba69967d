"""``flask calendar import FILE`` and ``flask calendar show YEAR``. Import commits once, or not at all."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from casesys.extensions import db

calendar_cli = AppGroup("calendar", help="Load and show the working-day calendar (holidays, make-up days).")

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _refuse(problems) -> None:
    db.session.rollback()
    lines = "".join(f"\n  {problem}" for problem in problems)
    raise click.ClickException(f"nothing loaded: {len(problems)} problem(s){lines}")


@calendar_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=int, help="the year the file is for (default: the file's own year)")
@click.option("--source", help="where the days come from, e.g. the State Council notice's number "
              "(default: the file name)")
def import_command(file: Path, year: int | None, source: str | None):
    """Load a year from FILE (CSV: date,type,name; or JSON), replacing that year's days.

    Every open deadline that depends on the year is recomputed; exit 1 listing each bad line.
    """
    from casesys.workcalendar import upkeep

    try:
        chosen, entries = upkeep.read(file.read_bytes(), file.name, year)
        change = upkeep.load_year(None, chosen, entries, (source or file.name)[:upkeep.SOURCE_MAX])
    except upkeep.CalendarInputError as exc:
        _refuse(exc.problems)
    db.session.commit()
    click.echo(f"calendar {change.year}: {change.days} days loaded ({change.holidays} holidays, "
               f"{change.workdays} make-up working days)")
    click.echo(f"clocks recomputed: {change.clocks_recomputed}, changed: {change.clocks_changed}, "
               f"due dates moved: {change.due_dates_moved}")
    if change.clocks_skipped:
        click.echo(f"clocks skipped (no longer in their workflow): {change.clocks_skipped}")


@calendar_cli.command("show")
@click.argument("year", type=int)
def show_command(year: int):
    """Print YEAR's holidays and make-up working days, and whether the year is loaded."""
    from casesys.workcalendar import upkeep
    from casesys.workcalendar.models import CalendarYear
    from casesys.workcalendar.statutory import RULES_CITATION, statutory_holidays
    from casesys.workcalendar.workdays import load_calendar

    loaded = db.session.get(CalendarYear, year)
    days = upkeep.special_days(year)
    if loaded is None and load_calendar().is_provisional(year):
        click.echo(f"{year}: not loaded (unconfirmed) - provisional: statutory holidays derived from "
                   f"{RULES_CITATION}; no make-up working days, no 补假 or swapped rest days")
        for day, name in statutory_holidays(year):
            click.echo(f"{day.isoformat()}  {_WEEKDAYS[day.weekday()]}  derived  {name}")
    elif loaded is None:
        click.echo(f"{year}: not loaded (unconfirmed) - Monday to Friday are assumed to be the working days")
    else:
        click.echo(f"{year}: confirmed - source {loaded.source}, loaded {loaded.loaded_at:%Y-%m-%d %H:%M} UTC")
    for d in days:
        kind = "workday" if d.is_working else "holiday"
        click.echo(f"{d.day.isoformat()}  {_WEEKDAYS[d.day.weekday()]}  {kind:<7}  {d.name or ''}".rstrip())
    holidays = sum(not d.is_working for d in days)
    click.echo(f"{len(days)} special days: {holidays} holidays, {len(days) - holidays} make-up working days")
