"""Response shapes of the API; the OpenAPI document is generated from these and the inputs."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from casesys.cases.models import Case, CaseEvent, Party
from casesys.templating import masked


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
    note: str | None

    @classmethod
    def of(cls, event: CaseEvent) -> EventOut:
        return cls(id=event.id, kind=event.kind, from_state=event.from_state, to_state=event.to_state,
                   actor=event.actor.username if event.actor else None,
                   agency=event.agency.code if event.agency else None, occurred_at=event.occurred_at,
                   effective_on=event.effective_on, note=event.note)


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
                   created_at=case.created_at, parties=[PartyOut.of(p) for p in case.parties])


class CaseDetailOut(CaseOut):
    history: list[EventOut]

    @classmethod
    def of(cls, case: Case) -> CaseDetailOut:
        return cls(**CaseOut.of(case).model_dump(), history=[EventOut.of(e) for e in case.events])


class CaseListOut(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = Field(description="pass as ?cursor= to get the next page; null at the end")


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(BaseModel):
    error: ErrorBody
