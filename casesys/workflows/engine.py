"""The request shell around the decision core: the only way a case changes state.

``apply_transition`` locks and loads the rows, asks ``decide`` what the step does, writes the
answer (state, history event, clocks, linked cases, handoff, ownership, access) and the audit
entry in the caller's transaction, then does the same for each effect on a linked case — or
raises and has written nothing the caller's rollback will not undo. The rules themselves live in
``casesys.workflows.decide``; this module only moves values between rows and the core.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import selectinload

from casesys import audit
from casesys.agencies.models import Agency
from casesys.cases.access import can_view
from casesys.cases.models import Case, CaseAccess, CaseEvent, CaseFormerNumber, CaseLink, Party
from casesys.cases.numbering import next_case_number
from casesys.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from casesys.core.types import CHINA_TZ, today_in_china, utcnow
from casesys.extensions import db
from casesys.workcalendar import load_calendar
from casesys.workflows import decide, fields
from casesys.workflows.decide import (  # noqa: F401 (the engine's public names)
    ACCEPT_HANDOFF,
    HAND_OFF,
    HANDOFF_ROLES,
    HANDOFF_TRANSITION_NAMES,
    RETURN_HANDOFF,
    Option,
    clock_definition,
    handoff_fields,
    handoff_label,
)
from casesys.workflows.definitions import EntryDef, WorkflowDef
from casesys.workflows.models import CaseClock, ClockExtension, ClockPause, Handoff
from casesys.workflows.values import (
    AccessChange,
    ActorFacts,
    Agencies,
    AgencyFacts,
    CaseFacts,
    ClockState,
    Context,
    Decision,
    Extension,
    Grant,
    Moment,
    Opening,
    Pause,
    PendingHandoff,
    RegionFacts,
)


def workflows() -> dict[str, WorkflowDef]:
    return current_app.extensions["casesys.workflows"]


def definition_of(case: Case) -> WorkflowDef:
    return workflows()[case.workflow]


def pending_handoff(case: Case) -> Handoff | None:
    return db.session.scalar(select(Handoff).where(Handoff.case_id == case.id, Handoff.status == "pending"))


# --- rows to facts -----------------------------------------------------------------------------


def agency_facts(agency: Agency) -> AgencyFacts:
    return AgencyFacts(agency.id, agency.code, agency.kind, agency.region_code,
                       RegionFacts(agency.region.code, agency.region.path))


def actor_facts(user) -> ActorFacts:
    return ActorFacts(user.id, user.agency_id, agency_facts(user.agency), frozenset(user.roles))


def _clock_state(row: CaseClock) -> ClockState:
    return ClockState(row.key, row.status, row.started_on, row.started_at, row.duration, row.unit, row.due_on,
                      row.strict_due_on, row.due_at, row.calendar_unconfirmed, row.stopped_on, row.next_reminder_on,
                      [Pause(p.paused_on, p.resumed_on, p.event_id) for p in row.pauses],
                      [Extension(x.step, x.amount, x.unit, x.approver_role, x.approved_by_id, x.granted_on, x.event_id)
                       for x in row.extensions], row.id, row.stopped_at)


def case_facts(case: Case) -> CaseFacts:
    """What the core reads of ``case``, loaded now."""
    access = {a.agency_id: Grant(a.level, a.reason)
              for a in db.session.scalars(select(CaseAccess).where(CaseAccess.case_id == case.id)
                                          .order_by(CaseAccess.id))}
    pending = pending_handoff(case)
    open_children = list(db.session.scalars(
        select(Case.number).join(CaseLink, CaseLink.child_id == Case.id)
        .where(CaseLink.parent_id == case.id, Case.closed_on.is_(None)).order_by(Case.id)))
    return CaseFacts(
        number=case.number, workflow=case.workflow, state=case.state, version=case.version,
        agency=agency_facts(case.agency), agency_id=case.agency_id, origin_agency_id=case.origin_agency_id,
        region=RegionFacts(case.region.code, case.region.path), title=case.title, ip_type=case.ip_type,
        received_on=case.received_on, amount_involved_fen=case.amount_involved_fen,
        is_confidential=case.is_confidential, assigned_officer_id=case.assigned_officer_id, filed_on=case.filed_on,
        solved_on=case.solved_on, clocks=[_clock_state(c) for c in case.clocks], access=access,
        pending=PendingHandoff(agency_facts(pending.to_agency)) if pending is not None else None,
        party_roles=frozenset(p.role for p in case.parties), open_children=open_children,
        last_event_on=max((e.effective_on for e in case.events), default=None))


def _clean(defs, data: dict) -> dict:
    cleaned, errors = fields.clean(defs, data)
    if errors:
        raise InvalidInput(_("Some fields are missing or not valid."), errors)
    return cleaned


def context_for(case: Case | None = None, data=None, at: datetime | None = None) -> Context:
    """The agencies a step on ``case`` may reach: those at its owner's level (the same-level
    police and procuratorate...) and any named by code in the submitted values."""
    reachable = []
    if case is not None:
        codes = [v for v in data.values() if isinstance(v, str) and len(v) <= 40] if isinstance(data, dict) else []
        reachable = db.session.scalars(select(Agency).options(selectinload(Agency.region)).where(
            or_(Agency.region_code == case.agency.region_code, Agency.code.in_(codes))))
    moment = Moment(today_in_china(), utcnow(), load_calendar(), at)
    return Context(workflows(), moment, Agencies(agency_facts(a) for a in reachable), _clean)


# --- asking the core ---------------------------------------------------------------------------


def allowed_transitions(user, case: Case) -> list[Option]:
    """What ``user`` may do to ``case`` now, handoff steps included."""
    if not user.is_active or not can_view(user, case):
        return []
    return decide.options(definition_of(case), case_facts(case), actor_facts(user))


def entry_for(user, workflow_key: str, state: str | None) -> tuple[WorkflowDef, EntryDef]:
    """The entry through which ``user`` may open a case of ``workflow_key`` (in ``state``)."""
    wf = workflows().get(workflow_key)
    if wf is None:
        raise InvalidInput(_("Unknown workflow."), {"workflow": _("one of: %(keys)s", keys=", ".join(workflows()))})
    entries = [e for e in wf.entries if state in (None, e.state)]
    if not entries:
        raise InvalidInput(_("A case of this workflow cannot start there."),
                           {"state": _("one of: %(states)s", states=", ".join(e.state for e in wf.entries))})
    by_kind = [e for e in entries if user.agency.kind in e.agency_kinds]
    if not by_kind:
        raise InvalidInput(_("This agency cannot open this kind of case."),
                           {"workflow": _("a %(kind)s agency cannot register %(workflow)s cases",
                                          kind=user.agency.kind, workflow=wf.key)})
    by_role = [e for e in by_kind if user.roles & set(e.roles)]
    if not by_role:
        raise Forbidden(_("Your role may not register cases."))
    return wf, by_role[0]


def registrable(user) -> list[tuple[WorkflowDef, EntryDef]]:
    """Every (workflow, entry) ``user`` may open a case through."""
    return [(wf, e) for wf in workflows().values() for e in wf.entries
            if user.agency.kind in e.agency_kinds and user.roles & set(e.roles)]


def start_entry_clocks(case: Case, wf: WorkflowDef, entry: EntryDef) -> None:
    """A registered case's milestone and the clocks that run from its received date."""
    changes, clock_states = decide.registered(context_for(), wf, entry, case.agency.kind, case.received_on)
    for name, value in changes.items():
        setattr(case, name, value)
    for state in clock_states:
        case.clocks.append(_new_clock_row(state))


def _lock(case_id: int) -> Case | None:
    """The case row, locked until commit on PostgreSQL (SQLite's write lock serialises), with
    what ``case_facts`` reads of it loaded in a few statements."""
    clocks = selectinload(Case.clocks)
    return db.session.scalar(select(Case).where(Case.id == case_id).with_for_update()
                             .options(clocks.selectinload(CaseClock.pauses), clocks.selectinload(CaseClock.extensions),
                                      selectinload(Case.parties), selectinload(Case.events))
                             .execution_options(populate_existing=True))


def apply_transition(user, case_id: int, name: str, data: dict | None = None, *,
                     expected_version: int | None, effective_on: date | None = None,
                     effective_at: datetime | None = None) -> Case:
    """Fire ``name`` on the case; raises NotFound/Forbidden/Conflict/InvalidInput and then
    has written nothing that the caller's rollback will not undo. ``effective_at`` is when the
    step happened (a step that starts or stops an hour clock on an earlier day needs it)."""
    case = _lock(case_id)
    if case is None or not user.is_active or not can_view(user, case):
        raise NotFound(_("No such case."))
    if expected_version is not None and expected_version != case.version:
        raise Conflict(_("The case changed since you loaded it (your version %(yours)d, now %(now)d). "
                         "Reload it and try again.", yours=expected_version, now=case.version),
                       {"expected_version": _("the case is now at version %(now)d", now=case.version)})
    at = _effective_at(effective_at, effective_on)
    facts, actor, ctx = case_facts(case), actor_facts(user), context_for(case, data, at)
    day = decide.effective_day(facts, effective_on or (at and at.astimezone(CHINA_TZ).date()), ctx.moment.today)
    decision = decide.decide(ctx, facts, actor, name, data or {}, day)
    _write(user, actor, case, facts, decision, at)
    db.session.flush()
    return case


def _effective_at(at: datetime | None, effective_on: date | None) -> datetime | None:
    """The time a step happened: China time when no zone is given, not ahead of now, on its date."""
    if at is None:
        return None
    at = at.replace(tzinfo=CHINA_TZ) if at.tzinfo is None else at
    if at > utcnow():
        raise InvalidInput(_("The time of the step cannot be in the future."),
                           {"effective_at": _("cannot be later than now")})
    if effective_on is not None and at.astimezone(CHINA_TZ).date() != effective_on:
        raise InvalidInput(_("The time of the step must fall on its effective date."),
                           {"effective_at": _("must be on %(day)s, China time", day=effective_on.isoformat())})
    return at


# --- the answer to rows ------------------------------------------------------------------------


def _write(user, actor: ActorFacts, case: Case, facts: CaseFacts, d: Decision, at: datetime | None) -> None:
    """Write one decision on ``case``, its audit entry, then the effects on linked cases."""
    case.version, case.updated_at, case.state = d.version, utcnow(), d.state
    e = d.event
    event = CaseEvent(kind=e.kind, from_state=e.from_state, to_state=e.to_state, actor_id=e.actor_id,
                      agency_id=e.agency_id, effective_on=e.effective_on, note=e.note, data=e.data)
    case.events.append(event)
    db.session.flush()
    for mark in d.marks:
        mark.event_id = event.id
    for column, value in d.changes.items():
        setattr(case, column, value)
    rows = _write_clocks(case, facts.clocks, d)
    if d.opening is not None:
        _open_linked(user, case, d.opening)
    old_number = _move(case, d.move) if d.move is not None else None
    _write_access(case, d.access)
    day = e.effective_on
    if d.handoff is not None:
        _write_handoff(user, case, d, rows, old_number)
        return
    audit.record("case.transition", "case", case.id, user, number=case.number, transition=d.transition,
                 from_state=d.from_state, to_state=case.state, effective_on=day.isoformat(), caused_by=d.caused_by)
    for effect in d.effects:
        for other in _linked(case, effect.target, effect.relation):
            other_facts = case_facts(other)
            answer = decide.effect(context_for(other, {}, at), other_facts, actor, effect.transition, day,
                                   case.number)
            _write(user, actor, other, other_facts, answer, at)


def _new_clock_row(state: ClockState) -> CaseClock:
    row = CaseClock(key=state.key)
    _copy_clock(row, state)
    return row


def _copy_clock(row: CaseClock, state: ClockState) -> None:
    for column in ("status", "started_on", "started_at", "duration", "unit", "due_on", "strict_due_on", "due_at",
                   "calendar_unconfirmed", "stopped_on", "stopped_at", "next_reminder_on"):
        setattr(row, column, getattr(state, column))
    for i, pause in enumerate(state.pauses):
        if i < len(row.pauses):
            row.pauses[i].resumed_on = pause.resumed_on
        else:
            row.pauses.append(ClockPause(paused_on=pause.paused_on, resumed_on=pause.resumed_on,
                                         event_id=pause.event_id))
    for x in state.extensions[len(row.extensions):]:
        row.extensions.append(ClockExtension(step=x.step, amount=x.amount, unit=x.unit, approver_role=x.approver_role,
                                             approved_by_id=x.approved_by_id, granted_on=x.granted_on,
                                             event_id=x.event_id))


def _write_clocks(case: Case, before: list[ClockState], d: Decision) -> dict[int, CaseClock]:
    """Changed clocks onto their rows, new ones as rows; returns the row of each by ``id(state)``."""
    rows = list(case.clocks)
    written = {}
    for i, state in d.changed_clocks(before):
        if i < len(rows):
            _copy_clock(rows[i], state)
            written[id(state)] = rows[i]
        else:
            written[id(state)] = row = _new_clock_row(state)
            case.clocks.append(row)
    return written


def _open_linked(user, parent: Case, opening: Opening) -> Case:
    owner = db.session.get(Agency, opening.owner.id)
    year = today_in_china().year
    seq, number = next_case_number(owner, year)
    values = {k: v for k, v in opening.values.items() if k != "region"}
    child = Case(number=number, number_year=year, number_seq=seq, agency=owner, region=parent.region, **values)
    child.parties = [Party(role=p.role, kind=p.kind, name=p.name, uscc=p.uscc, id_number=p.id_number)
                     for p in parent.parties]
    e = opening.event
    child.events.append(CaseEvent(kind=e.kind, to_state=e.to_state, actor_id=e.actor_id, agency_id=e.agency_id,
                                  effective_on=e.effective_on, note=e.note, data=e.data))
    for state in opening.clocks:
        child.clocks.append(_new_clock_row(state))
    db.session.add(child)
    db.session.flush()
    db.session.add(CaseLink(parent_id=parent.id, child_id=child.id, relation=opening.relation))
    audit.record("case.open_linked", "case", child.id, user, number=number, parent=parent.number,
                 relation=opening.relation, owner=owner.code)
    return child


def _move(case: Case, move) -> str:
    """Ownership to ``move.to``: a new number in its series; the old one is kept and still found."""
    receiver = db.session.get(Agency, move.to.id)
    old_number = case.number
    db.session.add(CaseFormerNumber(case_id=case.id, number=old_number, agency_id=case.agency_id, replaced_on=move.on))
    year = today_in_china().year
    seq, number = next_case_number(receiver, year)
    case.number, case.number_year, case.number_seq = number, year, seq
    case.agency, case.agency_id = receiver, receiver.id
    return old_number


def _write_access(case: Case, changes: list[AccessChange]) -> None:
    for change in changes:
        if change.op == "add":
            db.session.add(CaseAccess(case_id=case.id, agency_id=change.agency_id, level=change.level,
                                      reason=change.reason))
        elif change.op == "raise":
            grant = db.session.scalar(select(CaseAccess).where(CaseAccess.case_id == case.id,
                                                               CaseAccess.agency_id == change.agency_id))
            grant.level, grant.reason = change.level, change.reason
        else:
            db.session.execute(delete(CaseAccess).where(CaseAccess.case_id == case.id,
                                                        CaseAccess.agency_id == change.agency_id))


def _write_handoff(user, case: Case, d: Decision, rows: dict[int, CaseClock], old_number: str | None) -> None:
    change, day = d.handoff, d.event.effective_on
    if change.op == "send":
        db.session.flush()
        db.session.add(Handoff(case_id=case.id, from_agency_id=case.agency_id, to_agency_id=change.to.id,
                               reason=change.reason, materials=change.materials, sent_by_id=user.id, sent_on=day,
                               old_number=case.number, clock_id=rows[id(change.clock)].id))
        audit.record("case.handoff", "case", case.id, user, number=case.number, to=change.to.code)
        return
    handoff = pending_handoff(case)
    handoff.decided_by_id, handoff.decided_on = user.id, day
    if change.op == "return":
        handoff.status, handoff.return_reason = "returned", change.reason
        audit.record("case.handoff_return", "case", case.id, user, number=case.number)
        return
    handoff.status, handoff.new_number = "accepted", case.number
    audit.record("case.handoff_accept", "case", case.id, user, number=case.number, old_number=old_number)


def _linked(case: Case, on: str, relation: str) -> list[Case]:
    if on == "parent":
        stmt = select(CaseLink.parent_id).where(CaseLink.child_id == case.id, CaseLink.relation == relation)
    else:
        stmt = select(CaseLink.child_id).where(CaseLink.parent_id == case.id, CaseLink.relation == relation)
    return [_lock(case_id) for case_id in db.session.scalars(stmt)]
