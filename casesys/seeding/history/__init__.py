"""``flask seed history``: a deterministic, realistic 2016–2020 dataset (DOMAIN §5), and the
generator behind the 1,000,000-case benchmark (``benchmarks/stats_dataset.py``).

1. *Stories* (``stories``, ``planner``, ``admin_stories``, ``court_stories``, ``targets``): each
   case's life written as data — its registration and the steps taken since, by the workflow
   files. ``plan_history`` fixes the counts the plan's figures need (``TARGETS``);
   ``generate_cases`` is a random mix for the benchmark.
2. *Walking* (``walk``): each story is fired step by step through the decision core
   (``casesys.workflows.decide``), the same one the web request asks, and the answers are kept
   on light drafts. A step the definition does not allow raises ``WalkError``.
3. *Rows and loading* (``rows``, ``load``): drafts become plain rows, numbered per agency and
   year in date order, and are inserted in bulk (COPY on PostgreSQL, executemany on SQLite).
"""

from casesys.seeding.history.load import build_history, history_loaded, load_agencies, load_bulk, load_history
from casesys.seeding.history.planner import Planner
from casesys.seeding.history.rows import COLUMNS
from casesys.seeding.history.stories import (
    LIMIT,
    PERIOD,
    ROLE_ORDER,
    SEED,
    TARGETS,
    YEARS,
    CaseSpec,
    HistoryError,
    PartySpec,
    Step,
    Story,
    WalkError,
)
from casesys.seeding.history.targets import generate_cases, plan_history
from casesys.seeding.history.walk import CaseDraft, Ids, MemoCalendar, Users, Walker

__all__ = ["COLUMNS", "LIMIT", "PERIOD", "ROLE_ORDER", "SEED", "TARGETS", "YEARS", "CaseDraft", "CaseSpec",
           "HistoryError", "Ids", "MemoCalendar", "PartySpec", "Planner", "Step", "Story", "Users", "WalkError",
           "Walker", "build_history", "generate_cases", "history_loaded", "load_agencies", "load_bulk",
           "load_history", "plan_history"]
