"""Keeping the calendar up to date (DOMAIN §4): load a year from the State Council notice, edit
single days, and have every open clock whose due date depends on the change recomputed (by the
clocks' owners, through casesys.workcalendar.listeners: the clocks are the workflows').

Input comes as CSV (``date,type,name``) or JSON (``{"year": 2027, "days": [...]}``); every bad line
is reported with where it is and what is wrong, and nothing is loaded while any line is bad.
Services flush and never commit: the caller (a page or a command) commits once.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete, select

from casesys.audit import services as audit
from casesys.core.errors import InvalidInput
from casesys.core.types import utcnow
from casesys.extensions import db
from casesys.workcalendar.listeners import recompute_clocks
from casesys.workcalendar.models import CalendarDay, CalendarYear
from casesys.workcalendar.workdays import forget_calendar

HOLIDAY, WORKDAY = "holiday", "workday"
TYPES = (HOLIDAY, WORKDAY)
CSV_HEADER = ("date", "type", "name")
MIN_YEAR, MAX_YEAR = 2000, 2100
NAME_MAX = 60  # CalendarDay.name
SOURCE_MAX = 60  # CalendarYear.source


@dataclass(frozen=True)
class Entry:
    """One special day as read from input; ``where`` says where (``line 4``, ``days[2]``)."""

    where: str
    day: date
    is_working: bool
    name: str | None
    order: int = 0  # line number or index, to list problems in file order


@dataclass(frozen=True)
class Problem:
    where: str
    message: str
    order: int = 0

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class CalendarInputError(InvalidInput):
    """The input has bad lines; ``problems`` lists each one. Nothing was loaded."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = sorted(problems, key=lambda p: p.order)
        fields: dict[str, str] = {}
        for p in self.problems:
            key = p.where or "input"
            fields[key] = f"{fields[key]}; {p.message}" if key in fields else p.message
        super().__init__(_("The calendar was not loaded: %(count)d problem(s).", count=len(self.problems)), fields)


@dataclass(frozen=True)
class Parsed:
    year: int | None  # the year the input declares (JSON), if any
    entries: list[Entry]  # the well-formed days
    problems: list[Problem]  # the malformed ones (checked against the year later, with the rest)


@dataclass(frozen=True)
class YearChange:
    year: int
    days: int
    holidays: int
    workdays: int
    clocks_recomputed: int  # open clocks looked at again
    clocks_changed: int  # of those, clocks whose due date or "calendar unconfirmed" mark changed
    due_dates_moved: int
    clocks_skipped: int = 0  # open clocks whose workflow no longer declares them (left unchanged)


# --- Parsing ------------------------------------------------------------------------------------

def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CalendarInputError([Problem("", _("The file is not UTF-8 text (byte %(at)d).", at=exc.start))]) \
            from None


def _entry(where: str, order: int, raw_date, raw_type, raw_name, problems: list[Problem]) -> Entry | None:
    """One day from its three raw values, or None with the problems appended."""
    found: list[str] = []
    day = None
    if not isinstance(raw_date, str) or not raw_date.strip():
        found.append(_("the date is missing"))
    else:
        try:
            day = date.fromisoformat(raw_date.strip())
            if len(raw_date.strip()) != 10:
                raise ValueError
        except ValueError:
            found.append(_("%(value)s is not a date in the form YYYY-MM-DD", value=raw_date.strip()))
            day = None
    kind = raw_type.strip().lower() if isinstance(raw_type, str) else None
    if kind not in TYPES:
        shown = raw_type if raw_type not in (None, "") else _("(empty)")
        found.append(_("the type must be holiday or workday, not %(value)s", value=shown))
    name = None
    if raw_name is not None and not isinstance(raw_name, str):
        found.append(_("the name must be text"))
    elif raw_name is not None and raw_name.strip():
        name = raw_name.strip()
        if len(name) > NAME_MAX:
            found.append(_("the name is longer than %(max)d characters", max=NAME_MAX))
    if found:
        problems.extend(Problem(where, message, order) for message in found)
        return None
    return Entry(where, day, kind == WORKDAY, name, order)


def parse_csv(data: bytes | str) -> Parsed:
    """``date,type,name`` with that header; UTF-8 with or without a BOM; blank lines are skipped."""
    text = _decode(data)
    problems: list[Problem] = []
    entries: list[Entry] = []
    rows = csv.reader(io.StringIO(text, newline=""))
    header_seen = False
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(_("line %(n)d", n=rows.line_num), _("not valid CSV (%(error)s)", error=exc),
                                    rows.line_num))
            break
        line = rows.line_num
        where = _("line %(n)d", n=line)
        if not any(cell.strip() for cell in row):
            continue
        if not header_seen:
            header_seen = True
            if tuple(cell.strip().lower() for cell in row) != CSV_HEADER:
                problems.append(Problem(where, _("the first line must be the header date,type,name"), line))
            continue
        if len(row) != 3:
            problems.append(Problem(where, _("expected 3 values (date,type,name), found %(n)d", n=len(row)), line))
            continue
        entry = _entry(where, line, row[0], row[1], row[2], problems)
        if entry is not None:
            entries.append(entry)
    if not header_seen:
        raise CalendarInputError([Problem("", _("The file is empty."))])
    return Parsed(None, entries, problems)


def parse_json(data: bytes | str) -> Parsed:
    """``{"year": 2027, "days": [{"date": "2027-01-01", "type": "holiday", "name": "元旦"}, ...]}``."""
    text = _decode(data)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CalendarInputError([Problem(_("line %(n)d", n=exc.lineno),
                                          _("not valid JSON (%(error)s)", error=exc.msg))]) from None
    if not isinstance(document, dict):
        raise CalendarInputError([Problem("", _('The file must be an object: {"year": ..., "days": [...]}.'))])
    problems: list[Problem] = []
    year = document.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        problems.append(Problem("year", _("the year must be a whole number such as 2027")))
        year = None
    unknown = sorted(set(document) - {"year", "days"})
    if unknown:
        problems.append(Problem("", _("unknown keys: %(keys)s", keys=", ".join(map(str, unknown)))))
    days = document.get("days")
    entries: list[Entry] = []
    if not isinstance(days, list):
        problems.append(Problem("days", _("days must be a list of {date, type, name}")))
    else:
        for index, item in enumerate(days):
            where, order = f"days[{index}]", index + 1
            if not isinstance(item, dict):
                problems.append(Problem(where, _("each day must be an object with date, type and name"), order))
                continue
            extra = sorted(set(item) - set(CSV_HEADER))
            if extra:
                problems.append(Problem(where, _("unknown keys: %(keys)s", keys=", ".join(map(str, extra))), order))
            entry = _entry(where, order, item.get("date"), item.get("type"), item.get("name"), problems)
            if entry is not None and not extra:
                entries.append(entry)
    return Parsed(year, entries, problems)


def parse(data: bytes | str, filename: str = "") -> Parsed:
    """By the file's extension (.json / .csv), else by its first character."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "json":
        return parse_json(data)
    if suffix == "csv":
        return parse_csv(data)
    text = _decode(data)
    return parse_json(text) if text.lstrip().startswith("{") else parse_csv(text)


# --- Checking -----------------------------------------------------------------------------------

def check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CalendarInputError([Problem("year", _("the year must be between %(low)d and %(high)d",
                                                    low=MIN_YEAR, high=MAX_YEAR))])


def year_of(parsed: Parsed, year: int | None) -> int:
    """The year to load: given, declared by the file, or that of every day in it."""
    declared = parsed.year
    if year is not None and declared is not None and year != declared:
        raise CalendarInputError([Problem("year", _("the file is for %(file)d, not %(given)d",
                                                    file=declared, given=year))])
    chosen = year if year is not None else declared
    if chosen is None:
        years = sorted({e.day.year for e in parsed.entries})
        if len(years) > 1:
            raise CalendarInputError([Problem("year", _("the days span several years (%(years)s); give the year",
                                                        years=", ".join(map(str, years))))])
        if not years:
            raise CalendarInputError([] if parsed.problems else [Problem("", _("The file has no days."))])
        chosen = years[0]
    check_year(chosen)
    return chosen


def _day_problems(entry: Entry, year: int) -> list[str]:
    found = []
    if entry.day.year != year:
        found.append(_("%(day)s is not in %(year)d", day=entry.day.isoformat(), year=year))
    if entry.is_working and entry.day.weekday() < 5:
        found.append(_("%(day)s is a weekday: a make-up working day must be a Saturday or Sunday",
                       day=entry.day.isoformat()))
    return found


def validate(year: int, entries: Iterable[Entry], *, allow_empty: bool = False) -> list[Problem]:
    """Every day in ``year``; make-up working days on a weekend; no day twice; at least one day."""
    problems: list[Problem] = []
    first_seen: dict[date, str] = {}
    count = 0
    for entry in entries:
        count += 1
        problems.extend(Problem(entry.where, message, entry.order) for message in _day_problems(entry, year))
        if entry.day in first_seen:
            problems.append(Problem(entry.where, _("%(day)s is already given at %(where)s",
                                                   day=entry.day.isoformat(), where=first_seen[entry.day]),
                                    entry.order))
        else:
            first_seen[entry.day] = entry.where
    if not count and not allow_empty:
        problems.append(Problem("", _("No days given: a year's notice always has holidays.")))
    return problems


def read(data: bytes | str, filename: str = "", year: int | None = None) -> tuple[int, list[Entry]]:
    """Parse and check a whole year's file; raise CalendarInputError listing every bad line."""
    parsed = parse(data, filename)
    try:
        chosen = year_of(parsed, year)
    except CalendarInputError as exc:
        raise CalendarInputError([*parsed.problems, *exc.problems]) from None
    problems = [*parsed.problems, *validate(chosen, parsed.entries, allow_empty=bool(parsed.problems))]
    if problems:
        raise CalendarInputError(problems)
    return chosen, parsed.entries


# --- Loading and editing ------------------------------------------------------------------------

def _bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def load_year(actor, year: int, days: Sequence[tuple[date, bool, str | None] | Entry], source: str) -> YearChange:
    """Replace ``year``'s special days, mark the year loaded and recompute the clocks it affects.

    ``days`` are (date, is_working, name) tuples or parsed entries (whose ``where`` the errors
    name). Raises CalendarInputError, having written nothing, when any day is bad.
    """
    check_year(year)
    entries = [d if isinstance(d, Entry) else Entry(f"#{i + 1}", d[0], bool(d[1]), (d[2] or "").strip() or None)
               for i, d in enumerate(days)]
    problems = validate(year, entries)
    source = (source or "").strip()
    if not source:
        problems.append(Problem("source", _("say where the days come from (e.g. the State Council notice)")))
    elif len(source) > SOURCE_MAX:
        problems.append(Problem("source", _("the source is longer than %(max)d characters", max=SOURCE_MAX)))
    if problems:
        raise CalendarInputError(problems)

    first, last = _bounds(year)
    row = db.session.get(CalendarYear, year)
    previous = None if row is None else len(db.session.scalars(
        select(CalendarDay.day).where(CalendarDay.day.between(first, last))).all())
    db.session.execute(delete(CalendarDay).where(CalendarDay.day.between(first, last))
                       .execution_options(synchronize_session="fetch"))
    db.session.add_all(CalendarDay(day=e.day, is_working=e.is_working, name=e.name) for e in entries)
    if row is None:
        db.session.add(CalendarYear(year=year, source=source, loaded_at=utcnow()))
    else:
        row.source, row.loaded_at = source, utcnow()
    db.session.flush()
    forget_calendar()
    recomputed = recompute_clocks(actor, year, reason=f"calendar.load {year}")
    holidays = sum(not e.is_working for e in entries)
    change = YearChange(year=year, days=len(entries), holidays=holidays, workdays=len(entries) - holidays,
                        **recomputed)
    audit.record("calendar.load", "calendar_year", year, actor, source=source, days=change.days,
                 holidays=change.holidays, workdays=change.workdays, replaced_days=previous,
                 clocks_recomputed=change.clocks_recomputed, due_dates_moved=change.due_dates_moved)
    return change


def _loaded_year_or_fail(year: int) -> CalendarYear:
    row = db.session.get(CalendarYear, year)
    if row is None:
        raise CalendarInputError([Problem("year", _("%(year)d is not loaded yet: load the whole notice first",
                                                    year=year))])
    return row


def set_day(actor, day: date, is_working: bool, name: str | None) -> YearChange:
    """Add or change one special day of a loaded year, then recompute."""
    name = (name or "").strip() or None
    entry = Entry("date", day, is_working, name)
    check_year(day.year)
    problems = [Problem("date", m) for m in _day_problems(entry, day.year)]
    if name is not None and len(name) > NAME_MAX:
        problems.append(Problem("name", _("the name is longer than %(max)d characters", max=NAME_MAX)))
    if problems:
        raise CalendarInputError(problems)
    _loaded_year_or_fail(day.year)
    row = db.session.get(CalendarDay, day)
    before = None if row is None else {"type": WORKDAY if row.is_working else HOLIDAY, "name": row.name}
    if row is None:
        db.session.add(CalendarDay(day=day, is_working=is_working, name=name))
    else:
        row.is_working, row.name = is_working, name
    db.session.flush()
    forget_calendar()
    recomputed = recompute_clocks(actor, day.year, reason=f"calendar.set_day {day.isoformat()}")
    kind = WORKDAY if is_working else HOLIDAY
    audit.record("calendar.set_day", "calendar_day", day.isoformat(), actor, before=before,
                 after={"type": kind, "name": name}, **recomputed)
    return YearChange(year=day.year, days=1, holidays=int(not is_working), workdays=int(is_working), **recomputed)


def remove_day(actor, day: date) -> YearChange:
    """Make one day of a loaded year ordinary again (Monday–Friday rule), then recompute."""
    _loaded_year_or_fail(day.year)
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise CalendarInputError([Problem("date", _("%(day)s is not a special day", day=day.isoformat()))])
    before = {"type": WORKDAY if row.is_working else HOLIDAY, "name": row.name}
    db.session.delete(row)
    db.session.flush()
    forget_calendar()
    recomputed = recompute_clocks(actor, day.year, reason=f"calendar.remove_day {day.isoformat()}")
    audit.record("calendar.remove_day", "calendar_day", day.isoformat(), actor, before=before, **recomputed)
    return YearChange(year=day.year, days=1, holidays=0, workdays=0, **recomputed)


# --- Reading ------------------------------------------------------------------------------------

def special_days(year: int) -> list[CalendarDay]:
    first, last = _bounds(year)
    return list(db.session.scalars(select(CalendarDay).where(CalendarDay.day.between(first, last))
                                   .order_by(CalendarDay.day)))


def to_csv(days: Iterable[CalendarDay]) -> str:
    """The days in the import format (so an admin can copy, correct and reload a year)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for d in days:
        writer.writerow([d.day.isoformat(), WORKDAY if d.is_working else HOLIDAY, d.name or ""])
    return out.getvalue()
