"""The only way a case changes state: ``allowed_transitions`` and ``apply_transition``.

One call writes the new state, the history event, the audit entry, clock changes, linked
cases and their effects in the caller's transaction, or raises and writes nothing (the
request or command around it rolls back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from casesys import audit
from casesys.agencies.models import Agency
from casesys.auth.permissions import ROLES
from casesys.cases.access import can_view
from casesys.cases.models import Case, CaseEvent, Party
from casesys.cases.services import next_case_number
from casesys.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from casesys.core.i18n import label
from casesys.core.types import today_in_china, utcnow
from casesys.extensions import db
from casesys.workcalendar import load_calendar
from casesys.workflows import clocks, fields
from casesys.workflows.definitions import ClockDef, EntryDef, FieldDef, Text, TransitionDef, WorkflowDef
from casesys.workflows.loader import HANDOFF_CLOCK, SUPERVISION_CLOCK
from casesys.workflows.models import CaseLink, Handoff
from casesys.workflows.ownership import grant_access, move_ownership, revoke_access, same_region_agency
from casesys.workflows.registry import ACTIONS, GUARDS, ActionContext

HAND_OFF, ACCEPT_HANDOFF, RETURN_HANDOFF = "hand_off", "accept_handoff", "return_handoff"
HANDOFF_ROLES = ("officer", "agency_head", "mediator")

# The built-in handoff steps (DOMAIN §3.7), offered in each workflow's early states.
_HANDOFF_TRANSITIONS = {
    HAND_OFF: (Text(zh="移交", en="Hand off"), [
        FieldDef(name="receiving_agency", type="agency", required=True, agency_kind="market_regulation",
                 label=Text(zh="接收单位", en="Receiving agency")),
        FieldDef(name="reason", type="text", required=True, label=Text(zh="移交理由", en="Reason")),
        FieldDef(name="materials", type="text", required=True, label=Text(zh="移交材料清单", en="Materials list")),
    ]),
    ACCEPT_HANDOFF: (Text(zh="接收移交", en="Accept handoff"), [
        FieldDef(name="note", type="text", label=Text(zh="备注", en="Note")),
    ]),
    RETURN_HANDOFF: (Text(zh="退回移交", en="Return handoff"), [
        FieldDef(name="reason", type="text", required=True, label=Text(zh="退回理由", en="Reason")),
    ]),
}


@dataclass(frozen=True)
class Option:
    """A transition the user may fire now, with the form it needs."""

    name: str
    to: str
    label: Text
    fields: list[FieldDef]


def _local(text: Text) -> str:
    return text(str(get_locale()))


def workflows() -> dict[str, WorkflowDef]:
    return current_app.extensions["casesys.workflows"]


def definition_of(case: Case) -> WorkflowDef:
    return workflows()[case.workflow]


HANDOFF_TRANSITION_NAMES = tuple(_HANDOFF_TRANSITIONS)


def handoff_label(name: str) -> Text:
    return _HANDOFF_TRANSITIONS[name][0]


def handoff_fields(wf: WorkflowDef, name: str) -> list[FieldDef]:
    """The handoff form; the receiving agency is picked among the kinds that run this workflow."""
    label, declared = _HANDOFF_TRANSITIONS[name]
    if name != HAND_OFF:
        return declared
    receiver = declared[0].model_copy(update={"agency_kind": None})
    return [receiver, *declared[1:]]


def clock_definition(wf: WorkflowDef, key: str) -> ClockDef:
    """A clock declared by the workflow, the handoff receipt clock its handoff block implies, or
    a supervisor's order (its due date is the supervisor's; the row holds the duration)."""
    if key == SUPERVISION_CLOCK:
        return ClockDef(label=Text(zh="督办期限", en="Supervision order"), duration=1, unit="natural_days",
                        legal_basis=Text(zh="监督管理部门督办通知", en="Supervisor's order (督办)"))
    if key == HANDOFF_CLOCK and wf.handoff is not None:
        return ClockDef(label=Text(zh="移交接收期限", en="Accept or return the handoff"),
                        duration=wf.handoff.receipt_days, unit="working_days",
                        legal_basis=wf.handoff.receipt_legal_basis)
    return wf.clocks[key]


def pending_handoff(case: Case) -> Handoff | None:
    return db.session.scalar(select(Handoff).where(Handoff.case_id == case.id, Handoff.status == "pending"))


def _on_side(user, case: Case, wf: WorkflowDef, t: TransitionDef) -> bool:
    if not user.roles & set(t.roles) or user.agency.kind not in (t.agency_kinds or wf.agency_kinds):
        return False
    if t.side == "owner":
        return user.agency_id == case.agency_id
    if t.side == "origin":
        return user.agency_id == case.origin_agency_id
    return case.region.path.startswith(user.agency.region.path)  # "region": its area or above


def _clock_problem(case: Case, wf: WorkflowDef, t: TransitionDef, user) -> str | None:
    """Pause needs one of its clocks running, resume one paused, extend one with a step the
    user may approve (a transition may name alternatives, e.g. the three civil trial periods)."""
    if t.clocks.pause and not _clocks_in(case, t.clocks.pause, "running"):
        return _("The clock %(clock)s is not running.", clock=_local(wf.clocks[t.clocks.pause[0]].label))
    if t.clocks.resume and not _clocks_in(case, t.clocks.resume, "paused"):
        return _("The clock %(clock)s is not paused.", clock=_local(wf.clocks[t.clocks.resume[0]].label))
    if t.clocks.extend:
        steps = [clocks.next_extension(c, wf.clocks[c.key]) for c in _clocks_in(case, t.clocks.extend, "running")]
        if not any(steps):
            return _("The clock %(clock)s cannot be extended further.",
                     clock=_local(wf.clocks[t.clocks.extend[0]].label))
        if not any(step.approver in user.roles for step in steps if step):
            return _("This extension needs the approval of: %(role)s.",
                     role=", ".join(sorted({label(ROLES, step.approver) for step in steps if step})))
    return None


def _clocks_in(case: Case, keys: list[str], status: str):
    return [c for c in case.clocks if c.key in keys and c.status == status]


def allowed_transitions(user, case: Case) -> list[Option]:
    """What ``user`` may do to ``case`` now, handoff steps included."""
    if not user.is_active or not can_view(user, case):
        return []
    wf = definition_of(case)
    pending = pending_handoff(case)
    if pending is not None:
        if user.agency_id == pending.to_agency_id and user.roles & set(HANDOFF_ROLES):
            return [Option(name, case.state, _HANDOFF_TRANSITIONS[name][0], handoff_fields(wf, name))
                    for name in (ACCEPT_HANDOFF, RETURN_HANDOFF)]
        return []
    options = []
    for name, t in wf.transitions.items():
        if t.system or case.state not in t.from_ or not _on_side(user, case, wf, t):
            continue
        if _clock_problem(case, wf, t, user) or (t.guard and GUARDS[t.guard](case, user)):
            continue
        options.append(Option(name, t.to, t.label, t.fields))
    if (wf.handoff and case.state in wf.handoff.states and user.agency_id == case.agency_id
            and user.roles & set(HANDOFF_ROLES)):
        options.append(Option(HAND_OFF, case.state, _HANDOFF_TRANSITIONS[HAND_OFF][0], handoff_fields(wf, HAND_OFF)))
    return options


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
    """A registered case's clocks run from its received date."""
    record_milestone(case, wf, case.received_on)
    calendar, today = load_calendar(), today_in_china()
    for key in entry.clocks:
        _start_clock(case, key, wf.clocks[key], case.received_on, calendar, today)


def record_milestone(case: Case, wf: WorkflowDef, day: date) -> None:
    """The first day the case entered a milestone state (filed, solved) stays on the case."""
    milestone = wf.states[case.state].milestone
    if milestone == "filed" and case.filed_on is None:
        case.filed_on = day
    elif milestone == "solved" and case.solved_on is None:
        case.solved_on = day


def _lock(case_id: int) -> Case | None:
    """The case row, locked until commit on PostgreSQL (SQLite's write lock serialises)."""
    return db.session.scalar(select(Case).where(Case.id == case_id).with_for_update()
                             .execution_options(populate_existing=True))


def _effective_date(case: Case, effective_on: date | None) -> date:
    today = today_in_china()
    day = effective_on or today
    if day > today:
        raise InvalidInput(_("The effective date cannot be in the future."),
                           {"effective_on": _("cannot be after %(today)s", today=today.isoformat())})
    latest = max((e.effective_on for e in case.events), default=None)
    if latest is not None and day < latest:
        raise InvalidInput(_("The effective date cannot be before the previous event."),
                           {"effective_on": _("cannot be before %(day)s", day=latest.isoformat())})
    return day


def apply_transition(user, case_id: int, name: str, data: dict | None = None, *,
                     expected_version: int | None, effective_on: date | None = None) -> Case:
    """Fire ``name`` on the case; raises NotFound/Forbidden/Conflict/InvalidInput and then
    has written nothing that the caller's rollback will not undo."""
    case = _lock(case_id)
    if case is None or not user.is_active or not can_view(user, case):
        raise NotFound(_("No such case."))
    if expected_version is not None and expected_version != case.version:
        raise Conflict(_("The case changed since you loaded it (your version %(yours)d, now %(now)d). "
                         "Reload it and try again.", yours=expected_version, now=case.version),
                       {"expected_version": _("the case is now at version %(now)d", now=case.version)})
    wf = definition_of(case)
    day = _effective_date(case, effective_on)
    options = {o.name: o for o in allowed_transitions(user, case)}
    if name not in options:
        raise _refusal(user, case, wf, name)
    cleaned, errors = fields.clean(options[name].fields, data or {})
    if errors:
        raise InvalidInput(_("Some fields are missing or not valid."), errors)
    _bump_version(case)
    if name in _HANDOFF_TRANSITIONS:
        _apply_handoff(user, case, wf, name, cleaned, day)
    else:
        _fire(user, case, wf, name, cleaned, day)
    db.session.flush()
    return case


def _bump_version(case: Case) -> None:
    """Every step moves the version on by one, even a step that keeps the state."""
    case.version += 1
    case.updated_at = utcnow()


def _refusal(user, case: Case, wf: WorkflowDef, name: str):
    """The clearest reason a transition is not on offer: unknown, wrong state, or not yours."""
    t = wf.transitions.get(name)
    if t is None and name not in _HANDOFF_TRANSITIONS:
        return InvalidInput(_("The workflow has no transition %(name)s.", name=name),
                            {"transition": _("not a transition of %(workflow)s", workflow=wf.key)})
    if t is not None and t.system:
        return Forbidden(_("%(name)s happens only through a linked case.", name=_local(t.label)))
    if t is not None and case.state not in t.from_:
        return InvalidInput(_("%(name)s cannot be done while the case is %(state)s.", name=_local(t.label),
                              state=_local(wf.states[case.state].label)),
                            {"transition": _("not allowed in state %(state)s", state=case.state)})
    if t is not None and _on_side(user, case, wf, t):
        reason = _clock_problem(case, wf, t, user) or (t.guard and GUARDS[t.guard](case, user))
        if reason:
            return InvalidInput(reason, {"transition": reason})
    if pending_handoff(case) is not None:
        return InvalidInput(_("The case is waiting for the receiving agency to accept or return it."),
                            {"transition": _("a handoff is pending")})
    if name in _HANDOFF_TRANSITIONS and (wf.handoff is None or case.state not in wf.handoff.states):
        return InvalidInput(_("The case can no longer be handed off in this state."),
                            {"transition": _("not allowed in state %(state)s", state=case.state)})
    return Forbidden(_("Your role or agency may not do this."))


def _event(user, case: Case, kind: str, name: str, from_state: str, cleaned: dict, day: date) -> CaseEvent:
    note = cleaned.get("reason") or cleaned.get("note")
    event = CaseEvent(kind=kind, from_state=from_state, to_state=case.state, actor_id=user.id,
                      agency_id=user.agency_id, effective_on=day, note=note,
                      data={"transition": name, "fields": cleaned})
    case.events.append(event)
    db.session.flush()
    return event


def _fire(user, case: Case, wf: WorkflowDef, name: str, cleaned: dict, day: date, *,
          caused_by: Case | None = None) -> None:
    t = wf.transitions[name]
    from_state, case.state = case.state, t.to
    if caused_by is not None:
        cleaned = {**cleaned, "caused_by": caused_by.number}
    event = _event(user, case, "transition", name, from_state, cleaned, day)
    record_milestone(case, wf, day)
    _copy_recorded_values(case, t, cleaned)
    _run_clock_ops(user, case, wf, t, cleaned, day, event)
    if t.creates:
        _create_linked(user, case, t, cleaned, day)
    if t.action:
        ACTIONS[t.action](ActionContext(user=user, case=case, transition=name, fields=cleaned, effective_on=day))
    if wf.is_final(case.state):
        case.outcome, case.closed_on = t.outcome or case.state, day
        calendar, today = load_calendar(), today_in_china()
        for clock in clocks.open_clocks(case):
            clocks.stop(clock, day, status="ended")
            clocks.recompute(clock, clock_definition(wf, clock.key), calendar, today)
    audit.record("case.transition", "case", case.id, user, number=case.number, transition=name,
                 from_state=from_state, to_state=case.state, effective_on=day.isoformat(),
                 caused_by=caused_by.number if caused_by else None)
    for effect in t.effects:
        for other in _linked(case, effect.target, effect.relation):
            _fire_effect(user, other, effect.transition, day, case)


def _copy_recorded_values(case: Case, t: TransitionDef, cleaned: dict) -> None:
    for f in t.fields:
        if f.sets is None or f.name not in cleaned:
            continue
        value = cleaned[f.name]
        if f.sets == "amount_involved":
            case.amount_involved = Decimal(value)
        elif f.sets == "fine":
            case.fine_fen = int(Decimal(value) * 100)
        elif f.sets == "suspects_arrested":
            case.suspects_arrested = value


def _run_clock_ops(user, case: Case, wf: WorkflowDef, t: TransitionDef, cleaned: dict, day: date,
                   event: CaseEvent) -> None:
    calendar, today = load_calendar(), today_in_china()
    for clock in [c for c in clocks.open_clocks(case) if c.key in t.clocks.stop]:
        clocks.stop(clock, day)
        clocks.recompute(clock, wf.clocks[clock.key], calendar, today)  # a pause it ended moves the date
    for clock in _clocks_in(case, t.clocks.pause, "running"):
        clocks.pause(clock, day, event.id)
        clocks.recompute(clock, wf.clocks[clock.key], calendar, today)
    for clock in _clocks_in(case, t.clocks.resume, "paused"):
        clocks.resume(clock, day)
        clocks.recompute(clock, wf.clocks[clock.key], calendar, today)
    for clock in _clocks_in(case, t.clocks.extend, "running"):
        step = clocks.next_extension(clock, wf.clocks[clock.key])
        if step is None or step.approver not in user.roles:
            continue
        amount = cleaned.get("extension_amount", step.amount)
        if amount is None or (step.amount is not None and amount > step.amount) or amount <= 0:
            limit = step.amount or "—"
            raise InvalidInput(_("The extension must be between 1 and %(limit)s.", limit=limit),
                               {"extension_amount": _("from 1 to %(limit)s", limit=limit)})
        clocks.extend(clock, step, amount, user, step.approver, day, event.id)
        clocks.recompute(clock, wf.clocks[clock.key], calendar, today)
    for key in t.clocks.start:
        condition = t.clocks.when.get(key, {})
        if all(_as_text(cleaned.get(f)) == v for f, v in condition.items()):
            _start_clock(case, key, wf.clocks[key], day, calendar, today)


def _as_text(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _start_clock(case: Case, key: str, definition: ClockDef, day: date, calendar, today: date):
    if definition.agency_kinds and case.agency.kind not in definition.agency_kinds:
        return None
    anchor = case.received_on if definition.anchor == "received" else day
    return clocks.start(case, key, definition, anchor, calendar, today)


def _linked(case: Case, on: str, relation: str) -> list[Case]:
    if on == "parent":
        stmt = select(CaseLink.parent_id).where(CaseLink.child_id == case.id, CaseLink.relation == relation)
    else:
        stmt = select(CaseLink.child_id).where(CaseLink.parent_id == case.id, CaseLink.relation == relation)
    return [_lock(case_id) for case_id in db.session.scalars(stmt)]


def _fire_effect(user, case: Case, name: str, day: date, caused_by: Case) -> None:
    """Move a linked case on (police filing closes the administrative case...), when its
    state still waits for it; otherwise the linked case has moved on and is left alone."""
    wf = definition_of(case)
    if case.state in wf.transitions[name].from_:
        _bump_version(case)
        _fire(user, case, wf, name, {}, max(day, *(e.effective_on for e in case.events)), caused_by=caused_by)


def _create_linked(user, case: Case, t: TransitionDef, cleaned: dict, day: date) -> Case:
    link = t.creates
    target = workflows()[link.workflow]
    if link.owner == "self":
        owner = case.agency
    elif link.owner == "field":
        owner = db.session.scalar(select(Agency).where(Agency.code == cleaned[link.owner_field]))
    else:
        owner = same_region_agency(case, link.owner_kind)
        if owner is None:
            raise InvalidInput(_("No agency of the needed kind at this level."))
    year = today_in_china().year
    seq, number = next_case_number(owner, year)
    state = link.state or target.initial_state
    child = Case(number=number, number_year=year, number_seq=seq, agency=owner, workflow=target.key,
                 workflow_version=target.version, state=state, title=case.title, ip_type=case.ip_type,
                 source=link.source, region=case.region, received_on=day, is_confidential=case.is_confidential,
                 amount_involved_fen=case.amount_involved_fen, origin_agency_id=case.agency_id,
                 assigned_officer_id=user.id if owner.id == user.agency_id else None, created_by_id=user.id)
    child.parties = [Party(role=p.role, kind=p.kind, name=p.name, uscc=p.uscc, id_number=p.id_number)
                     for p in case.parties]
    child.events.append(CaseEvent(kind="registered", to_state=state, actor_id=user.id, agency_id=user.agency_id,
                                  effective_on=day, note=cleaned.get("reason"),
                                  data={"opened_by": case.number, "relation": link.relation}))
    record_milestone(child, target, day)
    db.session.add(child)
    db.session.flush()
    db.session.add(CaseLink(parent_id=case.id, child_id=child.id, relation=link.relation))
    entry = next((e for e in target.entries if e.state == state), None)
    calendar, today = load_calendar(), today_in_china()
    for key in [*(entry.clocks if entry else ()), *link.clocks]:
        _start_clock(child, key, target.clocks[key], day, calendar, today)
    audit.record("case.open_linked", "case", child.id, user, number=number, parent=case.number,
                 relation=link.relation, owner=owner.code)
    return child


def _apply_handoff(user, case: Case, wf: WorkflowDef, name: str, cleaned: dict, day: date) -> None:
    calendar, today = load_calendar(), today_in_china()
    receipt = clock_definition(wf, HANDOFF_CLOCK)
    if name == HAND_OFF:
        receiver = db.session.scalar(select(Agency).where(Agency.code == cleaned["receiving_agency"]))
        if receiver is None or receiver.kind not in wf.handoff_receivers or receiver.id == case.agency_id:
            raise InvalidInput(_("Pick another agency that handles this kind of case."),
                               {"receiving_agency": _("an agency of kind %(kinds)s other than your own",
                                                      kinds=", ".join(wf.handoff_receivers))})
        clock = clocks.start(case, HANDOFF_CLOCK, receipt, day, calendar, today)
        db.session.flush()
        db.session.add(Handoff(case_id=case.id, from_agency_id=case.agency_id, to_agency_id=receiver.id,
                               reason=cleaned["reason"], materials=cleaned["materials"], sent_by_id=user.id,
                               sent_on=day, old_number=case.number, clock_id=clock.id))
        grant_access(case, receiver, "full", "handoff")
        _event(user, case, "handoff_sent", name, case.state, {**cleaned, "receiving_agency": receiver.code}, day)
        audit.record("case.handoff", "case", case.id, user, number=case.number, to=receiver.code)
        return
    handoff = pending_handoff(case)
    for clock in clocks.open_clocks(case, HANDOFF_CLOCK):
        clocks.stop(clock, day)
        clocks.recompute(clock, receipt, calendar, today)
    handoff.decided_by_id, handoff.decided_on = user.id, day
    if name == RETURN_HANDOFF:
        handoff.status, handoff.return_reason = "returned", cleaned["reason"]
        revoke_access(case, handoff.to_agency)
        _event(user, case, "handoff_returned", name, case.state, cleaned, day)
        audit.record("case.handoff_return", "case", case.id, user, number=case.number)
        return
    old_number = move_ownership(case, handoff.to_agency, day, assignee=user)
    handoff.status, handoff.new_number = "accepted", case.number
    for key in wf.handoff.restart_clocks:
        if clocks.open_clocks(case, key):
            clocks.start(case, key, wf.clocks[key], day, calendar, today)
    _event(user, case, "handoff_accepted", name, case.state, {**cleaned, "old_number": old_number}, day)
    audit.record("case.handoff_accept", "case", case.id, user, number=case.number, old_number=old_number)
