"""Reported figures in the browser (信息报送): inspection records, the indicator report form
and, for supervisors, the indicators' overview with a chart per indicator.
A refused form comes back with 422 and its messages beside the fields."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from casesys.auth.guards import require
from casesys.auth.permissions import Permission
from casesys.core.errors import DomainError, InvalidInput, NotFound
from casesys.core.params import WholeNumberField, int_arg
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.reporting import services
from casesys.reporting.indicators import (
    BASE_YEAR,
    INDICATORS,
    TARGET_YEAR,
    IndicatorStatus,
    decimal_text,
    indicators_for_kind,
    overview,
)

bp = Blueprint("reporting", __name__, url_prefix="/reports")
PAGE = 50


class InspectionForm(FlaskForm):
    # Types only: ranges and lengths are the service's, the same for the page and the API.
    inspected_on = DateField(_l("Inspected on"), validators=[InputRequired()])
    units_inspected = WholeNumberField(_l("Business units inspected"), validators=[InputRequired()])
    campaign = StringField(_l("Campaign"))
    note = TextAreaField(_l("Note"))


class IndicatorReportForm(FlaskForm):
    indicator = SelectField(_l("Indicator"), validators=[InputRequired()])
    year = WholeNumberField(_l("Year"), validators=[InputRequired()])
    quarter = SelectField(_l("Period"), coerce=int, validators=[InputRequired()])
    value = DecimalField(_l("Value"), places=None, validators=[InputRequired()])
    note = TextAreaField(_l("Note"))

    def fill_choices(self, kind: str) -> None:
        self.indicator.choices = [(ind.key, f"{_(ind.label)} ({_(ind.unit)})") for ind in indicators_for_kind(kind)]
        self.quarter.choices = [(0, _("Whole year")), *((q, _("Quarter %(number)d", number=q)) for q in range(1, 5))]


def _attach(form: FlaskForm, exc: DomainError) -> None:
    """The service's messages beside the fields they name; the rest above the form."""
    for name, message in exc.fields.items():
        if name in form._fields and name != "csrf_token":
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)
    if not exc.fields:
        form.form_errors.append(exc.message)


def _page_number() -> int:
    return int_arg("page", 1, 1, 10_000)


@bp.app_template_filter("exact_decimal")
def _figure(value: Decimal | None) -> str:
    """An exact decimal as reported, without trailing zeros: 3.1000 -> 3.1."""
    return decimal_text(value) or ""


@bp.route("/inspections")
@require(Permission.READ_REPORTS)
def inspections():
    problems: dict[str, str] = {}
    try:
        filters = services.parse_inspection_filters(current_user, request.args)
    except InvalidInput as exc:
        problems = exc.fields
        filters = services.InspectionFilters()
    found = services.search_inspections(current_user, filters, page=_page_number(), limit=PAGE)
    args = filters.as_args()
    is_supervisor = current_user.can(Permission.VIEW_STATS)
    return render_template(
        "reporting/inspections.html", found=found, filters=filters, problems=problems, raw=request.args,
        agencies=services.visible_agencies(current_user, services.INSPECTION_KINDS) if is_supervisor else [],
        show_agency=is_supervisor, may_record=services.may_record_inspections(current_user),
        next_args={**args, "page": found.page + 1} if found.has_more else None,
        previous_args={**args, "page": found.page - 1} if found.page > 1 else None)


@bp.route("/inspections/new", methods=["GET", "POST"])
@require(Permission.REPORT_FIGURES)
def new_inspection():
    if not services.may_record_inspections(current_user):
        # The error page says only "not allowed"; this page says why.
        return render_template("reporting/inspection_form.html", form=None, refusal=_(
            "Only copyright, market regulation and agriculture agencies record inspections.")), 403
    form = InspectionForm()
    if request.method == "GET":
        form.inspected_on.data = today_in_china()
    if form.validate_on_submit():
        try:
            record = services.record_inspection(
                current_user, inspected_on=form.inspected_on.data, units_inspected=form.units_inspected.data,
                campaign=form.campaign.data, note=form.note.data)
        except InvalidInput as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            flash(_("Inspection of %(count)d business units recorded.", count=record.units_inspected), "success")
            return redirect(url_for("reporting.inspections"))
    status = 422 if request.method == "POST" else 200
    return render_template("reporting/inspection_form.html", form=form, today=today_in_china(),
                           max_units=services.MAX_UNITS, max_campaign=services.MAX_CAMPAIGN,
                           max_note=services.MAX_NOTE), status


def _percent(progress: Decimal | None) -> float | None:
    return None if progress is None else round(float(progress) * 100, 1)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _progress_chart(statuses: list[IndicatorStatus]) -> dict:
    """One horizontal bar per indicator with a target: how far it has come, in per cent."""
    shown = [s for s in statuses if s.indicator.has_target]
    return {"type": "hbar", "labels": [_(s.indicator.label) for s in shown],
            "datasets": [{"label": _("Progress towards the 2025 target, in per cent"),
                          "data": [_percent(s.progress) for s in shown]}],
            "links": [url_for("reporting.indicator", key=s.indicator.key) for s in shown]}


def _history_chart(status: IndicatorStatus) -> dict:
    """The yearly figures as a line, with the plan's base and target as flat lines."""
    ind, by_year = status.indicator, {f.year: f.value for f in status.history}
    first = min([BASE_YEAR, *by_year])
    last = max([TARGET_YEAR, *by_year])
    years = list(range(first, last + 1))
    datasets = [{"label": _("Reported"), "data": [_number(by_year.get(y)) for y in years], "spanGaps": True}]
    if ind.has_target:
        for label, value in ((_("2020 base"), ind.base_2020), (_("2025 target"), ind.target_2025)):
            datasets.append({"label": label, "data": [_number(value)] * len(years), "pointRadius": 0,
                             "borderDash": [6, 4]})
    return {"type": "line", "labels": [str(y) for y in years], "datasets": datasets}


def _area():
    region = current_user.agency.region
    return region, region.level == "province"


@bp.route("/indicators")
@require(Permission.VIEW_STATS)
def indicators():
    region, is_province = _area()
    statuses = overview(region.path)
    return render_template("reporting/indicators.html", statuses=statuses, region=region, is_province=is_province,
                           chart=_progress_chart(statuses) if is_province else None, percent=_percent)


@bp.route("/indicators/<key>")
@require(Permission.VIEW_STATS)
def indicator(key: str):
    if key not in INDICATORS:
        raise NotFound(_("No such indicator."))
    region, is_province = _area()
    [status] = overview(region.path, [key])
    reports, has_more = services.list_indicator_reports(current_user, key, limit=200)
    return render_template("reporting/indicator.html", status=status, ind=status.indicator, region=region,
                           is_province=is_province, chart=_history_chart(status), reports=reports,
                           has_more=has_more, percent=_percent)


def _prefill(form: IndicatorReportForm) -> None:
    """A GET with ?indicator=&year=&quarter= opens that period, with the agency's value if it has one."""
    today = today_in_china()
    key = request.args.get("indicator")
    if key in dict(form.indicator.choices):
        form.indicator.data = key
    form.year.data = int_arg("year", today.year, services.EARLIEST_YEAR, today.year)
    form.quarter.data = int_arg("quarter", 0, 0, 4)
    if form.indicator.data and (existing := services.own_report(current_user, form.indicator.data,
                                                                 form.year.data, form.quarter.data)):
        form.value.data, form.note.data = Decimal(decimal_text(existing.value)), existing.note


@bp.route("/indicators/submit", methods=["GET", "POST"])
@require(Permission.REPORT_FIGURES)
def submit_indicator():
    form = IndicatorReportForm()
    form.fill_choices(current_user.agency.kind)
    if request.method == "GET":
        _prefill(form)
    if form.validate_on_submit():
        try:
            report, is_new = services.report_indicator(
                current_user, indicator=form.indicator.data, year=form.year.data, quarter=form.quarter.data,
                value=form.value.data, note=form.note.data)
        except InvalidInput as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            period = period_label(report.year, report.quarter)
            label = _(INDICATORS[report.indicator].label)
            flash(_("%(indicator)s for %(period)s recorded.", indicator=label, period=period) if is_new
                  else _("%(indicator)s for %(period)s replaced.", indicator=label, period=period), "success")
            return redirect(url_for("reporting.submit_indicator"))
    reports, has_more = services.list_indicator_reports(current_user, own_agency_only=True,
                                                        page=_page_number(), limit=PAGE)
    status = 422 if request.method == "POST" else 200
    return render_template("reporting/indicator_submit.html", form=form, reports=reports, has_more=has_more,
                           page=_page_number(), indicators=INDICATORS, first_year=services.EARLIEST_YEAR,
                           this_year=today_in_china().year, max_note=services.MAX_NOTE), status


def period_label(year: int, quarter: int) -> str:
    """A report's period: "2024" or "2024 Q2"."""
    return str(year) if quarter == 0 else _("%(year)d Q%(quarter)d", year=year, quarter=quarter)


@bp.context_processor
def _helpers():
    return {"period_label": period_label}
