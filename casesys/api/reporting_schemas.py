"""The API's shapes of reported figures; the OpenAPI document is generated from them.
Ranges and permissions are checked by the services (casesys.reporting), the same for the pages and
the API; the shapes share the API's own (``LabelOut``), so they sit in the API layer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from casesys.api.schemas import LabelOut
from casesys.core.params import ASCII_DIGITS, WholeNumber
from casesys.reporting.indicators import Figure, IndicatorStatus, decimal_text
from casesys.reporting.models import IndicatorReport, InspectionRecord
from casesys.reporting.services import MAX_CAMPAIGN, MAX_NOTE, MAX_UNITS


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class InspectionIn(_Input):
    inspected_on: date = Field(description="the day of the inspection, China time; not in the future")
    units_inspected: int = Field(strict=True, description=f"business units inspected, 1–{MAX_UNITS}")
    campaign: str | None = Field(default=None, description=f"e.g. 剑网2019; at most {MAX_CAMPAIGN} characters")
    note: str | None = Field(default=None, description=f"at most {MAX_NOTE} characters")


class InspectionQuery(_Input):
    date_from: date | None = Field(default=None, alias="from", description="inspected on or after (YYYY-MM-DD)")
    date_to: date | None = Field(default=None, alias="to", description="inspected on or before (YYYY-MM-DD)")
    agency: str | None = Field(default=None, max_length=60, description="an agency code within the caller's view")
    page: WholeNumber = Field(default=1, ge=1, le=10_000)


class InspectionOut(BaseModel):
    id: int
    agency: str = Field(description="agency code")
    inspected_on: date
    units_inspected: int
    campaign: str | None
    note: str | None
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, record: InspectionRecord) -> InspectionOut:
        return cls(id=record.id, agency=record.agency.code, inspected_on=record.inspected_on,
                   units_inspected=record.units_inspected, campaign=record.campaign, note=record.note,
                   created_by=record.created_by.username, created_at=record.created_at)


class InspectionListOut(BaseModel):
    items: list[InspectionOut] = Field(description="newest inspection first")
    total_units: int = Field(description="units inspected over every record the filters select")
    total_records: int
    next_page: int | None = Field(description="pass as ?page= for more; null at the end")


class IndicatorReportIn(_Input):
    indicator: str = Field(max_length=40, description="an indicator key from GET /indicators")
    year: int = Field(strict=True, description="2016 to the current year")
    quarter: int = Field(default=0, strict=True, description="0 for the whole year, 1–4 for a quarter")
    value: Decimal = Field(description="not negative, at most 4 decimal places; send a string to keep it exact")
    note: str | None = Field(default=None, description=f"at most {MAX_NOTE} characters")


class IndicatorReportQuery(_Input):
    indicator: str | None = Field(default=None, max_length=40)
    year: Annotated[int, Field(ge=1, le=9999), ASCII_DIGITS] | None = None
    page: WholeNumber = Field(default=1, ge=1, le=10_000)


class IndicatorReportOut(BaseModel):
    id: int
    indicator: str
    agency: str = Field(description="agency code")
    year: int
    quarter: int = Field(description="0: the whole year")
    value: str = Field(description="exact decimal string")
    note: str | None
    submitted_by: str
    submitted_at: datetime

    @classmethod
    def of(cls, report: IndicatorReport) -> IndicatorReportOut:
        return cls(id=report.id, indicator=report.indicator, agency=report.agency.code, year=report.year,
                   quarter=report.quarter, value=decimal_text(report.value), note=report.note,
                   submitted_by=report.submitted_by.username, submitted_at=report.submitted_at)


class IndicatorReportListOut(BaseModel):
    items: list[IndicatorReportOut] = Field(description="newest period first")
    next_page: int | None = Field(description="pass as ?page= for more; null at the end")


class FigureOut(BaseModel):
    year: int
    quarter: int = Field(description="0: the whole year; 1–4: the year up to that quarter's end")
    value: str = Field(description="exact decimal string")

    @classmethod
    def of(cls, figure: Figure) -> FigureOut:
        return cls(year=figure.year, quarter=figure.quarter, value=decimal_text(figure.value))


class IndicatorOut(BaseModel):
    key: str
    label: LabelOut
    unit: LabelOut
    measure: str = Field(description="stock (a level at the end of the period) or flow (an amount in it)")
    reporter_kinds: list[str] = Field(description="agency kinds that report it")
    higher_is_better: bool
    base_2020: str | None = Field(description="the province's 2020 figure in the plan; exact decimal string")
    target_2025: str | None = Field(description="the province's 2025 target in the plan; exact decimal string")
    latest: FigureOut | None = Field(description="the figure of the most recent year reported")
    progress: float | None = Field(description="(latest − base) / (target − base), for the province only; "
                                               "below 0 or above 1 when behind the base or past the target")
    history: list[FigureOut] = Field(description="one figure per year reported, oldest first")

    @classmethod
    def of(cls, status: IndicatorStatus) -> IndicatorOut:
        ind = status.indicator
        return cls(key=ind.key, label=LabelOut(zh=ind.label_zh, en=ind.label),
                   unit=LabelOut(zh=ind.unit_zh, en=ind.unit), measure=ind.measure,
                   reporter_kinds=sorted(ind.reporter_kinds), higher_is_better=ind.higher_is_better,
                   base_2020=decimal_text(ind.base_2020), target_2025=decimal_text(ind.target_2025),
                   latest=FigureOut.of(status.latest) if status.latest else None,
                   progress=None if status.progress is None else round(float(status.progress), 4),
                   history=[FigureOut.of(f) for f in status.history])


class IndicatorOverviewOut(BaseModel):
    region: str = Field(description="the area the figures cover: the caller's region and below")
    indicators: list[IndicatorOut]
