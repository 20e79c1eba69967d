"""Read models for pages and the API: a case's clocks, its family of linked cases, a user's inbox."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import selectinload

from casesys.cases.access import _region_scope, visible_cases_clause
from casesys.cases.models import Case
from casesys.core.types import today_in_china, utcnow
from casesys.extensions import db
from casesys.workcalendar import load_calendar
from casesys.workflows import clocks
from casesys.workflows.definitions import Text
from casesys.workflows.engine import HANDOFF_ROLES, clock_definition, definition_of, workflows
from casesys.workflows.models import CaseLink, Handoff

FAMILY_LIMIT = 50


def clock_views(case: Case) -> list[clocks.ClockView]:
    """Open clocks first (soonest due first), then the finished ones."""
    wf, calendar, today = definition_of(case), load_calendar(), today_in_china()
    now = utcnow()
    views = [clocks.view(c, clock_definition(wf, c.key), calendar, today, now) for c in case.clocks]
    return sorted(views, key=lambda v: (v.status not in ("running", "overdue", "paused"), v.due_on, v.id))


@dataclass(frozen=True)
class Relative:
    """One case of a family, shown only as far as the viewer may see it."""

    id: int
    workflow: str
    workflow_label: Text
    relation: str
    direction: str  # "parent" or "child" of the case it is linked to; "self" for the case itself
    visible: bool
    state: str | None
    state_label: Text | None
    number: str | None
    agency: object


def family(user, case: Case) -> list[Relative]:
    """Every case linked to ``case``, directly or through others, across agencies."""
    seen, order, frontier = {case.id: ("self", "self")}, [case.id], [case.id]
    while frontier and len(order) < FAMILY_LIMIT:
        links = db.session.scalars(select(CaseLink).where(
            or_(CaseLink.parent_id.in_(frontier), CaseLink.child_id.in_(frontier)))).all()
        frontier = []
        for link in links:
            for other, direction in ((link.child_id, "child"), (link.parent_id, "parent")):
                if other not in seen:
                    seen[other] = (link.relation, direction)
                    order.append(other)
                    frontier.append(other)
    if len(order) == 1:
        return []
    cases = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(order)))}
    visible = set(db.session.scalars(select(Case.id).where(Case.id.in_(order), visible_cases_clause(user))))
    members = []
    for case_id in order:
        member, (relation, direction) = cases[case_id], seen[case_id]
        wf = workflows()[member.workflow]
        shown = case_id in visible
        members.append(Relative(
            id=case_id, workflow=member.workflow, workflow_label=wf.label, relation=relation, direction=direction,
            visible=shown, state=member.state if shown else None,
            state_label=wf.states[member.state].label if shown else None,
            number=member.number if shown else None, agency=member.agency))
    return members


@dataclass(frozen=True)
class Inbox:
    handoffs: list[Handoff]
    waiting: list[Case]
    assigned: list[Case]


def _waiting_clause(user):
    """Open cases in a state that waits on a side the user can act for (DOMAIN §3 ``waiting_on``)."""
    by_side: dict[str, list] = {"owner": [], "origin": [], "region": []}
    for wf in workflows().values():
        for state_key, state in wf.states.items():
            if state.waiting_on is None:
                continue
            acts = any(state_key in t.from_ and not t.system and t.side == state.waiting_on
                       and user.roles & set(t.roles) and user.agency.kind in (t.agency_kinds or wf.agency_kinds)
                       for t in wf.transitions.values())
            if acts:
                by_side[state.waiting_on].append(and_(Case.workflow == wf.key, Case.state == state_key))
    sides = {
        "owner": Case.agency_id == user.agency_id,
        "origin": Case.origin_agency_id == user.agency_id,
        "region": Case.region_code.in_(_region_scope(user)),
    }
    clauses = [and_(sides[side], or_(*pairs)) for side, pairs in by_side.items() if pairs]
    return or_(*clauses) if clauses else false()


def pending_for(user):
    """Handoffs waiting for the user's agency that the user may open (a confidential one: heads only)."""
    return and_(Handoff.to_agency_id == user.agency_id, Handoff.status == "pending",
                Handoff.case_id.in_(select(Case.id).where(visible_cases_clause(user))))


def inbox(user, limit: int = 200) -> Inbox:
    handoffs = []
    if user.roles & set(HANDOFF_ROLES):
        handoffs = list(db.session.scalars(
            select(Handoff).where(pending_for(user))
            .options(selectinload(Handoff.case)).order_by(Handoff.id).limit(limit)))
    open_visible = and_(visible_cases_clause(user), Case.closed_on.is_(None))
    waiting = list(db.session.scalars(select(Case).where(open_visible, _waiting_clause(user))
                                      .options(selectinload(Case.clocks)).order_by(Case.id.desc()).limit(limit)))
    assigned = list(db.session.scalars(select(Case).where(open_visible, Case.assigned_officer_id == user.id)
                                       .options(selectinload(Case.clocks)).order_by(Case.id.desc()).limit(limit)))
    return Inbox(handoffs=handoffs, waiting=waiting, assigned=assigned)


def next_due(case: Case):
    """The soonest open clock of a case, for lists."""
    running = [c for c in case.clocks if c.status in clocks.OPEN_STATUSES]
    return min(running, key=lambda c: c.due_on) if running else None

