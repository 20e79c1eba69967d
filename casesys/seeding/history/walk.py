"""The history shell around the decision core: stories walked step by step, offline.

``Walker`` registers each story's case and fires its steps through ``casesys.workflows.decide``,
the same core ``engine.apply_transition`` asks; it keeps the answers on light drafts (no ORM, no
query) that ``rows`` turns into rows for bulk insert. What is left here is what a story needs
and a request does not: choosing who acts, numbering in date order once a batch is walked,
and checking a story against the registration form. A step the definition does not allow
raises ``WalkError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import text

from casesys.cases.identifiers import uscc_problem
from casesys.cases.models import Case
from casesys.core.errors import DomainError
from casesys.core.types import CHINA_TZ, today_in_china, utcnow
from casesys.extensions import db
from casesys.seeding.history.stories import ROLE_ORDER, Actor, AgencyRef, CaseSpec, Number, Story, WalkError
from casesys.workcalendar import WorkingCalendar, load_calendar
from casesys.workflows import decide, fields
from casesys.workflows.definitions import FieldDef, TransitionDef, WorkflowDef
from casesys.workflows.values import Agencies, Context, Decision, Event, Moment, Opening


class HandoffDraft:
    """A handoff; ``clock`` is the index of its receipt clock among the case's clocks (a clock
    the core changes later is a new object in the same place)."""

    __slots__ = ("case", "from_agency", "to_agency", "status", "reason", "materials", "sent_by_id", "sent_on",
                 "decided_by_id", "decided_on", "return_reason", "old_number", "new_number", "clock")

    def __init__(self, case, from_agency, to_agency, reason, materials, sent_by_id, sent_on, old_number, clock):
        self.case, self.from_agency, self.to_agency, self.status = case, from_agency, to_agency, "pending"
        self.reason, self.materials, self.sent_by_id, self.sent_on = reason, materials, sent_by_id, sent_on
        self.decided_by_id = self.decided_on = self.return_reason = self.new_number = None
        self.old_number, self.clock = old_number, clock


@dataclass(slots=True)
class AccessDraft:
    agency_id: int
    level: str
    reason: str
    day: date


@dataclass(slots=True)
class LinkDraft:
    parent: CaseDraft
    child: CaseDraft
    relation: str
    day: date


@dataclass(slots=True)
class FormerNumberDraft:
    number: Number
    agency_id: int
    replaced_on: date


class CaseDraft:
    """A case being walked: the columns of ``Case`` and what the decision core reads (``CaseFacts``)."""

    __slots__ = ("id", "order", "number", "agency", "agency_id", "workflow", "workflow_version", "state", "version",
                 "title", "ip_type", "source", "region", "received_on", "amount_involved_fen", "is_confidential",
                 "assigned_officer_id", "origin_agency_id", "outcome", "closed_on", "filed_on", "solved_on",
                 "suspects_arrested", "fine_fen", "created_by_id", "parties", "events", "clocks", "access",
                 "former_numbers", "parent_links", "child_links", "pending")

    amount_involved = Case.amount_involved  # the same exact yuan <-> fen property

    def __init__(self, order: int):
        self.id, self.order = None, order
        self.amount_involved_fen = self.outcome = self.closed_on = self.filed_on = self.solved_on = None
        self.suspects_arrested = self.fine_fen = self.origin_agency_id = self.assigned_officer_id = self.pending = None
        self.version = 1
        self.parties, self.events, self.clocks, self.former_numbers = [], [], [], []
        self.parent_links, self.child_links, self.access = [], [], {}

    @property
    def region_code(self) -> str:
        return self.region.code

    # what the decision core reads beside the columns (``values.CaseFacts``)

    @property
    def party_roles(self) -> frozenset[str]:
        return frozenset(p.role for p in self.parties)

    @property
    def open_children(self) -> list:
        return [link.child.number for link in self.child_links if link.child.closed_on is None]

    @property
    def last_event_on(self) -> date:
        return self.events[-1].effective_on  # appended in date order




class Users:
    """The history accounts, one per agency and role, given ids as they are first needed."""

    def __init__(self, ids: Ids, existing: dict[str, int] | None = None):
        self.ids, self.by_key, self.new = ids, {}, []
        self.existing = existing or {}

    def get(self, agency: AgencyRef, role: str) -> Actor:
        actor = self.by_key.get((agency.id, role))
        if actor is None:
            actor = Actor(None, agency, role)
            actor.id = self.existing.get(actor.username)
            if actor.id is None:
                actor.id = self.ids.next("users")
                self.new.append(actor)
            self.by_key[agency.id, role] = actor
        return actor


class Ids:
    """Row ids after each table's current maximum."""

    TABLES = ("users", "cases", "parties", "case_events", "case_clocks", "clock_pauses", "clock_extensions",
              "case_links", "case_access", "handoffs", "case_former_numbers", "inspection_records")

    def __init__(self, last: dict[str, int]):
        self.last = {table: last.get(table, 0) for table in self.TABLES}

    @classmethod
    def from_database(cls) -> Ids:
        return cls({t: db.session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {t}")) for t in cls.TABLES})

    def next(self, table: str) -> int:
        self.last[table] += 1
        return self.last[table]


class MemoCalendar(WorkingCalendar):
    """The same calendar, remembering its answers, and counting long spans by weeks: a walk asks
    the same questions many thousand times (an open pause counts working days up to today)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "_memo", {})

    @classmethod
    def of(cls, calendar: WorkingCalendar) -> MemoCalendar:
        return calendar if isinstance(calendar, cls) else cls(calendar.exceptions, calendar.confirmed_years)

    def add_working_days(self, start: date, n: int) -> date:
        key = ("+", start, n)
        day = self._memo.get(key)
        if day is None:
            if n <= 20:
                day = WorkingCalendar.add_working_days(self, start, n)
            else:  # the n-th working day after start: guess by weeks, then walk to it
                day = start + timedelta(days=n * 7 // 5)
                count = self.working_days_between(start, day)
                while count < n:
                    day += timedelta(days=1)
                    count += self.is_working_day(day)
                while count > n or not self.is_working_day(day):
                    count -= self.is_working_day(day)
                    day -= timedelta(days=1)
            self._memo[key] = day
        return day

    def subtract_working_days(self, end: date, n: int) -> date:
        key = ("-", end, n)
        day = self._memo.get(key)
        if day is None:
            day = self._memo[key] = WorkingCalendar.subtract_working_days(self, end, n)
        return day

    def next_working_day(self, day: date) -> date:
        key = ("next", day)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = WorkingCalendar.next_working_day(self, day)
        return found

    def confirmed_between(self, first: date, last: date) -> bool:
        key = ("confirmed", first.year, last.year)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = WorkingCalendar.confirmed_between(self, first, last)
        return found


class Walker:
    """Replays stories offline through the decision core (see the module docstring)."""

    def __init__(self, workflows: dict[str, WorkflowDef], agencies: dict[str, AgencyRef], users: Users, ids: Ids,
                 calendar: WorkingCalendar | None = None):
        self.workflows, self.agencies, self.users, self.ids = workflows, agencies, users, ids
        self.agency_by_id = {a.id: a for a in agencies.values()}
        self.calendar, self.today = MemoCalendar.of(calendar or load_calendar()), today_in_china()
        self.context = Context(workflows, Moment(self.today, utcnow(), self.calendar), Agencies(agencies.values()),
                               self._clean)
        self.cases: list[CaseDraft] = []
        self.numbers: list[Number] = []
        self.links: list[LinkDraft] = []
        self.handoffs: list[HandoffDraft] = []
        self._order = 0
        self._actors: dict = {}
        self._cleaned: dict = {}
        self._contexts: dict[date, Context] = {}
        self._usccs: set[str] = set()

    # -- stories

    def walk(self, story: Story) -> CaseDraft:
        root = self.register(story.spec)
        for step in story.steps:
            case = root
            for relation in step.on:
                children = [link.child for link in case.child_links if link.relation == relation]
                if not children:
                    raise WalkError(f"{root.title}: no {relation} case to fire {step.name} on")
                case = children[-1]
            try:
                self.apply(case, step.name, step.day, step.fields, role=step.role)
            except WalkError as exc:
                raise WalkError(f"{case.workflow} case {case.title!r} ({case.state}), step {step.name} on "
                                f"{step.day}: {exc}") from None
        return root

    def register(self, spec: CaseSpec) -> CaseDraft:
        """``register_case`` (the number year is the received year, not today's)."""
        wf = self.workflows[spec.workflow]
        entry = next((e for e in wf.entries if spec.state in (None, e.state) and spec.agency.kind in e.agency_kinds),
                     None)
        if entry is None:
            raise WalkError(f"{spec.agency.code} cannot open a {spec.workflow} case in {spec.state}")
        if spec.received_on > self.today:
            raise WalkError("received in the future")
        if not spec.region.path.startswith(spec.agency.region.path):
            raise WalkError(f"region {spec.region.code} is outside {spec.agency.code}'s area")
        for party in spec.parties:  # what CaseIn checks of a party
            if party.uscc is not None and party.uscc not in self._usccs:
                if party.kind != "organisation" or uscc_problem(party.uscc):
                    raise WalkError(f"{party.name}: not a valid USCC for an organisation: {party.uscc}")
                self._usccs.add(party.uscc)
        actor = self._actor(spec.agency, entry.roles)
        case = self._new_case(spec.agency, spec.received_on)
        case.workflow, case.workflow_version, case.state = wf.key, wf.version, entry.state
        case.title, case.ip_type, case.source, case.region = spec.title, spec.ip_type, spec.source, spec.region
        case.received_on, case.amount_involved_fen = spec.received_on, spec.amount_fen
        case.is_confidential = spec.ip_type == "trade_secret"
        case.assigned_officer_id = case.created_by_id = actor.id
        case.parties = list(spec.parties)
        case.events.append(Event("registered", None, case.state, actor.id, spec.agency.id, spec.received_on, None, {},
                                 self.ids.next("case_events")))
        changes, case.clocks = decide.registered(self.context, wf, entry, spec.agency.kind, spec.received_on)
        for column, value in changes.items():
            setattr(case, column, value)
        return case

    def apply(self, case: CaseDraft, name: str, day: date, data: dict | None = None, *, role: str | None = None):
        """``engine.apply_transition``, without a database: who acts is the story's choice."""
        try:
            day = decide.effective_day(case, day, self.today)
            actor = self._who(case, name, role)
            context = self._on(day)
            decision = decide.decide(context, case, actor, name, data or {}, day)
        except DomainError as exc:  # the core's refusals (not allowed in this state, an extension too long...)
            raise WalkError(f"{exc.message} {exc.fields}") from None
        self._write(case, decision, actor, context)

    def _who(self, case: CaseDraft, name: str, role: str | None) -> Actor:
        """The account that fires ``name``: of the side's agency, in the first role allowed."""
        if name in decide.HANDOFF_TRANSITION_NAMES:
            if name != decide.HAND_OFF and case.pending is None:
                raise WalkError("no handoff is pending")
            agency = case.agency if name == decide.HAND_OFF else case.pending.to_agency
            return self._actor(agency, decide.HANDOFF_ROLES, role)
        t = self.workflows[case.workflow].transitions.get(name)
        if t is None or t.system:
            raise WalkError(f"{case.workflow} has no transition {name} that a user may fire")
        return self._actor(self._side_agency(case, t), t.roles, role)

    # -- the core's answer onto the drafts

    def _on(self, day: date) -> Context:
        """The context of a step on ``day``: it happened at 09:00 China time (hour clocks count from it)."""
        context = self._contexts.get(day)
        if context is None:
            moment = replace(self.context.moment, at=datetime.combine(day, time(9), CHINA_TZ))
            context = self._contexts[day] = replace(self.context, moment=moment)
        return context

    def _write(self, case: CaseDraft, d: Decision, actor: Actor, context: Context) -> None:
        case.version, case.state = d.version, d.state
        event, day = d.event, d.event.effective_on
        event.id = self.ids.next("case_events")
        case.events.append(event)
        for mark in d.marks:
            mark.event_id = event.id
        for column, value in d.changes.items():
            setattr(case, column, value)
        case.clocks = d.clocks
        if d.opening is not None:
            self._open(case, d.opening)
        if d.move is not None:
            case.former_numbers.append(FormerNumberDraft(case.number, case.agency_id, d.move.on))
            case.number = self._number(d.move.to, d.move.on)
            case.agency, case.agency_id = d.move.to, d.move.to.id
        for change in d.access:
            if change.op == "add":
                case.access[change.agency_id] = AccessDraft(change.agency_id, change.level, change.reason, day)
            elif change.op == "raise":
                grant = case.access[change.agency_id]
                grant.level, grant.reason = change.level, change.reason
            else:
                del case.access[change.agency_id]
        if d.handoff is not None:
            self._handoff(case, d)
        for effect in d.effects:
            links = case.parent_links if effect.target == "parent" else case.child_links
            for link in [link for link in links if link.relation == effect.relation]:
                other = link.parent if effect.target == "parent" else link.child
                answer = decide.effect(context, other, actor, effect.transition, day, case.number)
                self._write(other, answer, actor, context)

    def _open(self, parent: CaseDraft, opening: Opening) -> None:
        child = self._new_case(opening.owner, opening.event.effective_on)
        for column, value in opening.values.items():
            setattr(child, column, value)
        child.parties = list(parent.parties)
        opening.event.id = self.ids.next("case_events")
        child.events.append(opening.event)
        child.clocks = opening.clocks
        link = LinkDraft(parent, child, opening.relation, opening.event.effective_on)
        parent.child_links.append(link)
        child.parent_links.append(link)
        self.links.append(link)

    def _handoff(self, case: CaseDraft, d: Decision) -> None:
        change, event = d.handoff, d.event
        if change.op == "send":
            case.pending = HandoffDraft(case, case.agency, change.to, change.reason, change.materials, event.actor_id,
                                        event.effective_on, case.number,
                                        next(i for i, c in enumerate(d.clocks) if c is change.clock))
            self.handoffs.append(case.pending)
            return
        handoff, case.pending = case.pending, None
        handoff.decided_by_id, handoff.decided_on = event.actor_id, event.effective_on
        if change.op == "return":
            handoff.status, handoff.return_reason = "returned", change.reason
        else:
            handoff.status, handoff.new_number = "accepted", case.number

    # -- helpers

    def _new_case(self, agency: AgencyRef, day: date) -> CaseDraft:
        self._order += 1
        case = CaseDraft(self._order)
        case.agency, case.agency_id, case.number = agency, agency.id, self._number(agency, day)
        self.cases.append(case)
        return case

    def _number(self, agency: AgencyRef, day: date) -> Number:
        number = Number(agency, day.year, day, len(self.numbers))
        self.numbers.append(number)
        return number

    def _side_agency(self, case: CaseDraft, t: TransitionDef) -> AgencyRef:
        if t.side == "owner":
            return case.agency
        if t.side == "origin":
            if case.origin_agency_id is None:
                raise WalkError("the case has no origin agency")
            return self.agency_by_id[case.origin_agency_id]
        kinds = t.agency_kinds or ()
        for kind in kinds:  # "region": the agency of that kind at the owner's level
            agency = self.agencies.get(f"{case.agency.region_code}-{kind}")
            if agency is not None:
                return agency
        raise WalkError(f"no agency of kind {kinds} at {case.agency.region_code}")

    def _actor(self, agency: AgencyRef, roles: Iterable[str], role: str | None = None) -> Actor:
        key = (agency.id, tuple(roles), role)
        actor = self._actors.get(key)
        if actor is None:
            allowed = set(roles)
            if role is None:
                preferred = ("mediator", *ROLE_ORDER) if agency.kind == "mediation_org" else ROLE_ORDER
                role = next((r for r in preferred if r in allowed), None)
            if role is None or role not in allowed:
                raise WalkError(f"no role among {sorted(allowed)} for {agency.code}")
            actor = self._actors[key] = self.users.get(agency, role)
        return actor

    def _clean(self, defs: list[FieldDef], data: dict) -> dict:
        """``fields.clean``; agency fields are looked up among the loaded agencies, not queried.
        The same values for the same form (a definition's list, kept for the process) are cleaned once."""
        key = (id(defs), tuple(data.items()))
        cleaned = self._cleaned.get(key)
        if cleaned is None:
            if len(self._cleaned) > 200_000:
                self._cleaned.clear()
            cleaned = self._cleaned[key] = self._clean_now(defs, data)
        return dict(cleaned)

    def _clean_now(self, defs: list[FieldDef], data: dict) -> dict:
        agency_fields = {f.name: f for f in defs if f.type == "agency"}
        cleaned, errors = fields.clean([f for f in defs if f.type != "agency"],
                                       {k: v for k, v in data.items() if k not in agency_fields})
        for name, f in agency_fields.items():
            agency = self.agencies.get(data.get(name)) if isinstance(data.get(name), str) else None
            if agency is None or (f.agency_kind and agency.kind != f.agency_kind):
                if f.required or data.get(name) is not None:
                    errors[name] = "not an agency of the right kind"
                continue
            cleaned[name] = agency.code
        if errors:
            raise WalkError(f"fields: {errors}")
        return {f.name: cleaned[f.name] for f in defs if f.name in cleaned}

    # -- after the walk

    def assign_numbers(self, counters: dict[tuple[int, int], int]) -> None:
        """Each agency's series per year in date order, after the numbers already issued."""
        for number in sorted(self.numbers, key=lambda n: (n.agency.id, n.year, n.day, n.order)):
            key = (number.agency.id, number.year)
            counters[key] = counters.get(key, 0) + 1
            number.seq = counters[key]
            number.text = f"{number.agency.region_code}-{number.agency.number_code}-{number.year}-{number.seq:05d}"

    def reset(self) -> None:
        """Forget the walked cases (the benchmark's next chunk); ids, users and counters go on.
        The cycles between cases and their links are broken, so no collector pass is needed."""
        for case in self.cases:
            case.parent_links = case.child_links = case.pending = None
        self.cases, self.numbers, self.links, self.handoffs = [], [], [], []


