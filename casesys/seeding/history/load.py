"""Loading: the reference the history needs, building it (walk, check the figures, rows) and
inserting it — the 2016–2020 history at once, the benchmark's cases chunk by chunk."""

from __future__ import annotations

import gc
import math
import random
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date, timedelta

from sqlalchemy import func, select

from casesys.agencies.models import Agency, Region
from casesys.auth.models import User
from casesys.cases.models import CaseNumberCounter
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.seeding.history.planner import Planner
from casesys.seeding.history.rows import (
    INSERT_ORDER,
    RowFormat,
    _Inserter,
    build_rows,
    finish_inserts,
    insert_rows,
    save_counters,
)
from casesys.seeding.history.stories import (
    CONCLUDED_CIVIL,
    PERIOD,
    SEED,
    TARGETS,
    USERNAME_PREFIX,
    AgencyRef,
    HistoryError,
    RegionRef,
)
from casesys.seeding.history.targets import generate_cases, plan_history
from casesys.seeding.history.vocabulary import CASE_KINDS, CITIES
from casesys.seeding.history.walk import CaseDraft, Ids, MemoCalendar, Users, Walker
from casesys.workcalendar import load_calendar
from casesys.workflows import engine


def load_agencies() -> dict[str, AgencyRef]:
    regions = {r.code: RegionRef(r.code, r.path) for r in db.session.scalars(select(Region))}
    return {a.code: AgencyRef(a.id, a.code, a.kind, a.region_code, regions[a.region_code], a.name_zh)
            for a in db.session.scalars(select(Agency).order_by(Agency.id))}


def check_reference(agencies: dict[str, AgencyRef]) -> None:
    missing = [f"{region}-{kind}" for region in ("230000", *CITIES) for kind in CASE_KINDS
               if f"{region}-{kind}" not in agencies]
    if missing:
        raise HistoryError(f"the reference data is missing (e.g. agency {missing[0]}): run `flask seed reference` "
                           "first")


def load_counters() -> dict[tuple[int, int], int]:
    return {(c.agency_id, c.year): c.last_seq for c in db.session.scalars(select(CaseNumberCounter))}


def history_loaded() -> int:
    """How many history accounts exist (0: the history is not loaded)."""
    return db.session.scalar(select(func.count()).select_from(User)
                             .where(User.username.startswith(USERNAME_PREFIX, autoescape=True)))




@contextmanager
def paused_gc():
    """Building rows makes millions of objects that live until their chunk is inserted; the
    cyclic collector would rescan them again and again. The caller collects when it suits."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _NoBar:
    def update(self, n: int) -> None:
        pass


def _no_progress(label: str, total: int) -> AbstractContextManager:
    return nullcontext(_NoBar())


def draft_figures(cases: list[CaseDraft], inspections: list[tuple]) -> dict[str, int]:
    """The TARGETS figures of walked cases, counted as DOMAIN §5 says (the self-check)."""
    first, last = PERIOD

    def within(day):
        return day is not None and first <= day <= last

    admin = [c for c in cases if c.workflow == "admin_enforcement" and within(c.filed_on)]
    civil = [c for c in cases if c.workflow == "civil_litigation"]
    concluded = [c for c in civil if within(c.closed_on) and c.outcome in CONCLUDED_CIVIL]
    solved = [c for c in cases if c.workflow == "criminal_transfer" and c.agency.kind == "public_security"
              and within(c.solved_on)]
    return {
        "market_regulation.unfair_competition_cases": sum(
            c.agency.kind == "market_regulation" and c.ip_type == "unfair_competition" for c in admin),
        "copyright.inspected_units": sum(units for agency, day, units, *_ in inspections
                                         if agency.kind == "copyright" and within(day)),
        "copyright.cases": sum(c.agency.kind == "copyright" for c in admin),
        "agriculture.seed_violation_cases": sum(c.agency.kind == "agriculture" and c.ip_type == "plant_variety"
                                                for c in admin),
        "court.civil_first_instance.accepted": sum(within(c.filed_on) for c in civil),
        "court.civil_first_instance.concluded": len(concluded),
        "court.civil_first_instance.mediated_or_withdrawn": sum(c.outcome in ("mediated", "withdrawn")
                                                                for c in concluded),
        "public_security.criminal_cases_solved": len(solved),
        "public_security.suspects_arrested": sum(c.suspects_arrested or 0 for c in solved),
        "public_security.amount_involved_fen": sum(c.amount_involved_fen or 0 for c in solved),
    }


def _insert(rows: dict[str, list[tuple]], progress, label: str) -> dict[str, int]:
    counts = {}
    with progress(label, sum(len(r) for r in rows.values())) as bar:
        for table in INSERT_ORDER:
            if rows.get(table):
                counts.update(insert_rows({table: rows[table]}))
                bar.update(len(rows[table]))
    return counts


def build_history(agencies: dict[str, AgencyRef], ids: Ids, counters: dict[tuple[int, int], int], dialect: str,
                  progress: Callable[[str, int], AbstractContextManager] = _no_progress):
    """The history's rows (ids after ``ids``, numbers after ``counters``), its figures, and the
    walker (its cases and numbers). Raises HistoryError if the figures are not the TARGETS."""
    users = Users(ids)
    calendar = MemoCalendar.of(load_calendar())
    stories, inspections = plan_history(Planner(random.Random(SEED), agencies, calendar=calendar))
    walker = Walker(engine.workflows(), agencies, users, ids, calendar)
    with progress("walking the cases through their workflows", len(stories)) as bar, paused_gc():
        for story in stories:
            walker.walk(story)
            bar.update(1)
    figures = draft_figures(walker.cases, inspections)
    wrong = {key: (figures[key], want) for key, want in TARGETS.items() if figures[key] != want}
    if wrong:
        raise HistoryError(f"the generated history does not give the plan figures (got, wanted): {wrong}")
    walker.assign_numbers(counters)
    fmt = RowFormat(dialect)
    inspection_rows = [(ids.next("inspection_records"), agency.id, fmt.day(day), units, campaign, note,
                        users.get(agency, "officer").id, fmt.stamp(day, 480))
                       for agency, day, units, campaign, note in inspections]
    rows = build_rows(walker, ids, fmt)
    rows["inspection_records"] = inspection_rows
    return rows, figures, walker


def load_history(progress: Callable[[str, int], AbstractContextManager] | None = None) -> dict:
    """Build and insert the 2016–2020 history in the session's transaction (the caller commits),
    with one audit entry. ``progress(label, total)`` gives a context manager whose value has
    ``update(n)`` (``click.progressbar`` does). Raises HistoryError, writing nothing, if the
    reference data is missing, the history is already loaded, or the figures would not match."""
    from casesys import audit

    progress = progress or _no_progress
    agencies = load_agencies()
    check_reference(agencies)
    if history_loaded():
        raise HistoryError("the history is already loaded")
    counters = load_counters()
    rows, figures, walker = build_history(agencies, Ids.from_database(), counters,
                                          db.session.get_bind().dialect.name, progress)
    counts = _insert(rows, progress, "inserting rows")
    save_counters(counters, {(n.agency.id, n.year) for n in walker.numbers})
    finish_inserts()
    summary = {"cases": counts["cases"], "events": counts["case_events"], "clocks": counts["case_clocks"],
               "parties": counts["parties"], "links": counts.get("case_links", 0),
               "handoffs": counts.get("handoffs", 0), "inspection_records": counts["inspection_records"],
               "users": counts["users"], "by_workflow": dict(sorted(Counter(c.workflow for c in walker.cases).items())),
               "period": [PERIOD[0].isoformat(), PERIOD[1].isoformat()], "seed": SEED}
    audit.record("seed.history", "dataset", "history-2016-2020", None, **summary, figures=figures)
    return summary


def load_bulk(n: int, *, seed: int = SEED, first: date = PERIOD[0], last: date = PERIOD[1], chunk: int = 20_000,
              on_chunk: Callable[[int, dict], None] | None = None, commit: Callable[[], None] | None = None) -> dict:
    """``n`` cases of ``generate_cases`` (plus the cases they open), built and inserted ``chunk``
    at a time, each chunk's dates later than the last's; ``commit`` after each chunk."""
    agencies = load_agencies()
    check_reference(agencies)
    today = today_in_china()
    existing = dict(db.session.execute(select(User.username, User.id)
                                       .where(User.username.startswith(USERNAME_PREFIX, autoescape=True))).all())
    ids = Ids.from_database()
    calendar = MemoCalendar.of(load_calendar())
    planner = Planner(random.Random(seed), agencies, calendar=calendar,
                      limit=min(today - timedelta(days=1), last + timedelta(days=200)))
    walker = Walker(engine.workflows(), agencies, Users(ids, existing), ids, calendar)
    return _load_bulk(n, planner, walker, ids, first, last, chunk, on_chunk, commit)


def _load_bulk(n, planner, walker, ids, first, last, chunk, on_chunk, commit) -> dict:
    from time import perf_counter

    counters, touched = load_counters(), set()
    fmt = RowFormat(db.session.get_bind().dialect.name)
    chunks, span = max(1, math.ceil(n / chunk)), (last - first).days + 1
    db.session.commit()  # SQLite: let go of the write lock; the inserter writes on its own connection
    inserter = _Inserter(db.engine)
    inserter.start()
    build = waited = 0.0
    done = 0
    try:
        with paused_gc():
            for i in range(chunks):
                size = n * (i + 1) // chunks - n * i // chunks
                lo = first + timedelta(days=span * i // chunks)
                hi = first + timedelta(days=span * (i + 1) // chunks - 1)
                started = perf_counter()
                for story in generate_cases(planner, size, lo, hi):
                    walker.walk(story)
                touched |= {(num.agency.id, num.year) for num in walker.numbers}
                walker.assign_numbers(counters)
                rows = build_rows(walker, ids, fmt)
                walker.reset()
                if i % 10 == 9:
                    gc.collect()
                built = perf_counter()
                inserter.put(rows)
                del rows
                waited += perf_counter() - built
                build += built - started
                done += size
                if on_chunk is not None:
                    on_chunk(done, {"rows": sum(inserter.counts.values()), "build": build,
                                    "insert": inserter.seconds})
    finally:
        inserter.finish()
    save_counters(counters, touched)
    finish_inserts()
    if commit is not None:
        commit()
    return {"counts": dict(inserter.counts), "build": build, "insert": inserter.seconds, "waited": waited}

