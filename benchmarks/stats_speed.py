"""How fast the statistics are on a big database: each endpoint against the bare SQL it runs.

    python benchmarks/stats_dataset.py --cases 1000000 --database-url URL   # build the data once
    python benchmarks/stats_speed.py --database-url URL [--runs 7]

For each request the statements it sends are captured (SQLAlchemy's before_cursor_execute) and
then replayed on a raw DB-API cursor: "bare SQL" is exactly the aggregates the endpoint runs,
without Flask, the ORM, JSON or the session. Times are the median of --runs warm runs.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, select  # noqa: E402

from casesys import create_app  # noqa: E402
from casesys.config import normalise_database_url  # noqa: E402
from casesys.extensions import db  # noqa: E402

PASSWORD = "benchmark-" + secrets.token_hex(8)
PERIOD = {"from": "2016-01-01", "to": "2020-12-31"}
# label, path, query, whether stored dashboard views are dropped before each run
REQUESTS = [
    ("GET /api/v1/stats/plan-figures", "/api/v1/stats/plan-figures", PERIOD, False),
    ("GET /api/v1/stats/summary (overview)", "/api/v1/stats/summary", {**PERIOD, "sections": "overview"}, False),
    ("GET /api/v1/stats/summary (all sections)", "/api/v1/stats/summary", PERIOD, False),
    ("GET /stats, nothing stored (computed live)", "/stats", PERIOD, True),
    ("GET /stats, records unchanged (stored view)", "/stats", PERIOD, False),
]
STATS_TABLES = ("FROM cases", "FROM case_", "FROM handoffs", "FROM inspection_records", "FROM stats_snapshots")


def _median_ms(fn, runs: int, before=lambda: None) -> float:
    before()
    fn()  # warm the caches once
    samples = []
    for _ in range(runs):
        before()
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _drop_stored_views(app) -> None:
    from casesys.stats.models import StatsSnapshot

    with app.app_context():
        db.session.execute(db.delete(StatsSnapshot))
        db.session.commit()


def _bare_replay(url: str, statements: list[tuple[str, object]]):
    """The statements on a connection of the database's own driver, outside the app: PostgreSQL
    gets them as literal SQL (what psql would send), SQLite with their parameters."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1])

        def run():
            for statement, parameters in statements:
                conn.execute(statement, parameters).fetchall()

        return run
    import psycopg

    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    conn.execute("SET jit = off")  # as the app's connections (casesys.core.db)
    literal = [psycopg.ClientCursor(conn).mogrify(statement, parameters) for statement, parameters in statements]

    def run():
        for sql in literal:
            conn.execute(sql).fetchall()

    return run


def _supervisor():
    from casesys.auth.models import User
    from casesys.auth.services import create_user, issue_api_token

    user = db.session.scalar(select(User).where(User.username == "bench.supervisor"))
    if user is None:
        user = create_user(None, username="bench.supervisor", password=PASSWORD,
                           agency_code="230000-coordination_office", roles={"supervisor"})
    else:
        from casesys.auth.services import set_password

        set_password(None, user, PASSWORD)
    token = issue_api_token(user)
    db.session.commit()
    return user, token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("CASESYS_ENV", "development")
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(args.database_url),
                      "SECRET_KEY": secrets.token_hex(16),
                      "CASESYS_SCHEDULER_EMBEDDED": False, "WTF_CSRF_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        from casesys.cases.models import Case

        cases = db.session.scalar(select(func.count()).select_from(Case))
        _user, token = _supervisor()
        dialect = db.engine.dialect.name
    client = app.test_client()
    client.post("/login", data={"username": "bench.supervisor", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token}"}

    print(f"{dialect}, {cases:,} cases, period {PERIOD['from']}..{PERIOD['to']}, median of {args.runs} runs\n")
    print("| request | statements | endpoint (ms) | bare SQL (ms) | ratio |")
    print("|---|---:|---:|---:|---:|")
    for label, path, query, cold in REQUESTS:
        before = (lambda: _drop_stored_views(app)) if cold else (lambda: None)
        before()
        client.get(path, query_string=query, headers=headers)  # a stored view exists now (unless cold)
        before()
        captured: list[tuple[str, object]] = []

        def capture(_conn, _cursor, statement, parameters, _context, _many, sink=captured):
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                sink.append((statement, parameters))

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", capture)
        response = client.get(path, query_string=query, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:500])
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", capture)
        # Only the statistics' own statements: not the session's user lookup or token check.
        aggregates = [(s, p) for s, p in captured if any(table in s for table in STATS_TABLES)]

        endpoint_ms = _median_ms(lambda p=path, q=query: client.get(p, query_string=q, headers=headers), args.runs,
                                 before)

        bare_ms = _median_ms(_bare_replay(args.database_url, aggregates), args.runs, before)
        print(f"| {label} | {len(aggregates)} | {endpoint_ms:,.1f} | {bare_ms:,.1f} | "
              f"{endpoint_ms / bare_ms if bare_ms else float('nan'):.2f} |")


if __name__ == "__main__":
    main()
