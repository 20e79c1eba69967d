"""Response shapes of the API; the OpenAPI document is generated from these and the inputs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from casesys.cases.access import access_level
from casesys.cases.models import Case, CaseEvent, Party
from casesys.core.params import WholeNumber
from casesys.extensions import db
from casesys.templating import masked
from casesys.workflows import engine, overview
from casesys.workflows.models import CaseFormerNumber


class PartyOut(BaseModel):
    role: str
    kind: str
    name: str
    uscc: str | None
    id_number: str | None = Field(description="masked: only the first 6 and last 4 characters")

    @classmethod
    def of(cls, party: Party) -> PartyOut:
        return cls(role=party.role, kind=party.kind, name=party.name, uscc=party.uscc,
                   id_number=masked(party.id_number) or None)


class EventOut(BaseModel):
    id: int
    kind: str
    from_state: str | None
    to_state: str | None
    actor: str | None
    agency: str | None
    occurred_at: datetime
    effective_on: date
    transition: str | None
    note: str | None
    fields: dict = Field(description="what the step recorded; withheld (empty) from another agency's view")

    @classmethod
    def of(cls, event: CaseEvent) -> EventOut:
        data = event.data or {}
        return cls(id=event.id, kind=event.kind, from_state=event.from_state, to_state=event.to_state,
                   actor=event.actor.username if event.actor else None,
                   agency=event.agency.code if event.agency else None, occurred_at=event.occurred_at,
                   effective_on=event.effective_on, transition=data.get("transition"), note=event.note,
                   fields=data.get("fields", {}))


class CaseOut(BaseModel):
    id: int
    number: str
    workflow: str
    workflow_version: int
    state: str
    version: int
    agency: str
    title: str
    ip_type: str
    source: str
    region: str
    received_on: date
    amount_involved: str | None = Field(description="yuan as an exact decimal string")
    confidential: bool
    assigned_officer: str | None
    outcome: str | None = Field(description="how the case ended, once it reached a final state")
    closed_on: date | None
    created_at: datetime
    parties: list[PartyOut]

    @classmethod
    def of(cls, case: Case) -> CaseOut:
        amount = case.amount_involved
        return cls(id=case.id, number=case.number, workflow=case.workflow,
                   workflow_version=case.workflow_version, state=case.state, version=case.version,
                   agency=case.agency.code, title=case.title, ip_type=case.ip_type, source=case.source,
                   region=case.region_code, received_on=case.received_on,
                   amount_involved=None if amount is None else f"{amount:.2f}",
                   confidential=case.is_confidential,
                   assigned_officer=case.assigned_officer.username if case.assigned_officer else None,
                   outcome=case.outcome, closed_on=case.closed_on, created_at=case.created_at,
                   parties=[PartyOut.of(p) for p in case.parties])


class LabelOut(BaseModel):
    zh: str
    en: str


class ClockOut(BaseModel):
    id: int
    key: str
    label: LabelOut
    legal_basis: LabelOut
    kind: str = Field(description="legal: a statutory limit; follow_up: an alert, not the legal limit")
    status: str = Field(description="running, overdue, paused, met, late or ended")
    started_on: date
    due_on: date = Field(description="the legal due date (rolled to a working day where the rule says so)")
    strict_due_on: date = Field(description="the date before rolling forward: the agency's own target")
    due_at: datetime | None = Field(description="hour clocks only")
    calendar_unconfirmed: bool = Field(description="a year it spans has no imported State Council notice: its "
                                                   "statutory holidays are derived (provisional), make-up working "
                                                   "days are unknown, and the date may move when the notice is "
                                                   "imported")
    remaining_working_days: int | None = Field(description="negative when overdue; null when not running")
    extensions_left: int

    @classmethod
    def of(cls, view) -> ClockOut:
        return cls(id=view.id, key=view.key, label=LabelOut(**view.label.model_dump()),
                   legal_basis=LabelOut(**view.legal_basis.model_dump()), kind=view.kind, status=view.status,
                   started_on=view.started_on, due_on=view.due_on, strict_due_on=view.strict_due_on,
                   due_at=view.due_at, calendar_unconfirmed=view.calendar_unconfirmed,
                   remaining_working_days=view.remaining_working_days, extensions_left=view.extensions_left)


class LinkOut(BaseModel):
    id: int
    workflow: str
    relation: str
    direction: str = Field(description="parent or child, as linked in the family")
    visible: bool = Field(description="whether the caller may open it; if not, state and number are null")
    state: str | None
    number: str | None
    agency: str


class FieldOut(BaseModel):
    name: str
    type: str
    required: bool
    label: LabelOut
    choices: dict[str, LabelOut] | None = None
    agency_kind: str | None = None


class AllowedTransitionOut(BaseModel):
    name: str
    to: str
    label: LabelOut
    fields: list[FieldOut]


class CaseDetailOut(CaseOut):
    access: str = Field(description="full, or status: another agency's notes are withheld")
    former_numbers: list[str]
    history: list[EventOut]
    clocks: list[ClockOut]
    links: list[LinkOut]
    allowed_transitions: list[AllowedTransitionOut]

    @classmethod
    def of(cls, case: Case, user) -> CaseDetailOut:
        access = access_level(user, case) or "status"
        history = [EventOut.of(e) for e in case.events]
        if access == "status":
            history = [h if e.agency_id == user.agency_id else h.model_copy(update={"note": None, "fields": {}})
                       for h, e in zip(history, case.events, strict=True)]
        former = db.session.scalars(select(CaseFormerNumber.number).where(CaseFormerNumber.case_id == case.id)
                                    .order_by(CaseFormerNumber.id))
        links = [LinkOut(id=r.id, workflow=r.workflow, relation=r.relation, direction=r.direction,
                         visible=r.visible, state=r.state, number=r.number, agency=r.agency.code)
                 for r in overview.family(user, case) if r.id != case.id]
        return cls(**CaseOut.of(case).model_dump(), access=access, former_numbers=list(former), history=history,
                   clocks=[ClockOut.of(v) for v in overview.clock_views(case)], links=links,
                   allowed_transitions=[AllowedTransitionOut(name=o.name, to=o.to, label=o.label.model_dump(),
                                                             fields=[f.model_dump(include=set(FieldOut.model_fields))
                                                                     for f in o.fields])
                                        for o in engine.allowed_transitions(user, case)])


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transition: str = Field(max_length=60, description="a name from allowed_transitions")
    expected_version: WholeNumber = Field(ge=1, description="the case's version as you read it; 409 if it changed")
    effective_on: date | None = Field(default=None, description="when it happened (default today, China time); "
                                                                "not in the future, not before the last event")
    effective_at: datetime | None = Field(
        default=None, description="the time it happened (ISO 8601; China time when no offset is given), on "
                                  "effective_on; needed when a step on an earlier day starts or stops a period "
                                  "counted in hours")
    fields: dict = Field(default_factory=dict, description="the transition's fields by name")


class CaseListOut(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = Field(description="pass as ?cursor= to get the next page; null at the end")


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(BaseModel):
    error: ErrorBody


class StateOut(BaseModel):
    key: str
    label: LabelOut
    initial: bool
    final: bool
    waiting_on: str | None


class ExtensionOut(BaseModel):
    approver: str
    amount: int | None = Field(description="null: the approver sets it")
    unit: str
    label: LabelOut


class ClockDefOut(BaseModel):
    key: str
    label: LabelOut
    duration: int
    unit: str
    roll_forward: bool
    kind: str
    legal_basis: LabelOut
    extensions: list[ExtensionOut]


class TransitionDefOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str
    label: LabelOut
    from_: list[str] = Field(alias="from")
    to: str
    roles: list[str]
    agency_kinds: list[str]
    side: str = Field(description="owner, origin (the agency the case came from) or region (e.g. procuratorate)")
    system: bool = Field(description="fired only by a linked case")
    fields: list[FieldOut]
    clocks: dict[str, list[str]]
    creates: str | None = Field(description="the workflow of the linked case it opens")


class EntryOut(BaseModel):
    state: str
    agency_kinds: list[str]
    roles: list[str]


class HandoffOut(BaseModel):
    states: list[str]
    receipt_days: int
    transitions: list[AllowedTransitionOut]


class WorkflowOut(BaseModel):
    key: str
    version: int
    label: LabelOut
    agency_kinds: list[str]
    initial_state: str
    states: list[StateOut]
    clocks: list[ClockDefOut]
    transitions: list[TransitionDefOut]
    entries: list[EntryOut]
    handoff: HandoffOut | None

    @classmethod
    def of(cls, wf) -> WorkflowOut:
        def fields_of(defs):
            return [f.model_dump(include=set(FieldOut.model_fields)) for f in defs]

        handoff = None
        if wf.handoff:
            handoff = HandoffOut(states=wf.handoff.states, receipt_days=wf.handoff.receipt_days, transitions=[
                AllowedTransitionOut(name=name, to="(unchanged)", label=engine.handoff_label(name).model_dump(),
                                     fields=fields_of(engine.handoff_fields(wf, name)))
                for name in engine.HANDOFF_TRANSITION_NAMES])
        return cls(
            key=wf.key, version=wf.version, label=wf.label.model_dump(), agency_kinds=wf.agency_kinds,
            initial_state=wf.initial_state,
            states=[StateOut(key=k, label=s.label.model_dump(), initial=s.initial, final=s.final,
                             waiting_on=s.waiting_on) for k, s in wf.states.items()],
            clocks=[ClockDefOut(key=k, label=c.label.model_dump(), duration=c.duration, unit=c.unit,
                                roll_forward=c.roll_forward, kind=c.kind, legal_basis=c.legal_basis.model_dump(),
                                extensions=[e.model_dump() for e in c.extensions]) for k, c in wf.clocks.items()],
            transitions=[TransitionDefOut(
                name=n, label=t.label.model_dump(), from_=t.from_, to=t.to, roles=t.roles,
                agency_kinds=t.agency_kinds or wf.agency_kinds, side=t.side, system=t.system,
                fields=fields_of(t.fields), clocks=t.clocks.model_dump(exclude={"when"}),
                creates=t.creates.workflow if t.creates else None) for n, t in wf.transitions.items()],
            entries=[EntryOut(state=e.state, agency_kinds=e.agency_kinds, roles=e.roles) for e in wf.entries],
            handoff=handoff)


class WorkflowListOut(BaseModel):
    workflows: list[WorkflowOut]

    @classmethod
    def of(cls, definitions) -> WorkflowListOut:
        return cls(workflows=[WorkflowOut.of(wf) for wf in definitions])


class NotificationFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unread: bool | None = Field(default=None, description="true: only unread notifications; false: only read ones")


class NotificationOut(BaseModel):
    id: int
    case_id: int
    clock_id: int | None = Field(description="the clock it reminds of; null for some supervision-order messages")
    threshold: str = Field(description="before_3, before_1, due, overdue, escalate_head, escalate_supervisors "
                                       "or order")
    due_on: date | None = Field(description="the clock's due date when the reminder was made")
    created_at: datetime
    read: bool

    @classmethod
    def of(cls, notification) -> NotificationOut:
        return cls(id=notification.id, case_id=notification.case_id, clock_id=notification.clock_id,
                   threshold=notification.threshold, due_on=notification.due_on,
                   created_at=notification.created_at, read=notification.read_at is not None)


class NotificationListOut(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None = Field(description="pass as ?cursor= to get the next page; null at the end")


class StatsQuery(BaseModel):
    """Filters of every statistics call; dates are China dates, the region includes all below it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date | None = Field(default=None, alias="from", description="first day (default: 1 January this year)")
    to: date | None = Field(default=None, description="last day (default: today)")
    region: str | None = Field(default=None, description="GB/T 2260 code; default: the caller's own area")
    agency_kind: str | None = None
    agency: str | None = Field(default=None, description="agency code, e.g. 230100-market_regulation")
    ip_type: str | None = None
    workflow: str | None = None
    outcome: str | None = None


class SummaryQuery(StatsQuery):
    bucket: Literal["month", "quarter", "year"] = Field(default="month", description="the trend's step")
    sections: str | None = Field(default=None, description="comma-separated: overview, flows, clocks, "
                                                           "respondents (default: all)")


Figures = dict[str, int | float | str | None]


class PlanFiguresOut(BaseModel):
    figures: Figures = Field(description="DOMAIN §5 keys: counts as integers, rates as fractions rounded as "
                                         "the plan reports them, money as exact decimal strings (yuan)")
    filters: dict[str, str]


class SummaryOut(BaseModel):
    filters: dict[str, str]
    bucket: str
    headline: Figures | None = None
    plan_figures: Figures | None = None
    breakdowns: dict[str, list[dict[str, int | str]]] | None = Field(
        default=None, description="agency_kind, city and ip_type: received, filed and closed per value")
    trend: list[dict[str, int | str]] | None = None
    flows: Figures | None = None
    clocks: list[dict[str, int | float | str | None]] | None = Field(
        default=None, description="per legal clock due in the period: due, on_time, overdue and their rates")
    repeat_respondents: dict | None = Field(
        default=None, description="respondent organisations (by USCC) in cases of two or more agencies")
