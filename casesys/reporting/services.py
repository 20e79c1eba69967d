"""Verbs and scoped queries of reported figures, shared by the pages, the API and the tests.

Who sees what: an agency's officers and heads (REPORT_FIGURES) see their own agency's records;
supervisors (VIEW_STATS) see every agency in their region and below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, false, func, or_, select

from casesys.agencies.models import Agency, Region
from casesys.audit import services as audit
from casesys.auth.permissions import Permission
from casesys.core.db import lock_for_serial_append
from casesys.core.errors import Forbidden, InvalidInput
from casesys.core.types import today_in_china, utcnow
from casesys.extensions import db
from casesys.reporting.indicators import INDICATORS, decimal_text
from casesys.reporting.models import IndicatorReport, InspectionRecord

# Inspections of business units are copyright work (DOMAIN §1, §5); market regulation and
# agriculture inspect too and may keep the same record.
INSPECTION_KINDS = ("copyright", "market_regulation", "agriculture")
MAX_UNITS = 100_000
MAX_CAMPAIGN = 100
MAX_NOTE = 2000
EARLIEST_YEAR = 2016  # the 13th Five-Year period's first year
# Numeric(20, 4) is stored as a float by SQLite: 15 significant digits stay exact there.
MAX_INTEGER_DIGITS = 11
MAX_DECIMAL_PLACES = 4
_INDICATOR_LOCK_KEY = 0x1D1C47  # serialises replacing a period's value (advisory lock on PostgreSQL)


def may_record_inspections(user) -> bool:
    return user.can(Permission.REPORT_FIGURES) and user.agency.kind in INSPECTION_KINDS


def _area_agency_ids(user):
    return (select(Agency.id).join(Region, Agency.region_code == Region.code)
            .where(Region.path.startswith(user.agency.region.path, autoescape=True)))


def visible_agencies_clause(user, column) -> ColumnElement[bool]:
    """A WHERE clause on an agency-id ``column``: the agencies whose figures ``user`` may read."""
    clauses = []
    if user.can(Permission.REPORT_FIGURES):
        clauses.append(column == user.agency_id)
    if user.can(Permission.VIEW_STATS):
        clauses.append(column.in_(_area_agency_ids(user)))
    return or_(*clauses) if clauses else false()


def visible_agencies(user, kinds=None) -> list[Agency]:
    """The agencies ``user`` may read figures of (optionally only of ``kinds``), by code."""
    stmt = select(Agency).where(visible_agencies_clause(user, Agency.id)).order_by(Agency.code)
    if kinds is not None:
        stmt = stmt.where(Agency.kind.in_(kinds))
    return list(db.session.scalars(stmt))


def _clean_text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _today_errors(field: str, on: date, errors: dict) -> None:
    if on > today_in_china():
        errors[field] = _("cannot be in the future")
    elif on.year < EARLIEST_YEAR:
        errors[field] = _("must not be before %(year)d", year=EARLIEST_YEAR)


def record_inspection(user, *, inspected_on: date, units_inspected: int, campaign: str | None = None,
                      note: str | None = None) -> InspectionRecord:
    """Record one inspection round of the user's agency (flushes, audits)."""
    if not may_record_inspections(user):
        raise Forbidden(_("Only copyright, market regulation and agriculture agencies record inspections."))
    errors: dict[str, str] = {}
    _today_errors("inspected_on", inspected_on, errors)
    if not 1 <= units_inspected <= MAX_UNITS:
        errors["units_inspected"] = _("a whole number from 1 to %(max)d", max=MAX_UNITS)
    campaign, note = _clean_text(campaign), _clean_text(note)
    if campaign is not None and len(campaign) > MAX_CAMPAIGN:
        errors["campaign"] = _("at most %(max)d characters", max=MAX_CAMPAIGN)
    if note is not None and len(note) > MAX_NOTE:
        errors["note"] = _("at most %(max)d characters", max=MAX_NOTE)
    if errors:
        raise InvalidInput(_("The inspection record has invalid fields."), errors)
    record = InspectionRecord(agency_id=user.agency_id, inspected_on=inspected_on, units_inspected=units_inspected,
                              campaign=campaign, note=note, created_by_id=user.id)
    db.session.add(record)
    db.session.flush()
    audit.record("inspection.record", "inspection_record", record.id, actor=user, agency=user.agency.code,
                 inspected_on=inspected_on.isoformat(), units_inspected=units_inspected, campaign=campaign)
    return record


@dataclass(frozen=True)
class InspectionFilters:
    date_from: date | None = None
    date_to: date | None = None
    agency: Agency | None = None

    def as_args(self) -> dict[str, str]:
        """Query arguments that select the same records again (links to other pages)."""
        args = {"from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None,
                "agency": self.agency.code if self.agency else None}
        return {k: v for k, v in args.items() if v}


def _agency_in_view(user, code: str | None, field: str, errors: dict) -> Agency | None:
    if not code:
        return None
    agency = db.session.scalar(select(Agency).where(Agency.code == code, visible_agencies_clause(user, Agency.id)))
    if agency is None:
        errors[field] = _("no agency %(code)s among those whose figures you may see", code=code)
    return agency


def inspection_filters(user, date_from: date | None = None, date_to: date | None = None,
                       agency_code: str | None = None) -> InspectionFilters:
    """Check a period and an agency code against what ``user`` may see; InvalidInput names each bad one."""
    errors: dict[str, str] = {}
    if date_from and date_to and date_from > date_to:
        errors["to"] = _("must not be before the start of the period")
    agency = _agency_in_view(user, (agency_code or "").strip(), "agency", errors)
    if errors:
        raise InvalidInput(_("Some filters are not valid."), errors)
    return InspectionFilters(date_from=date_from, date_to=date_to, agency=agency)


def parse_inspection_filters(user, args) -> InspectionFilters:
    """Filters from query arguments (``from``, ``to``, ``agency``) as the pages send them."""
    errors: dict[str, str] = {}
    found = {}
    for name in ("from", "to"):
        raw = (args.get(name) or "").strip()
        try:
            found[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[name] = _("not a date (YYYY-MM-DD)")
    try:
        filters = inspection_filters(user, found.get("from"), found.get("to"), args.get("agency"))
    except InvalidInput as exc:
        errors = {**exc.fields, **errors}
    if errors:
        raise InvalidInput(_("Some filters are not valid."), errors)
    return filters


@dataclass
class InspectionPage:
    records: list[InspectionRecord]
    total_units: int  # over every record the filters select, not just this page
    total_records: int
    page: int
    has_more: bool


def search_inspections(user, filters: InspectionFilters, page: int = 1, limit: int = 50) -> InspectionPage:
    """The inspection records ``user`` may see, newest first, one page of them, with totals."""
    where = [visible_agencies_clause(user, InspectionRecord.agency_id)]
    if filters.date_from:
        where.append(InspectionRecord.inspected_on >= filters.date_from)
    if filters.date_to:
        where.append(InspectionRecord.inspected_on <= filters.date_to)
    if filters.agency:
        where.append(InspectionRecord.agency_id == filters.agency.id)
    units, count = db.session.execute(select(func.coalesce(func.sum(InspectionRecord.units_inspected), 0),
                                             func.count(InspectionRecord.id)).where(*where)).one()
    found = list(db.session.scalars(
        select(InspectionRecord).where(*where)
        .order_by(InspectionRecord.inspected_on.desc(), InspectionRecord.id.desc())
        .offset((page - 1) * limit).limit(limit + 1)))
    return InspectionPage(records=found[:limit], total_units=int(units), total_records=count, page=page,
                          has_more=len(found) > limit)


def may_report_indicator(user, key: str) -> bool:
    indicator = INDICATORS.get(key)
    return (indicator is not None and user.can(Permission.REPORT_FIGURES)
            and user.agency.kind in indicator.reporter_kinds)


def _current_quarter(today: date) -> int:
    return (today.month - 1) // 3 + 1


def _value_problem(value: Decimal) -> str | None:
    if not value.is_finite():
        return _("must be a number")
    if value < 0:
        return _("must not be negative")
    if value != 0 and value.normalize().as_tuple().exponent < -MAX_DECIMAL_PLACES:
        return _("at most %(places)d decimal places", places=MAX_DECIMAL_PLACES)
    if value >= Decimal(10) ** MAX_INTEGER_DIGITS:
        return _("at most %(digits)d digits before the decimal point", digits=MAX_INTEGER_DIGITS)
    return None


def report_indicator(user, *, indicator: str, year: int, quarter: int, value: Decimal,
                     note: str | None = None) -> tuple[IndicatorReport, bool]:
    """Set the user's agency's value of ``indicator`` for a year (quarter 0) or a quarter.
    Reporting a period again replaces its value; the audit entry keeps the old one.
    Returns the report and whether it is new."""
    if not user.can(Permission.REPORT_FIGURES):
        raise Forbidden(_("Your role does not allow this."))
    errors: dict[str, str] = {}
    if indicator not in INDICATORS:
        errors["indicator"] = _("unknown indicator")
    elif not may_report_indicator(user, indicator):
        errors["indicator"] = _("your agency does not report this indicator")
    today = today_in_china()
    if not EARLIEST_YEAR <= year <= today.year:
        errors["year"] = _("a year from %(first)d to %(last)d", first=EARLIEST_YEAR, last=today.year)
    if quarter not in (0, 1, 2, 3, 4):
        errors["quarter"] = _("0 (the whole year) or 1 to 4")
    elif year == today.year and quarter > _current_quarter(today):
        errors["quarter"] = _("that quarter has not begun")
    if problem := _value_problem(value):
        errors["value"] = problem
    note = _clean_text(note)
    if note is not None and len(note) > MAX_NOTE:
        errors["note"] = _("at most %(max)d characters", max=MAX_NOTE)
    if errors:
        raise InvalidInput(_("The report has invalid fields."), errors)

    value = value.quantize(Decimal(1).scaleb(-MAX_DECIMAL_PLACES))
    # Two people replacing the same period at once: the second waits, then finds the first's row.
    lock_for_serial_append(_INDICATOR_LOCK_KEY)
    report = own_report(user, indicator, year, quarter)
    is_new = report is None
    old_value = None if is_new else report.value
    if is_new:
        report = IndicatorReport(indicator=indicator, agency_id=user.agency_id, year=year, quarter=quarter)
        db.session.add(report)
    report.value, report.note, report.submitted_by_id, report.submitted_at = value, note, user.id, utcnow()
    db.session.flush()
    audit.record("indicator.report", "indicator_report", report.id, actor=user, indicator=indicator,
                 agency=user.agency.code, year=year, quarter=quarter, old_value=decimal_text(old_value),
                 new_value=decimal_text(value))
    return report, is_new


def own_report(user, indicator: str, year: int, quarter: int) -> IndicatorReport | None:
    """The user's agency's report of a period, if it made one."""
    return db.session.scalar(select(IndicatorReport).where(
        IndicatorReport.indicator == indicator, IndicatorReport.agency_id == user.agency_id,
        IndicatorReport.year == year, IndicatorReport.quarter == quarter))


def list_indicator_reports(user, indicator: str | None = None, year: int | None = None, *,
                           own_agency_only: bool = False, page: int = 1,
                           limit: int = 100) -> tuple[list[IndicatorReport], bool]:
    """The reports ``user`` may see, newest period first; and whether there are more."""
    where = [visible_agencies_clause(user, IndicatorReport.agency_id)]
    if own_agency_only:
        where.append(IndicatorReport.agency_id == user.agency_id)
    if indicator is not None:
        where.append(IndicatorReport.indicator == indicator)
    if year is not None:
        where.append(IndicatorReport.year == year)
    found = list(db.session.scalars(
        select(IndicatorReport).join(Agency, IndicatorReport.agency_id == Agency.id).where(*where)
        .order_by(IndicatorReport.year.desc(), (IndicatorReport.quarter == 0).desc(), IndicatorReport.quarter.desc(),
                  IndicatorReport.indicator, Agency.code)
        .offset((page - 1) * limit).limit(limit + 1)))
    return found[:limit], len(found) > limit
