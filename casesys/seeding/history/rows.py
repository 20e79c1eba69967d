"""Walked cases as plain rows: ids after the tables' current maximum (case ids in order of
receipt), dates and times derived from the effective dates (two loads give identical rows),
inserted in the caller's transaction: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import json
import queue
import threading
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text

from casesys.cases.models import CaseNumberCounter
from casesys.core.types import CHINA_TZ
from casesys.extensions import db
from casesys.seeding.history.stories import UNUSABLE_PASSWORD, HistoryError, Number
from casesys.seeding.history.walk import Ids, Walker

COLUMNS = {
    "users": ("id", "username", "display_name", "email", "password_hash", "agency_id", "is_active", "locale",
              "failed_login_count", "locked_until", "created_at"),
    "user_roles": ("user_id", "role"),
    "cases": ("id", "number", "number_year", "number_seq", "agency_id", "workflow", "workflow_version", "state",
              "version", "title", "ip_type", "source", "region_code", "received_on", "amount_involved_fen",
              "is_confidential", "assigned_officer_id", "origin_agency_id", "outcome", "closed_on", "filed_on",
              "solved_on", "suspects_arrested", "fine_fen", "created_by_id", "created_at", "updated_at"),
    "parties": ("id", "case_id", "role", "kind", "name", "uscc", "id_number"),
    "case_events": ("id", "case_id", "kind", "from_state", "to_state", "actor_id", "agency_id", "occurred_at",
                    "effective_on", "note", "data"),
    "case_clocks": ("id", "case_id", "key", "status", "started_on", "started_at", "duration", "unit", "due_on",
                    "strict_due_on", "due_at", "calendar_unconfirmed", "stopped_on", "next_reminder_on", "stopped_at"),
    "clock_pauses": ("id", "clock_id", "paused_on", "resumed_on", "event_id"),
    "clock_extensions": ("id", "clock_id", "step", "amount", "unit", "approver_role", "approved_by_id", "granted_on",
                         "event_id"),
    "case_links": ("id", "parent_id", "child_id", "relation", "created_at"),
    "case_access": ("id", "case_id", "agency_id", "level", "reason", "granted_at"),
    "handoffs": ("id", "case_id", "from_agency_id", "to_agency_id", "status", "reason", "materials", "sent_by_id",
                 "sent_on", "decided_by_id", "decided_on", "return_reason", "old_number", "new_number", "clock_id"),
    "case_former_numbers": ("id", "case_id", "number", "agency_id", "replaced_on"),
    "inspection_records": ("id", "agency_id", "inspected_on", "units_inspected", "campaign", "note",
                           "created_by_id", "created_at"),
}
INSERT_ORDER = tuple(COLUMNS)
USER_CREATED_AT = datetime(2016, 1, 4, 8, 0, tzinfo=CHINA_TZ)


class RowFormat:
    """Values as the database driver takes them: Python objects for psycopg's COPY, or the
    text SQLAlchemy itself stores on SQLite (dates ISO, times naive UTC with microseconds)."""

    def __init__(self, dialect: str):
        self.sqlite = dialect == "sqlite"
        self._stamps: dict = {}

    def day(self, value: date | None):
        return value.isoformat() if self.sqlite and value is not None else value

    def flag(self, value: bool):
        return int(value) if self.sqlite else value

    def instant(self, value: datetime | None):
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value

    def stamp(self, day: date, minute: int = 0):
        """A deterministic time on ``day``: 09:00 China time plus ``minute`` minutes."""
        key = (day, minute)
        value = self._stamps.get(key)
        if value is None:
            moment = datetime.combine(day, time(9), CHINA_TZ) + timedelta(minutes=minute)
            value = self._stamps[key] = self.instant(moment)
        return value


def _json_default(value):
    if isinstance(value, Number):
        return value.text
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def build_rows(walker: Walker, ids: Ids, fmt: RowFormat) -> dict[str, list[tuple]]:
    """Rows of every walked case (and the accounts first used by them), ids given now."""
    rows: dict[str, list[tuple]] = {table: [] for table in COLUMNS}
    for actor in walker.users.new:
        rows["users"].append((actor.id, actor.username, actor.display_name, None, UNUSABLE_PASSWORD,
                              actor.agency_id, fmt.flag(False), None, 0, None, fmt.instant(USER_CREATED_AT)))
        rows["user_roles"].append((actor.id, actor.role))
    walker.users.new = []
    cases = sorted(walker.cases, key=lambda c: (c.received_on, c.order))
    for case in cases:
        case.id = ids.next("cases")
    dumps = json.JSONEncoder(default=_json_default).encode
    day, stamp, flag = fmt.day, fmt.stamp, fmt.flag
    for case in cases:
        cid = case.id
        last = len(case.events) - 1
        rows["cases"].append((
            cid, case.number.text, case.number.year, case.number.seq, case.agency_id, case.workflow,
            case.workflow_version, case.state, case.version, case.title, case.ip_type, case.source, case.region.code,
            day(case.received_on), case.amount_involved_fen, flag(case.is_confidential), case.assigned_officer_id,
            case.origin_agency_id, case.outcome, day(case.closed_on), day(case.filed_on), day(case.solved_on),
            case.suspects_arrested, case.fine_fen, case.created_by_id, stamp(case.received_on),
            stamp(case.events[last].effective_on, last)))
        for p in case.parties:
            rows["parties"].append((ids.next("parties"), cid, p.role, p.kind, p.name, p.uscc, p.id_number))
        for i, e in enumerate(case.events):
            rows["case_events"].append((e.id, cid, e.kind, e.from_state, e.to_state, e.actor_id, e.agency_id,
                                        stamp(e.effective_on, i), day(e.effective_on), e.note, dumps(e.data)))
        for c in case.clocks:
            c.id = ids.next("case_clocks")
            rows["case_clocks"].append((
                c.id, cid, c.key, c.status, day(c.started_on), fmt.instant(c.started_at), c.duration, c.unit,
                day(c.due_on), day(c.strict_due_on), fmt.instant(c.due_at), flag(c.calendar_unconfirmed),
                day(c.stopped_on), day(c.next_reminder_on), fmt.instant(c.stopped_at)))
            for p in c.pauses:
                rows["clock_pauses"].append((ids.next("clock_pauses"), c.id, day(p.paused_on), day(p.resumed_on),
                                             p.event_id))
            for x in c.extensions:
                rows["clock_extensions"].append((ids.next("clock_extensions"), c.id, x.step, x.amount, x.unit,
                                                 x.approver_role, x.approved_by_id, day(x.granted_on), x.event_id))
        for a in case.access.values():
            rows["case_access"].append((ids.next("case_access"), cid, a.agency_id, a.level, a.reason, stamp(a.day)))
        for f in case.former_numbers:
            rows["case_former_numbers"].append((ids.next("case_former_numbers"), cid, f.number.text, f.agency_id,
                                                day(f.replaced_on)))
    for link in walker.links:
        rows["case_links"].append((ids.next("case_links"), link.parent.id, link.child.id, link.relation,
                                   stamp(link.day)))
    for h in walker.handoffs:
        rows["handoffs"].append((
            ids.next("handoffs"), h.case.id, h.from_agency.id, h.to_agency.id, h.status, h.reason, h.materials,
            h.sent_by_id, day(h.sent_on), h.decided_by_id, day(h.decided_on), h.return_reason, h.old_number.text,
            h.new_number.text if h.new_number is not None else None, h.case.clocks[h.clock].id))
    return rows


def insert_rows(rows: dict[str, list[tuple]], connection=None) -> dict[str, int]:
    """Insert in the session's transaction (or ``connection``'s): COPY on PostgreSQL, executemany
    on SQLite. The column lists are checked against the tables, so a model change shows here."""
    from casesys.stats.snapshots import records_changed

    records_changed()  # the dashboard's stored views are out of date once this commits
    connection = connection or db.session.connection()
    return _insert_dbapi(connection.dialect.name, connection.connection.driver_connection, rows)


def _insert_dbapi(dialect: str, raw, rows: dict[str, list[tuple]]) -> dict[str, int]:
    counts = {}
    for table in INSERT_ORDER:
        data = rows.get(table)
        if not data:
            continue
        columns = COLUMNS[table]
        known = set(db.metadata.tables[table].columns.keys())
        if known != set(columns):
            raise HistoryError(f"{table}: the generator writes {sorted(set(columns))}, the table has {sorted(known)}")
        names = ", ".join(columns)
        if dialect == "postgresql":
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        else:
            raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", data)
        counts[table] = len(data)
    return counts


class _Inserter(threading.Thread):
    """Inserts chunks on a connection of its own, one transaction each, while the next chunk is
    built (the database server works on the other core)."""

    def __init__(self, engine):
        super().__init__(name="history-inserter", daemon=True)
        self.engine, self.queue = engine, queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.counts, self.seconds = Counter(), 0.0

    def run(self) -> None:
        from time import perf_counter

        from casesys.stats.snapshots import BUMP_SQL

        dialect = self.engine.dialect.name
        connection = self.engine.raw_connection()
        try:
            while (rows := self.queue.get()) is not None:
                if self.error is not None:
                    continue
                started = perf_counter()
                try:
                    if dialect == "sqlite":
                        connection.driver_connection.execute("BEGIN IMMEDIATE")
                    self.counts.update(_insert_dbapi(dialect, connection.driver_connection, rows))
                    connection.driver_connection.execute(BUMP_SQL)  # stored dashboard views are out of date
                    connection.commit()
                except BaseException as exc:  # handed to the building thread
                    self.error = exc
                    connection.rollback()
                self.seconds += perf_counter() - started
        finally:
            connection.close()

    def put(self, rows: dict[str, list[tuple]] | None) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(rows)

    def finish(self) -> None:
        self.queue.put(None)
        self.join()
        if self.error is not None:
            raise self.error


def finish_inserts(connection=None) -> None:
    """PostgreSQL: move each id sequence past the ids given here."""
    connection = connection or db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    for table in Ids.TABLES:
        connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"))


def save_counters(counters: dict[tuple[int, int], int], touched: set[tuple[int, int]]) -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    if not touched:
        return
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    stmt = insert(CaseNumberCounter)
    stmt = stmt.on_conflict_do_update(index_elements=["agency_id", "year"], set_={"last_seq": stmt.excluded.last_seq})
    db.session.execute(stmt, [{"agency_id": a, "year": y, "last_seq": counters[a, y]} for a, y in sorted(touched)])


# --- reference data --------------------------------------------------------------------------
