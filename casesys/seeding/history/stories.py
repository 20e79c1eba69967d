"""The vocabulary of the history: what a story is (a registration and the steps since), the
plan's target figures, and the light references to regions, agencies and accounts it uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from casesys.agencies.models import AGENCY_KINDS

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
    """A history account: what the decision core reads of a user (``values.ActorFacts``)."""

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

