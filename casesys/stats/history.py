"""``flask seed history``: a deterministic, realistic 2016–2020 dataset (DOMAIN §5), and the
generator behind the 1,000,000-case benchmark (``benchmarks/stats_dataset.py``).

1. *Stories.* ``Planner`` writes each case's life as data: its registration (``CaseSpec``) and
   the steps taken since (``Step``: transition, date, fields, and on which linked case), by the
   workflow files. ``plan_history`` fixes the counts the plan's figures need (``TARGETS``);
   ``generate_cases`` is a random mix for the benchmark.
2. *Walking.* ``Walker`` replays each story offline as ``engine.apply_transition`` would: the
   same checks (``engine._on_side``, ``engine._clock_problem``, state, guards, ``fields.clean``),
   history events, milestones (``engine.record_milestone``), recorded values
   (``engine._copy_recorded_values``), clock operations (the engine's sequence of calls to
   ``casesys.workflows.clocks``, on light ``ClockDraft`` rows), linked cases, effects, handoffs
   and ownership moves. A step the definition does not allow raises ``WalkError``. It writes
   nothing and sends no query; ``tests/test_stats_history.py`` checks that it ends where the
   engine ends.
3. *Rows.* Walked cases become plain rows: ids after the tables' current maximum (case ids in
   order of receipt), case numbers per agency and year in date order without gaps, dates and
   times derived from the effective dates (two loads give identical rows). They are inserted in
   the caller's transaction: COPY on PostgreSQL, executemany on SQLite.
"""

from __future__ import annotations

import gc
import json
import math
import queue
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate

from sqlalchemy import func, select, text

from casesys.agencies.models import AGENCY_KINDS, Agency, Region
from casesys.agencies.reference import PREFECTURES
from casesys.auth.models import User
from casesys.cases.identifiers import uscc_check_character, uscc_problem
from casesys.cases.models import Case, CaseNumberCounter
from casesys.core.errors import DomainError
from casesys.core.types import CHINA_TZ, today_in_china, utcnow
from casesys.extensions import db
from casesys.workcalendar import WorkingCalendar, load_calendar
from casesys.workflows import clocks, engine, fields
from casesys.workflows.definitions import ClockDef, FieldDef, TransitionDef, WorkflowDef
from casesys.workflows.loader import HANDOFF_CLOCK

SEED = 20161231
PERIOD = (date(2016, 1, 1), date(2020, 12, 31))
LIMIT = date(2021, 6, 30)  # nothing in the history happens later: every case is final by then
YEARS = (2016, 2017, 2018, 2019, 2020)
USERNAME_PREFIX = "history."
UNUSABLE_PASSWORD = "!history-account: no password, cannot log in"

# DOMAIN §5, 2016-01-01..2020-12-31, whole province.
TARGETS = {
    "market_regulation.unfair_competition_cases": 609,
    "copyright.inspected_units": 34759,
    "copyright.cases": 36,
    "agriculture.seed_violation_cases": 1536,
    "court.civil_first_instance.accepted": 5071,
    "court.civil_first_instance.concluded": 5015,
    "court.civil_first_instance.mediated_or_withdrawn": 3476,  # 69.31 % of the concluded
    "public_security.criminal_cases_solved": 636,
    "public_security.suspects_arrested": 857,
    "public_security.amount_involved_fen": 253_641_872_350,  # 2,536,418,723.50 yuan: 25亿余元
}
CONCLUDED_CIVIL = ("judgment", "mediated", "withdrawn", "dismissed")

ROLE_ORDER = ("officer", "mediator", "agency_head")  # who fires a step when several roles may
ROLE_LABELS = {"officer": ("officer", "承办人"), "agency_head": ("head", "负责人"), "mediator": ("mediator", "调解员")}


class WalkError(Exception):
    """A step the workflow definition does not allow (or the story is inconsistent)."""


class HistoryError(Exception):
    """The database cannot take the history (reference data missing...)."""


# --- stand-ins for rows, light enough for a million cases ------------------------------------


class RegionRef:
    __slots__ = ("code", "path")

    def __init__(self, code: str, path: str):
        self.code, self.path = code, path


class AgencyRef:
    __slots__ = ("id", "code", "kind", "region_code", "region", "name_zh", "number_code")

    def __init__(self, id, code, kind, region_code, region, name_zh):
        self.id, self.code, self.kind, self.region_code = id, code, kind, region_code
        self.region, self.name_zh, self.number_code = region, name_zh, AGENCY_KINDS[kind][1]


class Actor:
    """A history account: what ``engine._on_side`` and ``engine._clock_problem`` read of a user."""

    __slots__ = ("id", "username", "display_name", "agency", "agency_id", "roles", "role")

    def __init__(self, id, agency: AgencyRef, role: str):
        short, label = ROLE_LABELS[role]
        self.id, self.agency, self.agency_id, self.role, self.roles = id, agency, agency.id, role, {role}
        self.username = f"{USERNAME_PREFIX}{agency.code}.{short}"
        self.display_name = f"{agency.name_zh}{label}（历史数据）"


class Number:
    """A case number, given its sequence once every number of the batch is known (date order)."""

    __slots__ = ("agency", "year", "day", "order", "seq", "text")

    def __init__(self, agency: AgencyRef, year: int, day: date, order: int):
        self.agency, self.year, self.day, self.order, self.seq, self.text = agency, year, day, order, None, None

    def __str__(self) -> str:
        return self.text or f"<unnumbered {self.agency.code} {self.year}>"


class EventDraft:
    __slots__ = ("id", "kind", "from_state", "to_state", "actor_id", "agency_id", "effective_on", "note", "data")

    def __init__(self, id, kind, from_state, to_state, actor_id, agency_id, effective_on, note, data):
        self.id, self.kind, self.from_state, self.to_state = id, kind, from_state, to_state
        self.actor_id, self.agency_id, self.effective_on, self.note, self.data = (actor_id, agency_id, effective_on,
                                                                                  note, data)


class HandoffDraft:
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
    """A case being walked: the attributes of ``Case`` the engine functions read and write."""

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


@dataclass(slots=True)
class PartySpec:
    role: str
    kind: str
    name: str
    uscc: str | None = None
    id_number: str | None = None


@dataclass(slots=True)
class CaseSpec:
    workflow: str
    agency: AgencyRef
    ip_type: str
    source: str
    region: RegionRef
    received_on: date
    title: str
    parties: list[PartySpec]
    amount_fen: int | None = None
    state: str | None = None  # the entry state (default: the first entry open to the agency)


@dataclass(slots=True)
class Step:
    name: str
    day: date
    fields: dict = field(default_factory=dict)
    on: tuple[str, ...] = ()  # relations from the story's first case to the case this step is on
    role: str | None = None  # who fires it (default: the first of ROLE_ORDER the transition allows)


@dataclass(slots=True)
class Story:
    spec: CaseSpec
    steps: list[Step]


# --- the walker ------------------------------------------------------------------------------


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


class ClockDraft:
    """A ``CaseClock`` as the functions of ``casesys.workflows.clocks`` read and write it,
    without the ORM's bookkeeping (a million cases have some four million clocks)."""

    __slots__ = ("id", "key", "status", "started_on", "started_at", "duration", "unit", "due_on", "strict_due_on",
                 "due_at", "calendar_unconfirmed", "stopped_on", "next_reminder_on", "pauses", "extensions")

    def __init__(self, key: str, started_on: date, started_at: datetime | None, duration: int, unit: str):
        self.id, self.key, self.status, self.started_on, self.started_at = None, key, "running", started_on, started_at
        self.duration, self.unit, self.due_at, self.calendar_unconfirmed = duration, unit, None, False
        self.due_on = self.strict_due_on = self.stopped_on = self.next_reminder_on = None
        self.pauses, self.extensions = [], []


class Walker:
    """Replays stories offline, step by step, as the engine would (see the module docstring)."""

    def __init__(self, workflows: dict[str, WorkflowDef], agencies: dict[str, AgencyRef], users: Users, ids: Ids,
                 calendar: WorkingCalendar | None = None):
        self.workflows, self.agencies, self.users, self.ids = workflows, agencies, users, ids
        self.agency_by_id = {a.id: a for a in agencies.values()}
        self.calendar, self.today = MemoCalendar.of(calendar or load_calendar()), today_in_china()
        self.cases: list[CaseDraft] = []
        self.numbers: list[Number] = []
        self.links: list[LinkDraft] = []
        self.handoffs: list[HandoffDraft] = []
        self._order = 0
        self._actors: dict = {}
        self._cleaned: dict = {}
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
        """``cases.services.register_case`` (the number year is the received year, not today's)."""
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
        case.events.append(EventDraft(self.ids.next("case_events"), "registered", None, case.state, actor.id,
                                      spec.agency.id, spec.received_on, None, {}))
        # engine.start_entry_clocks
        engine.record_milestone(case, wf, case.received_on)
        for key in entry.clocks:
            self._start_clock(case, key, wf.clocks[key], case.received_on)
        return case

    def apply(self, case: CaseDraft, name: str, day: date, data: dict | None = None, *, role: str | None = None):
        """``engine.apply_transition``, without a database."""
        wf = self.workflows[case.workflow]
        if day > self.today:
            raise WalkError("effective date in the future")
        latest = case.events[-1].effective_on  # events are appended in date order (effects use the max)
        if day < latest:
            raise WalkError(f"effective date before the previous event ({latest})")
        if name in engine.HANDOFF_TRANSITION_NAMES:
            self._handoff(case, wf, name, day, data or {}, role)
            return
        if case.pending is not None:
            raise WalkError("a handoff is pending")
        t = wf.transitions.get(name)
        if t is None or t.system:
            raise WalkError(f"{wf.key} has no transition {name} that a user may fire")
        if case.state not in t.from_:
            raise WalkError(f"{name} is not allowed in state {case.state}")
        actor = self._actor(self._side_agency(case, t), t.roles, role)
        if not engine._on_side(actor, case, wf, t):
            raise WalkError(f"{actor.username} may not fire {name}")
        if engine._clock_problem(case, wf, t, actor):
            raise WalkError(f"the clocks do not allow {name}")
        if t.guard:
            self._check_guard(t.guard, case)
        cleaned = self._clean(t.fields, data or {}, (wf.key, name))
        case.version += 1
        try:
            self._fire(actor, case, wf, name, cleaned, day)
        except DomainError as exc:  # the engine's own refusals (an extension too long...)
            raise WalkError(f"{exc.message} {exc.fields}") from None

    # -- the engine's _fire and what it calls

    def _fire(self, actor: Actor, case: CaseDraft, wf: WorkflowDef, name: str, cleaned: dict, day: date,
              caused_by: CaseDraft | None = None) -> None:
        t = wf.transitions[name]
        from_state, case.state = case.state, t.to
        if caused_by is not None:
            cleaned = {**cleaned, "caused_by": caused_by.number}
        event = self._event(actor, case, "transition", name, from_state, cleaned, day)
        engine.record_milestone(case, wf, day)
        engine._copy_recorded_values(case, t, cleaned)
        self._run_clock_ops(actor, case, wf, t, cleaned, day, event)
        if t.creates:
            self._create_linked(actor, case, t, cleaned, day)
        if t.action:
            self._act(t.action, actor, case, day)
        if wf.is_final(case.state):
            case.outcome, case.closed_on = t.outcome or case.state, day
            for clock in clocks.open_clocks(case):
                clocks.stop(clock, day, status="ended")
                clocks.recompute(clock, engine.clock_definition(wf, clock.key), self.calendar, self.today)
        for effect in t.effects:
            links = case.parent_links if effect.target == "parent" else case.child_links
            for link in [link for link in links if link.relation == effect.relation]:
                other = link.parent if effect.target == "parent" else link.child
                other_wf = self.workflows[other.workflow]
                if other.state in other_wf.transitions[effect.transition].from_:
                    other.version += 1
                    self._fire(actor, other, other_wf, effect.transition, {},
                               max(day, other.events[-1].effective_on), caused_by=case)

    def _event(self, actor: Actor, case: CaseDraft, kind: str, name: str, from_state: str, cleaned: dict,
               day: date) -> EventDraft:
        event = EventDraft(self.ids.next("case_events"), kind, from_state, case.state, actor.id, actor.agency_id,
                           day, cleaned.get("reason") or cleaned.get("note"), {"transition": name, "fields": cleaned})
        case.events.append(event)
        return event

    def _create_linked(self, actor: Actor, case: CaseDraft, t: TransitionDef, cleaned: dict, day: date) -> None:
        link = t.creates
        target = self.workflows[link.workflow]
        if link.owner == "self":
            owner = case.agency
        elif link.owner == "field":
            owner = self.agencies[cleaned[link.owner_field]]
        else:
            owner = self.agencies.get(f"{case.agency.region_code}-{link.owner_kind}")
            if owner is None:
                raise WalkError(f"no {link.owner_kind} at {case.agency.region_code}")
        child = self._new_case(owner, day)
        child.workflow, child.workflow_version = target.key, target.version
        child.state = link.state or target.initial_state
        child.title, child.ip_type, child.source, child.region = case.title, case.ip_type, link.source, case.region
        child.received_on, child.is_confidential = day, case.is_confidential
        child.amount_involved_fen, child.origin_agency_id = case.amount_involved_fen, case.agency_id
        child.assigned_officer_id = actor.id if owner.id == actor.agency_id else None
        child.created_by_id = actor.id
        child.parties = list(case.parties)
        child.events.append(EventDraft(self.ids.next("case_events"), "registered", None, child.state, actor.id,
                                       actor.agency_id, day, cleaned.get("reason"),
                                       {"opened_by": case.number, "relation": link.relation}))
        engine.record_milestone(child, target, day)
        draft = LinkDraft(case, child, link.relation, day)
        case.child_links.append(draft)
        child.parent_links.append(draft)
        self.links.append(draft)
        entry = next((e for e in target.entries if e.state == child.state), None)
        for key in [*(entry.clocks if entry else ()), *link.clocks]:
            self._start_clock(child, key, target.clocks[key], day)

    def _act(self, action: str, actor: Actor, case: CaseDraft, day: date) -> None:
        """``casesys.workflows.registry.ACTIONS``."""
        if action == "assign_to_actor":
            if case.assigned_officer_id is None:
                case.assigned_officer_id = actor.id
        elif action == "transfer_to_police":
            police = self.agencies.get(f"{case.agency.region_code}-public_security")
            procuratorate = self.agencies.get(f"{case.agency.region_code}-procuratorate")
            if police is None or procuratorate is None:
                raise WalkError("no police or procuratorate at this level")
            self._move(case, police, day, None)
            self._grant(case, procuratorate, "full", "procuratorate_copy", day)
        else:
            raise WalkError(f"the walker does not know the action {action}")

    def _check_guard(self, guard: str, case: CaseDraft) -> None:
        """``casesys.workflows.registry.GUARDS``."""
        if guard == "has_respondent":
            if not any(p.role == "respondent" for p in case.parties):
                raise WalkError("no respondent")
        elif guard == "no_open_children":
            if any(link.child.closed_on is None for link in case.child_links):
                raise WalkError("a linked case is still open")
        else:
            raise WalkError(f"the walker does not know the guard {guard}")

    def _handoff(self, case: CaseDraft, wf: WorkflowDef, name: str, day: date, data: dict, role: str | None):
        """``engine._apply_handoff``."""
        receipt = engine.clock_definition(wf, HANDOFF_CLOCK)
        if name == engine.HAND_OFF:
            if case.pending is not None or wf.handoff is None or case.state not in wf.handoff.states:
                raise WalkError(f"cannot hand off in state {case.state}")
            actor = self._actor(case.agency, engine.HANDOFF_ROLES, role)
            cleaned = self._clean(engine.handoff_fields(wf, name), data, (wf.key, name))
            receiver = self.agencies[cleaned["receiving_agency"]]
            if receiver.kind not in wf.handoff_receivers or receiver.id == case.agency_id:
                raise WalkError(f"{receiver.code} cannot receive this case")
            case.version += 1
            clock = self._start(case, HANDOFF_CLOCK, receipt, day)
            handoff = HandoffDraft(case, case.agency, receiver, cleaned["reason"], cleaned["materials"], actor.id, day,
                                   case.number, clock)
            case.pending = handoff
            self.handoffs.append(handoff)
            self._grant(case, receiver, "full", "handoff", day)
            self._event(actor, case, "handoff_sent", name, case.state, {**cleaned, "receiving_agency": receiver.code},
                        day)
            return
        handoff = case.pending
        if handoff is None:
            raise WalkError("no handoff is pending")
        actor = self._actor(handoff.to_agency, engine.HANDOFF_ROLES, role)
        cleaned = self._clean(engine.handoff_fields(wf, name), data, (wf.key, name))
        case.version += 1
        for clock in clocks.open_clocks(case, HANDOFF_CLOCK):
            clocks.stop(clock, day)
            clocks.recompute(clock, receipt, self.calendar, self.today)
        handoff.decided_by_id, handoff.decided_on, case.pending = actor.id, day, None
        if name == engine.RETURN_HANDOFF:
            handoff.status, handoff.return_reason = "returned", cleaned["reason"]
            case.access.pop(handoff.to_agency.id, None)
            self._event(actor, case, "handoff_returned", name, case.state, cleaned, day)
            return
        old_number = self._move(case, handoff.to_agency, day, actor)
        handoff.status, handoff.new_number = "accepted", case.number
        for key in wf.handoff.restart_clocks:
            if clocks.open_clocks(case, key):
                self._start(case, key, wf.clocks[key], day)
        self._event(actor, case, "handoff_accepted", name, case.state, {**cleaned, "old_number": old_number}, day)

    # -- clocks: the engine's calls of casesys.workflows.clocks, on ClockDraft rows

    def _start(self, case: CaseDraft, key: str, definition: ClockDef, anchor: date) -> ClockDraft:
        """``clocks.start``: a running clock of the same key ends first."""
        for running in clocks.open_clocks(case, key):
            clocks.stop(running, anchor, status="ended")
        started_at = None
        if definition.unit == "hours":
            started_at = utcnow() if anchor == self.today else datetime.combine(anchor, time(), CHINA_TZ)
        clock = ClockDraft(key, anchor, started_at, definition.duration, definition.unit)
        case.clocks.append(clock)
        clocks.recompute(clock, definition, self.calendar, self.today)
        return clock

    def _start_clock(self, case: CaseDraft, key: str, definition: ClockDef, day: date) -> ClockDraft | None:
        """``engine._start_clock``: only for the owner kinds named, from the transition or receipt."""
        if definition.agency_kinds and case.agency.kind not in definition.agency_kinds:
            return None
        return self._start(case, key, definition, case.received_on if definition.anchor == "received" else day)

    def _run_clock_ops(self, actor: Actor, case: CaseDraft, wf: WorkflowDef, t: TransitionDef, cleaned: dict,
                       day: date, event: EventDraft) -> None:
        """``engine._run_clock_ops``: stop, pause, resume, extend, then start."""
        ops, calendar, today = t.clocks, self.calendar, self.today
        if not (ops.stop or ops.pause or ops.resume or ops.extend or ops.start):
            return
        for clock in [c for c in clocks.open_clocks(case) if c.key in ops.stop]:
            clocks.stop(clock, day)
            clocks.recompute(clock, wf.clocks[clock.key], calendar, today)
        for clock in [c for c in case.clocks if c.key in ops.pause and c.status == "running"]:
            clocks.pause(clock, day, event.id)
            clocks.recompute(clock, wf.clocks[clock.key], calendar, today)
        for clock in [c for c in case.clocks if c.key in ops.resume and c.status == "paused"]:
            clocks.resume(clock, day)
            clocks.recompute(clock, wf.clocks[clock.key], calendar, today)
        for clock in [c for c in case.clocks if c.key in ops.extend and c.status == "running"]:
            step = clocks.next_extension(clock, wf.clocks[clock.key])
            if step is None or step.approver not in actor.roles:
                continue
            amount = cleaned.get("extension_amount", step.amount)
            if amount is None or (step.amount is not None and amount > step.amount) or amount <= 0:
                raise WalkError(f"an extension of {amount} is not between 1 and {step.amount}")
            clocks.extend(clock, step, amount, actor, step.approver, day, event.id)
            clocks.recompute(clock, wf.clocks[clock.key], calendar, today)
        for key in ops.start:
            condition = ops.when.get(key, {})
            if all(engine._as_text(cleaned.get(f)) == v for f, v in condition.items()):
                self._start_clock(case, key, wf.clocks[key], day)

    def _move(self, case: CaseDraft, receiver: AgencyRef, day: date, assignee: Actor | None) -> Number:
        """``ownership.move_ownership`` (the new number's year is the year of the move)."""
        old_number, old_agency = case.number, case.agency
        case.former_numbers.append(FormerNumberDraft(old_number, old_agency.id, day))
        case.number = self._number(receiver, day)
        case.agency, case.agency_id = receiver, receiver.id
        case.assigned_officer_id = assignee.id if assignee is not None else None
        case.access.pop(receiver.id, None)
        self._grant(case, old_agency, "status", "former_owner", day)
        return old_number

    @staticmethod
    def _grant(case: CaseDraft, agency: AgencyRef, level: str, reason: str, day: date) -> None:
        """``ownership.grant_access``: an existing grant is raised to full, never lowered."""
        if agency.id == case.agency_id:
            return
        grant = case.access.get(agency.id)
        if grant is None:
            case.access[agency.id] = AccessDraft(agency.id, level, reason, day)
        elif level == "full":
            grant.level, grant.reason = level, reason

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

    def _clean(self, defs: list[FieldDef], data: dict, name: tuple[str, str]) -> dict:
        """``fields.clean``; agency fields are looked up among the loaded agencies, not queried.
        The same values for the same step (``name``: workflow, transition) are cleaned once."""
        key = (name, tuple(data.items()))
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


# --- rows ------------------------------------------------------------------------------------

COLUMNS = {
    "users": ("id", "username", "display_name", "email", "password_hash", "agency_id", "is_active", "locale",
              "failed_login_count", "locked_until", "created_at"),
    "user_roles": ("user_id", "role"),
    "cases": ("id", "number", "number_year", "number_seq", "agency_id", "workflow", "workflow_version", "state",
              "version", "title", "ip_type", "source", "region_code", "received_on", "amount_involved_fen",
              "is_confidential", "assigned_officer_id", "origin_agency_id", "outcome", "closed_on", "filed_on",
              "solved_on", "suspects_arrested", "fine_fen", "created_by_id", "created_at", "updated_at"),
    "parties": ("id", "case_id", "role", "kind", "name", "uscc", "id_number"),
    "case_events": ("id", "case_id", "kind", "from_state", "to_state", "actor_id", "agency_id", "occurred_at",
                    "effective_on", "note", "data"),
    "case_clocks": ("id", "case_id", "key", "status", "started_on", "started_at", "duration", "unit", "due_on",
                    "strict_due_on", "due_at", "calendar_unconfirmed", "stopped_on", "next_reminder_on"),
    "clock_pauses": ("id", "clock_id", "paused_on", "resumed_on", "event_id"),
    "clock_extensions": ("id", "clock_id", "step", "amount", "unit", "approver_role", "approved_by_id", "granted_on",
                         "event_id"),
    "case_links": ("id", "parent_id", "child_id", "relation", "created_at"),
    "case_access": ("id", "case_id", "agency_id", "level", "reason", "granted_at"),
    "handoffs": ("id", "case_id", "from_agency_id", "to_agency_id", "status", "reason", "materials", "sent_by_id",
                 "sent_on", "decided_by_id", "decided_on", "return_reason", "old_number", "new_number", "clock_id"),
    "case_former_numbers": ("id", "case_id", "number", "agency_id", "replaced_on"),
    "inspection_records": ("id", "agency_id", "inspected_on", "units_inspected", "campaign", "note",
                           "created_by_id", "created_at"),
}
INSERT_ORDER = tuple(COLUMNS)
USER_CREATED_AT = datetime(2016, 1, 4, 8, 0, tzinfo=CHINA_TZ)


class RowFormat:
    """Values as the database driver takes them: Python objects for psycopg's COPY, or the
    text SQLAlchemy itself stores on SQLite (dates ISO, times naive UTC with microseconds)."""

    def __init__(self, dialect: str):
        self.sqlite = dialect == "sqlite"
        self._stamps: dict = {}

    def day(self, value: date | None):
        return value.isoformat() if self.sqlite and value is not None else value

    def flag(self, value: bool):
        return int(value) if self.sqlite else value

    def instant(self, value: datetime | None):
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value

    def stamp(self, day: date, minute: int = 0):
        """A deterministic time on ``day``: 09:00 China time plus ``minute`` minutes."""
        key = (day, minute)
        value = self._stamps.get(key)
        if value is None:
            moment = datetime.combine(day, time(9), CHINA_TZ) + timedelta(minutes=minute)
            value = self._stamps[key] = self.instant(moment)
        return value


def _json_default(value):
    if isinstance(value, Number):
        return value.text
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def build_rows(walker: Walker, ids: Ids, fmt: RowFormat) -> dict[str, list[tuple]]:
    """Rows of every walked case (and the accounts first used by them), ids given now."""
    rows: dict[str, list[tuple]] = {table: [] for table in COLUMNS}
    for actor in walker.users.new:
        rows["users"].append((actor.id, actor.username, actor.display_name, None, UNUSABLE_PASSWORD,
                              actor.agency_id, fmt.flag(False), None, 0, None, fmt.instant(USER_CREATED_AT)))
        rows["user_roles"].append((actor.id, actor.role))
    walker.users.new = []
    cases = sorted(walker.cases, key=lambda c: (c.received_on, c.order))
    for case in cases:
        case.id = ids.next("cases")
    dumps = json.JSONEncoder(default=_json_default).encode
    day, stamp, flag = fmt.day, fmt.stamp, fmt.flag
    for case in cases:
        cid = case.id
        last = len(case.events) - 1
        rows["cases"].append((
            cid, case.number.text, case.number.year, case.number.seq, case.agency_id, case.workflow,
            case.workflow_version, case.state, case.version, case.title, case.ip_type, case.source, case.region.code,
            day(case.received_on), case.amount_involved_fen, flag(case.is_confidential), case.assigned_officer_id,
            case.origin_agency_id, case.outcome, day(case.closed_on), day(case.filed_on), day(case.solved_on),
            case.suspects_arrested, case.fine_fen, case.created_by_id, stamp(case.received_on),
            stamp(case.events[last].effective_on, last)))
        for p in case.parties:
            rows["parties"].append((ids.next("parties"), cid, p.role, p.kind, p.name, p.uscc, p.id_number))
        for i, e in enumerate(case.events):
            rows["case_events"].append((e.id, cid, e.kind, e.from_state, e.to_state, e.actor_id, e.agency_id,
                                        stamp(e.effective_on, i), day(e.effective_on), e.note, dumps(e.data)))
        for c in case.clocks:
            c.id = ids.next("case_clocks")
            rows["case_clocks"].append((
                c.id, cid, c.key, c.status, day(c.started_on), fmt.instant(c.started_at), c.duration, c.unit,
                day(c.due_on), day(c.strict_due_on), fmt.instant(c.due_at), flag(c.calendar_unconfirmed),
                day(c.stopped_on), day(c.next_reminder_on)))
            for p in c.pauses:
                rows["clock_pauses"].append((ids.next("clock_pauses"), c.id, day(p.paused_on), day(p.resumed_on),
                                             p.event_id))
            for x in c.extensions:
                rows["clock_extensions"].append((ids.next("clock_extensions"), c.id, x.step, x.amount, x.unit,
                                                 x.approver_role, x.approved_by_id, day(x.granted_on), x.event_id))
        for a in case.access.values():
            rows["case_access"].append((ids.next("case_access"), cid, a.agency_id, a.level, a.reason, stamp(a.day)))
        for f in case.former_numbers:
            rows["case_former_numbers"].append((ids.next("case_former_numbers"), cid, f.number.text, f.agency_id,
                                                day(f.replaced_on)))
    for link in walker.links:
        rows["case_links"].append((ids.next("case_links"), link.parent.id, link.child.id, link.relation,
                                   stamp(link.day)))
    for h in walker.handoffs:
        rows["handoffs"].append((
            ids.next("handoffs"), h.case.id, h.from_agency.id, h.to_agency.id, h.status, h.reason, h.materials,
            h.sent_by_id, day(h.sent_on), h.decided_by_id, day(h.decided_on), h.return_reason, h.old_number.text,
            h.new_number.text if h.new_number is not None else None, h.clock.id))
    return rows


def insert_rows(rows: dict[str, list[tuple]], connection=None) -> dict[str, int]:
    """Insert in the session's transaction (or ``connection``'s): COPY on PostgreSQL, executemany
    on SQLite. The column lists are checked against the tables, so a model change shows here."""
    from casesys.stats.snapshots import records_changed

    records_changed()  # the dashboard's stored views are out of date once this commits
    connection = connection or db.session.connection()
    return _insert_dbapi(connection.dialect.name, connection.connection.driver_connection, rows)


def _insert_dbapi(dialect: str, raw, rows: dict[str, list[tuple]]) -> dict[str, int]:
    counts = {}
    for table in INSERT_ORDER:
        data = rows.get(table)
        if not data:
            continue
        columns = COLUMNS[table]
        known = set(db.metadata.tables[table].columns.keys())
        if known != set(columns):
            raise HistoryError(f"{table}: the generator writes {sorted(set(columns))}, the table has {sorted(known)}")
        names = ", ".join(columns)
        if dialect == "postgresql":
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        else:
            raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", data)
        counts[table] = len(data)
    return counts


class _Inserter(threading.Thread):
    """Inserts chunks on a connection of its own, one transaction each, while the next chunk is
    built (the database server works on the other core)."""

    def __init__(self, engine):
        super().__init__(name="history-inserter", daemon=True)
        self.engine, self.queue = engine, queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.counts, self.seconds = Counter(), 0.0

    def run(self) -> None:
        from time import perf_counter

        from casesys.stats.snapshots import BUMP_SQL

        dialect = self.engine.dialect.name
        connection = self.engine.raw_connection()
        try:
            while (rows := self.queue.get()) is not None:
                if self.error is not None:
                    continue
                started = perf_counter()
                try:
                    if dialect == "sqlite":
                        connection.driver_connection.execute("BEGIN IMMEDIATE")
                    self.counts.update(_insert_dbapi(dialect, connection.driver_connection, rows))
                    connection.driver_connection.execute(BUMP_SQL)  # stored dashboard views are out of date
                    connection.commit()
                except BaseException as exc:  # handed to the building thread
                    self.error = exc
                    connection.rollback()
                self.seconds += perf_counter() - started
        finally:
            connection.close()

    def put(self, rows: dict[str, list[tuple]] | None) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(rows)

    def finish(self) -> None:
        self.queue.put(None)
        self.join()
        if self.error is not None:
            raise self.error


def finish_inserts(connection=None) -> None:
    """PostgreSQL: move each id sequence past the ids given here."""
    connection = connection or db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    for table in Ids.TABLES:
        connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"))


def save_counters(counters: dict[tuple[int, int], int], touched: set[tuple[int, int]]) -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    if not touched:
        return
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    stmt = insert(CaseNumberCounter)
    stmt = stmt.on_conflict_do_update(index_elements=["agency_id", "year"], set_={"last_seq": stmt.excluded.last_seq})
    db.session.execute(stmt, [{"agency_id": a, "year": y, "last_seq": counters[a, y]} for a, y in sorted(touched)])


# --- reference data --------------------------------------------------------------------------

CITIES = [code for code, _zh, _en in PREFECTURES]
CITY_NAMES = {code: zh.removesuffix("市").removesuffix("地区") for code, zh, _en in PREFECTURES}
CITY_NAMES["230000"] = "黑龙江"
CASE_KINDS = ("market_regulation", "copyright", "agriculture", "forestry_grassland", "customs", "ip_office",
              "public_security", "procuratorate", "court", "mediation_org")


def load_agencies() -> dict[str, AgencyRef]:
    regions = {r.code: RegionRef(r.code, r.path) for r in db.session.scalars(select(Region))}
    return {a.code: AgencyRef(a.id, a.code, a.kind, a.region_code, regions[a.region_code], a.name_zh)
            for a in db.session.scalars(select(Agency).order_by(Agency.id))}


def check_reference(agencies: dict[str, AgencyRef]) -> None:
    missing = [f"{region}-{kind}" for region in ("230000", *CITIES) for kind in CASE_KINDS
               if f"{region}-{kind}" not in agencies]
    if missing:
        raise HistoryError(f"the reference data is missing (e.g. agency {missing[0]}): run `flask seed reference` "
                           "first")


def load_counters() -> dict[tuple[int, int], int]:
    return {(c.agency_id, c.year): c.last_seq for c in db.session.scalars(select(CaseNumberCounter))}


def history_loaded() -> int:
    """How many history accounts exist (0: the history is not loaded)."""
    return db.session.scalar(select(func.count()).select_from(User)
                             .where(User.username.startswith(USERNAME_PREFIX, autoescape=True)))


# --- the planner: stories that follow the workflow files ------------------------------------

GROWTH = (15, 17, 20, 22, 26)  # share of each year 2016..2020: the caseload grows year by year
REGION_WEIGHTS = {"230000": 5, "230100": 30, "230200": 9, "230300": 4, "230400": 3, "230500": 3, "230600": 10,
                  "230700": 2, "230800": 7, "230900": 2, "231000": 8, "231100": 4, "231200": 6, "232700": 1}
FARM_WEIGHTS = {"230000": 4, "230100": 12, "230200": 14, "230300": 4, "230400": 3, "230500": 5, "230600": 6,
                "230700": 2, "230800": 13, "230900": 2, "231000": 6, "231100": 8, "231200": 15, "232700": 1}
FOREST_WEIGHTS = {"230000": 20, "230700": 25, "232700": 20, "231100": 10, "231000": 10, "230100": 15}
CUSTOMS_WEIGHTS = {"230000": 35, "231000": 25, "231100": 15, "230800": 12, "230100": 13}
COURT_WEIGHTS = {"230000": 2, "230100": 62, "230200": 6, "230300": 2, "230400": 1, "230500": 2, "230600": 8,
                 "230700": 1, "230800": 5, "231000": 6, "231100": 2, "231200": 3}
IPO_WEIGHTS = {"230000": 60, "230100": 20, "230600": 6, "230200": 5, "231000": 5, "230800": 4}
KIND_WEIGHTS = {"agriculture": FARM_WEIGHTS, "forestry_grassland": FOREST_WEIGHTS, "customs": CUSTOMS_WEIGHTS,
                "court": COURT_WEIGHTS, "ip_office": IPO_WEIGHTS}
SOURCES_BY_KIND = {
    "market_regulation": {"complaint": 35, "report": 25, "inspection": 20, "ecommerce_platform": 15,
                          "agency_referral": 5},
    "copyright": {"report": 40, "complaint": 30, "inspection": 30},
    "agriculture": {"inspection": 50, "report": 30, "complaint": 20},
    "forestry_grassland": {"inspection": 60, "report": 40},
    "customs": {"customs": 100},
    "ip_office": {"complaint": 40, "report": 30, "inspection": 30},
}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
WORDS = ("鑫源", "恒达", "华泰", "金誉", "龙江", "北疆", "盛世", "宏图", "瑞丰", "嘉禾", "天成", "百川", "永盛", "新元",
         "凯旋", "润泽", "锦程", "丰收", "兴农", "沃土", "雪原", "冰城", "松江", "黑土", "北垦", "佳禾", "东升", "广源",
         "泰和", "万通", "聚丰", "远航", "宏达", "利民", "金穗", "绿野", "青松", "白桦", "红星", "长青")
BUSINESSES = {
    "trade": ("商贸有限公司", "贸易有限责任公司", "商行", "超市", "百货商店", "电子商务有限公司"),
    "goods": ("服装店", "鞋业商行", "箱包店", "化妆品商行", "五金经销部", "电器经销部", "酒水商行"),
    "food": ("食品有限公司", "酒业有限公司", "米业有限公司", "粮油经销部"),
    "seed": ("种业有限公司", "农资经销部", "种子商店", "农业科技有限公司", "农资连锁有限公司"),
    "tech": ("网络科技有限公司", "电子科技有限公司", "机械制造有限公司", "仪器设备有限公司", "软件有限公司"),
    "culture": ("文化传媒有限公司", "书店", "音像制品店", "网吧", "印刷厂", "影视文化有限公司"),
    "forest": ("林木种苗有限公司", "苗圃", "园林绿化有限公司"),
}
BUSINESS_BY_IP = {"trademark": ("trade", "goods", "food"), "unfair_competition": ("trade", "food", "goods", "tech"),
                  "counterfeit_goods": ("trade", "goods", "food"), "geographical_indication": ("food",),
                  "trade_secret": ("tech",), "copyright": ("culture", "tech"), "plant_variety": ("seed",)}
HOLDER_REGIONS = ("110105", "110108", "310115", "310104", "440300", "440106", "330106", "320506", "510107", "370212",
                  "120116", "230103", "230109", "420106", "350102")
HOLDER_SUFFIXES = ("股份有限公司", "集团有限公司", "有限公司", "科技股份有限公司")
BRANDS = ("雪峰", "龙腾", "北极星", "金麦", "盛和", "华夏", "天鹅", "冰川", "松花", "极光", "长白", "金谷", "飞鹤",
          "远东", "星河", "神舟", "丰禾", "安达", "瑞雪", "青山", "寒地", "北纬", "黑金", "稻香")
PATENT_IPS = ("patent_invention", "patent_utility_model", "patent_design")
PATENT_ZH = {"patent_invention": "发明", "patent_utility_model": "实用新型", "patent_design": "外观设计"}

ADMIN_TITLES = {
    "trademark": ("{r}销售侵犯注册商标专用权商品案", "{r}生产假冒“{b}”注册商标商品案",
                  "{r}在网店销售假冒“{b}”商标商品案"),
    "unfair_competition": ("{r}擅自使用他人有一定影响的商品装潢案", "{r}虚假宣传案", "{r}仿冒他人企业名称案",
                           "{r}商业诋毁案"),
    "patent": ("{r}假冒专利案", "{r}在产品上标注失效专利号案", "{r}冒用他人专利号案"),
    "counterfeit_goods": ("{r}销售假冒伪劣商品案", "{r}制售假冒伪劣白酒案"),
    "geographical_indication": ("{r}擅自使用“五常大米”地理标志案", "{r}擅自使用“东宁黑木耳”地理标志案",
                                "{r}擅自使用“庆安大米”地理标志案"),
    "trade_secret": ("{r}侵犯商业秘密案",),
    "copyright": ("{r}未经许可复制发行他人作品案", "{r}通过网络传播盗版影视作品案", "{r}销售盗版图书案",
                  "{r}未经许可使用计算机软件案"),
    "agriculture": ("{r}销售假冒授权品种种子案", "{r}生产经营假种子案", "{r}未经许可生产经营授权品种繁殖材料案",
                    "{r}销售标签不符种子案"),
    "agriculture_trademark": ("{r}销售假冒“{b}”注册商标化肥案", "{r}销售假冒注册商标农药案"),
    "forestry_grassland": ("{r}侵犯林木植物新品种权案", "{r}销售假冒林木良种案"),
    "customs": ("{r}出口侵犯“{b}”商标专用权货物案", "{r}进口侵犯注册商标专用权货物案"),
}
CRIME_TITLES = {"trademark": ("{r}涉嫌假冒注册商标罪案", "{r}涉嫌销售假冒注册商标的商品罪案"),
                "counterfeit_goods": ("{r}涉嫌生产、销售伪劣产品罪案",), "copyright": ("{r}涉嫌侵犯著作权罪案",),
                "plant_variety": ("{r}涉嫌生产、销售伪劣种子罪案",), "trade_secret": ("{r}涉嫌侵犯商业秘密罪案",),
                "patent": ("{r}涉嫌假冒专利罪案",)}
CIVIL_DISPUTES = {"trademark": "侵害商标权纠纷", "copyright": "著作权权属、侵权纠纷",
                  "unfair_competition": "不正当竞争纠纷", "patent_invention": "侵害发明专利权纠纷",
                  "patent_utility_model": "侵害实用新型专利权纠纷", "patent_design": "侵害外观设计专利权纠纷",
                  "plant_variety": "侵害植物新品种权纠纷", "trade_secret": "侵害技术秘密纠纷",
                  "geographical_indication": "侵害地理标志证明商标权纠纷"}
CIVIL_IP_WEIGHTS = {"trademark": 38, "copyright": 30, "unfair_competition": 9, "patent_utility_model": 8,
                    "patent_invention": 4, "patent_design": 5, "plant_variety": 4, "trade_secret": 1,
                    "geographical_indication": 1}
MEDIATION_DISPUTES = {"trademark": "商标许可使用合同纠纷", "copyright": "著作权许可使用纠纷",
                      "patent_invention": "专利侵权纠纷", "patent_utility_model": "专利侵权纠纷",
                      "plant_variety": "植物新品种许可纠纷", "unfair_competition": "不正当竞争纠纷"}
MEDIATION_IP_WEIGHTS = {"trademark": 40, "copyright": 25, "patent_utility_model": 12, "patent_invention": 8,
                        "plant_variety": 8, "unfair_competition": 7}

HANDOFF_REASONS = {"same": "涉案经营者住所地在外地，移交属地管辖",
                   "copyright": "属著作权行政执法事项，移交版权管理部门",
                   "agriculture": "涉及种子质量及植物新品种权，属农业农村部门职责",
                   "forestry_grassland": "涉及林木种苗及林木品种权，属林业和草原部门职责",
                   "market_regulation": "涉及商标及市场秩序，属市场监督管理部门职责",
                   "court": "不属本院管辖，移送有管辖权的人民法院",
                   "public_security": "犯罪地不在本辖区，移送有管辖权的公安机关"}
MATERIALS = ("投诉书、权属证明及证据材料", "举报材料、现场检查笔录及照片", "线索材料及移交函",
             "起诉状、证据目录及移送管辖裁定书", "案件材料、涉案物品清单")
RETURN_REASONS = ("经审查不属本机关管辖，予以退回", "线索不具体，退回移交机关补充核实", "已由本机关另案处理，退回")
NOT_FILED_REASONS = ("经核查违法事实不成立", "现有证据不足以证明存在违法行为", "不属本机关管辖，已告知投诉人",
                     "违法行为轻微并及时改正，没有造成危害后果", "超过行政处罚追责期限")
SUSPEND_GROUNDS = ("testing", "identification", "suspension", "public_notice")
PENALTY_TEXTS = ("责令停止侵权行为，没收侵权商品，处以罚款", "没收违法所得，并处罚款", "责令改正，处以罚款")
TRIAL_PAUSES = ("appraisal", "public_notice", "jurisdiction_objection", "settlement")


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _org_code(rng: random.Random) -> str:
    """GB 11714 organisation code: 8 digits and their check character."""
    body = f"{rng.randrange(10**8):08d}"
    check = 11 - sum(int(ch) * w for ch, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def split(total: int, weights) -> list[int]:
    """``total`` split by ``weights`` (largest remainder): the parts add up exactly."""
    weights = list(weights)
    scale = sum(weights)
    raw = [total * w / scale for w in weights]
    parts = [math.floor(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])[:total - sum(parts)]:
        parts[i] += 1
    return parts


class Planner:
    """Writes stories: registrations and the steps since, on working days, within ``limit``."""

    def __init__(self, rng: random.Random, agencies: dict[str, AgencyRef], *, limit: date = LIMIT, calendar=None):
        self.rng, self.agencies, self.limit = rng, agencies, limit
        self.cal = MemoCalendar.of(calendar or load_calendar())
        self.regions = {a.region.code: a.region for a in agencies.values()}
        self._tables: dict = {}
        self._usccs: set[str] = set()
        self.holders = [self._organisation(rng.choice(HOLDER_REGIONS), f"{BRANDS[i % len(BRANDS)]}{rng.choice(WORDS)}",
                                           rng.choice(HOLDER_SUFFIXES), "complainant") for i in range(60)]
        # Repeat respondents: organisations met by two or three kinds of agency over the years.
        kinds = ("market_regulation", "copyright", "agriculture", "customs", "public_security", "court", "ip_office")
        self.repeat: list[tuple[PartySpec, tuple[str, ...]]] = []
        for i in range(36):
            city = rng.choice(CITIES)
            party = self._organisation(city, f"{CITY_NAMES[city]}{WORDS[i]}",
                                       rng.choice(BUSINESSES["trade"] + BUSINESSES["goods"]), "respondent")
            self.repeat.append((party, tuple(rng.sample(kinds, rng.choice((2, 2, 3))))))

    # dates

    def work(self, day: date) -> date:
        return self.cal.next_working_day(day)

    def wd(self, day: date, lo: int, hi: int | None = None) -> date:
        return self.cal.add_working_days(day, lo if hi is None else self.rng.randint(lo, hi))

    def later(self, day: date, lo: int, hi: int) -> date:
        return self.cal.next_working_day(day + timedelta(days=self.rng.randint(lo, hi)))

    def between(self, first: date, last: date) -> date:
        day = first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))
        working = self.cal.next_working_day(day)
        return working if working <= last else self.cal.subtract_working_days(day, 1)

    def days_by_growth(self, n: int, first: date = PERIOD[0], last: date = PERIOD[1], weights=GROWTH) -> list[date]:
        years = list(range(first.year, last.year + 1))
        if len(weights) != len(years):
            weights = [1] * len(years)
        days = []
        for year, count in zip(years, split(n, weights), strict=True):
            lo, hi = max(first, date(year, 1, 1)), min(last, date(year, 12, 31))
            days += [self.between(lo, hi) for _ in range(count)]
        return sorted(days)

    # agencies and parties

    def pick(self, weights: dict):
        """A key of ``weights`` drawn by its weight."""
        table = self._tables.get(id(weights))
        if table is None:
            table = self._tables[id(weights)] = (list(weights), list(accumulate(weights.values())), weights)
        return self.rng.choices(table[0], cum_weights=table[1])[0]

    def agency(self, kind: str, weights: dict | None = None) -> AgencyRef:
        return self.agencies[f"{self.pick(weights or KIND_WEIGHTS.get(kind, REGION_WEIGHTS))}-{kind}"]

    def other_agency(self, agency: AgencyRef, kind: str) -> AgencyRef:
        """An agency of ``kind``: at the same place if the kind differs, else in another city."""
        if kind != agency.kind:
            return self.agencies[f"{agency.region_code}-{kind}"]
        code = self.rng.choice([c for c in CITIES if c != agency.region_code])
        return self.agencies[f"{code}-{kind}"]

    def case_region(self, agency: AgencyRef) -> RegionRef:
        if agency.region_code != "230000" or self.rng.random() < 0.3:
            return agency.region
        return self.regions[self.rng.choices(CITIES, weights=[REGION_WEIGHTS[c] for c in CITIES])[0]]

    def uscc(self, region: str) -> str:
        while True:
            district = region if region[4:] != "00" else f"{region[:4]}{self.rng.randint(2, 9):02d}"
            if district[2:4] == "00":
                district = f"{district[:2]}01{self.rng.randint(2, 9):02d}"
            first17 = f"91{district}{_org_code(self.rng)}"
            code = first17 + uscc_check_character(first17)
            if code not in self._usccs:
                self._usccs.add(code)
                return code

    def _organisation(self, region: str, stem: str, suffix: str, role: str) -> PartySpec:
        return PartySpec(role, "organisation", f"{stem}{suffix}", self.uscc(region))

    def person(self, role: str = "respondent") -> PartySpec:
        return PartySpec(role, "person", f"{self.rng.choice(SURNAMES)}{self.rng.choice(('某', '某某'))}")

    def company(self, region: str, ip_type: str, role: str = "respondent") -> PartySpec:
        group = self.rng.choice(BUSINESS_BY_IP.get(ip_type, ("tech", "goods")))
        city = region if region != "230000" else self.rng.choice(CITIES)
        return self._organisation(city, f"{CITY_NAMES[city]}{self.rng.choice(WORDS)}",
                                  self.rng.choice(BUSINESSES[group]), role)

    def respondent(self, kind: str, region: str, ip_type: str, organisations: float) -> PartySpec:
        if self.rng.random() < {"copyright": 0.12, "customs": 0.08, "public_security": 0.05, "ip_office": 0.04,
                                "market_regulation": 0.025, "agriculture": 0.02, "court": 0.012}.get(kind, 0):
            return self.rng.choice([party for party, kinds in self.repeat if kind in kinds] or [self.repeat[0][0]])
        if self.rng.random() < organisations:
            return self.company(region, ip_type)
        return self.person()

    def holder(self) -> PartySpec:
        return self.rng.choice(self.holders)

    def money(self, median_yuan: float, sigma: float = 1.0) -> int:
        return max(100, int(self.rng.lognormvariate(math.log(median_yuan), sigma)) * 100)

    # fitting a story inside the limit

    def fit(self, build: Callable[[], Story], fallback: Callable[[], Story] | None = None) -> Story:
        for _ in range(40):
            story = build()
            if max((s.day for s in story.steps), default=story.spec.received_on) <= self.limit:
                return story
        if fallback is not None:
            return self.fit(fallback)
        raise WalkError(f"cannot fit {story.spec.title!r} before {self.limit}")

    # administrative enforcement (DOMAIN §3.1), with criminal transfers (§3.3) and handoffs (§3.7)

    def admin(self, agency: AgencyRef, ip_type: str, *, filed_on: date | None = None, received_on: date | None = None,
              route: str = "penalty", handoff: tuple[str, AgencyRef] | None = None, transfer: str | None = None,
              source: str | None = None) -> Story:
        rng = self.rng
        first = handoff[1] if handoff and handoff[0] == "accepted" else agency
        source = source or rng.choices(*zip(*SOURCES_BY_KIND[first.kind].items(), strict=True))[0]
        region = self.case_region(first)
        respondent = self.respondent(agency.kind, region.code, ip_type, 0.55 if agency.kind != "customs" else 0.9)
        parties = ([self.holder()] if source in ("complaint", "customs") else []) + [respondent]
        key = ("patent" if ip_type in PATENT_IPS else "agriculture_trademark" if agency.kind == "agriculture"
               and ip_type != "plant_variety" else agency.kind if agency.kind in ADMIN_TITLES else ip_type)
        title = rng.choice(ADMIN_TITLES[key]).format(r=respondent.name, b=rng.choice(BRANDS))
        amount = self.money(30000 if ip_type != "plant_variety" else 15000, 1.1) if rng.random() < 0.7 else None
        spec = CaseSpec("admin_enforcement", first, ip_type, source, region, received_on or filed_on, title, parties,
                        amount)
        pre, final = self._admin_pre(agency, first, source, route, handoff)
        if filed_on is not None:
            spec.received_on = self.cal.subtract_working_days(filed_on, final)
        steps = [Step(name, self.cal.add_working_days(spec.received_on, off), data, (), role)
                 for off, name, data, role in pre]
        if route == "not_filed":
            return Story(spec, steps)
        filed = steps[-1].day
        steps += self._admin_after(filed, spec, transfer)
        return Story(spec, steps)

    def _admin_pre(self, agency, first, source, route, handoff):
        """Steps up to the filing decision, as (working days after receipt, name, fields, role)."""
        rng = self.rng
        pre, off, clock_from = [], 0, 0
        if handoff:
            status, other = handoff
            receiver = agency if status == "accepted" else other
            reason = HANDOFF_REASONS["same" if receiver.kind == first.kind else receiver.kind]
            off += rng.randint(0, 1)
            pre.append((off, "hand_off", {"receiving_agency": receiver.code, "reason": reason,
                                          "materials": rng.choice(MATERIALS)}, None))
            off += rng.choice((1, 1, 1, 2, 2, 3, 4, 5))
            if status == "accepted":
                pre.append((off, "accept_handoff", {}, None))
                clock_from = off
            else:
                pre.append((off, "return_handoff", {"reason": rng.choice(RETURN_REASONS)}, None))
        if route == "not_filed" and rng.random() < 0.25:
            off += rng.randint(1, 5)
            pre.append((off, "decide_not_to_file", {"reason": rng.choice(NOT_FILED_REASONS)}, None))
            return pre, off
        off += rng.randint(0, 2)
        complaint = source == "complaint"
        pre.append((off, "start_verification", {"is_complaint": complaint, "note": "调取证据、询问当事人"}, None))
        if complaint:
            off += rng.randint(1, 6) if rng.random() > 0.07 else rng.randint(8, 11)
            pre.append((off, "accept_complaint", {"note": "符合受理条件，决定受理"}, None))
        paused = 0
        if route != "not_filed" and rng.random() < 0.1:
            off += rng.randint(1, 3)
            pre.append((off, "pause_for_testing", {"reason": "送检鉴定并请权利人辨认"}, None))
            paused = rng.randint(4, 15)
            off += paused
            pre.append((off, "resume_verification", {"note": "鉴定意见为侵权产品"}, None))
        due = clock_from + 15 + paused
        draw = rng.random()
        if draw < 0.06:
            final = due + rng.randint(1, 7)  # decided late
        elif draw < 0.10 and off + 1 <= due:
            extend = max(off + 1, due - 2)
            pre.append((extend, "extend_filing_decision", {"reason": "案情复杂，需进一步核查", "extension_amount": 15},
                        None))
            off, final = extend, due + rng.randint(2, 14)
        else:
            final = clock_from + paused + rng.randint(3, 14)
        final = max(final, off + 1)
        if route == "not_filed":
            pre.append((final, "decide_not_to_file", {"reason": rng.choice(NOT_FILED_REASONS)}, None))
        else:
            pre.append((final, "file_case", {"note": "有证据初步证明存在违法行为，予以立案"}, None))
        return pre, final

    def _admin_after(self, filed: date, spec: CaseSpec, transfer: str | None) -> list[Step]:
        rng = self.rng
        steps = [Step("start_investigation", self.wd(filed, 0, 3), {"note": "成立办案组，现场检查并调取证据"})]
        cursor, paused = steps[-1].day, 0
        if rng.random() < 0.1:
            pause_on = self.later(cursor, 2, 15)
            steps.append(Step("suspend_investigation", pause_on, {"reason": rng.choice(SUSPEND_GROUNDS),
                                                                  "note": "送检鉴定期间不计入办案期限"}))
            cursor = self.later(pause_on, 7, 45)
            paused = (cursor - pause_on).days
            steps.append(Step("resume_investigation", cursor, {"note": "鉴定意见已出具"}))
        if transfer:
            proposed = self.later(cursor, 7, 45)
            steps.append(Step("propose_criminal_transfer", proposed, {
                "reason": "涉案金额达到刑事立案追诉标准，涉嫌犯罪", "task_group": "专案组：" + "、".join(
                    f"{rng.choice(SURNAMES)}{rng.choice(WORDS)[0]}" for _ in range(2))}))
            child, resumed = self.transfer_steps(proposed, transfer)
            steps += child
            if resumed is None:
                return steps  # the police filed: the administrative case closed as transferred
            cursor = resumed
        draw = rng.random()
        late, extend = draw < 0.06, 0.06 <= draw < 0.11 and not transfer
        active = rng.randint(92, 125) if late else rng.randint(95, 112) if extend else rng.randint(20, 86)
        if transfer:
            target = cursor + timedelta(days=rng.randint(7, 40))
        else:
            target = filed + timedelta(days=active + paused)
        if extend:
            window = (max(cursor, filed + timedelta(days=paused + 60)), filed + timedelta(days=paused + 85))
            if window[0] < window[1]:
                cursor = self.between(*window)
                steps.append(Step("extend_case_decision", cursor, {"reason": "案情复杂，负责人批准延长办案期限",
                                                                   "extension_amount": 30}))
        notified = max(self.wd(cursor, 1), self.work(target - timedelta(days=7)))
        steps.append(Step("notify_party", notified, {"intended_penalty": rng.choice(PENALTY_TEXTS)}))
        if rng.random() < 0.08:
            asked = self.wd(notified, 2, 4)
            steps.append(Step("request_hearing", asked, {"hearing_date": "听证会定于告知后十五日内举行"}))
            held = self.later(asked, 7, 20)
            steps.append(Step("end_hearing", held, {"note": "当事人到场陈述申辩，听证笔录附卷"}))
            decided = self.wd(held, 2, 8)
        else:
            decided = self.wd(notified, 3, 5)
        amount = spec.amount_fen or self.money(25000, 1.1)
        decision = {"decision": "penalty" if rng.random() < 0.93 else "no_penalty", "amount_involved": yuan(amount)}
        if decision["decision"] == "penalty":
            decision["fine"] = yuan(max(50000, round(amount * rng.uniform(0.3, 3.0) / 10000) * 10000))
            decision["order_to_stop"] = True
            if rng.random() < 0.6:
                decision["confiscation"] = f"没收侵权商品{rng.randint(12, 3000)}件"
        steps.append(Step("decide_penalty", decided, decision, role="agency_head"))
        steps.append(Step("close_case", self.later(decided, 3, 40), {"note": "罚没款已缴清，结案归档"}))
        return steps

    TRANSFER_VARIANTS = {"filed_solved": 60, "refused": 8, "filed_cancelled": 4, "filed_returned": 4,
                         "declined_accepted": 12, "reconsidered_filed": 6, "supervised_filed": 3,
                         "supervised_rejected": 3}

    def transfer_steps(self, proposed: date, variant: str):
        """The criminal_transfer case's steps; and the day the administrative case resumes (None:
        the police filed, and the administrative case closed as transferred)."""
        rng, on, steps = self.rng, ("criminal_transfer",), []

        def add(name, day, data=None, role=None):
            steps.append(Step(name, day, data or {}, on, role))
            return day

        if variant == "refused":
            return steps, add("refuse_transfer", proposed + timedelta(days=rng.randint(1, 3)),
                              {"reason": "证据尚不足以认定涉嫌犯罪，继续行政处理"})
        approved = add("approve_transfer", proposed + timedelta(days=rng.choice((0, 1, 1, 2, 2, 5))),
                       {"note": "同意移送"})
        sent = add("transfer", approved + timedelta(days=rng.choice((0, 0, 1))),
                   {"materials": "移送书、调查报告、涉案物品清单、检验鉴定结论"})
        accepted = add("accept_transfer", sent + timedelta(days=rng.randint(0, 2)), {"note": "已签收移送回执"})
        if variant.startswith(("declined", "reconsidered", "supervised")):
            declined = add("decline_filing", accepted + timedelta(days=rng.choice((2, 3, 3, 5, 9))),
                           {"reason": "认为没有犯罪事实，或者犯罪情节显著轻微"})
            if variant == "declined_accepted":
                return steps, add("accept_non_filing", declined + timedelta(days=rng.randint(1, 3)),
                                  {"note": "接受不予立案决定，继续行政处理"})
            asked = add("request_reconsideration", declined + timedelta(days=rng.randint(1, 3)),
                        {"reason": "涉案金额已达追诉标准，申请复议"})
            if variant == "reconsidered_filed":
                filed = add("reconsider_and_file", asked + timedelta(days=rng.randint(1, 3)),
                            {"decision_number": f"公（经）立字〔{asked.year}〕{rng.randint(1, 999)}号"})
            else:
                upheld = add("uphold_refusal", asked + timedelta(days=rng.randint(1, 3)),
                             {"reason": "复议维持不立案决定"})
                requested = add("request_supervision", upheld + timedelta(days=rng.randint(1, 3)),
                                {"reason": "建议人民检察院依法进行立案监督"})
                explain = add("ask_explanation", requested + timedelta(days=rng.randint(2, 6)),
                              {"note": "要求说明不立案理由通知书"})
                explained = add("explain_refusal", explain + timedelta(days=rng.randint(2, 7)),
                                {"explanation": "经审查认为情节显著轻微，不认为是犯罪"})
                if variant == "supervised_rejected":
                    ended = add("reject_supervision", explained + timedelta(days=rng.randint(3, 15)),
                                {"reason": "公安机关不立案理由成立"}, "agency_head")
                    return steps, ended
                ordered = add("order_filing", explained + timedelta(days=rng.randint(3, 10)),
                              {"reason": "不立案理由不能成立，通知公安机关立案"}, "agency_head")
                filed = add("file_on_order", ordered + timedelta(days=rng.randint(3, 14)),
                            {"decision_number": f"公（经）立字〔{ordered.year}〕{rng.randint(1, 999)}号"})
        else:
            filed = add("file_criminal_case", accepted + timedelta(days=rng.randint(1, 3) if rng.random() < 0.7
                                                                   else rng.randint(4, 12)),
                        {"decision_number": f"公（经）立字〔{accepted.year}〕{rng.randint(1, 999)}号"})
        handed = add("hand_over_items", filed + timedelta(days=rng.randint(0, 3) if rng.random() < 0.9
                                                          else rng.randint(4, 7)),
                     {"items": "涉案侵权商品、账册及电子数据"})
        started = add("start_investigation", handed + timedelta(days=rng.randint(1, 10)),
                      {"note": "成立专案组开展侦查"})
        if variant == "filed_returned":
            add("return_for_admin_penalty", started + timedelta(days=rng.randint(15, 90)),
                {"reason": "不构成犯罪，但应予行政处罚"}, "agency_head")
            return steps, None
        if variant == "filed_cancelled":
            add("cancel_criminal_case", started + timedelta(days=rng.randint(30, 200)), {"reason": "犯罪嫌疑人死亡"},
                "agency_head")
            return steps, None
        suspects, amount = self.suspects(), self.money(600000, 1.3)
        solved = add("solve", started + timedelta(days=rng.randint(20, 200)),
                     {"suspects_arrested": suspects, "amount_involved": yuan(amount)})
        referred = add("refer_for_prosecution", solved + timedelta(days=rng.randint(10, 60)),
                       {"reference": f"起诉意见书〔{solved.year}〕{rng.randint(1, 500)}号"}, "agency_head")
        add("close_after_prosecution", referred + timedelta(days=rng.randint(7, 45)),
            {"note": "已移送检察机关审查起诉"}, "agency_head")
        return steps, None

    def suspects(self) -> int:
        return self.rng.choices((1, 2, 3, 4, 5), weights=(75, 17, 5, 2, 1))[0]

    # police cases opened directly (own investigation)

    def police(self, agency: AgencyRef, ip_type: str, *, received_on: date | None = None, solved_on: date | None = None,
               route: str = "solved", suspects: int = 1, amount_fen: int | None = None,
               handoff_to: AgencyRef | None = None) -> Story:
        rng = self.rng
        received = received_on or self.work(solved_on - timedelta(days=rng.randint(25, 240)))
        region = self.case_region(agency)
        respondent = self.respondent("public_security", region.code, ip_type, 0.3)
        parties = [respondent] + ([self.person()] if rng.random() < 0.25 else [])
        key = "patent" if ip_type in PATENT_IPS else ip_type
        title = rng.choice(CRIME_TITLES.get(key, CRIME_TITLES["trademark"])).format(r=respondent.name)
        source = rng.choices(("own_investigation", "report", "agency_referral"), weights=(60, 30, 10))[0]
        spec = CaseSpec("criminal_transfer", agency, ip_type, source, region, received, title, parties, None,
                        state="filed")
        steps, day = [], received
        if handoff_to is not None:
            day = self.wd(day, 1, 2)
            steps.append(Step("hand_off", day, {"receiving_agency": handoff_to.code,
                                                "reason": HANDOFF_REASONS["public_security"],
                                                "materials": rng.choice(MATERIALS)}))
            day = self.wd(day, 1, 3)
            steps.append(Step("accept_handoff", day))
        started = day + timedelta(days=rng.randint(0, 10))
        if solved_on is not None and started > solved_on:
            started = solved_on
        steps.append(Step("start_investigation", started, {"note": "成立专案组开展侦查"}))
        if route == "cancelled":
            steps.append(Step("cancel_criminal_case", started + timedelta(days=rng.randint(30, 200)),
                              {"reason": "没有犯罪事实，撤销案件"}, role="agency_head"))
        elif route == "returned":
            steps.append(Step("return_for_admin_penalty", started + timedelta(days=rng.randint(15, 90)),
                              {"reason": "不构成犯罪，移交行政机关处理"}, role="agency_head"))
        else:
            solved = solved_on or started + timedelta(days=rng.randint(20, 200))
            steps.append(Step("solve", solved, {"suspects_arrested": suspects,
                                                "amount_involved": yuan(amount_fen or self.money(800000, 1.3))}))
            referred = solved + timedelta(days=rng.randint(10, 60))
            steps.append(Step("refer_for_prosecution", referred,
                              {"reference": f"起诉意见书〔{solved.year}〕{rng.randint(1, 500)}号"}, role="agency_head"))
            steps.append(Step("close_after_prosecution", referred + timedelta(days=rng.randint(7, 45)),
                              {"note": "已移送检察机关审查起诉"}, role="agency_head"))
        return Story(spec, steps)

    # civil first instance (DOMAIN §3.6), with court-entrusted mediation (§3.4)

    def civil(self, court: AgencyRef, ip_type: str, received: date, closed: date, outcome: str, *,
              entrusted: str | None = None, handoff_to: AgencyRef | None = None) -> Story:
        rng = self.rng
        plaintiff = self.holder()
        respondent = self.respondent("court", court.region_code, ip_type, 0.75)
        title = f"{plaintiff.name}诉{respondent.name}{CIVIL_DISPUTES[ip_type]}案"
        source = "complaint" if rng.random() < 0.9 else "court_referral"
        spec = CaseSpec("civil_litigation", court, ip_type, source, self.case_region(court), received, title,
                        [plaintiff, respondent])
        steps, day = [], received
        owner = court
        if handoff_to is not None:
            day = self.wd(day, 1, 2)
            steps.append(Step("hand_off", day, {"receiving_agency": handoff_to.code, "reason": HANDOFF_REASONS["court"],
                                                "materials": MATERIALS[3]}))
            day = self.wd(day, 1, 3)
            steps.append(Step("accept_handoff", day))
            owner = handoff_to
        concluded = max(day, closed - timedelta(days=rng.randint(0, 12)))
        span = (concluded - received).days
        if outcome in ("withdrawn", "dismissed") and (span < 12 or rng.random() < 0.05):
            steps.append(self._civil_conclusion(outcome, concluded))
            steps.append(Step(f"close_{'withdrawn' if outcome == 'withdrawn' else 'dismissed'}", closed,
                              {"note": "裁定书已送达"}))
            return Story(spec, steps)
        assigned = min(concluded, day + timedelta(days=rng.randint(1, max(1, min(10, span // 4)))))
        if span <= 55 and rng.random() < 0.25:
            procedure = "small_claims"
        elif span <= 88 or (span <= 100 and rng.random() < 0.3):
            procedure = "simple"
        else:
            procedure = "simple_converted" if rng.random() < 0.15 else "ordinary"
        steps.append(Step("assign_procedure", assigned, {"procedure": procedure.removesuffix("_converted"),
                                                         "judge": f"{rng.choice(SURNAMES)}法官"}))
        cursor = assigned
        mediation_org = self.agencies[f"{owner.region_code}-mediation_org"].code
        if entrusted == "settled":
            start = max(cursor, concluded - timedelta(days=rng.randint(10, 28)))
            steps += self._entrusted(start, concluded, mediation_org, settled=True)
            steps.append(Step("close_mediated", closed, {"note": "调解书已送达双方当事人"}))
            steps += self._performance(concluded, closed)
            return Story(spec, steps)
        if entrusted == "failed" and span >= 45:
            start = cursor + timedelta(days=rng.randint(1, 10))
            steps += self._entrusted(start, start + timedelta(days=rng.randint(10, 30)), mediation_org, settled=False)
            cursor = steps[-1].day
        elif procedure == "simple_converted" and span > 60:
            cursor = self.between(cursor + timedelta(days=20), min(concluded, received + timedelta(days=85)))
            steps.append(Step("convert_to_ordinary", cursor, {"reason": "案情复杂，转为普通程序审理"}))
            procedure = "ordinary"
        if procedure != "small_claims" and span > 40 and rng.random() < 0.06:
            pause = self.between(cursor, cursor + timedelta(days=(concluded - cursor).days // 3))
            resume = self.between(pause + timedelta(days=5), pause + timedelta(days=max(6, (concluded - pause).days
                                                                                       // 2)))
            if resume < concluded:
                steps.append(Step("suspend_trial", pause, {"reason": rng.choice(TRIAL_PAUSES), "note": "不计入审限"}))
                steps.append(Step("resume_trial", resume, {"note": "鉴定意见已出具，恢复审理"}))
                cursor = resume
        if procedure == "ordinary" and span > 180 and rng.random() < 0.85:
            ext = self.between(max(cursor, received + timedelta(days=150)), received + timedelta(days=178))
            if cursor <= ext <= concluded:
                steps.append(Step("extend_trial", ext, {"reason": "案情复杂，经院长批准延长审限",
                                                        "extension_amount": 6}, role="agency_head"))
        steps.append(self._civil_conclusion(outcome, concluded))
        steps.append(Step(f"close_{outcome}", closed, {"note": "裁判文书已送达，结案归档"}))
        return Story(spec, steps)

    def _civil_conclusion(self, outcome: str, day: date) -> Step:
        rng = self.rng
        if outcome == "judgment":
            result = rng.choices(("upheld", "partly_upheld", "rejected"), weights=(30, 55, 15))[0]
            data = {"result": result, "judgment_number": f"（{day.year}）黑民初{rng.randint(1, 2000)}号"}
            if result != "rejected":
                data["damages"] = yuan(self.money(50000, 1.0))
            return Step("render_judgment", day, data)
        if outcome == "mediated":
            return Step("conclude_by_mediation", day, {"terms": "被告停止侵权并赔偿原告经济损失",
                                                       "amount": yuan(self.money(30000))})
        if outcome == "withdrawn":
            return Step("allow_withdrawal", day, {"after_settlement": rng.random() < 0.7,
                                                  "reason": "双方庭外和解，原告申请撤诉"})
        return Step("dismiss", day, {"ground": rng.choices(("dismissed", "transferred", "terminated", "other"),
                                                           weights=(50, 25, 15, 10))[0], "reason": "不符合起诉条件"})

    def _entrusted(self, start: date, end: date, org: str, *, settled: bool) -> list[Step]:
        rng, on = self.rng, ("entrusted_mediation",)
        steps = [Step("entrust_mediation", start, {"mediation_org": org, "reason": "委托调解组织进行调解"})]
        began = min(end, start + timedelta(days=rng.randint(1, 4)))
        steps.append(Step("start_mediation", began, {"mediators": f"{rng.choice(SURNAMES)}调解员"}, on))
        session = min(end, began + timedelta(days=rng.randint(1, 8)))
        steps.append(Step("log_session", session, {"session_date": session.isoformat(),
                                                   "summary": "双方就赔偿数额进行协商"}, on))
        if settled:
            steps.append(Step("settle", end, {"terms": "被申请人停止侵权并赔偿", "amount": yuan(self.money(20000)),
                                              "performance_date": (end + timedelta(days=30)).isoformat()}, on))
        else:
            steps.append(Step("fail", end, {"reason": "双方对赔偿数额分歧较大",
                                            "suggested_route": "back_to_court"}, on))
        return steps

    def _performance(self, settled: date, after: date) -> list[Step]:
        on = ("entrusted_mediation",)
        late = self.rng.random() < 0.1
        performed = min(self.limit, max(after, settled + timedelta(days=self.rng.randint(31, 50) if late
                                                                   else self.rng.randint(5, 27))))
        return [Step("record_performance", performed, {"performed_on": performed.isoformat(),
                                                       "note": "已按期履行"}, on),
                Step("close_performed", performed, {"note": "回访确认履行完毕"}, on)]

    # mediation requested by the parties (§3.4), with judicial confirmation (§3.5)

    MEDIATION_ROUTES = {"declined": 8, "failed": 25, "performed": 45, "confirmed": 17, "confirmation_rejected": 2,
                        "confirmation_refused": 3}

    def mediation(self, org: AgencyRef, ip_type: str, received: date, route: str) -> Story:
        rng = self.rng
        holder, respondent = self.holder(), self.respondent("mediation_org", org.region_code, ip_type, 0.7)
        spec = CaseSpec("mediation", org, ip_type, rng.choices(("complaint", "agency_referral"), (80, 20))[0],
                        self.case_region(org), received,
                        f"{holder.name}与{respondent.name}{MEDIATION_DISPUTES[ip_type]}调解",
                        [holder, respondent], self.money(60000) if rng.random() < 0.6 else None)
        if route == "declined":
            return Story(spec, [Step("decline", self.later(received, 1, 5), {
                "ground": rng.choice(("other_party_refuses", "in_court_or_arbitration", "ownership_or_validity")),
                "reason": "不符合受理条件"}, role="agency_head")])
        steps = [Step("accept", self.later(received, 1, 5), {"note": "双方同意调解"})]
        if route == "failed" and rng.random() < 0.2:
            steps.append(Step("fail", self.later(steps[-1].day, 3, 20), {
                "reason": "被申请人拒绝参加调解", "suggested_route": "litigation"}))
            return Story(spec, steps)
        day = self.later(steps[-1].day, 1, 7)
        steps.append(Step("start_mediation", day, {"mediators": f"{rng.choice(SURNAMES)}调解员"}))
        for _ in range(rng.randint(1, 3)):
            day = self.later(day, 3, 15)
            steps.append(Step("log_session", day, {"session_date": day.isoformat(), "summary": "组织双方面对面协商"}))
        day = self.later(day, 3, 20)
        if route == "failed":
            steps.append(Step("fail", day, {"reason": "双方分歧较大，调解不成", "suggested_route": rng.choice(
                ("litigation", "litigation", "arbitration", "administrative_ruling"))}))
            return Story(spec, steps)
        steps.append(Step("settle", day, {"terms": "被申请人停止使用并支付许可费", "amount": yuan(self.money(40000)),
                                          "performance_date": (day + timedelta(days=30)).isoformat()}))
        if route == "performed":
            day = self.later(day, 5, 27) if rng.random() < 0.85 else self.later(day, 31, 60)
            steps.append(Step("record_performance", day, {"performed_on": day.isoformat(), "note": "已履行完毕"}))
            steps.append(Step("close_performed", self.later(day, 0, 10), {"note": "回访确认"}))
            return Story(spec, steps)
        court = self.agencies[f"{org.region_code}-court"]
        day = self.later(day, 1, 25) if rng.random() < 0.95 else day + timedelta(days=rng.randint(31, 40))
        steps.append(Step("apply_confirmation", day, {"court": court.code, "reason": "双方共同申请司法确认"}))
        on = ("judicial_confirmation",)
        if route == "confirmation_refused":
            steps.append(Step("refuse", day + timedelta(days=rng.randint(1, 3)), {
                "ground": rng.choice(("not_competent", "ip_ownership_or_validity", "not_joint_or_late")),
                "reason": "不符合司法确认受理条件"}, on))
            return Story(spec, steps)
        day += timedelta(days=rng.choice((0, 1, 2, 3, 3, 5)))
        steps.append(Step("accept", day, {"note": "予以受理"}, on))
        day += timedelta(days=rng.randint(0, 3))
        steps.append(Step("start_review", day, {"judge": f"{rng.choice(SURNAMES)}法官"}, on))
        day += timedelta(days=rng.randint(3, 14) if rng.random() < 0.95 else rng.randint(16, 22))
        if route == "confirmed":
            steps.append(Step("confirm", day, {"ruling_number": f"（{day.year}）黑民特{rng.randint(1, 900)}号"}, on))
            steps.append(Step("close_confirmed", day + timedelta(days=rng.randint(1, 10)),
                              {"note": "裁定书已送达"}, on))
        else:
            steps.append(Step("reject", day, {"ground": rng.choice(("violates_law", "unclear", "not_voluntary")),
                                              "ruling_number": f"（{day.year}）黑民特{rng.randint(1, 900)}号"}, on))
            steps.append(Step("close_rejected", day + timedelta(days=rng.randint(1, 10)), {"note": "裁定书已送达"}, on))
        return Story(spec, steps)

    # patent-dispute administrative rulings (§3.2)

    PATENT_ROUTES = {"declined": 10, "ruled": 55, "settled": 20, "withdrawn": 15}

    def patent_ruling(self, office: AgencyRef, ip_type: str, received: date, route: str) -> Story:
        rng = self.rng
        holder, respondent = self.holder(), self.respondent("ip_office", office.region_code, ip_type, 0.85)
        spec = CaseSpec("patent_ruling", office, ip_type, "complaint", self.case_region(office), received,
                        f"{holder.name}请求处理{respondent.name}侵犯{PATENT_ZH[ip_type]}专利权纠纷案",
                        [holder, respondent])
        steps = []
        if rng.random() < 0.05:
            steps.append(Step("extend_filing", self.wd(received, 3, 4), {"reason": "案情特别复杂",
                                                                          "extension_amount": 5}))
        day = self.wd(steps[-1].day if steps else received, 2, 5)
        if route == "declined":
            return Story(spec, steps + [Step("decline_to_file", day, {
                "ground": rng.choice(("not_patentee", "in_court", "not_competent", "no_claims")),
                "reason": "不符合立案条件，已通知请求人"})])
        steps.append(Step("file_case", day, {"panel": "合议组三人", "note": "符合立案条件"}))
        filed = day
        day = self.wd(day, 1, 5)
        abroad = rng.random() < 0.07
        steps.append(Step("serve_on_respondent", day, {"respondent_domicile": "abroad" if abroad else "domestic",
                                                       "service_method": rng.choice(("direct", "post", "electronic"))}))
        day = self.later(day, 5, 28 if abroad else 14)
        steps.append(Step("receive_answer", day, {"note": "被请求人提交答辩书，主张现有技术抗辩"}))
        if route == "withdrawn" and rng.random() < 0.5:
            day = self.later(day, 2, 20)
            steps += [Step("withdraw", day, {"reason": "双方和解，请求人撤回请求"}),
                      Step("close_withdrawn", self.later(day, 1, 10), {"note": "撤回结案"})]
            return Story(spec, steps)
        day = self.later(day, 5, 20)
        steps.append(Step("schedule_hearing", day, {"hearing_mode": rng.choice(("on_site", "on_site", "remote")),
                                                    "hearing_date": "口头审理定于通知后第五个工作日"}))
        if rng.random() < 0.08:
            day = self.later(day, 2, 10)
            steps.append(Step("suspend_proceedings", day, {"reason": rng.choice(("suspension", "appraisal")),
                                                           "note": "无效宣告请求已受理"}))
            day = self.later(day, 15, 60)
            steps.append(Step("resume_proceedings", day, {"note": "恢复审理"}))
        if route == "withdrawn":
            day = self.later(day, 2, 20)
            steps += [Step("withdraw", day, {"reason": "双方和解，请求人撤回请求"}),
                      Step("close_withdrawn", self.later(day, 1, 10), {"note": "撤回结案"})]
        elif route == "settled":
            day = self.later(day, 3, 15)
            steps.append(Step("start_mediation", day, {"note": "双方同意调解"}))
            day = self.later(day, 5, 30)
            steps += [Step("settle", day, {"terms": "被请求人停止制造、销售并赔偿", "amount": yuan(self.money(80000))}),
                      Step("close_settled", self.later(day, 1, 15), {"note": "已履行"})]
        else:
            day = max(self.later(day, 5, 20), self.work(filed + timedelta(days=rng.randint(40, 88))))
            ruling = rng.choices(("infringement_found", "request_rejected"), (80, 20))[0]
            steps.append(Step("rule", day, {"ruling": ruling, "reasons": "被控侵权产品落入专利权保护范围"}))
            day = self.wd(day, 3, 18)
            steps += [Step("publish", day, {"note": "已在门户网站公开"}),
                      Step("close_ruled", self.later(day, 1, 20), {"note": "当事人已履行裁决"})]
        return Story(spec, steps)

    # copyright inspections (reported figures)

    def inspections(self, total_by_year: dict[int, int], rows_by_year: int = 62) -> list[tuple]:
        """(agency, day, units, campaign, note) rows whose units add up to each year's total."""
        rng, rows = self.rng, []
        notes = ("检查网吧、书店、音像制品经营单位", "检查网络服务提供者及网店", "检查影院、KTV及网吧",
                 "检查出版物市场及印刷复制企业")
        for year, total in total_by_year.items():
            campaigns = [(f"剑网{year}", (7, 1), (11, 30), 4), ("青少年版权保护季", (1, 5), (3, 31), 1),
                         (None, (1, 5), (12, 25), 2)]
            if year >= 2018:
                campaigns += [(f"秋风{year}", (4, 1), (10, 31), 2), ("院线电影版权保护专项", (2, 1), (3, 31), 1)]
            drafts = []
            for _ in range(rows_by_year):
                campaign, first, last, _w = rng.choices(campaigns, weights=[c[3] for c in campaigns])[0]
                day = self.between(date(year, *first), date(year, *last))
                drafts.append((self.agency("copyright"), day, campaign, rng.choice(notes), rng.lognormvariate(0, 0.7)))
            units = [1 + n for n in split(total - len(drafts), [d[4] for d in drafts])]
            rows += [(agency, day, n, campaign, note) for (agency, day, campaign, note, _), n in zip(drafts, units,
                                                                                                     strict=True)]
        return sorted(rows, key=lambda r: (r[1], r[0].id))


# --- the history: what DOMAIN §5 counts, and realistic surroundings ---------------------------

# kind, ip_type, filed in the period (counted by the agency owning the case in the end), received
# in the period and not filed, filed in 2015, filed early in 2021 (received late in 2020).
ADMIN_PLAN = (
    ("market_regulation", "unfair_competition", 609, 84, 5, 6),
    ("market_regulation", "trademark", 1850, 236, 12, 14),
    ("market_regulation", "patent_utility_model", 128, 18, 1, 2),
    ("market_regulation", "patent_design", 82, 11, 1, 1),
    ("market_regulation", "patent_invention", 50, 7, 0, 1),
    ("market_regulation", "counterfeit_goods", 330, 41, 3, 4),
    ("market_regulation", "geographical_indication", 45, 6, 0, 1),
    ("market_regulation", "trade_secret", 28, 9, 0, 1),
    ("copyright", "copyright", 36, 22, 2, 2),
    ("agriculture", "plant_variety", 1536, 172, 10, 12),
    ("agriculture", "trademark", 70, 9, 0, 1),
    ("forestry_grassland", "plant_variety", 48, 8, 1, 1),
    ("customs", "trademark", 150, 8, 1, 2),
    ("customs", "counterfeit_goods", 20, 2, 0, 0),
    ("ip_office", "patent_utility_model", 52, 7, 1, 1),
    ("ip_office", "patent_invention", 38, 5, 0, 0),
    ("ip_office", "patent_design", 25, 3, 0, 0),
)
# Handoffs among those: (filed, not filed, (accepted from / returned by, agency kind)).
ADMIN_HANDOFFS = {
    ("market_regulation", "trademark"): [(15, 2, ("accepted", "market_regulation")),
                                         (6, 2, ("returned", "market_regulation")), (2, 0, ("returned", "copyright"))],
    ("market_regulation", "unfair_competition"): [(6, 1, ("accepted", "market_regulation")),
                                                  (3, 0, ("returned", "market_regulation"))],
    ("copyright", "copyright"): [(3, 1, ("accepted", "market_regulation"))],
    ("agriculture", "plant_variety"): [(8, 1, ("accepted", "market_regulation")), (5, 0, ("accepted", "agriculture")),
                                       (3, 1, ("returned", "forestry_grassland"))],
    ("forestry_grassland", "plant_variety"): [(2, 0, ("accepted", "agriculture"))],
}
# Suspected crimes proposed for transfer to the police, among the filed cases.
ADMIN_TRANSFERS = {("market_regulation", "trademark"): 92, ("market_regulation", "counterfeit_goods"): 24,
                   ("market_regulation", "trade_secret"): 3, ("market_regulation", "patent_invention"): 1,
                   ("copyright", "copyright"): 2, ("agriculture", "plant_variety"): 38, ("agriculture", "trademark"): 3,
                   ("forestry_grassland", "plant_variety"): 2, ("customs", "trademark"): 4,
                   ("ip_office", "patent_invention"): 2}
CRIME_IP_WEIGHTS = {"trademark": 55, "counterfeit_goods": 20, "copyright": 12, "plant_variety": 8, "trade_secret": 3,
                    "patent_invention": 2}
# Civil cases concluded in the period, by outcome: 3476 of 5015 mediated or withdrawn (69.31 %).
CIVIL_OUTCOMES = {"mediated": 1520, "withdrawn": 1956, "judgment": 1372, "dismissed": 167}
CIVIL_GROWTH = (13, 16, 20, 24, 27)
CIVIL_FROM_2015, CIVIL_INTO_2021, CIVIL_FILED_2021 = 42, 98, 30
INSPECTION_UNITS = {2016: 5800, 2017: 6400, 2018: 7000, 2019: 7500, 2020: 8059}  # 34759 units
MEDIATIONS_BY_YEAR = {2015: 5, 2016: 50, 2017: 90, 2018: 130, 2019: 180, 2020: 230, 2021: 10}
RULINGS_BY_YEAR = {2015: 2, 2016: 25, 2017: 32, 2018: 42, 2019: 50, 2020: 61, 2021: 3}


def civil_duration(rng: random.Random, outcome: str) -> int:
    median, low = {"withdrawn": (45, 3), "dismissed": (35, 3), "mediated": (60, 12), "judgment": (120, 30)}[outcome]
    return max(low, min(420, int(rng.lognormvariate(math.log(median), 0.6))))


def plan_history(p: Planner) -> tuple[list[Story], list[tuple]]:
    """Every story of the 2016–2020 history (and its 2015/2021 edges), and the inspection rows."""
    rng, stories = p.rng, []
    first, last = PERIOD
    variants = Planner.TRANSFER_VARIANTS
    for kind, ip_type, filed, not_filed, before, after in ADMIN_PLAN:
        handoffs = ADMIN_HANDOFFS.get((kind, ip_type), ())
        special: list = [("handoff", how) for n, _, how in handoffs for _ in range(n)]
        days = p.days_by_growth(filed)
        order = list(range(filed))
        rng.shuffle(order)
        plan = [None] * filed
        for i, item in zip(order, special, strict=False):
            plan[i] = item
        free = [i for i in order[len(special):] if days[i] <= date(2020, 10, 31)]
        for i in free[:ADMIN_TRANSFERS.get((kind, ip_type), 0)]:
            plan[i] = ("transfer", p.pick(variants))
        edges = ([p.between(date(2015, 3, 2), date(2015, 12, 15)) for _ in range(before)]
                 + [p.between(date(2021, 1, 5), date(2021, 1, 29)) for _ in range(after)])
        for day, item in [*zip(days, plan, strict=True), *((d, None) for d in edges)]:
            agency = p.agency(kind)
            handoff = transfer = None
            if item and item[0] == "handoff":
                status, other = item[1]
                handoff = (status, p.other_agency(agency, other))
            elif item:
                transfer = item[1]

            def build(agency=agency, ip_type=ip_type, day=day, handoff=handoff, transfer=transfer):
                return p.admin(agency, ip_type, filed_on=day, handoff=handoff, transfer=transfer)

            def plain(agency=agency, ip_type=ip_type, day=day):
                return p.admin(agency, ip_type, filed_on=day)

            fallback = plain if transfer else None
            stories.append(p.fit(build, fallback))
        not_filed_handoffs = [how for _, n, how in handoffs for _ in range(n)]
        for i, day in enumerate(p.days_by_growth(not_filed)):
            agency = p.agency(kind)
            handoff = None
            if i < len(not_filed_handoffs):
                status, other = not_filed_handoffs[i]
                handoff = (status, p.other_agency(agency, other))
            stories.append(p.fit(lambda agency=agency, ip_type=ip_type, day=day, handoff=handoff: p.admin(
                agency, ip_type, received_on=day, route="not_filed", handoff=handoff)))

    # Criminal cases solved in the period: the transfers' and the police's own, to the exact totals.
    solved = [s for story in stories for s in story.steps if s.name == "solve" and first <= s.day <= last]
    count = TARGETS["public_security.criminal_cases_solved"] - len(solved)
    suspects = [p.suspects() for _ in range(count)]
    need = TARGETS["public_security.suspects_arrested"] - sum(s.fields["suspects_arrested"] for s in solved)
    if not count <= need <= 6 * count:
        raise WalkError(f"cannot share {need} suspects among {count} cases")
    while sum(suspects) != need:
        i = rng.randrange(count)
        if sum(suspects) > need and suspects[i] > 1:
            suspects[i] -= 1
        elif sum(suspects) < need and suspects[i] < 6:
            suspects[i] += 1
    rest = TARGETS["public_security.amount_involved_fen"] - sum(
        int(Decimal(s.fields["amount_involved"]) * 100) for s in solved)
    amounts = split(rest, [rng.lognormvariate(0, 1.3) for _ in range(count)])
    for i, day in enumerate(p.days_by_growth(count)):
        agency, ip_type = p.agency("public_security"), p.pick(CRIME_IP_WEIGHTS)
        handoff_to = p.other_agency(agency, "public_security") if i % 150 == 75 else None
        stories.append(p.fit(lambda agency=agency, ip_type=ip_type, day=day, i=i, handoff_to=handoff_to: p.police(
            agency, ip_type, solved_on=day, suspects=suspects[i], amount_fen=amounts[i], handoff_to=handoff_to)))
    edges = ([("solved", p.between(date(2021, 1, 6), date(2021, 3, 31))) for _ in range(22)]
             + [("solved", p.between(date(2015, 9, 1), date(2015, 12, 20))) for _ in range(6)]
             + [("cancelled", d) for d in p.days_by_growth(30)] + [("returned", d) for d in p.days_by_growth(15)])
    for route, day in edges:
        agency, ip_type = p.agency("public_security"), p.pick(CRIME_IP_WEIGHTS)
        if route == "solved":
            def build(agency=agency, ip_type=ip_type, day=day):
                return p.police(agency, ip_type, solved_on=day, suspects=p.suspects())
        else:
            def build(agency=agency, ip_type=ip_type, day=day, route=route):
                return p.police(agency, ip_type, received_on=day, route=route)
        stories.append(p.fit(build))

    stories += _plan_civil(p)
    for year, count in MEDIATIONS_BY_YEAR.items():
        for _ in range(count):
            org, ip_type = p.agency("mediation_org"), p.pick(MEDIATION_IP_WEIGHTS)
            day, route = p.between(date(year, 1, 5), date(year, 12, 28)), p.pick(Planner.MEDIATION_ROUTES)
            if year == 2021:
                day = p.between(date(2021, 1, 5), date(2021, 2, 26))
            stories.append(p.fit(lambda org=org, ip_type=ip_type, day=day, route=route: p.mediation(
                org, ip_type, day, route), lambda org=org, ip_type=ip_type, day=day: p.mediation(
                org, ip_type, day, "failed")))
    for year, count in RULINGS_BY_YEAR.items():
        for _ in range(count):
            office = p.agency("ip_office")
            ip_type = rng.choices(PATENT_IPS, weights=(35, 45, 20))[0]
            day, route = p.between(date(year, 1, 5), date(year, 12, 28)), p.pick(Planner.PATENT_ROUTES)
            if year == 2021:
                day = p.between(date(2021, 1, 5), date(2021, 2, 26))
            stories.append(p.fit(lambda office=office, ip_type=ip_type, day=day, route=route: p.patent_ruling(
                office, ip_type, day, route), lambda office=office, ip_type=ip_type, day=day: p.patent_ruling(
                office, ip_type, day, "declined")))

    inspections = p.inspections(INSPECTION_UNITS)
    inspections += [(p.agency("copyright"), p.between(date(2015, 11, 2), date(2015, 12, 30)), units,
                     "打击侵权盗版专项", "检查出版物市场") for units in (120, 95)]
    inspections += [(p.agency("copyright"), p.between(date(2021, 1, 4), date(2021, 3, 31)), units,
                     "青少年版权保护季", "检查校园周边书店、文具店") for units in (160, 88, 140)]
    stories.sort(key=lambda s: s.spec.received_on)
    return stories, inspections


def _plan_civil(p: Planner) -> list[Story]:
    rng, stories = p.rng, []
    first, last = PERIOD
    outcomes = [outcome for outcome, n in CIVIL_OUTCOMES.items() for _ in range(n)]
    rng.shuffle(outcomes)
    early, within = outcomes[:CIVIL_FROM_2015], outcomes[CIVIL_FROM_2015:]
    plans = []  # (received, closed, outcome)
    for outcome in early:
        received = p.between(date(2015, 8, 3), date(2015, 12, 30))
        plans.append((received, p.between(date(2016, 1, 4), date(2016, 5, 31)), outcome))
    last_working = p.cal.subtract_working_days(last + timedelta(days=1), 1)
    for received, outcome in zip(p.days_by_growth(len(within), weights=CIVIL_GROWTH), within, strict=True):
        duration = civil_duration(rng, outcome)
        if received + timedelta(days=duration) > last:
            received = p.work(last - timedelta(days=duration + rng.randint(2, 60)))
        plans.append((received, min(last_working, p.work(received + timedelta(days=duration))), outcome))
    for _ in range(CIVIL_INTO_2021):
        outcome = rng.choices(list(CIVIL_OUTCOMES), weights=(3, 3, 4, 1))[0]
        plans.append((p.between(date(2020, 7, 1), date(2020, 12, 30)), p.between(date(2021, 1, 5), LIMIT), outcome))
    for _ in range(CIVIL_FILED_2021):
        outcome = rng.choices(list(CIVIL_OUTCOMES), weights=(3, 3, 4, 1))[0]
        received = p.between(date(2021, 1, 4), date(2021, 3, 31))
        plans.append((received, p.between(received + timedelta(days=20), LIMIT), outcome))
    settled_left, failed_left, handoffs_left = 300, 100, 15
    for received, closed, outcome in plans:
        court, span = p.agency("court"), (closed - received).days
        entrusted = handoff_to = None
        if outcome == "mediated" and span >= 25 and settled_left and rng.random() < 0.25:
            entrusted, settled_left = "settled", settled_left - 1
        elif outcome in ("judgment", "withdrawn") and span >= 70 and failed_left and rng.random() < 0.05:
            entrusted, failed_left = "failed", failed_left - 1
        elif span >= 40 and handoffs_left and rng.random() < 0.01:
            handoff_to, handoffs_left = p.other_agency(court, "court"), handoffs_left - 1
        stories.append(p.civil(court, p.pick(CIVIL_IP_WEIGHTS), received, closed, outcome, entrusted=entrusted,
                               handoff_to=handoff_to))
    return stories


BENCH_MIX = {"admin": 45, "admin_not_filed": 5, "civil": 36, "police": 5, "mediation": 7, "patent_ruling": 2}


def generate_cases(p: Planner, n: int, first: date, last: date) -> list[Story]:
    """A random mix of ``n`` stories received between ``first`` and ``last`` (the benchmark's)."""
    rng, stories = p.rng, []
    admin_kinds = [(kind, ip_type) for kind, ip_type, *_ in ADMIN_PLAN]
    admin_weights = [filed + not_filed for _k, _i, filed, not_filed, *_ in ADMIN_PLAN]
    days = sorted(p.between(first, last) for _ in range(n))
    for day, what in zip(days, rng.choices(list(BENCH_MIX), weights=list(BENCH_MIX.values()), k=n), strict=True):
        if what.startswith("admin"):
            kind, ip_type = rng.choices(admin_kinds, weights=admin_weights)[0]
            agency = p.agency(kind)
            route = "not_filed" if what == "admin_not_filed" else "penalty"
            transfer = p.pick(Planner.TRANSFER_VARIANTS) if route == "penalty" and rng.random() < 0.05 else None
            handoff = (("accepted", p.other_agency(agency, kind)) if not transfer and rng.random() < 0.02 else None)

            def build(agency=agency, ip_type=ip_type, day=day, route=route, transfer=transfer, handoff=handoff):
                return p.admin(agency, ip_type, received_on=day, route=route, transfer=transfer, handoff=handoff)

            stories.append(p.fit(build, lambda agency=agency, ip_type=ip_type, day=day: p.admin(
                agency, ip_type, received_on=day, route="not_filed")))
        elif what == "civil":
            outcome = rng.choices(list(CIVIL_OUTCOMES), weights=list(CIVIL_OUTCOMES.values()))[0]
            closed = p.work(min(p.limit - timedelta(days=7), day + timedelta(days=civil_duration(rng, outcome))))
            if (closed - day).days < 12:
                outcome = "withdrawn"
            court = p.agency("court")
            settles = outcome == "mediated" and (closed - day).days >= 25 and rng.random() < 0.2
            entrusted = "settled" if settles else None
            stories.append(p.civil(court, p.pick(CIVIL_IP_WEIGHTS), day, max(closed, day), outcome,
                                   entrusted=entrusted))
        elif what == "police":
            agency, ip_type = p.agency("public_security"), p.pick(CRIME_IP_WEIGHTS)
            route = rng.choices(("solved", "cancelled", "returned"), weights=(85, 10, 5))[0]
            stories.append(p.fit(lambda agency=agency, ip_type=ip_type, day=day, route=route: p.police(
                agency, ip_type, received_on=day, route=route, suspects=p.suspects()), lambda agency=agency,
                ip_type=ip_type, day=day: p.police(agency, ip_type, received_on=day, route="cancelled")))
        elif what == "mediation":
            org, ip_type = p.agency("mediation_org"), p.pick(MEDIATION_IP_WEIGHTS)
            route = p.pick(Planner.MEDIATION_ROUTES)
            stories.append(p.fit(lambda org=org, ip_type=ip_type, day=day, route=route: p.mediation(
                org, ip_type, day, route), lambda org=org, ip_type=ip_type, day=day: p.mediation(
                org, ip_type, day, "declined")))
        else:
            office, ip_type = p.agency("ip_office"), rng.choice(PATENT_IPS)
            route = p.pick(Planner.PATENT_ROUTES)
            stories.append(p.fit(lambda office=office, ip_type=ip_type, day=day, route=route: p.patent_ruling(
                office, ip_type, day, route), lambda office=office, ip_type=ip_type, day=day: p.patent_ruling(
                office, ip_type, day, "declined")))
    return stories


# --- loading ---------------------------------------------------------------------------------


@contextmanager
def paused_gc():
    """Building rows makes millions of objects that live until their chunk is inserted; the
    cyclic collector would rescan them again and again. The caller collects when it suits."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _NoBar:
    def update(self, n: int) -> None:
        pass


def _no_progress(label: str, total: int) -> AbstractContextManager:
    return nullcontext(_NoBar())


def draft_figures(cases: list[CaseDraft], inspections: list[tuple]) -> dict[str, int]:
    """The TARGETS figures of walked cases, counted as DOMAIN §5 says (the self-check)."""
    first, last = PERIOD

    def within(day):
        return day is not None and first <= day <= last

    admin = [c for c in cases if c.workflow == "admin_enforcement" and within(c.filed_on)]
    civil = [c for c in cases if c.workflow == "civil_litigation"]
    concluded = [c for c in civil if within(c.closed_on) and c.outcome in CONCLUDED_CIVIL]
    solved = [c for c in cases if c.workflow == "criminal_transfer" and c.agency.kind == "public_security"
              and within(c.solved_on)]
    return {
        "market_regulation.unfair_competition_cases": sum(
            c.agency.kind == "market_regulation" and c.ip_type == "unfair_competition" for c in admin),
        "copyright.inspected_units": sum(units for agency, day, units, *_ in inspections
                                         if agency.kind == "copyright" and within(day)),
        "copyright.cases": sum(c.agency.kind == "copyright" for c in admin),
        "agriculture.seed_violation_cases": sum(c.agency.kind == "agriculture" and c.ip_type == "plant_variety"
                                                for c in admin),
        "court.civil_first_instance.accepted": sum(within(c.filed_on) for c in civil),
        "court.civil_first_instance.concluded": len(concluded),
        "court.civil_first_instance.mediated_or_withdrawn": sum(c.outcome in ("mediated", "withdrawn")
                                                                for c in concluded),
        "public_security.criminal_cases_solved": len(solved),
        "public_security.suspects_arrested": sum(c.suspects_arrested or 0 for c in solved),
        "public_security.amount_involved_fen": sum(c.amount_involved_fen or 0 for c in solved),
    }


def _insert(rows: dict[str, list[tuple]], progress, label: str) -> dict[str, int]:
    counts = {}
    with progress(label, sum(len(r) for r in rows.values())) as bar:
        for table in INSERT_ORDER:
            if rows.get(table):
                counts.update(insert_rows({table: rows[table]}))
                bar.update(len(rows[table]))
    return counts


def build_history(agencies: dict[str, AgencyRef], ids: Ids, counters: dict[tuple[int, int], int], dialect: str,
                  progress: Callable[[str, int], AbstractContextManager] = _no_progress):
    """The history's rows (ids after ``ids``, numbers after ``counters``), its figures, and the
    walker (its cases and numbers). Raises HistoryError if the figures are not the TARGETS."""
    users = Users(ids)
    calendar = MemoCalendar.of(load_calendar())
    stories, inspections = plan_history(Planner(random.Random(SEED), agencies, calendar=calendar))
    walker = Walker(engine.workflows(), agencies, users, ids, calendar)
    with progress("walking the cases through their workflows", len(stories)) as bar, paused_gc():
        for story in stories:
            walker.walk(story)
            bar.update(1)
    figures = draft_figures(walker.cases, inspections)
    wrong = {key: (figures[key], want) for key, want in TARGETS.items() if figures[key] != want}
    if wrong:
        raise HistoryError(f"the generated history does not give the plan figures (got, wanted): {wrong}")
    walker.assign_numbers(counters)
    fmt = RowFormat(dialect)
    inspection_rows = [(ids.next("inspection_records"), agency.id, fmt.day(day), units, campaign, note,
                        users.get(agency, "officer").id, fmt.stamp(day, 480))
                       for agency, day, units, campaign, note in inspections]
    rows = build_rows(walker, ids, fmt)
    rows["inspection_records"] = inspection_rows
    return rows, figures, walker


def load_history(progress: Callable[[str, int], AbstractContextManager] | None = None) -> dict:
    """Build and insert the 2016–2020 history in the session's transaction (the caller commits),
    with one audit entry. ``progress(label, total)`` gives a context manager whose value has
    ``update(n)`` (``click.progressbar`` does). Raises HistoryError, writing nothing, if the
    reference data is missing, the history is already loaded, or the figures would not match."""
    from casesys import audit

    progress = progress or _no_progress
    agencies = load_agencies()
    check_reference(agencies)
    if history_loaded():
        raise HistoryError("the history is already loaded")
    counters = load_counters()
    rows, figures, walker = build_history(agencies, Ids.from_database(), counters,
                                          db.session.get_bind().dialect.name, progress)
    counts = _insert(rows, progress, "inserting rows")
    save_counters(counters, {(n.agency.id, n.year) for n in walker.numbers})
    finish_inserts()
    summary = {"cases": counts["cases"], "events": counts["case_events"], "clocks": counts["case_clocks"],
               "parties": counts["parties"], "links": counts.get("case_links", 0),
               "handoffs": counts.get("handoffs", 0), "inspection_records": counts["inspection_records"],
               "users": counts["users"], "by_workflow": dict(sorted(Counter(c.workflow for c in walker.cases).items())),
               "period": [PERIOD[0].isoformat(), PERIOD[1].isoformat()], "seed": SEED}
    audit.record("seed.history", "dataset", "history-2016-2020", None, **summary, figures=figures)
    return summary


def load_bulk(n: int, *, seed: int = SEED, first: date = PERIOD[0], last: date = PERIOD[1], chunk: int = 20_000,
              on_chunk: Callable[[int, dict], None] | None = None, commit: Callable[[], None] | None = None) -> dict:
    """``n`` cases of ``generate_cases`` (plus the cases they open), built and inserted ``chunk``
    at a time, each chunk's dates later than the last's; ``commit`` after each chunk."""
    agencies = load_agencies()
    check_reference(agencies)
    today = today_in_china()
    existing = dict(db.session.execute(select(User.username, User.id)
                                       .where(User.username.startswith(USERNAME_PREFIX, autoescape=True))).all())
    ids = Ids.from_database()
    calendar = MemoCalendar.of(load_calendar())
    planner = Planner(random.Random(seed), agencies, calendar=calendar,
                      limit=min(today - timedelta(days=1), last + timedelta(days=200)))
    walker = Walker(engine.workflows(), agencies, Users(ids, existing), ids, calendar)
    return _load_bulk(n, planner, walker, ids, first, last, chunk, on_chunk, commit)


def _load_bulk(n, planner, walker, ids, first, last, chunk, on_chunk, commit) -> dict:
    from time import perf_counter

    counters, touched = load_counters(), set()
    fmt = RowFormat(db.session.get_bind().dialect.name)
    chunks, span = max(1, math.ceil(n / chunk)), (last - first).days + 1
    db.session.commit()  # SQLite: let go of the write lock; the inserter writes on its own connection
    inserter = _Inserter(db.engine)
    inserter.start()
    build = waited = 0.0
    done = 0
    try:
        with paused_gc():
            for i in range(chunks):
                size = n * (i + 1) // chunks - n * i // chunks
                lo = first + timedelta(days=span * i // chunks)
                hi = first + timedelta(days=span * (i + 1) // chunks - 1)
                started = perf_counter()
                for story in generate_cases(planner, size, lo, hi):
                    walker.walk(story)
                touched |= {(num.agency.id, num.year) for num in walker.numbers}
                walker.assign_numbers(counters)
                rows = build_rows(walker, ids, fmt)
                walker.reset()
                if i % 10 == 9:
                    gc.collect()
                built = perf_counter()
                inserter.put(rows)
                del rows
                waited += perf_counter() - built
                build += built - started
                done += size
                if on_chunk is not None:
                    on_chunk(done, {"rows": sum(inserter.counts.values()), "build": build,
                                    "insert": inserter.seconds})
    finally:
        inserter.finish()
    save_counters(counters, touched)
    finish_inserts()
    if commit is not None:
        commit()
    return {"counts": dict(inserter.counts), "build": build, "insert": inserter.seconds, "waited": waited}
