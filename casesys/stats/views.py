"""The supervisor dashboard (统计分析): figures by tab, the cases behind every number, exports.

Every number links to the cases it counts (``figures.cases_behind``) with the same filters; a rate
links to the cases of its numerator, a sum to the cases it adds up. The figures are what
``figures.summary`` computes (the overview in one grouped pass); this module labels, links and
lays them out, and writes the same tables as XLSX or CSV.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from casesys.agencies.models import AGENCY_KINDS, Region
from casesys.audit.services import record
from casesys.auth.guards import require
from casesys.auth.permissions import Permission
from casesys.cases.access import record_confidential_case_ids, record_confidential_reads, visible_cases_clause
from casesys.cases.catalog import IP_TYPES
from casesys.cases.models import Case
from casesys.core.errors import InvalidInput
from casesys.core.i18n import N_, label
from casesys.core.params import row_id_arg
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.stats import figures, snapshots
from casesys.stats.exports import FORMATS, Percent, Table, download, filename
from casesys.stats.figures import Figure, display
from casesys.stats.filters import BUCKETS, FILTER_KEYS, StatsFilters, parse_filters
from casesys.templating import state_labels, text
from casesys.workflows import engine

bp = Blueprint("stats", __name__, url_prefix="/stats")

TABS = {"overview": N_("Overview"), "flows": N_("Flows"), "clocks": N_("Time limits"),
        "respondents": N_("Repeat respondents")}
BUCKET_LABELS = {"month": N_("Month"), "quarter": N_("Quarter"), "year": N_("Year")}


def period_presets(today: date) -> list[tuple[str, date, date]]:
    """The periods supervisors report on most: this year, last year and the two plan periods."""
    return [(N_("This year"), date(today.year, 1, 1), today),
            (N_("Last year"), date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
            (N_("13th Five-Year Plan (2016–2020)"), date(2016, 1, 1), date(2020, 12, 31)),
            (N_("14th Five-Year Plan (2021–2025)"), date(2021, 1, 1), min(today, date(2025, 12, 31)))]
DIMENSIONS = {"agency_kind": N_("By agency kind"), "city": N_("By city"), "ip_type": N_("By IP type")}
FLOW_GROUPS = ((N_("Handoffs"), ("handoffs.",)), (N_("Criminal transfers"), ("transfers.",)),
               (N_("Mediation and judicial confirmation"), ("mediation.", "judicial_confirmation.")))
FUNNEL_KEYS = ("transfers.proposed", "transfers.approved", "transfers.transferred", "transfers.filed_by_police",
               "transfers.not_filed", "transfers.reconsidered")
PAGE_SIZE = 50
EXPORT_ROW_LIMIT = 50_000  # an export of the cases behind a number stops here (and says so)
RESPONDENT_EXPORT_LIMIT = 5_000
MAX_TREND_BUCKETS = 400  # beyond this the trend shows only the buckets that have cases

# Numbers the dashboard shows that figures.figure() does not name: open work, clocks, a respondent.
HEADLINE_ORDER = (*figures.HEADLINE_KEYS, "work.overdue_now", "work.open_orders")
CLOCK_RATE = Figure("clocks.on_time_rate", N_("On-time rate"), "rate", None, 1)


def _locale() -> str:
    return str(get_locale())


# ---- what was asked -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    filters: StatsFilters | None
    bucket: str
    errors: dict[str, str]


def _read_query() -> Query:
    """The filters and bucket of the request; every bad field named in ``errors``."""
    errors: dict[str, str] = {}
    bucket = (request.args.get("bucket") or "month").strip()
    if bucket not in BUCKETS:
        errors["bucket"] = _("choose month, quarter or year")
    try:
        filters = parse_filters(request.args, current_user)
    except InvalidInput as exc:
        filters, errors = None, {**exc.fields, **errors}
    return Query(filters, bucket, errors)


def drill_url(f: StatsFilters, key: str, *, clock: str | None = None, uscc: str | None = None,
              exact_region: bool = False, **changes) -> str:
    """The drill-down of a number: the cases it counts, under the same filters (and ``changes``)."""
    if key == figures.INSPECTED_UNITS.key:
        return "/reports/inspections?" + urlencode({"from": f.date_from.isoformat(), "to": f.date_to.isoformat()})
    if key in figures.RATES:
        key = figures.RATES[key][1]  # the numerator's cases
    scoped = f.with_(**changes) if changes else f
    extra = {"clock": clock, "uscc": uscc, "exact_region": "1" if exact_region else None}
    return url_for("stats.cases", figure=key, **scoped.as_args(), **{k: v for k, v in extra.items() if v})


@dataclass(frozen=True)
class Number:
    """A number as the page shows it, with the link to the cases behind it."""

    key: str
    label: str
    text: str
    href: str | None
    kind: str = "count"


def _number(f: StatsFilters, key: str, value, **link) -> Number:
    fig = figures.figure(key)
    return Number(key, _(fig.label), display(fig, value), drill_url(f, key, **link), fig.kind)


def plan_matches(fig: Figure, value) -> bool | None:
    """Whether a computed value is what the plan reports (None when there is nothing to compare)."""
    if fig.plan is None or value is None:
        return None
    if fig.kind in ("count", "units"):
        return int(fig.plan) == value if fig.plan.isdigit() else None
    if fig.kind == "rate":
        return display(fig, value) == fig.plan
    if fig.kind == "money":
        if more_than := re.search(r">\s*([\d,]+(?:\.\d+)?)", fig.plan):  # "25亿余元 (> 2,500,000,000)"
            return Decimal(value) > Decimal(more_than.group(1).replace(",", ""))
        return Decimal(value) == Decimal(fig.plan.replace(",", ""))
    return None


def _cell(fig: Figure, value):
    """A value for an export: counts as integers, money as exact Decimals, rates as percentages."""
    if value is None:
        return None
    if fig.kind == "money":
        return Decimal(value)
    if fig.kind == "rate":
        return Percent(value, fig.decimals)
    if fig.kind == "days":
        return float(value)
    return int(value)


# ---- labels ---------------------------------------------------------------------------------------

def _area_regions() -> list[Region]:
    """The user's region and every region below it, province first."""
    own = current_user.agency.region
    return list(db.session.scalars(select(Region).where(Region.path.startswith(own.path, autoescape=True))
                                   .order_by(Region.path)))


def _workflow_label(key: str | None) -> str:
    wf = engine.workflows().get(key) if key else None
    return text(wf.label) if wf else (key or "")


def _clock_label(workflow: str, key: str) -> str:
    wf = engine.workflows().get(workflow)
    clock = wf.clocks.get(key) if wf else None
    return text(clock.label) if clock else key


def describe(f: StatsFilters, regions: dict[str, Region]) -> str:
    """The period and filters in words, for headings and exports."""
    parts = [f"{f.date_from.isoformat()} – {f.date_to.isoformat()}"]
    if f.region:
        region = regions.get(f.region) or db.session.get(Region, f.region)
        parts.append(region.name(_locale()) if region else f.region)
    if f.agency_kind:
        parts.append(label(AGENCY_KINDS, f.agency_kind))
    if f.agency:
        parts.append(f.agency)
    if f.ip_type:
        parts.append(label(IP_TYPES, f.ip_type))
    if f.workflow:
        parts.append(_workflow_label(f.workflow))
    if f.outcome:
        parts.append(f.outcome)
    return " · ".join(parts)


# ---- the overview -----------------------------------------------------------------------------------

def _plan_rows(f: StatsFilters, values: dict) -> list[dict]:
    rows = []
    for key in figures.PLAN_KEYS:
        fig = figures.figure(key)
        rows.append({"key": key, "number": _number(f, key, values[key]), "plan": fig.plan, "value": values[key],
                     "matches": plan_matches(fig, values[key])})
    return rows


def _sorted_breakdown(values: dict[str, dict]) -> list[dict]:
    return sorted(({"key": k, **cells} for k, cells in values.items()),
                  key=lambda row: (-row["cases.received"], row["key"]))


def _breakdown(f: StatsFilters, dim: str, rows: list[dict], regions: dict[str, Region]) -> dict:
    """One breakdown's rows (label and linked received/filed/closed) and its chart."""
    out = []
    for row in rows:
        key, link = row["key"], {}
        if dim == "agency_kind":
            name, link["agency_kind"] = label(AGENCY_KINDS, key), key
        elif dim == "ip_type":
            name, link["ip_type"] = label(IP_TYPES, key), key
        else:
            region = regions.get(key) or db.session.get(Region, key)
            name, link["region"] = (region.name(_locale()) if region else key), key
            # Cases registered at the province itself: "230000" alone, not the cities below it.
            link["exact_region"] = region is not None and region.level == "province"
        cells = [_number(f, k, row[k], **link) for k in figures.BREAKDOWN_KEYS]
        out.append({"key": key, "label": name, "cells": cells, "values": [row[k] for k in figures.BREAKDOWN_KEYS]})
    chart = {
        "type": "hbar" if dim != "city" else "bar", "integer": True,
        "labels": [r["label"] for r in out],
        "datasets": [{"label": _(figures.figure(k).label), "data": [r["values"][i] for r in out],
                      "links": [r["cells"][i].href for r in out]} for i, k in enumerate(figures.BREAKDOWN_KEYS)],
    }
    return {"dim": dim, "title": _(DIMENSIONS[dim]), "rows": out, "chart": chart}


def _bucket_range(bucket_label: str, bucket: str) -> tuple[date, date]:
    if bucket == "month":
        year, month = map(int, bucket_label.split("-"))
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if bucket == "quarter":
        year, quarter = map(int, bucket_label.split("-Q"))
        last = 3 * quarter
        return date(year, last - 2, 1), date(year, last, calendar.monthrange(year, last)[1])
    year = int(bucket_label)
    return date(year, 1, 1), date(year, 12, 31)


def _bucket_labels(f: StatsFilters, bucket: str) -> list[str]:
    """Every month, quarter or year of the period, so empty ones show as zero."""
    labels, year, month = [], f.date_from.year, f.date_from.month
    while (year, month) <= (f.date_to.year, f.date_to.month) and len(labels) <= MAX_TREND_BUCKETS:
        name = figures.bucket_of(date(year, month, 1), bucket)
        if not labels or labels[-1] != name:
            labels.append(name)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return labels if len(labels) <= MAX_TREND_BUCKETS else []


def _trend(f: StatsFilters, bucket: str, points: list[dict]) -> dict:
    by_label = {p["bucket"]: p for p in points}
    rows = []
    for name in sorted(set(_bucket_labels(f, bucket)) | set(by_label)):
        point = by_label.get(name) or dict.fromkeys(figures.BREAKDOWN_KEYS, 0)
        try:
            start, end = _bucket_range(name, bucket)
            link = {"date_from": max(start, f.date_from), "date_to": min(end, f.date_to)}
        except ValueError:
            link = {}
        rows.append({"bucket": name, "cells": [_number(f, k, point[k], **link) for k in figures.BREAKDOWN_KEYS],
                     "values": [point[k] for k in figures.BREAKDOWN_KEYS]})
    chart = {
        "type": "line", "integer": True,
        "labels": [r["bucket"] for r in rows],
        "datasets": [{"label": _(figures.figure(k).label), "data": [r["values"][i] for r in rows],
                      "links": [r["cells"][i].href for r in rows]} for i, k in enumerate(figures.BREAKDOWN_KEYS)],
    }
    return {"rows": rows, "chart": chart}


def _overview(f: StatsFilters, bucket: str, data: dict, regions: dict[str, Region]) -> dict:
    return {
        "headline": [_number(f, key, data["headline"][key]) for key in HEADLINE_ORDER],
        "plan": _plan_rows(f, data["plan_figures"]),
        "trend": _trend(f, bucket, data["trend"]),
        "breakdowns": [_breakdown(f, dim, data["breakdowns"][dim], regions) for dim in DIMENSIONS],
    }


# ---- flows, clocks, respondents -------------------------------------------------------------------

def _flows(f: StatsFilters, values: dict) -> dict:
    groups = []
    for title, prefixes in FLOW_GROUPS:
        keys = [k for k in figures.FLOW_KEYS if k.startswith(prefixes)]
        groups.append({"title": _(title), "numbers": [_number(f, k, values[k]) for k in keys]})
    funnel = [_number(f, k, values[k]) for k in FUNNEL_KEYS]
    chart = {"type": "bar", "integer": True, "labels": [n.label for n in funnel],
             "datasets": [{"label": _("Cases"), "data": [values[k] for k in FUNNEL_KEYS]}],
             "links": [n.href for n in funnel]}
    return {"groups": groups, "chart": chart}


def _clocks(f: StatsFilters, rows: list[dict]) -> dict:
    out = []
    for row in rows:
        scoped = {"clock": row["clock"], "workflow": row["workflow"]}
        on_time = _number(f, "clocks.on_time", row["on_time"], **scoped)
        overdue = _number(f, "clocks.overdue", row["overdue"], **scoped)
        out.append({
            "workflow": _workflow_label(row["workflow"]), "clock": _clock_label(row["workflow"], row["clock"]),
            "key": row["clock"], "workflow_key": row["workflow"],
            "due": _number(f, "clocks.due", row["due"], **scoped), "on_time": on_time, "overdue": overdue,
            "on_time_rate": Number("", "", display(CLOCK_RATE, row["on_time_rate"]), on_time.href, "rate"),
            "overdue_rate": Number("", "", display(CLOCK_RATE, row["overdue_rate"]), overdue.href, "rate"),
            "rates": (row["on_time_rate"], row["overdue_rate"]),
        })
    chart = {"type": "hbar", "labels": [f"{r['workflow']} · {r['clock']}" for r in out],
             "datasets": [{"label": _("On-time rate (%)"),
                           "data": [None if r["rates"][0] is None else round(r["rates"][0] * 100, 1) for r in out]}],
             "links": [r["on_time"].href for r in out]}
    return {"rows": out, "chart": chart}


def audit_respondent_reads(user, f: StatsFilters, top: list[dict], surface: str) -> None:
    record_confidential_case_ids(user, figures.confidential_cases_naming(f, [r["uscc"] for r in top]), surface)


def _respondents(f: StatsFilters, found: dict) -> dict:
    audit_respondent_reads(current_user, f, found["top"], "stats.respondents")
    rows = [{**row, "cases_number": _number(f, "respondents.repeat", row["cases"], uscc=row["uscc"])}
            for row in found["top"]]
    return {"count": found["count"], "rows": rows}


# ---- pages ------------------------------------------------------------------------------------------

def _form_values(q: Query) -> dict:
    """What the filter form shows: the filters as understood, or as typed when they were refused."""
    values = {k: v for k, v in request.args.items() if k in ("from", "to", *FILTER_KEYS)}
    if q.filters is not None:
        values = q.filters.as_args()
    values["bucket"] = q.bucket
    return values


def _region_options(regions: list[Region]) -> list[tuple[str, str]]:
    """The province (as "all of it") and the cities a supervisor may choose: only their own area."""
    own = current_user.agency.region
    options = []
    for region in regions:
        value = "" if region.code == own.code and own.parent_code is None else region.code
        options.append((value, region.name(_locale())))
    return options


@bp.route("")
@require(Permission.VIEW_STATS)
def dashboard():
    tab = request.args.get("tab") or "overview"
    if tab not in TABS:
        abort(404)
    q = _read_query()
    area = _area_regions()
    regions = {r.code: r for r in area}
    here = q.filters.as_args() if q.filters else {k: v for k, v in request.args.items() if k not in ("tab",)}
    context = {
        "tab": tab, "tabs": TABS, "q": q, "values": _form_values(q), "errors": q.errors,
        "region_options": _region_options(area),
        "kinds": [(k, label(AGENCY_KINDS, k)) for k in AGENCY_KINDS],
        "ip_types": [(k, label(IP_TYPES, k)) for k in IP_TYPES],
        "workflows": [(k, text(wf.label)) for k, wf in engine.workflows().items()],
        "buckets": [(k, _(v)) for k, v in BUCKET_LABELS.items()],
        "tab_args": {**here, "bucket": q.bucket},
        "presets": [(_(name), url_for("stats.dashboard", **{**here, "tab": tab, "bucket": q.bucket,
                                                             "from": start.isoformat(), "to": end.isoformat()}))
                    for name, start, end in period_presets(today_in_china())],
        "description": describe(q.filters, regions) if q.filters else "",
    }
    if q.errors:
        return render_template("stats/dashboard.html", **context), 422
    f = q.filters
    view = snapshots.summary(f, q.bucket, (tab,))
    data, context["computed_at"] = view.data, view.computed_at
    if tab == "overview":
        context["overview"] = _overview(f, q.bucket, data, regions)
    elif tab == "flows":
        context["flows"] = _flows(f, data["flows"])
    elif tab == "clocks":
        context["clocks"] = _clocks(f, data["clocks"])
    else:
        context["respondents"] = _respondents(f, data["repeat_respondents"])
    context["export_url"] = lambda table, fmt: url_for("stats.export", table=table, fmt=fmt, **f.as_args(),
                                                       bucket=q.bucket)
    return render_template("stats/dashboard.html", **context)


def _drill_key(key: str) -> str:
    """The key whose cases a drill-down lists; 404 for a key that names no number."""
    try:
        figures.figure(key)
    except KeyError:
        abort(404)
    return figures.RATES[key][1] if key in figures.RATES else key


def _drill_extras() -> dict:
    extras = {k: (request.args.get(k) or "").strip()[:40] or None for k in ("clock", "uscc")}
    extras["exact_region"] = request.args.get("exact_region") == "1"
    return extras


def cases_query(key: str, f: StatsFilters, *, clock=None, uscc=None, exact_region=False):
    """The cases behind a number that the user may see (a supervisor: all of them), newest first."""
    try:
        stmt = figures.cases_behind(key, f, clock=clock, uscc=uscc)
    except KeyError:
        abort(404)
    stmt = stmt.where(visible_cases_clause(current_user))
    if exact_region and f.region:
        stmt = stmt.where(Case.region_code == f.region)
    return stmt.order_by(Case.id.desc())


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).with_only_columns(Case.id)
                                                              .subquery()))


@bp.route("/cases")
@require(Permission.VIEW_STATS)
def cases():
    key = _drill_key(request.args.get("figure") or "")
    q = _read_query()
    if key == figures.INSPECTED_UNITS.key and q.filters:
        return redirect(drill_url(q.filters, key))
    fig = figures.figure(key)
    regions = {r.code: r for r in _area_regions()}
    context = {"fig": fig, "figure_key": key, "errors": q.errors, "q": q}
    if q.errors:
        return render_template("stats/cases.html", **context), 422
    f, extras = q.filters, _drill_extras()
    stmt = cases_query(key, f, **extras)
    after = row_id_arg("after")
    page = list(db.session.scalars((stmt.where(Case.id < after) if after else stmt).limit(PAGE_SIZE + 1)))
    link_args = {"figure": key, **f.as_args(), **{k: v for k, v in extras.items() if v and k != "exact_region"}}
    if extras["exact_region"]:
        link_args["exact_region"] = "1"
    record_confidential_reads(current_user, page[:PAGE_SIZE], "stats.cases")
    context.update(
        total=_count(stmt), rows=page[:PAGE_SIZE], page_size=PAGE_SIZE, link_args=link_args,
        next_args={**link_args, "after": page[PAGE_SIZE - 1].id} if len(page) > PAGE_SIZE else None,
        first_args=link_args if after else None, description=describe(f, regions),
        clock_label=_clock_label(f.workflow, extras["clock"]) if extras["clock"] and f.workflow else extras["clock"],
        uscc=extras["uscc"], workflow_label=_workflow_label, outcome_label=_outcome_label,
        back_args={**f.as_args(), "tab": _tab_of(key)})
    return render_template("stats/cases.html", **context)


def _tab_of(key: str) -> str:
    if key.startswith("clocks."):
        return "clocks"
    if key.startswith("respondents."):
        return "respondents"
    if key in figures.FLOW_KEYS:
        return "flows"
    return "overview"


def _outcome_label(outcome: str | None) -> str:
    if not outcome:
        return ""
    found = state_labels().get(outcome)
    return text(found) if found is not None else outcome


# ---- exports ----------------------------------------------------------------------------------------

def _yes_no(matches: bool | None) -> str:
    return "" if matches is None else (_("Yes") if matches else _("No"))


def _export_plan_figures(f: StatsFilters, bucket: str) -> Table:
    values = figures.plan_figures(f)
    rows = []
    for key in figures.PLAN_KEYS:
        fig = figures.figure(key)
        rows.append([key, _(fig.label), fig.plan or "", _cell(fig, values[key]),
                     _yes_no(plan_matches(fig, values[key]))])
    return Table("plan_figures", _("Plan figures"),
                 [_("Key"), _("Figure"), _("As the plan reports it"), _("Computed"), _("Matches")], rows)


def _export_headline(f: StatsFilters, bucket: str) -> Table:
    values = {**figures.figures(f, figures.HEADLINE_KEYS), **figures.open_work(f)}
    rows = [[key, _(figures.figure(key).label), _cell(figures.figure(key), values[key])] for key in HEADLINE_ORDER]
    return Table("headline", _("Headline figures"), [_("Key"), _("Figure"), _("Value")], rows)


def _export_trend(f: StatsFilters, bucket: str) -> Table:
    trend = _trend(f, bucket, figures.trend(f, bucket))
    rows = [[row["bucket"], *row["values"]] for row in trend["rows"]]
    header = [_(BUCKET_LABELS[bucket]), *(_(figures.figure(k).label) for k in figures.BREAKDOWN_KEYS)]
    return Table("trend", _("Cases received, filed and closed"), header, rows)


def _export_breakdown(dim: str):
    def build(f: StatsFilters, bucket: str) -> Table:
        _totals, by = figures.breakdowns(f)
        regions = {r.code: r for r in _area_regions()}
        found = _breakdown(f, dim, _sorted_breakdown(by[dim]), regions)
        first = {"agency_kind": _("Agency kind"), "city": _("Region"), "ip_type": _("IP type")}[dim]
        header = [_("Code"), first, *(_(figures.figure(k).label) for k in figures.BREAKDOWN_KEYS)]
        rows = [[row["key"], row["label"], *row["values"]] for row in found["rows"]]
        return Table(f"by_{dim}", _(DIMENSIONS[dim]), header, rows)

    return build


def _export_flows(f: StatsFilters, bucket: str) -> Table:
    values = figures.figures(f, figures.FLOW_KEYS)
    rows = [[key, _(figures.figure(key).label), _cell(figures.figure(key), values[key])] for key in figures.FLOW_KEYS]
    return Table("flows", _("Handoffs, transfers and mediation"), [_("Key"), _("Figure"), _("Value")], rows)


def _export_clocks(f: StatsFilters, bucket: str) -> Table:
    rows = [[_workflow_label(r["workflow"]), r["clock"], _clock_label(r["workflow"], r["clock"]), r["due"],
             r["on_time"], r["overdue"], Percent(r["on_time_rate"]), Percent(r["overdue_rate"])]
            for r in figures.clock_rates(f)]
    header = [_("Workflow"), _("Key"), _("Time limit"), _(figures.figure("clocks.due").label),
              _(figures.figure("clocks.on_time").label), _(figures.figure("clocks.overdue").label), _("On-time rate"),
              _("Overdue rate")]
    return Table("clocks", _("Time limits"), header, rows)


def _export_repeat_respondents(f: StatsFilters, bucket: str) -> Table:
    count, top = figures.repeat_respondents(f, limit=RESPONDENT_EXPORT_LIMIT)
    audit_respondent_reads(current_user, f, top, "stats.export")
    rows = [[r["uscc"], r["name"], r["agencies"], r["cases"]] for r in top]
    header = [_("Unified social credit code"), _("Name"), _("Agencies"), _("Cases")]
    title = _("Repeat respondents: %(count)d", count=count)
    return Table("repeat_respondents", title, header, rows)


def _export_cases(f: StatsFilters, bucket: str) -> Table:
    key = _drill_key(request.args.get("figure") or "")
    if key == figures.INSPECTED_UNITS.key:
        abort(404)
    stmt = cases_query(key, f, **_drill_extras())
    found = list(db.session.scalars(stmt.limit(EXPORT_ROW_LIMIT + 1)))
    record_confidential_reads(current_user, found[:EXPORT_ROW_LIMIT], "stats.export")
    locale = _locale()
    rows = [[c.number, c.title, _("Yes") if c.is_confidential else _("No"), c.agency.name(locale),
             c.region.name(locale), _workflow_label(c.workflow), _outcome_label(c.state), c.received_on,
             c.filed_on, c.closed_on, _outcome_label(c.outcome), c.amount_involved]
            for c in found[:EXPORT_ROW_LIMIT]]
    if len(found) > EXPORT_ROW_LIMIT:
        rows.append([_("Only the first %(count)d cases are exported.", count=EXPORT_ROW_LIMIT)])
    header = [_("Number"), _("Title"), _("Confidential"), _("Agency"), _("Region"), _("Workflow"), _("State"),
              _("Received on"), _("Filed on"), _("Closed on"), _("Outcome"), _("Amount involved (yuan)")]
    return Table("cases", _(figures.figure(key).label), header, rows)


EXPORTS = {
    "plan_figures": _export_plan_figures, "headline": _export_headline, "trend": _export_trend,
    "by_agency_kind": _export_breakdown("agency_kind"), "by_city": _export_breakdown("city"),
    "by_ip_type": _export_breakdown("ip_type"), "flows": _export_flows, "clocks": _export_clocks,
    "repeat_respondents": _export_repeat_respondents, "cases": _export_cases,
}


@bp.route("/export/<table>.<fmt>")
@require(Permission.VIEW_STATS)
def export(table: str, fmt: str):
    if table not in EXPORTS or fmt not in FORMATS:
        abort(404)
    q = _read_query()
    if q.errors:
        raise InvalidInput("; ".join(f"{field}: {message}" for field, message in q.errors.items()), q.errors)
    f = q.filters
    built = EXPORTS[table](f, q.bucket)
    built = Table(built.name, built.title, built.header, built.rows,
                  describe(f, {r.code: r for r in _area_regions()}))
    details = {"format": fmt, "filters": f.as_args(), "rows": len(built.rows)}
    if table == "cases":
        details.update(figure=request.args.get("figure"),
                       **{k: v for k, v in _drill_extras().items() if v})
    if table == "trend":
        details["bucket"] = q.bucket
    record("stats.export", "stats_table", table, current_user, **details)
    return download(built, fmt, filename(table, f.date_from, f.date_to, fmt))
