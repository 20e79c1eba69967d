"""The shapes of case input, shared by the web form, the JSON API and the CLI."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from casesys.cases.catalog import IP_TYPES, PARTY_KINDS, PARTY_ROLES, SOURCES
from casesys.cases.identifiers import id_number_problem, uscc_problem
from casesys.core.types import today_in_china

IpType = Literal[tuple(IP_TYPES)]
Source = Literal[tuple(SOURCES)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PartyIn(_Input):
    role: Literal[tuple(PARTY_ROLES)]
    kind: Literal[tuple(PARTY_KINDS)]
    name: str = Field(min_length=1, max_length=200)
    uscc: str | None = Field(default=None, max_length=18,
                             description="统一社会信用代码 of an organisation (GB 32100-2015)")
    id_number: str | None = Field(default=None, max_length=18, description="Resident ID of a person")

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        if info.data.get("kind") != "organisation":
            raise ValueError(_("only organisations have a unified social credit code"))
        if problem := uscc_problem(value.upper()):
            raise ValueError(problem)
        return value.upper()

    @field_validator("id_number")
    @classmethod
    def _valid_id_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        if info.data.get("kind") != "person":
            raise ValueError(_("only persons have a resident ID number"))
        if problem := id_number_problem(value.upper()):
            raise ValueError(problem)
        return value.upper()


class CaseIn(_Input):
    workflow: str = Field(pattern=r"^[a-z_]{1,40}$", description="a workflow key from GET /workflows")
    state: str | None = Field(default=None, pattern=r"^[a-z_]{1,40}$",
                              description="where to start, among the workflow's entries (default: the first "
                                          "entry open to the caller)")
    title: str = Field(min_length=1, max_length=200)
    ip_type: IpType
    source: Source
    region: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 region code")
    received_on: date
    amount_involved: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2,
                                            description="yuan, exact decimal")
    confidential: bool | None = Field(default=None, description="always true for trade secrets")
    agency: str | None = Field(default=None, max_length=60, description="agency code; defaults to the caller's")
    parties: list[PartyIn] = Field(min_length=1, max_length=50)

    @field_validator("received_on")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > today_in_china():
            raise ValueError(_("the received date cannot be in the future"))
        if value.year < 1990:
            raise ValueError(_("the received date is implausibly early"))
        return value


class CaseFilters(_Input):
    state: str | None = Field(default=None, max_length=40)
    ip_type: IpType | None = None
    workflow: str | None = Field(default=None, pattern=r"^[a-z_]{1,40}$")
    received_from: date | None = None
    received_to: date | None = None
    q: str | None = Field(default=None, max_length=100, description="number or title contains")

    @model_validator(mode="after")
    def _range_in_order(self) -> CaseFilters:
        if self.received_from and self.received_to and self.received_from > self.received_to:
            raise ValueError(_("the start date is after the end date"))
        return self


def pydantic_field_errors(exc) -> dict[str, str]:
    """Flatten a pydantic ValidationError into {"parties.0.uscc": "message"}."""
    fields: dict[str, str] = {}
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "body"
        message = err["msg"].removeprefix("Value error, ")
        fields.setdefault(path, message)
    return fields
