"""Admin pages for the working-day calendar: the loaded years, and one year's special days."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import extract, func, select
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from casesys.auth.guards import require
from casesys.auth.permissions import Permission
from casesys.core.params import int_arg
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.workcalendar import listeners, upkeep
from casesys.workcalendar.models import CalendarDay, CalendarYear
from casesys.workcalendar.statutory import RULES_CITATION, statutory_holidays
from casesys.workcalendar.workdays import load_calendar

bp = Blueprint("calendar_admin", __name__, url_prefix="/admin/calendar")

MAX_INPUT = 200_000  # characters of pasted or uploaded CSV/JSON: a year has a few dozen lines


class DayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    kind = SelectField(_l("Type"), choices=[(upkeep.HOLIDAY, _l("Holiday (rest day)")),
                                            (upkeep.WORKDAY, _l("Make-up working day"))])
    name = StringField(_l("Holiday name"), validators=[Optional(), Length(max=upkeep.NAME_MAX)])


class ImportForm(FlaskForm):
    text = TextAreaField(_l("CSV (date,type,name) or JSON"), validators=[Optional(), Length(max=MAX_INPUT)])
    upload = FileField(_l("Or upload a file"))
    source = StringField(_l("Source of the days"), validators=[DataRequired(), Length(max=upkeep.SOURCE_MAX)])


class RemoveForm(FlaskForm):
    """Only the CSRF token: the day is in the URL."""


def _year_or_404(year: int) -> int:
    if not upkeep.MIN_YEAR <= year <= upkeep.MAX_YEAR:
        abort(404)
    return year


def _summary(change: upkeep.YearChange) -> str:
    return _("%(recomputed)d open deadlines recomputed, %(moved)d due dates moved.",
             recomputed=change.clocks_recomputed, moved=change.due_dates_moved)


@bp.route("")
@require(Permission.MANAGE_CALENDAR)
def years():
    wanted = int_arg("year", None, upkeep.MIN_YEAR, upkeep.MAX_YEAR, {"year": request.args.get("year", "").strip()})
    if wanted is not None:
        return redirect(url_for("calendar_admin.year", year=wanted))
    year_of_day = extract("year", CalendarDay.day)
    counts = {int(y): (holidays, workdays) for y, holidays, workdays in db.session.execute(
        select(year_of_day, func.count().filter(~CalendarDay.is_working), func.count().filter(CalendarDay.is_working))
        .group_by(year_of_day))}
    loaded = db.session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())).all()
    loaded_years = {row.year for row in loaded}
    this_year = today_in_china().year
    missing = [y for y in (this_year, this_year + 1) if y not in loaded_years]
    calendar = load_calendar()
    return render_template("admin/calendar.html", loaded=loaded, counts=counts, missing=missing,
                           provisional=sorted(calendar.provisional_years), is_provisional=calendar.is_provisional,
                           rules=RULES_CITATION, unconfirmed=listeners.unconfirmed_clocks())


def _render_year(year: int, day_form=None, import_form=None, problems=(), status=200):
    row = db.session.get(CalendarYear, year)
    days = upkeep.special_days(year)
    import_form = import_form or ImportForm(formdata=None)
    if not import_form.text.data and days:
        import_form.text.data = upkeep.to_csv(days)
    # A year not loaded but in the provisional range: the statutory days derived from the rules.
    derived = statutory_holidays(year) if row is None and load_calendar().is_provisional(year) else ()
    return render_template("admin/calendar_year.html", year=year, loaded=row, days=days, derived=derived,
                           rules=RULES_CITATION, day_form=day_form or DayForm(formdata=None), import_form=import_form,
                           remove_form=RemoveForm(), problems=problems,
                           weekday=lambda day: format_date(day, "EEEE")), status


@bp.route("/<int:year>")
@require(Permission.MANAGE_CALENDAR)
def year(year: int):
    return _render_year(_year_or_404(year))


@bp.route("/<int:year>/days", methods=["POST"])
@require(Permission.MANAGE_CALENDAR)
def set_day(year: int):
    _year_or_404(year)
    form = DayForm()
    if not form.validate_on_submit():
        return _render_year(year, day_form=form, status=422)
    if form.day.data.year != year:
        form.day.errors = [*form.day.errors, _("The date must be in %(year)d.", year=year)]
        return _render_year(year, day_form=form, status=422)
    try:
        change = upkeep.set_day(current_user, form.day.data, form.kind.data == upkeep.WORKDAY, form.name.data)
    except upkeep.CalendarInputError as exc:
        db.session.rollback()
        return _render_year(year, day_form=form, problems=exc.problems, status=422)
    db.session.commit()
    flash(_("%(day)s saved.", day=form.day.data.isoformat()) + " " + _summary(change), "success")
    return redirect(url_for("calendar_admin.year", year=year))


@bp.route("/<int:year>/days/<day>/remove", methods=["POST"])
@require(Permission.MANAGE_CALENDAR)
def remove_day(year: int, day: str):
    _year_or_404(year)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if when.year != year:
        abort(404)
    if not RemoveForm().validate_on_submit():
        abort(400)
    try:
        change = upkeep.remove_day(current_user, when)
    except upkeep.CalendarInputError as exc:
        db.session.rollback()
        return _render_year(year, problems=exc.problems, status=422)
    db.session.commit()
    flash(_("%(day)s is an ordinary day again.", day=when.isoformat()) + " " + _summary(change), "success")
    return redirect(url_for("calendar_admin.year", year=year))


@bp.route("/<int:year>/import", methods=["POST"])
@require(Permission.MANAGE_CALENDAR)
def import_year(year: int):
    _year_or_404(year)
    form = ImportForm()
    if not form.validate_on_submit():
        return _render_year(year, import_form=form, status=422)
    upload = form.upload.data
    filename, data = "", form.text.data or ""
    if upload and getattr(upload, "filename", ""):
        filename, data = upload.filename, upload.read(MAX_INPUT + 1)
        if len(data) > MAX_INPUT:
            form.upload.errors = [*form.upload.errors, _("The file is too large.")]
            return _render_year(year, import_form=form, status=422)
    if not data.strip():
        form.text.errors = [*form.text.errors, _("Paste the year's days or upload a file.")]
        return _render_year(year, import_form=form, status=422)
    try:
        chosen, entries = upkeep.read(data, filename, year)
        change = upkeep.load_year(current_user, chosen, entries, form.source.data)
    except upkeep.CalendarInputError as exc:
        db.session.rollback()
        return _render_year(year, import_form=form, problems=exc.problems, status=422)
    db.session.commit()
    flash(_("%(year)d loaded: %(days)d days.", year=year, days=change.days) + " " + _summary(change), "success")
    return redirect(url_for("calendar_admin.year", year=year))
