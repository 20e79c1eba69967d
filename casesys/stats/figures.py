"""Every figure supervisors see, aggregated in SQL from the records (DOMAIN §5), never stored.

A case figure is a condition on a case (and its agency); its value is ``count(*) FILTER (WHERE
condition)`` (or a sum) in one pass over the cases in scope, and the same condition lists the
cases behind the number (drill-down). Figures from history (transfers approved, mediations
settled), handoffs, clocks and inspection records have their own single query each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from sqlalchemy import and_, case, distinct, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from casesys.agencies.models import Agency, Region
from casesys.cases.models import Case, CaseEvent, Party
from casesys.core.i18n import N_
from casesys.core.types import today_in_china, utcnow
from casesys.extensions import db
from casesys.reminders.models import SupervisionOrder
from casesys.reporting.models import InspectionRecord
from casesys.stats.filters import StatsFilters
from casesys.workflows.models import CaseClock, Handoff, clock_late, clock_on_time, clock_overdue

Kind = Literal["count", "money", "rate", "days", "units"]
CONCLUDED_CIVIL = ("judgment", "mediated", "withdrawn", "dismissed")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str  # English msgid; shown through gettext
    kind: Kind
    plan: str | None = None  # as the plan reports it for 2016–2020 (DOMAIN §5)
    decimals: int = 1  # rates: decimals of the percentage the plan uses


def _period(column, f: StatsFilters) -> ColumnElement[bool]:
    return and_(column >= f.date_from, column <= f.date_to)


def _days(later, earlier):
    """Whole days between two dates, on either database."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return later - earlier


# ---- figures counted over the cases table: key -> (figure, what is summed, condition) --------
Condition = Callable[[StatsFilters], ColumnElement[bool]]
_ONE = literal(1)


def _admin_filed(kind: str, ip_type: str | None = None) -> Condition:
    def condition(f):
        parts = [Case.workflow == "admin_enforcement", Agency.kind == kind, _period(Case.filed_on, f)]
        if ip_type:
            parts.append(Case.ip_type == ip_type)
        return and_(*parts)
    return condition


def _civil_concluded(f, outcomes=CONCLUDED_CIVIL):
    return and_(Case.workflow == "civil_litigation", Case.outcome.in_(outcomes), _period(Case.closed_on, f))


def _solved(f):
    return and_(Case.workflow == "criminal_transfer", Agency.kind == "public_security", _period(Case.solved_on, f))


def _transfer(f):
    return and_(Case.workflow == "criminal_transfer", Case.origin_agency_id.is_not(None))


CASE_FIGURES: dict[str, tuple[Figure, Callable, Condition]] = {
    fig.key: (fig, value, cond) for fig, value, cond in [
        (Figure("cases.received", N_("Cases received"), "count"), lambda: _ONE,
         lambda f: _period(Case.received_on, f)),
        (Figure("cases.filed", N_("Cases filed"), "count"), lambda: _ONE, lambda f: _period(Case.filed_on, f)),
        (Figure("cases.closed", N_("Cases closed"), "count"), lambda: _ONE, lambda f: _period(Case.closed_on, f)),
        (Figure("cases.open_at_end", N_("Open at the end of the period"), "count"), lambda: _ONE,
         lambda f: and_(Case.received_on <= f.date_to, or_(Case.closed_on.is_(None), Case.closed_on > f.date_to))),
        (Figure("cases.amount_involved_yuan", N_("Amount involved in cases closed (yuan)"), "money"),
         lambda: Case.amount_involved_fen, lambda f: _period(Case.closed_on, f)),
        (Figure("cases.fines_yuan", N_("Fines imposed in cases closed (yuan)"), "money"),
         lambda: Case.fine_fen, lambda f: _period(Case.closed_on, f)),
        (Figure("cases.handling_days_total", N_("Handling days of cases closed"), "days"),
         lambda: _days(Case.closed_on, Case.received_on), lambda f: _period(Case.closed_on, f)),
        (Figure("market_regulation.unfair_competition_cases",
                N_("Unfair-competition cases filed by market regulation"), "count", "609"),
         lambda: _ONE, _admin_filed("market_regulation", "unfair_competition")),
        (Figure("copyright.cases", N_("Copyright enforcement cases filed"), "count", "36"),
         lambda: _ONE, _admin_filed("copyright")),
        (Figure("agriculture.seed_violation_cases", N_("Seed and plant-variety cases filed by agriculture"),
                "count", "1536"), lambda: _ONE, _admin_filed("agriculture", "plant_variety")),
        (Figure("court.civil_first_instance.accepted", N_("Civil IP first-instance cases accepted"), "count",
                "5071"), lambda: _ONE,
         lambda f: and_(Case.workflow == "civil_litigation", _period(Case.filed_on, f))),
        (Figure("court.civil_first_instance.concluded", N_("Civil IP first-instance cases concluded"), "count",
                "5015"), lambda: _ONE, _civil_concluded),
        (Figure("court.civil_first_instance.mediated_or_withdrawn",
                N_("Civil cases concluded by mediation or withdrawal"), "count"), lambda: _ONE,
         lambda f: _civil_concluded(f, ("mediated", "withdrawn"))),
        (Figure("public_security.criminal_cases_solved", N_("IP criminal cases solved"), "count", "636"),
         lambda: _ONE, _solved),
        (Figure("public_security.suspects_arrested", N_("Suspects arrested"), "count", "857"),
         lambda: Case.suspects_arrested, _solved),
        (Figure("public_security.amount_involved_yuan", N_("Amount involved in solved criminal cases (yuan)"),
                "money", "25亿余元 (> 2,500,000,000)"), lambda: Case.amount_involved_fen, _solved),
        (Figure("transfers.proposed", N_("Criminal transfers proposed"), "count"), lambda: _ONE,
         lambda f: and_(_transfer(f), _period(Case.received_on, f))),
        (Figure("transfers.filed_by_police", N_("Transfers filed by the police"), "count"), lambda: _ONE,
         lambda f: and_(_transfer(f), _period(Case.filed_on, f))),
        (Figure("mediation.failed", N_("Mediations failed"), "count"), lambda: _ONE,
         lambda f: and_(Case.workflow == "mediation", Case.outcome == "failed", _period(Case.closed_on, f))),
        (Figure("judicial_confirmation.confirmed", N_("Mediation agreements judicially confirmed"), "count"),
         lambda: _ONE, lambda f: and_(Case.workflow == "judicial_confirmation", Case.outcome == "confirmed",
                                      _period(Case.closed_on, f))),
    ]
}

# ---- figures counted from history: cases that entered a state in the period ----------------
EVENT_FIGURES: dict[str, tuple[Figure, str, str]] = {
    fig.key: (fig, workflow, state) for fig, workflow, state in [
        (Figure("transfers.approved", N_("Transfers approved by the agency head"), "count"),
         "criminal_transfer", "transfer_approved"),
        (Figure("transfers.transferred", N_("Cases transferred to the police"), "count"),
         "criminal_transfer", "transferred"),
        (Figure("transfers.not_filed", N_("Transfers the police declined to file"), "count"),
         "criminal_transfer", "not_filed"),
        (Figure("transfers.reconsidered", N_("Reconsiderations requested"), "count"),
         "criminal_transfer", "reconsideration_requested"),
        (Figure("mediation.settled", N_("Mediations settled"), "count"), "mediation", "settled"),
    ]
}

HANDOFF_FIGURES: dict[str, tuple[Figure, str | None]] = {
    fig.key: (fig, status) for fig, status in [
        (Figure("handoffs.sent", N_("Handoffs sent"), "count"), None),
        (Figure("handoffs.accepted", N_("Handoffs accepted"), "count"), "accepted"),
        (Figure("handoffs.returned", N_("Handoffs returned"), "count"), "returned"),
    ]
}

INSPECTED_UNITS = Figure("copyright.inspected_units", N_("Business units inspected by copyright agencies"),
                         "units", "34759")

# ---- figures derived from the ones above: key -> (figure, numerator, denominator) ---------------
RATES: dict[str, tuple[Figure, str, str]] = {
    fig.key: (fig, num, den) for fig, num, den in [
        (Figure("court.civil_first_instance.closure_rate", N_("Civil first-instance closure rate"), "rate",
                "98.9%", 1), "court.civil_first_instance.concluded", "court.civil_first_instance.accepted"),
        (Figure("court.civil_first_instance.mediation_withdrawal_rate",
                N_("Civil first-instance mediation and withdrawal rate"), "rate", "69.31%", 2),
         "court.civil_first_instance.mediated_or_withdrawn", "court.civil_first_instance.concluded"),
        (Figure("transfers.police_filing_rate", N_("Police filing rate after transfer"), "rate", None, 1),
         "transfers.filed_by_police", "transfers.transferred"),
        (Figure("mediation.judicial_confirmation_rate", N_("Judicial confirmations per settled mediation"),
                "rate", None, 1), "judicial_confirmation.confirmed", "mediation.settled"),
        (Figure("cases.handling_days_avg", N_("Average handling days of cases closed"), "days", None, 1),
         "cases.handling_days_total", "cases.closed"),
    ]
}

# DOMAIN §5, in its order: what `flask stats plan-figures` and /stats/plan-figures report.
PLAN_KEYS = (
    "market_regulation.unfair_competition_cases", "copyright.inspected_units", "copyright.cases",
    "agriculture.seed_violation_cases", "court.civil_first_instance.accepted",
    "court.civil_first_instance.concluded", "court.civil_first_instance.closure_rate",
    "court.civil_first_instance.mediation_withdrawal_rate", "public_security.criminal_cases_solved",
    "public_security.suspects_arrested", "public_security.amount_involved_yuan",
)
FLOW_KEYS = (
    "handoffs.sent", "handoffs.accepted", "handoffs.returned", "transfers.proposed", "transfers.approved",
    "transfers.transferred", "transfers.filed_by_police", "transfers.not_filed", "transfers.reconsidered",
    "transfers.police_filing_rate", "mediation.settled", "mediation.failed", "judicial_confirmation.confirmed",
    "mediation.judicial_confirmation_rate",
)
HEADLINE_KEYS = ("cases.received", "cases.filed", "cases.closed", "cases.open_at_end", "cases.handling_days_avg",
                 "cases.amount_involved_yuan", "cases.fines_yuan")


# Numbers the dashboard shows that are not period figures of their own; cases_behind lists them.
OTHER_FIGURES = {fig.key: fig for fig in (
    Figure("work.overdue_now", N_("Clocks overdue now"), "count"),
    Figure("work.open_orders", N_("Open supervision orders"), "count"),
    Figure("clocks.due", N_("Clocks falling due in the period"), "count"),
    Figure("clocks.on_time", N_("Clocks met on time"), "count"),
    Figure("clocks.overdue", N_("Clocks overdue"), "count"),
    Figure("respondents.repeat", N_("Cases of a repeat respondent"), "count"),
    INSPECTED_UNITS,
)}


def figure(key: str) -> Figure:
    """The figure a key names (KeyError if none)."""
    for table in (CASE_FIGURES, EVENT_FIGURES, HANDOFF_FIGURES, RATES):
        if key in table:
            return table[key][0]
    return OTHER_FIGURES[key]


# ---- scope ------------------------------------------------------------------------------------

def region_codes(code: str):
    """The region and every region below it."""
    path = db.session.scalar(select(Region.path).where(Region.code == code))
    return select(Region.code).where(Region.path.startswith(path, autoescape=True)).scalar_subquery()


def case_scope(f: StatsFilters) -> list[ColumnElement[bool]]:
    """Conditions on cases that every figure shares."""
    conditions = []
    if f.region:
        conditions.append(Case.region_code.in_(region_codes(f.region)))
    # Agencies by subquery, so that a query needs the agencies table only for its own figures.
    if f.agency_kind:
        conditions.append(Case.agency_id.in_(select(Agency.id).where(Agency.kind == f.agency_kind)))
    if f.agency:
        conditions.append(Case.agency_id.in_(select(Agency.id).where(Agency.code == f.agency)))
    if f.ip_type:
        conditions.append(Case.ip_type == f.ip_type)
    if f.workflow:
        conditions.append(Case.workflow == f.workflow)
    if f.outcome:
        conditions.append(Case.outcome == f.outcome)
    return conditions


def _cases_joined(*columns):
    return select(*columns).select_from(Case).join(Agency, Agency.id == Case.agency_id)


# ---- the queries --------------------------------------------------------------------------------

def case_aggregates(f: StatsFilters, keys=None, group_by=()):
    """One pass over the cases in scope: every case figure as a FILTERed aggregate column."""
    keys = list(keys or CASE_FIGURES)
    columns, conditions = [], []
    for key in keys:
        _fig, value, condition = CASE_FIGURES[key]
        counted, expr = condition(f), value()
        aggregate = func.count() if expr is _ONE else func.sum(expr)  # NULL when nothing matched
        columns.append(aggregate.filter(counted).label(key))
        conditions.append(counted)
    # A case no figure counts adds nothing; saying so lets the date indexes skip it.
    return (_cases_joined(*group_by, *columns).where(*case_scope(f), or_(*conditions)).group_by(*group_by))


def event_aggregates(f: StatsFilters):
    """Cases that entered each counted state in the period (history, not current state)."""
    columns = [func.count(distinct(case((CaseEvent.to_state == state, CaseEvent.case_id))))
               .filter(Case.workflow == workflow).label(key)
               for key, (_fig, workflow, state) in EVENT_FIGURES.items()]
    workflows = {w for _f, w, _s in EVENT_FIGURES.values()}
    states = {s for _f, _w, s in EVENT_FIGURES.values()}
    return (select(*columns).select_from(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
            .where(Case.workflow.in_(workflows), CaseEvent.to_state.in_(states), CaseEvent.kind == "transition",
                   _period(CaseEvent.effective_on, f), *case_scope(f)))


def handoff_aggregates(f: StatsFilters):
    columns = []
    for key, (_fig, status) in HANDOFF_FIGURES.items():
        if status is None:
            columns.append(func.count().filter(_period(Handoff.sent_on, f)).label(key))
        else:
            columns.append(func.count().filter(Handoff.status == status, _period(Handoff.decided_on, f)).label(key))
    return (select(*columns).select_from(Handoff).join(Case, Case.id == Handoff.case_id)
            .where(or_(_period(Handoff.sent_on, f), _period(Handoff.decided_on, f)), *case_scope(f)))


def inspected_units_query(f: StatsFilters):
    stmt = (select(func.coalesce(func.sum(InspectionRecord.units_inspected), 0))
            .join(Agency, Agency.id == InspectionRecord.agency_id)
            .where(Agency.kind == "copyright", _period(InspectionRecord.inspected_on, f)))
    if f.region:
        stmt = stmt.where(Agency.region_code.in_(region_codes(f.region)))
    if f.agency_kind:
        stmt = stmt.where(Agency.kind == f.agency_kind)
    if f.agency:
        stmt = stmt.where(Agency.code == f.agency)
    if f.ip_type not in (None, "copyright") or f.workflow or f.outcome:
        stmt = stmt.where(literal(False))  # inspections have no IP type, workflow or outcome
    return stmt


# ---- values ------------------------------------------------------------------------------------

def _value(fig: Figure, raw):
    """How a figure travels: counts as integers, money as exact yuan strings, rates as fractions."""
    if fig.kind == "money":
        return str((Decimal(int(raw or 0)) / 100).quantize(Decimal("0.01")))
    return int(raw or 0)


def rate(fig: Figure, numerator, denominator):
    if not denominator:
        return None
    if fig.kind == "days":
        return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP))
    places = Decimal(1).scaleb(-(fig.decimals + 2))  # 98.9% -> 0.989, 69.31% -> 0.6931
    return float((Decimal(numerator) / Decimal(denominator)).quantize(places, ROUND_HALF_UP))


def _base_keys(keys) -> list[str]:
    """The counted figures that ``keys`` need (a rate needs its numerator and denominator)."""
    base = []
    for key in keys:
        for k in (RATES[key][1:] if key in RATES else (key,)):
            if k not in base:
                base.append(k)
    return base


def _raw(f: StatsFilters, keys) -> dict:
    """Run only the queries the figures need: cases, history, handoffs, inspections."""
    base = _base_keys(keys)
    raw = {}
    case_keys = [k for k in base if k in CASE_FIGURES]
    if case_keys:
        raw.update(db.session.execute(case_aggregates(f, case_keys)).one()._mapping)
    if any(k in EVENT_FIGURES for k in base):
        raw.update(db.session.execute(event_aggregates(f)).one()._mapping)
    if any(k in HANDOFF_FIGURES for k in base):
        raw.update(db.session.execute(handoff_aggregates(f)).one()._mapping)
    if INSPECTED_UNITS.key in base:
        raw[INSPECTED_UNITS.key] = db.session.scalar(inspected_units_query(f))
    return raw


def _with_rates(raw: dict, keys) -> dict:
    values = {}
    for key in keys:
        if key in RATES:
            fig, num, den = RATES[key]
            values[key] = rate(fig, raw[num], raw[den])
        else:
            values[key] = _value(figure(key), raw[key])
    return values


def figures(f: StatsFilters, keys) -> dict:
    """The figures ``keys`` for the filters, by key, in the order asked."""
    return _with_rates(_raw(f, keys), keys)


def plan_figures(f: StatsFilters) -> dict:
    """DOMAIN §5's figures for the period and area: one aggregate over cases, one over inspections."""
    return figures(f, PLAN_KEYS)


# ---- breakdowns, trend, clocks, respondents -----------------------------------------------------

BREAKDOWN_KEYS = ("cases.received", "cases.filed", "cases.closed")


def breakdowns(f: StatsFilters) -> tuple[dict, dict[str, dict[str, dict]]]:
    """Headline and plan case figures, and received/filed/closed by agency kind, city and IP type,
    from one grouped pass (the groups are few: kinds × regions × IP types × workflows)."""
    keys = list(CASE_FIGURES)
    rows = db.session.execute(case_aggregates(f, keys, (Agency.kind, Case.region_code, Case.ip_type))).all()
    city_of = _city_of_region()
    totals = dict.fromkeys(keys, 0)
    by: dict[str, dict[str, dict]] = {"agency_kind": {}, "city": {}, "ip_type": {}}
    for row in rows:
        m = row._mapping
        for key in keys:
            totals[key] += m[key] or 0
        for dim, value in (("agency_kind", m["kind"]), ("city", city_of.get(m["region_code"], m["region_code"])),
                           ("ip_type", m["ip_type"])):
            cell = by[dim].setdefault(value, dict.fromkeys(BREAKDOWN_KEYS, 0))
            for key in BREAKDOWN_KEYS:
                cell[key] += m[key] or 0
    return totals, by


def _city_of_region() -> dict[str, str]:
    """Each region's prefecture (a province-level case stays at the province)."""
    regions = db.session.execute(select(Region.code, Region.path)).all()
    return {code: path.strip("/").split("/")[min(1, path.count("/") - 1)] for code, path in regions}


def bucket_of(day: date, bucket: str) -> str:
    """The trend's label of a day: 2019-03, 2019-Q1 or 2019."""
    return {"month": f"{day.year:04d}-{day.month:02d}", "quarter": f"{day.year:04d}-Q{(day.month + 2) // 3}",
            "year": f"{day.year:04d}"}[bucket]


def trend(f: StatsFilters, bucket: str = "month") -> list[dict]:
    """Cases received, filed and closed per month, quarter or year of the period. Counted per day
    (an index-only scan of the date's index when no filter needs another column), bucketed here."""
    series: dict[str, dict] = {}
    for key, column in (("cases.received", Case.received_on), ("cases.filed", Case.filed_on),
                        ("cases.closed", Case.closed_on)):
        per_day = (select(column, func.count()).select_from(Case).where(_period(column, f), *case_scope(f))
                   .group_by(column))
        for day, n in db.session.execute(per_day):
            series.setdefault(bucket_of(day, bucket), dict.fromkeys(BREAKDOWN_KEYS, 0))[key] += n
    return [{"bucket": b, **series[b]} for b in sorted(series)]


def _clock_on_time():
    return clock_on_time()


def _clock_late(today: date):
    """Stopped after its due moment, or still open past it (hour clocks by the time)."""
    return clock_late(today, utcnow())


def clock_rates(f: StatsFilters, today: date | None = None) -> list[dict]:
    """Per legal clock falling due in the period: met on time, missed, and the on-time rate.
    A clock is late when it stopped after its due date, or is still open past it."""
    stmt = (select(CaseClock.key, Case.workflow, func.count().label("due"),
                   func.count().filter(_clock_on_time()).label("on_time"),
                   func.count().filter(_clock_late(today or today_in_china())).label("overdue"))
            .select_from(CaseClock).join(Case, Case.id == CaseClock.case_id)
            .where(_period(CaseClock.due_on, f), *case_scope(f))
            .group_by(CaseClock.key, Case.workflow).order_by(Case.workflow, CaseClock.key))
    rows = []
    for key, workflow, due, met, missed in db.session.execute(stmt):
        decided = met + missed
        rows.append({"clock": key, "workflow": workflow, "due": due, "on_time": met, "overdue": missed,
                     "on_time_rate": round(met / decided, 4) if decided else None,
                     "overdue_rate": round(missed / decided, 4) if decided else None})
    return rows


def repeat_respondents(f: StatsFilters, limit: int = 20) -> tuple[int, list[dict]]:
    """Respondent organisations (by 统一社会信用代码) in cases of two or more agencies received
    in the period: how many there are, and the ones in the most agencies."""
    grouped = (select(Party.uscc, func.min(Party.name).label("name"),
                             func.count(distinct(Case.agency_id)).label("agencies"),
                             func.count(distinct(Case.id)).label("cases"))
               .select_from(Case).join(Party, Party.case_id == Case.id)
               .where(Party.role == "respondent", Party.uscc.is_not(None), _period(Case.received_on, f),
                      *case_scope(f))
               .group_by(Party.uscc).having(func.count(distinct(Case.agency_id)) >= 2))
    sub = grouped.subquery()
    total = db.session.scalar(select(func.count()).select_from(sub))
    top = db.session.execute(select(sub).order_by(sub.c.agencies.desc(), sub.c.cases.desc(), sub.c.uscc)
                             .limit(limit)).all()
    return total, [dict(r._mapping) for r in top]


def confidential_cases_naming(f: StatsFilters, usccs: list[str]) -> list[int]:
    """The confidential cases behind respondents the repeat-respondent figures name: showing a
    respondent's name is a read of those cases (DOMAIN §1), and is audited as one."""
    if not usccs:
        return []
    return list(db.session.scalars(
        select(Case.id).join(Party, Party.case_id == Case.id)
        .where(Case.is_confidential, Party.role == "respondent", Party.uscc.in_(usccs),
               _period(Case.received_on, f), *case_scope(f))))


# ---- drill-down ---------------------------------------------------------------------------------

def cases_behind(key: str, f: StatsFilters, *, clock: str | None = None, uscc: str | None = None):
    """A SELECT of the cases a number counts (joined with their agency), for the drill-down list.
    Sums (money, arrests) list the cases they add up."""
    stmt = _cases_joined(Case).where(*case_scope(f))
    if key in CASE_FIGURES:
        return stmt.where(CASE_FIGURES[key][2](f))
    if key in EVENT_FIGURES:
        _fig, workflow, state = EVENT_FIGURES[key]
        entered = select(CaseEvent.case_id).where(CaseEvent.to_state == state, CaseEvent.kind == "transition",
                                                  _period(CaseEvent.effective_on, f))
        return stmt.where(Case.workflow == workflow, Case.id.in_(entered))
    if key in HANDOFF_FIGURES:
        _fig, status = HANDOFF_FIGURES[key]
        when = _period(Handoff.sent_on, f) if status is None else and_(Handoff.status == status,
                                                                      _period(Handoff.decided_on, f))
        return stmt.where(Case.id.in_(select(Handoff.case_id).where(when)))
    if key in ("clocks.due", "clocks.on_time", "clocks.overdue"):
        condition = {"clocks.due": literal(True), "clocks.on_time": _clock_on_time(),
                     "clocks.overdue": _clock_late(today_in_china())}[key]
        clocks = select(CaseClock.case_id).where(_period(CaseClock.due_on, f), condition)
        if clock:
            clocks = clocks.where(CaseClock.key == clock)
        return stmt.where(Case.id.in_(clocks))
    if key == "respondents.repeat" and uscc:
        return stmt.where(Case.id.in_(select(Party.case_id).where(Party.uscc == uscc, Party.role == "respondent")),
                          _period(Case.received_on, f))
    if key == "work.overdue_now":
        return stmt.where(Case.id.in_(select(CaseClock.case_id).where(*_overdue_now())))
    if key == "work.open_orders":
        return stmt.where(Case.id.in_(select(SupervisionOrder.case_id).where(SupervisionOrder.status == "open")))
    raise KeyError(key)


# ---- what the dashboard shows -------------------------------------------------------------------

SECTIONS = ("overview", "flows", "clocks", "respondents")


def _overdue_now():
    return CaseClock.status == "running", clock_overdue(today_in_china(), utcnow())


def open_work(f: StatsFilters) -> dict:
    """Now, whatever the period: running clocks past due and open supervision orders in scope."""
    overdue = (select(func.count()).select_from(Case).join(CaseClock, CaseClock.case_id == Case.id)
               .where(*_overdue_now(), *case_scope(f)))
    orders = (select(func.count()).select_from(Case).join(SupervisionOrder, SupervisionOrder.case_id == Case.id)
              .where(SupervisionOrder.status == "open", *case_scope(f)))
    return {"work.overdue_now": db.session.scalar(overdue), "work.open_orders": db.session.scalar(orders)}


def summary(f: StatsFilters, bucket: str = "month", sections=SECTIONS) -> dict:
    """The dashboard's figures. The overview is one grouped pass over cases (headline, plan
    figures and breakdowns together), the trend, inspections and two counts of open work."""
    out: dict = {"filters": f.as_args(), "bucket": bucket}
    if "overview" in sections:
        totals, by = breakdowns(f)
        totals[INSPECTED_UNITS.key] = db.session.scalar(inspected_units_query(f))
        out["headline"] = {**_with_rates(totals, HEADLINE_KEYS), **open_work(f)}
        out["plan_figures"] = _with_rates(totals, PLAN_KEYS)
        out["breakdowns"] = {dim: sorted(({"key": k, **cells} for k, cells in values.items()),
                                         key=lambda row: (-row["cases.received"], row["key"]))
                             for dim, values in by.items()}
        out["trend"] = trend(f, bucket)
    if "flows" in sections:
        out["flows"] = figures(f, FLOW_KEYS)
    if "clocks" in sections:
        out["clocks"] = clock_rates(f)
    if "respondents" in sections:
        total, top = repeat_respondents(f)
        out["repeat_respondents"] = {"count": total, "top": top}
    return out


def display(fig: Figure, value) -> str:
    """A value as people read it: 98.9%, 2,538,416,735.52, 37.5."""
    if value is None:
        return "—"
    if fig.kind == "rate":
        return f"{Decimal(str(value)) * 100:.{fig.decimals}f}%"
    if fig.kind == "money":
        return f"{Decimal(value):,.2f}"
    if fig.kind == "days":
        return f"{value:.1f}" if isinstance(value, float) else str(value)
    return f"{value:,}"
