"""How long the reminder sweep takes as the number of open clocks grows while the number due stays put.

    .venv/bin/python benchmarks/reminder_sweep.py --db sqlite --sizes 10000,100000,1000000 --due 1000
    .venv/bin/python benchmarks/reminder_sweep.py --db postgresql --sizes 10000,100000,1000000 --due 1000

It builds a throwaway database (an SQLite file in /tmp, or a PostgreSQL database it creates and
drops), runs the migrations, loads the reference data, registers a few cases, then bulk-inserts
open clocks until the table holds each size in turn. At each size, ``--due`` clocks picked at
random over the whole id range are due today (their "3 working days before" threshold), all the
others later. ``sweep(now)`` is timed ``--repeat`` times (best kept), each time on a fresh copy:
the due clocks' ``next_reminder_on`` put back and the notifications of the previous run deleted.
The sweep's own SELECT is captured while it runs and EXPLAINed, to show it reads the
``ix_case_clocks_status_next_reminder_on`` index rather than scanning the table.

This is a script, not a test: nothing here is asserted, the table is for people to read.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from benchmarks.common import make_app  # noqa: E402
from casesys.config import normalise_database_url  # noqa: E402
from casesys.core.types import CHINA_TZ  # noqa: E402
from casesys.extensions import db  # noqa: E402

TODAY = date(2026, 11, 16)  # a Monday in a year the calendar covers: the results do not drift with the date
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=CHINA_TZ)
CASES = 20
CHUNK = 20_000
COLUMNS = ("case_id", "key", "status", "started_on", "duration", "unit", "due_on", "strict_due_on",
           "calendar_unconfirmed", "next_reminder_on")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def progress(label: str, done: int, total: int, started: float) -> None:
    width = 40
    filled = width * done // max(total, 1)
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done:>9,}/{total:,} {rate:>9,.0f} rows/s")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


# --- the throwaway database --------------------------------------------------------------------


@contextmanager
def throwaway_database(kind: str, pg_url: str, keep: bool):
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="reminder-bench-")) / "bench.sqlite3"
        try:
            yield f"sqlite:///{path}"
        finally:
            if not keep:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                path.parent.rmdir()
            else:
                log(f"kept {path}")
        return
    name = f"reminder_bench_{os.getpid()}"
    admin = create_engine(normalise_database_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = pg_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            log(f"kept database {name}")
        admin.dispose()


def prepare(app) -> list[int]:
    """Migrate, seed, and register ``CASES`` cases by an officer with an e-mail; their ids."""
    from casesys.auth.services import create_user
    from casesys.cases.schemas import CaseIn
    from casesys.seeding.reference import seed_reference
    from casesys.workflows.registration import register_case

    upgrade()
    seed_reference()
    officer = create_user(None, username="bench.officer", password="correct-horse-battery",
                          agency_code="230100-market_regulation", roles={"officer"}, email="officer@example.test")
    create_user(None, username="bench.head", password="correct-horse-battery",
                agency_code="230100-market_regulation", roles={"agency_head"}, email="head@example.test")
    db.session.commit()
    payload = {
        "workflow": "admin_enforcement", "title": "销售假冒注册商标商品案", "ip_type": "trademark",
        "source": "complaint", "region": "230100", "received_on": (TODAY - timedelta(days=1)).isoformat(),
        "parties": [{"role": "respondent", "kind": "person", "name": "张某"}],
    }
    ids = []
    for _ in range(CASES):
        ids.append(register_case(officer, CaseIn(**payload)).id)
        db.session.commit()
    return ids


# --- clocks ------------------------------------------------------------------------------------


def dates(calendar, due_on: date) -> tuple[date, date]:
    """(due_on, next_reminder_on) of a running clock due on ``due_on``: its first threshold."""
    from casesys.workflows.clocks import reminder_dates

    return due_on, reminder_dates(due_on, calendar)[0][1]


def future_row(case_ids, calendar_cache, rng) -> tuple:
    # Due between 2 and 200 days out: the first threshold is after today.
    due_on = TODAY + timedelta(days=rng.randint(8, 200))
    due_on, first = calendar_cache(due_on)
    return (rng.choice(case_ids), "filing_decision", "running", TODAY - timedelta(days=10), 15, "working_days",
            due_on, due_on, False, first)


def insert_clocks(app, n: int, case_ids: list[int], rng) -> float:
    """Add ``n`` open clocks, all due later than today; the seconds it took."""
    from casesys.workcalendar import load_calendar

    with app.app_context():
        calendar = load_calendar()
        db.session.rollback()  # SQLite: let go of the write lock before the raw connection writes
        memo: dict[date, tuple[date, date]] = {}

        def cached(day):
            if day not in memo:
                memo[day] = dates(calendar, day)
            return memo[day]

        dialect = db.engine.dialect.name
        raw = db.engine.raw_connection()
        started = time.perf_counter()
        try:
            cursor = raw.cursor()
            done = 0
            while done < n:
                size = min(CHUNK, n - done)
                rows = [future_row(case_ids, cached, rng) for _ in range(size)]
                if dialect == "postgresql":
                    with cursor.copy(f"COPY case_clocks ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    cursor.execute("BEGIN IMMEDIATE")  # the connection is in autocommit mode: one transaction per chunk
                    cursor.executemany(
                        f"INSERT INTO case_clocks ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                        [tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in rows])
                raw.commit()
                done += size
                progress(f"inserting clocks ({dialect})", done, n, started)
        finally:
            raw.close()
        return time.perf_counter() - started


def open_count(app) -> int:
    with app.app_context():
        return db.session.scalar(text("SELECT count(*) FROM case_clocks WHERE status = 'running'"))


def analyze(app) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE case_clocks"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()


def choose_due(app, n_due: int, rng) -> list[int]:
    """Make ``n_due`` random clocks due today (first threshold today); their ids."""
    from casesys.workcalendar import load_calendar

    with app.app_context():
        low, high = db.session.execute(text("SELECT min(id), max(id) FROM case_clocks")).one()
        ids = sorted(rng.sample(range(low, high + 1), n_due))
        due_on = load_calendar().add_working_days(TODAY, 3)  # before_3 is today
        db.session.execute(text("UPDATE case_clocks SET due_on = :due, strict_due_on = :due, next_reminder_on = :today"
                                " WHERE id = :id"), [{"due": due_on, "today": TODAY, "id": i} for i in ids])
        db.session.commit()
        return ids


def undue(app, ids: list[int]) -> None:
    """Put the due clocks back to later than today (before the table grows further)."""
    from casesys.workcalendar import load_calendar

    with app.app_context():
        due_on, first = dates(load_calendar(), TODAY + timedelta(days=60))
        db.session.execute(text("UPDATE case_clocks SET due_on = :due, strict_due_on = :due, next_reminder_on = :first"
                                " WHERE id = :id"), [{"due": due_on, "first": first, "id": i} for i in ids])
        reset_notifications()
        db.session.commit()


def reset_notifications() -> None:
    db.session.execute(text("DELETE FROM email_outbox"))
    db.session.execute(text("DELETE FROM notifications"))


def reset(app, ids: list[int]) -> None:
    """A fresh copy: the due clocks due again, no notifications yet."""
    with app.app_context():
        reset_notifications()
        db.session.execute(text("UPDATE case_clocks SET next_reminder_on = :today WHERE id = :id"),
                           [{"today": TODAY, "id": i} for i in ids])
        db.session.commit()


# --- timing and plans --------------------------------------------------------------------------


class Capture:
    """The first SELECT on case_clocks the sweep sends, with its parameters."""

    def __init__(self):
        self.statement = self.parameters = None

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        is_select = statement.lstrip().upper().startswith("SELECT")
        if self.statement is None and is_select and "FROM case_clocks" in statement:
            self.statement, self.parameters = statement, parameters


def timed_sweep(app, ids: list[int], repeat: int) -> tuple[float, int, Capture]:
    from casesys.reminders.sweep import sweep

    best, created, capture = float("inf"), 0, Capture()
    for _ in range(repeat):
        reset(app, ids)
        with app.app_context():
            event.listen(Engine, "before_cursor_execute", capture)
            try:
                started = time.perf_counter()
                result = sweep(NOW)
                best = min(best, time.perf_counter() - started)
            finally:
                event.remove(Engine, "before_cursor_execute", capture)
            created = result.notifications
            assert result.clocks == len(ids), result  # the benchmark measures what it says
    return best, created, capture


def explain(app, capture: Capture) -> tuple[str, float]:
    """The sweep SELECT's plan (one line per step) and the time of that SELECT alone, in ms."""
    with app.app_context():
        with db.engine.connect() as conn:
            started = time.perf_counter()
            conn.exec_driver_sql(capture.statement, capture.parameters).fetchall()
            select_ms = (time.perf_counter() - started) * 1000
            conn.rollback()
            if conn.dialect.name == "postgresql":
                rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
                                            + capture.statement, capture.parameters).scalars().all()
                plan = "\n".join(rows)
            else:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + capture.statement, capture.parameters).all()
                plan = "\n".join(row[-1] for row in rows)
            conn.rollback()
    return plan, select_ms


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="open clocks, comma-separated")
    parser.add_argument("--due", type=int, default=1000, help="clocks due at each size")
    parser.add_argument("--repeat", type=int, default=3, help="sweeps per size; the best is reported")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1/postgres",
                        help="a PostgreSQL server (its maintenance database) to create the throwaway database on")
    parser.add_argument("--no-analyze", action="store_true",
                        help="do not refresh the planner statistics after loading (SQLite has none by default)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    rng = random.Random(args.seed)

    results = []
    with throwaway_database(args.db, args.pg_url, args.keep) as url:
        app = make_app(url)
        with app.app_context():
            case_ids = prepare(app)
        build_seconds = 0.0
        for size in sizes:
            missing = size - open_count(app)
            if missing > 0:
                build_seconds += insert_clocks(app, missing, case_ids, rng)
            if not args.no_analyze:
                analyze(app)
            ids = choose_due(app, args.due, rng)
            seconds, created, capture = timed_sweep(app, ids, args.repeat)
            reset(app, ids)  # the SELECT is explained and timed on the due clocks, not on an emptied range
            plan, select_ms = explain(app, capture)
            open_now = open_count(app)
            results.append((open_now, len(ids), seconds, created, select_ms, build_seconds, plan))
            log(f"\n{args.db}: {open_now:,} open, {len(ids):,} due: sweep {seconds * 1000:,.0f} ms "
                f"({created:,} notifications), first SELECT page {select_ms:.1f} ms; built so far in "
                f"{build_seconds:,.0f} s\nplan:\n{plan}\n")
            undue(app, ids)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    print(f"\n{args.db}, best of {args.repeat}, now = {NOW.isoformat()}")
    print("| open clocks | due | sweep (ms) | per due clock (ms) | notifications | SELECT page (ms) | index used |")
    print("|---:|---:|---:|---:|---:|---:|:---|")
    for open_now, due, seconds, created, select_ms, _build, plan in results:
        used = "yes" if "ix_case_clocks_status_next_reminder_on" in plan else "NO"
        print(f"| {open_now:,} | {due:,} | {seconds * 1000:,.0f} | {seconds * 1000 / due:.2f} | {created:,} "
              f"| {select_ms:.1f} | {used} |")
    print(f"\nbuilding the clocks took {results[-1][5]:,.0f} s in all" if results else "")
    print("\nplan of the sweep's SELECT at the largest size:\n" + (results[-1][6] if results else ""))


if __name__ == "__main__":
    main()
