from __future__ import annotations

import base64

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from casesys.api.openapi import build_document, operation
from casesys.api.schemas import (
    CaseDetailOut,
    CaseListOut,
    CaseOut,
    NotificationFilters,
    NotificationListOut,
    NotificationOut,
    PlanFiguresOut,
    StatsQuery,
    SummaryOut,
    SummaryQuery,
    TransitionIn,
    WorkflowListOut,
)
from casesys.auth.guards import api_require
from casesys.auth.permissions import Permission
from casesys.cases import services
from casesys.cases.access import record_confidential_reads
from casesys.cases.schemas import CaseFilters, CaseIn, pydantic_field_errors
from casesys.core.errors import InvalidInput, api_error
from casesys.core.params import int_arg, parse_row_id
from casesys.reminders import queries as reminder_queries
from casesys.stats import figures as stats
from casesys.stats.filters import parse_filters
from casesys.stats.views import audit_respondent_reads
from casesys.workflows import engine, registration

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PAGE = 200


def _json(model: BaseModel, status: int = 200):
    response = jsonify(model.model_dump(mode="json", by_alias=True))
    response.status_code = status
    return response


def _parse(model: type[BaseModel], data):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(_("The request has invalid fields."), pydantic_field_errors(exc)) from None


def _cursor(case_id: int) -> str:
    return base64.urlsafe_b64encode(str(case_id).encode()).decode().rstrip("=")


def _after_id(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        after_id = parse_row_id(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except ValueError:
        after_id = None
    if after_id is not None:
        return after_id
    raise InvalidInput(_("The cursor is not valid."), {"cursor": _("use next_cursor from a previous page")})


@bp.route("/cases", methods=["POST"])
@api_require(Permission.REGISTER_CASES)
@operation(method="POST", path="/cases", summary="Register a case", request=CaseIn, response=CaseOut,
           status=201, errors=(400, 401, 403, 409, 422))
def register_case():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(400, "bad_json", _("The body must be a JSON object (Content-Type: application/json)."))
    case = registration.register_case(g.api_user, _parse(CaseIn, body))
    response = _json(CaseOut.of(case), 201)
    response.headers["Location"] = url_for("api.get_case", case_id=case.id)
    return response


def _paging() -> tuple[dict, str | None, int]:
    """A listing's query: its filters, ``cursor`` and ``limit`` (1–MAX_PAGE, default 50)."""
    args = request.args.to_dict()
    limit = int_arg("limit", 50, 1, MAX_PAGE)
    args.pop("limit", None)
    return args, args.pop("cursor", None), limit


@bp.route("/cases", methods=["GET"])
@api_require(Permission.VIEW_CASES)
@operation(method="GET", path="/cases", summary="List the cases the caller may see, newest first",
           query=CaseFilters, response=CaseListOut, errors=(401, 403, 422),
           extra_query={"cursor": "next_cursor of the previous page", "limit": f"1–{MAX_PAGE}, default 50"})
def list_cases():
    args, cursor, limit = _paging()
    filters = _parse(CaseFilters, args)
    cases = services.search_cases(g.api_user, filters, after_id=_after_id(cursor), limit=limit + 1)
    page = cases[:limit]
    record_confidential_reads(g.api_user, page, "api.cases")
    return _json(CaseListOut(items=[CaseOut.of(c) for c in page],
                             next_cursor=_cursor(page[-1].id) if len(cases) > limit else None))


@bp.route("/cases/<int:case_id>", methods=["GET"])
@api_require(Permission.VIEW_CASES)
@operation(method="GET", path="/cases/{case_id}",
           summary="Read one case: history, clocks, linked cases and what the caller may do next",
           response=CaseDetailOut, path_params=("case_id",), errors=(401, 403, 404))
def get_case(case_id: int):
    return _json(CaseDetailOut.of(services.get_case_for(g.api_user, case_id), g.api_user))


@bp.route("/cases/<int:case_id>/transitions", methods=["POST"])
@api_require(Permission.VIEW_CASES)
@operation(method="POST", path="/cases/{case_id}/transitions",
           summary="Fire a transition (one of allowed_transitions) with its fields",
           request=TransitionIn, response=CaseDetailOut, path_params=("case_id",),
           errors=(400, 401, 403, 404, 409, 422))
def fire_transition(case_id: int):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(400, "bad_json", _("The body must be a JSON object (Content-Type: application/json)."))
    data = _parse(TransitionIn, body)
    case = engine.apply_transition(g.api_user, case_id, data.transition, data.fields,
                                   expected_version=data.expected_version, effective_on=data.effective_on,
                                   effective_at=data.effective_at)
    return _json(CaseDetailOut.of(case, g.api_user))


@bp.route("/workflows", methods=["GET"])
@api_require(Permission.SIGNED_IN)
@operation(method="GET", path="/workflows", summary="The workflow definitions: states, clocks, transitions, fields",
           response=WorkflowListOut, errors=(401,))
def list_workflows():
    return _json(WorkflowListOut.of(engine.workflows().values()))


@bp.route("/openapi.json")
@api_require(Permission.SIGNED_IN)
def openapi():
    return jsonify(build_document(url_for("api.openapi", _external=False).rsplit("/", 1)[0], g.api_user))


@bp.route("/notifications", methods=["GET"])
@api_require(Permission.VIEW_CASES)
@operation(method="GET", path="/notifications", summary="The caller's own notifications, newest first",
           query=NotificationFilters, response=NotificationListOut, errors=(401, 403, 422),
           extra_query={"cursor": "next_cursor of the previous page", "limit": f"1–{MAX_PAGE}, default 50"})
def list_notifications():
    args, cursor, limit = _paging()
    filters = _parse(NotificationFilters, args)
    found = reminder_queries.list_notifications(g.api_user, unread=filters.unread, after_id=_after_id(cursor),
                                                limit=limit + 1)
    page = found[:limit]
    return _json(NotificationListOut(items=[NotificationOut.of(n) for n in page],
                                     next_cursor=_cursor(page[-1].id) if len(found) > limit else None))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@api_require(Permission.VIEW_CASES)
@operation(method="POST", path="/notifications/{notification_id}/read",
           summary="Mark one of the caller's notifications read (again: no change)", response=NotificationOut,
           path_params=("notification_id",), errors=(401, 403, 404))
def read_notification(notification_id: int):
    return _json(NotificationOut.of(reminder_queries.mark_read(g.api_user, notification_id)))


@bp.route("/stats/plan-figures", methods=["GET"])
@api_require(Permission.VIEW_STATS)
@operation(method="GET", path="/stats/plan-figures", query=StatsQuery, response=PlanFiguresOut,
           summary="DOMAIN §5's figures for a period and area, aggregated from the records now",
           errors=(401, 403, 422))
def stats_plan_figures():
    _parse(StatsQuery, request.args.to_dict())
    f = parse_filters(request.args, g.api_user)
    return _json(PlanFiguresOut(figures=stats.plan_figures(f), filters=f.as_args()))


@bp.route("/stats/summary", methods=["GET"])
@api_require(Permission.VIEW_STATS)
@operation(method="GET", path="/stats/summary", query=SummaryQuery, response=SummaryOut,
           summary="The dashboard's figures: headline, plan figures, breakdowns, trend, flows, clocks, "
                   "repeat respondents", errors=(401, 403, 422))
def stats_summary():
    query = _parse(SummaryQuery, request.args.to_dict())
    sections = [s.strip() for s in (query.sections or ",".join(stats.SECTIONS)).split(",") if s.strip()]
    unknown = [s for s in sections if s not in stats.SECTIONS]
    if unknown or not sections:
        raise InvalidInput(_("The sections are not valid."),
                           {"sections": _("choose from %(choices)s", choices=", ".join(stats.SECTIONS))})
    f = parse_filters(request.args, g.api_user)
    summary = stats.summary(f, query.bucket, sections)
    if "repeat_respondents" in summary:
        audit_respondent_reads(g.api_user, f, summary["repeat_respondents"]["top"], "api.stats.summary")
    return _json(SummaryOut(**summary))
