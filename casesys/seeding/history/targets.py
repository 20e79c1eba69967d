"""How many cases of which kind: ``plan_history`` fixes the counts the plan's figures need
(``TARGETS``); ``generate_cases`` is the benchmark's random mix."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import Decimal

from casesys.seeding.history.planner import Planner
from casesys.seeding.history.stories import LIMIT, PERIOD, TARGETS, Story, WalkError
from casesys.seeding.history.vocabulary import CIVIL_IP_WEIGHTS, MEDIATION_IP_WEIGHTS, PATENT_IPS, split

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
