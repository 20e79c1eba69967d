"""Reported figures in the JSON API: inspection records, indicator reports and the indicators'
overview. The routes join the API blueprint; casesys.api imports this module before registering it.
Endpoint names start with ``reporting_`` to stay clear of the API module's own. They live in the
API layer (not in casesys.reporting) because they build on the API's blueprint and helpers."""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from casesys.api.openapi import operation
from casesys.api.reporting_schemas import (
    IndicatorOut,
    IndicatorOverviewOut,
    IndicatorReportIn,
    IndicatorReportListOut,
    IndicatorReportOut,
    IndicatorReportQuery,
    InspectionIn,
    InspectionListOut,
    InspectionOut,
    InspectionQuery,
)
from casesys.api.views import _json, _parse, bp
from casesys.auth.guards import api_require
from casesys.auth.permissions import Permission
from casesys.core.errors import InvalidInput, api_error
from casesys.reporting import services
from casesys.reporting.indicators import INDICATORS, overview

PAGE = 100


def _body() -> dict | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def _bad_json():
    return api_error(400, "bad_json", _("The body must be a JSON object (Content-Type: application/json)."))


@bp.route("/inspections", methods=["GET"], endpoint="reporting_list_inspections")
@api_require(Permission.READ_REPORTS)
@operation(method="GET", path="/inspections",
           summary="Inspection records the caller may see (own agency; supervisors: their region), newest first",
           query=InspectionQuery, response=InspectionListOut, errors=(401, 403, 422))
def list_inspections():
    user = g.api_user
    query = _parse(InspectionQuery, request.args.to_dict())
    filters = services.inspection_filters(user, query.date_from, query.date_to, query.agency)
    found = services.search_inspections(user, filters, page=query.page, limit=PAGE)
    return _json(InspectionListOut(items=[InspectionOut.of(r) for r in found.records], total_units=found.total_units,
                                   total_records=found.total_records,
                                   next_page=found.page + 1 if found.has_more else None))


@bp.route("/inspections", methods=["POST"], endpoint="reporting_record_inspection")
@api_require(Permission.REPORT_FIGURES)
@operation(method="POST", path="/inspections",
           summary="Record an inspection round of the caller's agency (copyright, market regulation, agriculture)",
           request=InspectionIn, response=InspectionOut, status=201, errors=(400, 401, 403, 422))
def record_inspection():
    if (body := _body()) is None:
        return _bad_json()
    data = _parse(InspectionIn, body)
    record = services.record_inspection(g.api_user, inspected_on=data.inspected_on,
                                        units_inspected=data.units_inspected, campaign=data.campaign, note=data.note)
    return _json(InspectionOut.of(record), 201)


@bp.route("/indicators", methods=["GET"], endpoint="reporting_indicators_overview")
@api_require(Permission.VIEW_STATS)
@operation(method="GET", path="/indicators",
           summary="The plan's indicators: 2020 base, 2025 target, latest value, progress and yearly history",
           response=IndicatorOverviewOut, errors=(401, 403))
def indicators_overview():
    region = g.api_user.agency.region
    return _json(IndicatorOverviewOut(region=region.code,
                                      indicators=[IndicatorOut.of(s) for s in overview(region.path)]))


@bp.route("/indicator-reports", methods=["POST"], endpoint="reporting_report_indicator")
@api_require(Permission.REPORT_FIGURES)
@operation(method="POST", path="/indicator-reports",
           summary="Report the caller's agency's value of an indicator for a year or quarter "
                   "(201 new; 200 replaced the period's value)",
           request=IndicatorReportIn, response=IndicatorReportOut, status=201, also=(200,),
           errors=(400, 401, 403, 422))
def report_indicator():
    if (body := _body()) is None:
        return _bad_json()
    data = _parse(IndicatorReportIn, body)
    report, is_new = services.report_indicator(g.api_user, indicator=data.indicator, year=data.year,
                                               quarter=data.quarter, value=data.value, note=data.note)
    return _json(IndicatorReportOut.of(report), 201 if is_new else 200)


@bp.route("/indicator-reports", methods=["GET"], endpoint="reporting_list_indicator_reports")
@api_require(Permission.READ_REPORTS)
@operation(method="GET", path="/indicator-reports",
           summary="Indicator reports the caller may see (own agency; supervisors: their region), newest first",
           query=IndicatorReportQuery, response=IndicatorReportListOut, errors=(401, 403, 422))
def list_indicator_reports():
    user = g.api_user
    query = _parse(IndicatorReportQuery, request.args.to_dict())
    if query.indicator is not None and query.indicator not in INDICATORS:
        raise InvalidInput(_("Some filters are not valid."), {"indicator": _("unknown indicator")})
    reports, has_more = services.list_indicator_reports(user, query.indicator, query.year, page=query.page,
                                                        limit=PAGE)
    return _json(IndicatorReportListOut(items=[IndicatorReportOut.of(r) for r in reports],
                                        next_page=query.page + 1 if has_more else None))
