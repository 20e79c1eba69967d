"""The decision core: the one place where workflow rules are decided.

Given a case as plain facts (``values.CaseFacts``), its definition, the actor, the transition,
the field values and the effective date, ``decide`` answers with a ``Decision`` — the new state,
the history event, the clocks with their computed dates, the milestones and recorded values, a
linked case to open, the handoff, ownership and access changes, the effects to fire on linked
cases — or raises the refusal (``InvalidInput``/``Forbidden``) with its reason. It reads no
database and changes none of its inputs. Two shells ask it: ``engine.apply_transition`` (the
web request, on locked rows) and the history generator (``casesys.seeding.history``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from flask_babel import get_locale
from flask_babel import gettext as _

from casesys.auth.permissions import ROLES
from casesys.core.errors import Forbidden, InvalidInput
from casesys.core.i18n import label
from casesys.core.types import CHINA_TZ
from casesys.workflows import clocks
from casesys.workflows.definitions import ClockDef, EntryDef, FieldDef, Text, TransitionDef, WorkflowDef
from casesys.workflows.loader import HANDOFF_CLOCK, SUPERVISION_CLOCK
from casesys.workflows.registry import ACTIONS, GUARDS
from casesys.workflows.values import (
    AccessChange,
    ActorFacts,
    AgencyFacts,
    CaseFacts,
    ClockState,
    Context,
    Decision,
    Event,
    Grant,
    HandoffChange,
    Move,
    Opening,
)

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
HANDOFF_TRANSITION_NAMES = tuple(_HANDOFF_TRANSITIONS)


@dataclass(frozen=True)
class Option:
    """A transition the user may fire now, with the form it needs."""

    name: str
    to: str
    label: Text
    fields: list[FieldDef]


def _local(text: Text) -> str:
    return text(str(get_locale()))


def handoff_label(name: str) -> Text:
    return _HANDOFF_TRANSITIONS[name][0]


@cache
def _handoff_fields(name: str) -> list[FieldDef]:
    label, declared = _HANDOFF_TRANSITIONS[name]
    if name != HAND_OFF:
        return declared
    receiver = declared[0].model_copy(update={"agency_kind": None})
    return [receiver, *declared[1:]]


def handoff_fields(wf: WorkflowDef, name: str) -> list[FieldDef]:
    """The handoff form; the receiving agency is picked among the kinds that run this workflow
    (checked when the step is decided). The same list each time, so shells may cache by it."""
    return _handoff_fields(name)


def clock_definition(wf: WorkflowDef, key: str) -> ClockDef:
    """A clock declared by the workflow, the handoff receipt clock its handoff block implies, or
    a supervisor's order (its due date is the supervisor's; the row holds the duration)."""
    if key == SUPERVISION_CLOCK:
        return ClockDef(label=Text(zh="督办期限", en="Supervision order"), duration=1, unit="natural_days",
                        legal_basis=Text(zh="监督管理部门督办通知", en="Supervisor's order (督办)"))
    if key == HANDOFF_CLOCK and wf.handoff is not None:
        # A provincial convention, not a statute; the period is configurable (CASESYS_HANDOFF_RECEIPT_DAYS).
        return ClockDef(label=Text(zh="移交接收期限（省内工作约定，非法定期限）",
                                   en="Accept or return the handoff (provincial convention, not a statutory period)"),
                        duration=wf.handoff.receipt_days, unit="working_days",
                        legal_basis=wf.handoff.receipt_legal_basis)
    return wf.clocks[key]


# --- who may do what ---------------------------------------------------------------------------


def on_side(actor: ActorFacts, case: CaseFacts, wf: WorkflowDef, t: TransitionDef) -> bool:
    if not actor.roles & set(t.roles) or actor.agency.kind not in (t.agency_kinds or wf.agency_kinds):
        return False
    if t.side == "owner":
        return actor.agency_id == case.agency_id
    if t.side == "origin":
        return actor.agency_id == case.origin_agency_id
    return case.region.path.startswith(actor.agency.region.path)  # "region": its area or above


def _clocks_in(clock_list: list[ClockState], keys: list[str], status: str) -> list[ClockState]:
    return [c for c in clock_list if c.key in keys and c.status == status]


def clock_problem(case: CaseFacts, wf: WorkflowDef, t: TransitionDef, actor: ActorFacts) -> str | None:
    """Pause needs one of its clocks running, resume one paused, extend one with a step the
    actor may approve (a transition may name alternatives, e.g. the three civil trial periods)."""
    if t.clocks.pause and not _clocks_in(case.clocks, t.clocks.pause, "running"):
        return _("The clock %(clock)s is not running.", clock=_local(wf.clocks[t.clocks.pause[0]].label))
    if t.clocks.resume and not _clocks_in(case.clocks, t.clocks.resume, "paused"):
        return _("The clock %(clock)s is not paused.", clock=_local(wf.clocks[t.clocks.resume[0]].label))
    if t.clocks.extend:
        running = _clocks_in(case.clocks, t.clocks.extend, "running")
        steps = [clocks.next_extension(c, wf.clocks[c.key]) for c in running]
        if not any(steps):
            return _("The clock %(clock)s cannot be extended further.",
                     clock=_local(wf.clocks[t.clocks.extend[0]].label))
        if not any(step.approver in actor.roles for step in steps if step):
            return _("This extension needs the approval of: %(role)s.",
                     role=", ".join(sorted({label(ROLES, step.approver) for step in steps if step})))
    return None


def _may_fire(case: CaseFacts, wf: WorkflowDef, t: TransitionDef, actor: ActorFacts) -> bool:
    return (not t.system and case.state in t.from_ and on_side(actor, case, wf, t)
            and not clock_problem(case, wf, t, actor) and not (t.guard and GUARDS[t.guard](case)))


def _may_hand_off(case: CaseFacts, wf: WorkflowDef, actor: ActorFacts) -> bool:
    return bool(wf.handoff and case.state in wf.handoff.states and actor.agency_id == case.agency_id
                and actor.roles & set(HANDOFF_ROLES))


def options(wf: WorkflowDef, case: CaseFacts, actor: ActorFacts) -> list[Option]:
    """What ``actor`` may do to ``case`` now, handoff steps included."""
    if case.pending is not None:
        if actor.agency_id == case.pending.to_agency.id and actor.roles & set(HANDOFF_ROLES):
            return [Option(name, case.state, handoff_label(name), handoff_fields(wf, name))
                    for name in (ACCEPT_HANDOFF, RETURN_HANDOFF)]
        return []
    found = [Option(name, t.to, t.label, t.fields) for name, t in wf.transitions.items()
             if _may_fire(case, wf, t, actor)]
    if _may_hand_off(case, wf, actor):
        found.append(Option(HAND_OFF, case.state, handoff_label(HAND_OFF), handoff_fields(wf, HAND_OFF)))
    return found


def _permitted_fields(wf: WorkflowDef, case: CaseFacts, actor: ActorFacts, name: str) -> list[FieldDef] | None:
    """The fields of ``name`` when ``actor`` may fire it now (as ``options`` would list it)."""
    if case.pending is not None:
        if (name in (ACCEPT_HANDOFF, RETURN_HANDOFF) and actor.agency_id == case.pending.to_agency.id
                and actor.roles & set(HANDOFF_ROLES)):
            return handoff_fields(wf, name)
        return None
    if name == HAND_OFF:
        return handoff_fields(wf, name) if _may_hand_off(case, wf, actor) else None
    t = wf.transitions.get(name)
    return t.fields if t is not None and _may_fire(case, wf, t, actor) else None


def refusal(wf: WorkflowDef, case: CaseFacts, actor: ActorFacts, name: str) -> Exception:
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
    if t is not None and on_side(actor, case, wf, t):
        reason = clock_problem(case, wf, t, actor) or (t.guard and GUARDS[t.guard](case))
        if reason:
            return InvalidInput(reason, {"transition": reason})
    if case.pending is not None:
        return InvalidInput(_("The case is waiting for the receiving agency to accept or return it."),
                            {"transition": _("a handoff is pending")})
    if name in _HANDOFF_TRANSITIONS and (wf.handoff is None or case.state not in wf.handoff.states):
        return InvalidInput(_("The case can no longer be handed off in this state."),
                            {"transition": _("not allowed in state %(state)s", state=case.state)})
    return Forbidden(_("Your role or agency may not do this."))


def effective_day(case: CaseFacts, effective_on: date | None, today: date) -> date:
    """The day a step counts from: today unless given, never ahead, never before the last event."""
    day = effective_on or today
    if day > today:
        raise InvalidInput(_("The effective date cannot be in the future."),
                           {"effective_on": _("cannot be after %(today)s", today=today.isoformat())})
    latest = case.last_event_on
    if latest is not None and day < latest:
        raise InvalidInput(_("The effective date cannot be before the previous event."),
                           {"effective_on": _("cannot be before %(day)s", day=latest.isoformat())})
    return day


# --- deciding ----------------------------------------------------------------------------------


def decide(ctx: Context, case: CaseFacts, actor: ActorFacts, name: str, data: dict, day: date) -> Decision:
    """What firing ``name`` on ``case`` does, or raise the refusal. ``day`` is the effective
    date (``effective_day``); ``data`` is cleaned by ``ctx.clean`` once the step is allowed."""
    wf = ctx.workflows[case.workflow]
    fields = _permitted_fields(wf, case, actor, name)
    if fields is None:
        raise refusal(wf, case, actor, name)
    cleaned = ctx.clean(fields, data or {})
    if name in _HANDOFF_TRANSITIONS:
        return _handoff(ctx, wf, case, actor, name, cleaned, day)
    return _fire(ctx, wf, case, actor, name, cleaned, day, None)


def effect(ctx: Context, case: CaseFacts, actor: ActorFacts, transition: str, day: date,
           caused_by) -> Decision:
    """A linked case's system transition fired by another case's step (police filing moves the
    administrative case...). The loader proved it receivable in every state the case can be in
    (``loader.check_effects``); a case in another state is a broken invariant, never skipped."""
    wf = ctx.workflows[case.workflow]
    if case.state not in wf.transitions[transition].from_:
        raise RuntimeError(f"effect {transition!r} from {caused_by} cannot be received by {case.workflow} "
                           f"case {case.number} in state {case.state!r}; the loader's effect proof is broken")
    return _fire(ctx, wf, case, actor, transition, {}, max(day, case.last_event_on), caused_by)


def registered(ctx: Context, wf: WorkflowDef, entry: EntryDef, owner_kind: str,
               received_on: date) -> tuple[dict, list[ClockState]]:
    """A case registered at ``entry``: its milestone dates and the clocks that run from receipt."""
    changes: dict = {}
    _milestone(changes, None, wf, entry.state, received_on)
    work = _Clocks([])
    for key in entry.clocks:
        _start_clock(ctx, work, owner_kind, _anchor_dates(received_on, changes.get("filed_on"), {}), key,
                     wf.clocks[key], received_on)
    return changes, work.items


def _milestone(changes: dict, case: CaseFacts | None, wf: WorkflowDef, state: str, day: date) -> None:
    """The first day the case entered a milestone state (filed, solved) stays on the case."""
    milestone = wf.states[state].milestone
    if milestone == "filed" and (case is None or case.filed_on is None):
        changes.setdefault("filed_on", day)
    elif milestone == "solved" and (case is None or case.solved_on is None):
        changes.setdefault("solved_on", day)


def _recorded(changes: dict, t: TransitionDef, cleaned: dict) -> None:
    """Values the statistics need are copied from the step's fields onto the case."""
    for f in t.fields:
        if f.sets is None or f.name not in cleaned:
            continue
        value = cleaned[f.name]
        if f.sets == "amount_involved":
            changes["amount_involved_fen"] = int((Decimal(value) * 100).to_integral_exact())
        elif f.sets == "fine":
            changes["fine_fen"] = int(Decimal(value) * 100)
        elif f.sets == "suspects_arrested":
            changes["suspects_arrested"] = value


def _event(kind: str, name: str, from_state: str | None, to_state: str, actor: ActorFacts, day: date,
           cleaned: dict) -> Event:
    return Event(kind, from_state, to_state, actor.id, actor.agency_id, day,
                 cleaned.get("reason") or cleaned.get("note"), {"transition": name, "fields": cleaned})


class _Clocks:
    """The case's clocks during a decision: a clock is copied before its first change."""

    def __init__(self, items: list[ClockState]):
        self.items, self._own = list(items), set()
        self.marks: list = []

    def open(self, keys=None, status: tuple[str, ...] = clocks.OPEN_STATUSES) -> list[ClockState]:
        """The clocks (copied, changeable) of ``keys`` (every key: None) in ``status``."""
        found = []
        for i, clock in enumerate(self.items):
            if clock.status in status and (keys is None or clock.key in keys):
                if i not in self._own:
                    self.items[i] = clock.copy()
                    self._own.add(i)
                found.append(self.items[i])
        return found

    def add(self, clock: ClockState) -> None:
        self._own.add(len(self.items))
        self.items.append(clock)


def _step_time(ctx: Context, day: date) -> datetime:
    """The moment a step on ``day`` happened, for clocks counted in hours: the time recorded
    with it, or now for a step today. A step on an earlier day must say when it happened."""
    moment = ctx.moment
    if moment.at is not None and moment.at.astimezone(CHINA_TZ).date() == day:
        return moment.at
    if moment.at is None and day == moment.today:
        return moment.now
    raise InvalidInput(_("This step starts or stops a period counted in hours: give the time it happened."),
                       {"effective_at": _("the date and time on %(day)s, China time", day=day.isoformat())})


def _stop(ctx: Context, clock: ClockState, day: date, status: str = "stopped") -> None:
    clocks.stop(clock, day, status, _step_time(ctx, day) if clock.unit == "hours" else None)


def _start(ctx: Context, work: _Clocks, key: str, definition: ClockDef, anchor: date) -> ClockState:
    """A running clock of the same key ends first (``clocks.start``)."""
    for running in work.open([key]):
        _stop(ctx, running, anchor, status="ended")
    moment = ctx.moment
    started_at = _step_time(ctx, anchor) if definition.unit == "hours" else None
    clock = clocks.start(key, definition, anchor, moment.calendar, moment.today, started_at)
    work.add(clock)
    return clock


def _start_clock(ctx: Context, work: _Clocks, owner_kind: str, recorded: dict, key: str,
                 definition: ClockDef, day: date) -> None:
    """Only for owners of the kinds named; from the date the definition anchors it on."""
    if definition.agency_kinds and owner_kind not in definition.agency_kinds:
        return
    _start(ctx, work, key, definition, _anchor_day(definition.anchor, day, recorded))


def _anchor_day(anchor: str, day: date, recorded: dict) -> date:
    """The day a clock counts from: the step's effective date, or a date recorded on the case
    (``received``, ``filed``) or in the step's fields (``field:NAME``); the step's date while the
    recorded one is missing."""
    if anchor == "transition":
        return day
    value = recorded.get(anchor)
    return date.fromisoformat(value) if isinstance(value, str) else value or day


def _anchor_dates(received_on: date, filed_on: date | None, cleaned: dict) -> dict:
    """The dates a clock may be anchored on, by anchor name."""
    return {"received": received_on, "filed": filed_on, **{f"field:{k}": v for k, v in cleaned.items()}}


def _as_text(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _clock_ops(ctx: Context, work: _Clocks, wf: WorkflowDef, case: CaseFacts, t: TransitionDef,
               actor: ActorFacts, cleaned: dict, day: date, filed_on: date | None) -> None:
    """Stop, pause, resume, extend, then start, as the transition declares."""
    ops, calendar, today = t.clocks, ctx.moment.calendar, ctx.moment.today
    recorded = _anchor_dates(case.received_on, filed_on, cleaned)
    for clock in work.open(ops.stop) if ops.stop else ():
        _stop(ctx, clock, day)
        clocks.recompute(clock, wf.clocks[clock.key], calendar, today)  # a pause it ended moves the date
    for clock in work.open(ops.pause, ("running",)) if ops.pause else ():
        work.marks.append(clocks.pause(clock, day))
        clocks.recompute(clock, wf.clocks[clock.key], calendar, today)
    for clock in work.open(ops.resume, ("paused",)) if ops.resume else ():
        clocks.resume(clock, day)
        clocks.recompute(clock, wf.clocks[clock.key], calendar, today)
    for clock in work.open(ops.extend, ("running",)) if ops.extend else ():
        step = clocks.next_extension(clock, wf.clocks[clock.key])
        if step is None or step.approver not in actor.roles:
            continue
        amount = cleaned.get("extension_amount", step.amount)
        if amount is None or (step.amount is not None and amount > step.amount) or amount <= 0:
            limit = step.amount or "—"
            raise InvalidInput(_("The extension must be between 1 and %(limit)s.", limit=limit),
                               {"extension_amount": _("from 1 to %(limit)s", limit=limit)})
        work.marks.append(clocks.extend(clock, step, amount, actor.id, step.approver, day))
        clocks.recompute(clock, wf.clocks[clock.key], calendar, today)
    for key in ops.start:
        condition = ops.when.get(key, {})
        if all(_as_text(cleaned.get(f)) == v for f, v in condition.items()):
            _start_clock(ctx, work, case.agency.kind, recorded, key, wf.clocks[key], day)


class _Access:
    """Other agencies' read access during a decision: an existing grant is raised to full,
    never lowered; the owner needs none."""

    def __init__(self, case: CaseFacts):
        self.owner, self.grants, self.changes = case.agency_id, dict(case.access), []

    def grant(self, agency_id: int, level: str, reason: str) -> None:
        if agency_id == self.owner:
            return
        grant = self.grants.get(agency_id)
        if grant is None:
            self.changes.append(AccessChange("add", agency_id, level, reason))
        elif level == "full":
            self.changes.append(AccessChange("raise", agency_id, level, reason))
        else:
            return
        self.grants[agency_id] = Grant(level, reason)

    def revoke(self, agency_id: int) -> None:
        if self.grants.pop(agency_id, None) is not None:
            self.changes.append(AccessChange("remove", agency_id))

    def move(self, to: AgencyFacts) -> None:
        """The receiver owns it now; the former owner keeps status access."""
        former, self.owner = self.owner, to.id
        self.revoke(to.id)
        self.grant(former, "status", "former_owner")


def _fire(ctx: Context, wf: WorkflowDef, case: CaseFacts, actor: ActorFacts, name: str, cleaned: dict, day: date,
          caused_by) -> Decision:
    t = wf.transitions[name]
    if caused_by is not None:
        cleaned = {**cleaned, "caused_by": caused_by}
    changes: dict = {}
    _milestone(changes, case, wf, t.to, day)
    _recorded(changes, t, cleaned)
    work = _Clocks(case.clocks)
    _clock_ops(ctx, work, wf, case, t, actor, cleaned, day, changes.get("filed_on") or case.filed_on)
    opening = _open_linked(ctx, case, t, actor, cleaned, day) if t.creates else None
    access, move = _Access(case), None
    if t.action:
        result = ACTIONS[t.action](case, actor, ctx.agencies)
        if result.assign_to is not None:
            changes["assigned_officer_id"] = result.assign_to
        if result.move_to is not None:
            move = Move(result.move_to, case.agency_id, None, day)
            changes["assigned_officer_id"] = None
            access.move(result.move_to)
        for agency, level, reason in result.grants:
            access.grant(agency.id, level, reason)
    if wf.is_final(t.to):
        changes["outcome"], changes["closed_on"] = t.outcome or t.to, day
        for clock in work.open():
            _stop(ctx, clock, day, status="ended")
            clocks.recompute(clock, clock_definition(wf, clock.key), ctx.moment.calendar, ctx.moment.today)
    return Decision(name, case.state, t.to, case.version + 1, _event("transition", name, case.state, t.to, actor,
                                                                       day, cleaned),
                    changes, work.items, work.marks, opening=opening, move=move, access=access.changes,
                    effects=list(t.effects), caused_by=caused_by)


def _open_linked(ctx: Context, case: CaseFacts, t: TransitionDef, actor: ActorFacts, cleaned: dict,
                 day: date) -> Opening:
    link = t.creates
    target = ctx.workflows[link.workflow]
    if link.owner == "self":
        owner = case.agency
    elif link.owner == "field":
        owner = ctx.agencies.by_code.get(cleaned[link.owner_field])
        if owner is None:
            raise InvalidInput(_("Unknown agency."), {link.owner_field: _("no agency has the code %(code)s",
                                                                            code=cleaned[link.owner_field])})
    else:
        owner = ctx.agencies.at(case.agency.region_code, link.owner_kind)
        if owner is None:
            raise InvalidInput(_("No agency of the needed kind at this level."))
    state = link.state or target.initial_state
    values = {"workflow": target.key, "workflow_version": target.version, "state": state, "title": case.title,
              "ip_type": case.ip_type, "source": link.source, "region": case.region, "received_on": day,
              "is_confidential": case.is_confidential, "amount_involved_fen": case.amount_involved_fen,
              "origin_agency_id": case.agency_id,
              "assigned_officer_id": actor.id if owner.id == actor.agency_id else None, "created_by_id": actor.id}
    _milestone(values, None, target, state, day)
    event = Event("registered", None, state, actor.id, actor.agency_id, day, cleaned.get("reason"),
                  {"opened_by": case.number, "relation": link.relation})
    entry_def = next((e for e in target.entries if e.state == state), None)
    work = _Clocks([])
    for key in [*(entry_def.clocks if entry_def else ()), *link.clocks]:
        _start_clock(ctx, work, owner.kind, _anchor_dates(day, values.get("filed_on"), cleaned), key,
                     target.clocks[key], day)
    return Opening(target, link.relation, owner, event, values, work.items)


def _handoff(ctx: Context, wf: WorkflowDef, case: CaseFacts, actor: ActorFacts, name: str, cleaned: dict,
             day: date) -> Decision:
    """Send a case to another agency, or, as the receiver, accept it (it becomes theirs, with a
    number in their series) or return it (DOMAIN §3.7)."""
    receipt = clock_definition(wf, HANDOFF_CLOCK)
    work, access, changes = _Clocks(case.clocks), _Access(case), {}
    if name == HAND_OFF:
        receiver = ctx.agencies.by_code.get(cleaned["receiving_agency"])
        if receiver is None or receiver.kind not in wf.handoff_receivers or receiver.id == case.agency_id:
            raise InvalidInput(_("Pick another agency that handles this kind of case."),
                               {"receiving_agency": _("an agency of kind %(kinds)s other than your own",
                                                      kinds=", ".join(wf.handoff_receivers))})
        clock = _start(ctx, work, HANDOFF_CLOCK, receipt, day)
        access.grant(receiver.id, "full", "handoff")
        event = _event("handoff_sent", name, case.state, case.state, actor, day,
                       {**cleaned, "receiving_agency": receiver.code})
        change, move = HandoffChange("send", receiver, cleaned["reason"], cleaned["materials"], clock), None
    else:
        for clock in work.open([HANDOFF_CLOCK]):
            clocks.stop(clock, day)
            clocks.recompute(clock, receipt, ctx.moment.calendar, ctx.moment.today)
        receiver, move = case.pending.to_agency, None
        if name == RETURN_HANDOFF:
            access.revoke(receiver.id)
            event = _event("handoff_returned", name, case.state, case.state, actor, day, cleaned)
            change = HandoffChange("return", reason=cleaned["reason"])
        else:
            move = Move(receiver, case.agency_id, actor.id, day)
            changes["assigned_officer_id"] = actor.id
            access.move(receiver)
            for key in wf.handoff.restart_clocks:
                if clocks.open_clocks(work.items, key):
                    _start(ctx, work, key, wf.clocks[key], day)
            event = _event("handoff_accepted", name, case.state, case.state, actor, day,
                           {**cleaned, "old_number": case.number})
            change = HandoffChange("accept")
    return Decision(name, case.state, case.state, case.version + 1, event, changes, work.items, work.marks,
                    move=move, access=access.changes, handoff=change)
