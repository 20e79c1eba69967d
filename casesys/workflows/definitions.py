"""The schema of a workflow file in ``workflows/``: states, clocks, transitions, entries.

The files hold data only. Guards and actions are named here and looked up in
``casesys.workflows.registry``; durations, units and legal bases live here, never in code,
so a change of law is a change of data.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Unit = Literal["natural_days", "working_days", "months", "hours"]
FieldType = Literal["text", "string", "date", "decimal", "integer", "boolean", "choice", "agency"]
# Who fires a transition: the owning agency, the agency the case came from (e.g. the agency
# that transferred a suspected crime), or an agency of the given kind in the case's region
# or above (the procuratorate supervising police filing decisions).
Side = Literal["owner", "origin", "region"]


# Names the transition forms and the API use beside a transition's own fields.
RESERVED_FIELD_NAMES = frozenset({"csrf_token", "effective_on", "expected_version"})


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Data):
    """A label in both languages; Chinese is shown first."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def __call__(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh


class FieldDef(_Data):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: FieldType
    label: Text
    required: bool = False
    choices: dict[str, Text] | None = None  # for type "choice"
    agency_kind: str | None = None  # for type "agency": the kind of agency to pick
    max_length: int = Field(default=2000, gt=0, le=20000)
    future: bool = False  # a date field that may lie ahead (a performance date agreed)
    # A value the statistics need is also copied onto the case row.
    sets: Literal["amount_involved", "suspects_arrested", "fine"] | None = None


class ExtensionStep(_Data):
    """One approved extension: who approves it and how much it may add (None: set by them)."""

    approver: str
    amount: int | None = Field(default=None, gt=0)
    unit: Unit
    label: Text


class ClockDef(_Data):
    label: Text
    duration: int = Field(gt=0)
    unit: Unit
    # A last day that is not a working day moves to the next working day (party and court
    # periods); the strict date is kept as the agency's own target either way.
    roll_forward: bool = False
    legal_basis: Text
    kind: Literal["legal", "follow_up"] = "legal"  # follow_up: an alert, not the legal limit
    extensions: list[ExtensionStep] = []
    # Where the law counts it from: the effective date of the transition that starts it
    # ("transition"), or a date already recorded — the case's received date ("received": 自收到…之日起,
    # and a civil trial period runs from 立案 even when the procedure is chosen later), its filing
    # date ("filed": 自立案之日起), or a date field of the starting step ("field:served_on": 自送达之日起).
    anchor: str = Field(default="transition", pattern=r"^(transition|received|filed|field:[a-z][a-z0-9_]*)$")
    # Only for owners of these kinds (copyright complaints have their own period).
    agency_kinds: list[str] | None = None


class ClockOps(_Data):
    start: list[str] = []
    stop: list[str] = []
    pause: list[str] = []
    resume: list[str] = []
    extend: list[str] = []
    # Start a clock only when a field has a value, e.g. {"trial_simple": {"procedure": "simple"}}.
    when: dict[str, dict[str, str]] = {}

    def all(self) -> list[str]:
        return [*self.start, *self.stop, *self.pause, *self.resume, *self.extend]


class LinkSpec(_Data):
    """A transition that opens a related case in another workflow."""

    workflow: str
    relation: str = Field(pattern=r"^[a-z_]+$")
    # The new case's owner: this case's agency, an agency picked in a field, or the agency of
    # a kind at the same region level as this case's owner.
    owner: Literal["self", "field", "same_region"]
    owner_field: str | None = None
    owner_kind: str | None = None
    state: str | None = None  # the new case's first state (default: its initial state)
    source: str = "agency_referral"  # the new case's source (DOMAIN §2)
    clocks: list[str] = []  # clocks of the new case's workflow to start, besides its entry's


class Effect(_Data):
    """Fire a system transition on a linked case when this one fires; the loader proves that the
    linked case can receive it in every state it can be in then (``loader.check_effects``)."""

    target: Literal["parent", "children"]
    relation: str
    transition: str


class TransitionDef(_Data):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    label: Text
    from_: list[str] = Field(alias="from", min_length=1)
    to: str
    roles: list[str] = []
    agency_kinds: list[str] | None = None  # default: the workflow's owner kinds (side owner)
    side: Side = "owner"
    system: bool = False  # fired only as an effect of another case's transition
    fields: list[FieldDef] = []
    clocks: ClockOps = ClockOps()
    creates: LinkSpec | None = None
    effects: list[Effect] = []
    guard: str | None = None
    action: str | None = None
    outcome: str | None = None  # recorded on the case when it reaches a final state


class StateDef(_Data):
    label: Text
    initial: bool = False
    final: bool = False
    # Who is expected to act next; the inbox lists cases waiting on the user's side.
    waiting_on: Side | None = None
    # Entering this state the first time records the date on the case (filed_on, solved_on):
    # the statistics count cases "filed (立案)" or "solved (破案)" in a period by it.
    milestone: Literal["filed", "solved"] | None = None


class EntryDef(_Data):
    """A way to register a case: in which state, by which agencies and roles."""

    state: str
    agency_kinds: list[str] = Field(min_length=1)
    roles: list[str] = Field(min_length=1)
    clocks: list[str] = []
    label: Text | None = None


class HandoffDef(_Data):
    states: list[str] = Field(min_length=1)
    agency_kinds: list[str] | None = None  # who may receive it (default: the workflow's owner kinds)
    receipt_days: int = Field(default=3, gt=0)
    receipt_legal_basis: Text
    restart_clocks: list[str] = []  # clocks that run again from the receiver's acceptance


class WorkflowDef(_Data):
    key: str = Field(pattern=r"^[a-z_]+$")
    version: int = Field(gt=0)
    label: Text
    agency_kinds: list[str] = Field(min_length=1)
    states: dict[str, StateDef]
    clocks: dict[str, ClockDef] = {}
    transitions: dict[str, TransitionDef]
    entries: list[EntryDef] = Field(min_length=1)
    handoff: HandoffDef | None = None

    @property
    def handoff_receivers(self) -> list[str]:
        return (self.handoff.agency_kinds if self.handoff else None) or self.agency_kinds

    @property
    def initial_state(self) -> str:
        return next(key for key, state in self.states.items() if state.initial)

    def is_final(self, state: str) -> bool:
        return self.states[state].final
