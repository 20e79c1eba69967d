"""The plan's indicators (DOMAIN §6, and the utilisation figures of §5) and where they stand.

How a year's figure is made from the agencies' reports (one rule, used by the page, the API and
the tests):

* **flow** indicators count what happened in a period (registrations, turnover in a year). A year's
  figure for an area is the sum over the area's agencies (its own and every agency below it) of each
  agency's annual report (quarter 0), or, where an agency gave no annual report, of its quarterly
  reports of that year. While some agency has reported only part of the year the figure is a
  year-to-date one: its period names the last quarter it includes.
* **stock** indicators are levels at the end of a period (valid trademarks, a satisfaction score).
  They are reported for the whole area by the area's own agency (for the province: the provincial
  bureau), so a year's figure is the latest report in that year (an annual report counts as the
  year-end figure) of the agencies sitting at the area's own region; reports of agencies below it
  describe their own area and are not added up.

The latest value is the figure of the most recent year with any report. Progress is
(latest − 2020 base) / (2025 target − base), for the province only: base and target are the
province's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from casesys.agencies.models import Agency, Region
from casesys.core.i18n import N_
from casesys.extensions import db
from casesys.reporting.models import IndicatorReport

MEASURES = ("stock", "flow")
BASE_YEAR, TARGET_YEAR = 2020, 2025


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str  # English msgid, translated where shown
    label_zh: str  # as the plan words it
    unit: str  # English msgid
    unit_zh: str
    measure: str  # "stock" (a level at the end of a period) or "flow" (an amount in the period)
    reporter_kinds: frozenset[str]  # agency kinds that report it
    base_2020: Decimal | None = None
    target_2025: Decimal | None = None
    higher_is_better: bool = True

    @property
    def has_target(self) -> bool:
        return self.base_2020 is not None and self.target_2025 is not None


def _indicator(key, label, label_zh, unit, unit_zh, measure, kinds, base=None, target=None) -> Indicator:
    return Indicator(key=key, label=label, label_zh=label_zh, unit=unit, unit_zh=unit_zh, measure=measure,
                     reporter_kinds=frozenset(kinds), base_2020=None if base is None else Decimal(base),
                     target_2025=None if target is None else Decimal(target))


_CATALOGUE = [
    # DOMAIN §6: the plan's table of indicators, 2020 base → 2025 target.
    _indicator("high_value_invention_patents_per_10k", N_("High-value invention patents per 10,000 people"),
               "每万人口高价值发明专利拥有量", N_("items"), "件", "stock", ["ip_office"], "2.57", "4.53"),
    _indicator("valid_trademarks_10k", N_("Valid registered trademarks"), "有效注册商标数量",
               N_("10,000 items"), "万件", "stock", ["market_regulation"], "32.12", "53.09"),
    _indicator("copyright_registrations", N_("Copyright registrations"), "著作权登记数量", N_("items"), "件",
               "flow", ["copyright"], "2038", "3000"),
    _indicator("gi_trademarks", N_("Geographical indication trademarks"), "地理标志商标", N_("items"), "件",
               "stock", ["ip_office"], "102", "110"),
    _indicator("tech_contract_turnover_100m", N_("Technology contract turnover"), "技术合同成交额",
               N_("100 million yuan"), "亿元", "flow", ["ip_office"], "267.8", "500"),
    _indicator("ip_pledge_financing_100m", N_("IP pledge financing registered"), "知识产权质押融资登记金额",
               N_("100 million yuan"), "亿元", "flow", ["ip_office"], "7.99", "10.5"),
    _indicator("ip_advantage_enterprises", N_("IP-advantage enterprises"), "知识产权优势企业数量",
               N_("enterprises"), "家", "stock", ["ip_office"], "510", "1000"),
    _indicator("protection_satisfaction", N_("Public satisfaction with IP protection"), "知识产权保护社会满意度",
               N_("points"), "分", "stock", ["coordination_office"], "82.33", "85"),
    # DOMAIN §5: utilisation figures the plan reports without a target.
    _indicator("patent_licence_filings", N_("Patent licence contract filings"), "专利实施许可合同备案数量",
               N_("items"), "件", "flow", ["ip_office"]),
    _indicator("patent_licence_amount_10k", N_("Patent licence contract amount"), "专利实施许可合同备案金额",
               N_("10,000 yuan"), "万元", "flow", ["ip_office"]),
]
INDICATORS: dict[str, Indicator] = {i.key: i for i in _CATALOGUE}


def _check_catalogue() -> None:
    from casesys.agencies.models import AGENCY_KINDS

    for ind in _CATALOGUE:
        assert ind.measure in MEASURES, ind.key
        assert ind.reporter_kinds <= set(AGENCY_KINDS), ind.key
        assert len(ind.key) <= 40, ind.key  # IndicatorReport.indicator is String(40)
        assert (ind.base_2020 is None) == (ind.target_2025 is None), ind.key


_check_catalogue()


def indicators_for_kind(kind: str) -> list[Indicator]:
    """The indicators an agency of ``kind`` reports, in catalogue order."""
    return [ind for ind in _CATALOGUE if kind in ind.reporter_kinds]


def decimal_text(value: Decimal | None) -> str | None:
    """An exact decimal without trailing zeros or exponent: Decimal('3.1000') -> '3.1'."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


@dataclass(frozen=True)
class Figure:
    """An indicator's figure for a year; ``quarter`` 0 covers the whole year, 1–4 the year up to
    that quarter's end (a year-to-date flow, or the latest level reported in the year)."""

    year: int
    quarter: int
    value: Decimal


@dataclass
class IndicatorStatus:
    indicator: Indicator
    history: list[Figure] = field(default_factory=list)  # by year, oldest first
    progress: Decimal | None = None  # a fraction of the way from base to target; None without one

    @property
    def latest(self) -> Figure | None:
        return self.history[-1] if self.history else None


def _flow_year(per_agency: dict[int, dict[int, Decimal]]) -> tuple[Decimal, int]:
    total, quarter = Decimal(0), 0
    for periods in per_agency.values():
        if 0 in periods:
            total += periods[0]
            continue
        total += sum(periods.values(), Decimal(0))
        if len(periods) < 4:
            quarter = max(quarter, max(periods))  # part of the year only: a year-to-date figure
    return total, quarter


def _stock_year(per_agency: dict[int, dict[int, Decimal]]) -> tuple[Decimal, int]:
    total, quarter = Decimal(0), 0
    for periods in per_agency.values():
        if 0 in periods:  # the annual report is the year-end level
            total += periods[0]
            continue
        last = max(periods)
        total += periods[last]
        quarter = max(quarter, last)
    return total, quarter


def figures_by_year(indicator: Indicator, rows, region_path: str) -> list[Figure]:
    """An indicator's yearly figures for the area at ``region_path`` from its report rows
    (agency_id, agency region path, year, quarter, value), following the module's rule."""
    by_year: dict[int, dict[int, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for agency_id, agency_path, year, quarter, value in rows:
        if indicator.measure == "stock" and agency_path != region_path:
            continue
        by_year[year][agency_id][quarter] = value
    history = []
    for year in sorted(by_year):
        total, quarter = (_flow_year if indicator.measure == "flow" else _stock_year)(by_year[year])
        history.append(Figure(year=year, quarter=quarter, value=total))
    return history


def progress_of(indicator: Indicator, value: Decimal | None) -> Decimal | None:
    """(value − base) / (target − base); may fall below 0 or pass 1."""
    if value is None or not indicator.has_target or indicator.target_2025 == indicator.base_2020:
        return None
    return (value - indicator.base_2020) / (indicator.target_2025 - indicator.base_2020)


def overview(region_path: str, keys: list[str] | None = None) -> list[IndicatorStatus]:
    """Every indicator's (or those of ``keys``) yearly figures for the area at ``region_path``
    ("230000/" is the province) and, for the province, progress from the 2020 base to the 2025 target."""
    wanted = [ind for ind in _CATALOGUE if keys is None or ind.key in keys]
    rows = db.session.execute(
        select(IndicatorReport.indicator, IndicatorReport.agency_id, Region.path, IndicatorReport.year,
               IndicatorReport.quarter, IndicatorReport.value)
        .join(Agency, IndicatorReport.agency_id == Agency.id).join(Region, Agency.region_code == Region.code)
        .where(Region.path.startswith(region_path, autoescape=True),
               IndicatorReport.indicator.in_([ind.key for ind in wanted])))
    grouped = defaultdict(list)
    for key, *rest in rows:
        grouped[key].append(rest)
    is_province = db.session.scalar(select(Region.level).where(Region.path == region_path)) == "province"
    found = []
    for ind in wanted:
        status = IndicatorStatus(indicator=ind, history=figures_by_year(ind, grouped[ind.key], region_path))
        if is_province and status.latest is not None:
            status.progress = progress_of(ind, status.latest.value)
        found.append(status)
    return found
