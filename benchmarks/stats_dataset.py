"""Build a statistics benchmark database: N cases walked through their workflows, bulk-loaded.

    .venv/bin/python benchmarks/stats_dataset.py --cases 1000000 --database-url postgresql://postgres@127.0.0.1/casesys_bench_gen
    .venv/bin/python benchmarks/stats_dataset.py --cases 1000000 --database-url sqlite:////tmp/bench.sqlite3

It runs the migrations on the database (a PostgreSQL database is created if it does not exist),
loads the reference data, and then the cases of ``casesys.seeding.history.generate_cases``: a mix
of administrative enforcement (with criminal transfers and handoffs), civil first instance (with
court-entrusted mediation), police cases, mediation (with judicial confirmation) and patent
rulings, received between 2016-01-01 and 2020-12-31 and each walked step by step through its
workflow definition by the same walker as ``flask seed history``. Cases are built and inserted a
chunk at a time: a second thread inserts each chunk (COPY on PostgreSQL; executemany on SQLite
with ``journal_mode=OFF`` and ``synchronous=OFF``, for this benchmark only) in a transaction of
its own while the next chunk is built. It prints the time spent building rows and inserting them.

This is a script, not a test; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.common import make_app  # noqa: E402
from casesys.config import normalise_database_url  # noqa: E402
from casesys.extensions import db  # noqa: E402


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Bar:
    def __init__(self, label: str, total: int):
        self.label, self.total, self.started = label, total, time.perf_counter()

    def __call__(self, done: int, stats: dict) -> None:
        width = 40
        filled = width * done // max(self.total, 1)
        elapsed = time.perf_counter() - self.started
        rate = done / max(elapsed, 1e-9)
        eta = (self.total - done) / max(rate, 1e-9)
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done:>9,}/{self.total:,} cases "
                         f"{rate:>6,.0f}/s {stats['rows']:>11,} rows  {elapsed:>5,.0f}s elapsed, ~{eta:,.0f}s left ")
        if done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def ensure_database(url: str) -> None:
    """PostgreSQL: create the database if it does not exist yet."""
    parsed = make_url(normalise_database_url(url))
    if not parsed.drivername.startswith("postgresql"):
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                              {"name": parsed.database}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
            log(f"created database {parsed.database}")
    admin.dispose()


def _fast_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode = OFF")
    cursor.execute("PRAGMA synchronous = OFF")
    cursor.execute("PRAGMA cache_size = -262144")  # 256 MB
    cursor.close()


def main(argv=None) -> None:
    from casesys.cases.models import Case
    from casesys.seeding.history import PERIOD, SEED, load_bulk
    from casesys.seeding.reference import seed_reference

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to generate (linked cases come on top)")
    parser.add_argument("--database-url", required=True, help="sqlite:////path or postgresql://user@host/db")
    parser.add_argument("--chunk", type=int, default=20_000, help="cases built and inserted per transaction")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--from", dest="first", default=PERIOD[0].isoformat(), help="first day received")
    parser.add_argument("--to", dest="last", default=PERIOD[1].isoformat(), help="last day received")
    parser.add_argument("--append", action="store_true", help="add to a database that already has cases")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    ensure_database(args.database_url)
    app = make_app(args.database_url)
    with app.app_context():
        dialect = db.engine.dialect.name
        upgrade()
        seed_reference()
        db.session.commit()
        existing = db.session.scalar(select(func.count()).select_from(Case))
        if existing and not args.append:
            raise SystemExit(f"the database already has {existing:,} cases: use an empty one, or --append")
        db.session.remove()
        db.engine.dispose()
        if dialect == "sqlite":
            event.listen(db.engine, "connect", _fast_sqlite)
        prepared = time.perf_counter()
        log(f"{dialect}: migrated and reference data loaded in {prepared - started:.1f} s")

        result = load_bulk(args.cases, seed=args.seed, first=date.fromisoformat(args.first),
                           last=date.fromisoformat(args.last), chunk=args.chunk,
                           on_chunk=Bar(f"loading ({dialect})", args.cases), commit=db.session.commit)
        loaded = time.perf_counter()
        if dialect == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        analyzed = time.perf_counter()
        cases = db.session.scalar(select(func.count()).select_from(Case))
        db.session.remove()
        db.engine.dispose()

    counts = result["counts"]
    rows = sum(counts.values())
    print(f"\n{dialect}: {args.cases:,} cases generated ({cases:,} in the database with the cases they opened)")
    print("| table | rows |\n|---|---:|")
    for table, n in counts.items():
        print(f"| {table} | {n:,} |")
    print(f"| all | {rows:,} |")
    print(f"\nbuilding rows (planning, walking, numbering; main thread): {result['build']:,.1f} s")
    print(f"inserting ({'COPY' if dialect == 'postgresql' else 'executemany'}, one transaction per chunk, in a "
          f"second thread while the next chunk is built): {result['insert']:,.1f} s "
          f"({rows / max(result['insert'], 1e-9):,.0f} rows/s); the builder waited {result['waited']:,.1f} s for it")
    print(f"loading in all: {loaded - prepared:,.1f} s ({args.cases / max(loaded - prepared, 1e-9):,.0f} cases/s); "
          f"{'VACUUM ANALYZE' if dialect == 'postgresql' else 'ANALYZE'}: {analyzed - loaded:,.1f} s; "
          f"whole run: {analyzed - started:,.1f} s")


if __name__ == "__main__":
    main()
