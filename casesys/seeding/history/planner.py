"""The planner: stories that follow the workflow files, on working days, within a limit.

The stories of each kind of case are written in ``admin_stories`` (administrative cases,
transfers, police) and ``court_stories`` (civil cases, mediations, patent rulings)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, timedelta
from itertools import accumulate

from casesys.cases.identifiers import uscc_check_character
from casesys.seeding.history.admin_stories import AdminStories
from casesys.seeding.history.court_stories import CourtStories
from casesys.seeding.history.stories import LIMIT, PERIOD, AgencyRef, PartySpec, RegionRef, Story, WalkError
from casesys.seeding.history.vocabulary import (
    BRANDS,
    BUSINESS_BY_IP,
    BUSINESSES,
    CITIES,
    CITY_NAMES,
    GROWTH,
    HOLDER_REGIONS,
    HOLDER_SUFFIXES,
    KIND_WEIGHTS,
    REGION_WEIGHTS,
    SURNAMES,
    WORDS,
    _org_code,
    split,
)
from casesys.seeding.history.walk import MemoCalendar
from casesys.workcalendar import load_calendar


class Planner(AdminStories, CourtStories):
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
