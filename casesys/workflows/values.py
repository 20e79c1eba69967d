"""The plain values the decision core (``casesys.workflows.decide``) reads and returns.

No ORM and no database here: the request shell (``engine``) builds these from locked rows
and writes the answer back; the history generator (``casesys.seeding.history``) keeps them
as its drafts and turns them into rows. Both ask the same core, so a rule lives in one place.

What the core reads of a case is ``CaseFacts``; the history generator's drafts carry the same
attributes, so it hands them over as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from casesys.workcalendar import WorkingCalendar
    from casesys.workflows.definitions import Effect, FieldDef, WorkflowDef


# --- what the core reads -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegionFacts:
    code: str
    path: str


@dataclass(frozen=True, slots=True)
class AgencyFacts:
    id: int
    code: str
    kind: str
    region_code: str
    region: RegionFacts


@dataclass(frozen=True, slots=True)
class ActorFacts:
    """Who fires a step: what the side and approval rules read of a user."""

    id: int
    agency_id: int
    agency: AgencyFacts
    roles: frozenset[str]


@dataclass(slots=True)
class Pause:
    paused_on: date
    resumed_on: date | None = None
    event_id: int | None = None  # the step that paused it; a new pause gets it from its shell


@dataclass(slots=True)
class Extension:
    step: int
    amount: int
    unit: str
    approver_role: str
    approved_by_id: int
    granted_on: date
    event_id: int | None = None


@dataclass(slots=True)
class ClockState:
    """One statutory clock as ``casesys.workflows.clocks`` reads and writes it."""

    key: str
    status: str
    started_on: date
    started_at: datetime | None
    duration: int
    unit: str
    due_on: date | None = None
    strict_due_on: date | None = None
    due_at: datetime | None = None
    calendar_unconfirmed: bool = False
    stopped_on: date | None = None
    next_reminder_on: date | None = None
    pauses: list[Pause] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    id: int | None = None
    stopped_at: datetime | None = None  # hour clocks: the moment it stopped

    def copy(self) -> ClockState:
        """A copy the core may change: the caller's clock (and its pauses) stay as they were."""
        return ClockState(self.key, self.status, self.started_on, self.started_at, self.duration, self.unit,
                          self.due_on, self.strict_due_on, self.due_at, self.calendar_unconfirmed, self.stopped_on,
                          self.next_reminder_on, [Pause(p.paused_on, p.resumed_on, p.event_id) for p in self.pauses],
                          list(self.extensions), self.id, self.stopped_at)


@dataclass(frozen=True, slots=True)
class Grant:
    level: str
    reason: str


@dataclass(frozen=True, slots=True)
class PendingHandoff:
    to_agency: AgencyFacts


@dataclass(slots=True)
class CaseFacts:
    """What the core reads of a case. The request shell loads one from the rows
    (``engine.case_facts``); the history generator's drafts carry the same attributes."""

    number: Any  # text, or the history generator's number not issued yet
    workflow: str
    state: str
    version: int
    agency: AgencyFacts
    agency_id: int
    origin_agency_id: int | None
    region: RegionFacts
    title: str
    ip_type: str
    received_on: date
    amount_involved_fen: int | None
    is_confidential: bool
    assigned_officer_id: int | None
    filed_on: date | None
    solved_on: date | None
    clocks: list[ClockState]
    access: dict[int, Grant]  # agency id -> grant
    pending: PendingHandoff | None
    party_roles: frozenset[str]
    open_children: list[str]  # numbers of linked child cases not yet closed
    last_event_on: date | None


class Agencies:
    """The agencies a step may reach (a receiver named in a field, the same-level police...)."""

    def __init__(self, agencies: Iterable[AgencyFacts]):
        self.by_code: dict[str, AgencyFacts] = {}
        self._at: dict[tuple[str, str], AgencyFacts] = {}
        for agency in sorted(agencies, key=lambda a: a.id):
            self.by_code[agency.code] = agency
            self._at.setdefault((agency.region_code, agency.kind), agency)

    def at(self, region_code: str, kind: str) -> AgencyFacts | None:
        """The agency of ``kind`` at ``region_code`` (两法衔接 pairs agencies by level)."""
        return self._at.get((region_code, kind))


@dataclass(frozen=True, slots=True)
class Moment:
    """When a step is decided: today and now in China, on which working calendar, and the time
    the step happened when it was recorded (hour clocks count from it)."""

    today: date
    now: datetime
    calendar: WorkingCalendar
    at: datetime | None = None


# Turns a form's or story's values into clean ones for the declared fields, or raises
# InvalidInput; the shell supplies it (agency codes are looked up where the shell keeps agencies).
Cleaner = Callable[["list[FieldDef]", dict], dict]


# --- what the core answers ---------------------------------------------------------------------


@dataclass(slots=True)
class Event:
    """One history event (``case_events``); ``id`` is given by the shell."""

    kind: str
    from_state: str | None
    to_state: str
    actor_id: int
    agency_id: int
    effective_on: date
    note: str | None
    data: dict
    id: int | None = None


@dataclass(slots=True)
class AccessChange:
    """Add, raise to full, or remove another agency's read access."""

    op: Literal["add", "raise", "remove"]
    agency_id: int
    level: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Move:
    """Ownership moves to ``to``: the case gets a number in its series, the old one is kept."""

    to: AgencyFacts
    from_agency_id: int
    assignee_id: int | None
    on: date


@dataclass(slots=True)
class HandoffChange:
    op: Literal["send", "accept", "return"]
    to: AgencyFacts | None = None  # send
    reason: str | None = None  # send: why; return: why not
    materials: str | None = None
    clock: ClockState | None = None  # send: the receipt clock


@dataclass(slots=True)
class Opening:
    """A linked case a step opens (a criminal transfer, an entrusted mediation...)."""

    workflow: WorkflowDef
    relation: str
    owner: AgencyFacts
    event: Event
    values: dict[str, Any]  # the new case's columns besides its number
    clocks: list[ClockState]


@dataclass(slots=True)
class Decision:
    """Everything one step does to one case; effects on linked cases are decided on each of
    them in turn (``decide.effect``), once the shell has this case's answer applied."""

    transition: str
    from_state: str
    state: str
    version: int
    event: Event
    changes: dict[str, Any]  # case columns: milestones, recorded values, outcome, closed_on, officer
    clocks: list[ClockState]  # all the case's clocks after the step; an unchanged one is the same object
    marks: list[Pause | Extension]  # new pauses and extensions: the shell gives them the event's id
    opening: Opening | None = None
    move: Move | None = None
    access: list[AccessChange] = field(default_factory=list)
    handoff: HandoffChange | None = None
    effects: list[Effect] = field(default_factory=list)
    caused_by: Any = None  # the number of the case whose step caused this one

    def changed_clocks(self, before: list[ClockState]) -> list[tuple[int, ClockState]]:
        """(index, clock) of each clock that is new or not the object it was."""
        return [(i, c) for i, c in enumerate(self.clocks) if i >= len(before) or c is not before[i]]


@dataclass(frozen=True, slots=True)
class Context:
    """What a decision may consult besides the case: the definitions, the moment, the agencies
    it may reach, and how the shell cleans field values."""

    workflows: dict[str, WorkflowDef]
    moment: Moment
    agencies: Agencies
    clean: Cleaner
