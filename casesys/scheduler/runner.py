"""The scheduler: jobs declared once, run by ``flask scheduler run`` (one active process, the
others wait as standbys), by ``flask scheduler tick`` (every job once), or embedded in the
development server. Jobs are sweepers over rows, so running them twice changes nothing.

Leadership is a heartbeat row, the same on SQLite and PostgreSQL: the leader renews it every
quarter lease; a standby takes over, bumping the row's term, once it is older than the lease
(``CASESYS_SCHEDULER_LEASE_SECONDS``, 60 s). No database session holds the lead, so a frozen
leader (SIGSTOP, a suspended VM) cannot keep it; and before every job a leader renews under its
own term, so one that wakes up after a takeover stands down instead of running beside the new one.

The jobs come from several packages (reminders, e-mail, statistics, the audit anchor), so the
scheduler is a package of its own above all of them; none of them imports it."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import DateTime, and_, case, event, false, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from casesys.audit import anchors
from casesys.core.types import UTCDateTime, utcnow
from casesys.extensions import db
from casesys.reminders import outbox, sweep
from casesys.scheduler.models import SchedulerHeartbeat, SchedulerJobRun
from casesys.stats import snapshots

log = logging.getLogger(__name__)
HEARTBEAT = "scheduler"  # the name of the heartbeat row
HEARTBEATS = SchedulerHeartbeat.__table__
DEFAULT_LEASE_SECONDS = 60  # CASESYS_SCHEDULER_LEASE_SECONDS: a heartbeat this old may be taken over
RELEASED = datetime(1970, 1, 1, tzinfo=UTC)  # the heartbeat of a lead given up: free at once


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable[[datetime], object]
    minutes: float


# The one list of jobs: stable ids, nothing pickled (the job store is in memory).
JOBS = [
    Job("reminders", lambda now: sweep.sweep(now), minutes=5),
    Job("email", lambda now: outbox.send_due(now), minutes=1),
    Job("statistics", lambda now: snapshots.refresh(now), minutes=5),
    Job("audit-anchor", lambda now: anchors.write_anchor(), minutes=10),  # signed chain head, outside the database
]


def tick(app: Flask, now: datetime | None = None) -> dict[str, object]:
    """Run every job once at ``now`` (operations, back-fill after downtime, tests)."""
    results = {}
    for job in JOBS:
        with app.app_context():
            started = utcnow()
            results[job.id] = job.run(now or utcnow())
            db.session.commit()
            _record_run(job.id, f"tick:{_process_name()}", None, started)
    return results


def _run_job(app: Flask, job: Job, leadership: Leadership, stand_down: Callable[[], None] | None = None) -> None:
    """A scheduled run, only while this scheduler still leads (fencing: one that froze and lost
    its lead finds out here, before it touches a row)."""
    if not leadership.renew():
        log.warning("scheduler job %s not run: this scheduler no longer leads", job.id)
        if stand_down is not None:
            stand_down()
        return
    with app.app_context():
        started, error = utcnow(), None
        try:
            job.run(utcnow())
            db.session.commit()
        except Exception as exc:  # a failed run is logged; the next run sweeps the same rows again
            db.session.rollback()
            log.exception("scheduler job %s failed", job.id)
            error = f"{type(exc).__name__}: {exc}"
        _record_run(job.id, leadership.holder, leadership.term, started, error)


def _record_run(job_id: str, holder: str, term: int | None, started: datetime, error: str | None = None) -> None:
    """Keep the last run of a job for ``flask scheduler status`` (never fails the job itself)."""
    values = {"job_id": job_id, "holder": holder, "term": term, "started_at": started, "finished_at": utcnow(),
              "ok": error is None, "error": error and error[:2000]}
    try:
        statement = _upsert(SchedulerJobRun).values(**values)
        db.session.execute(statement.on_conflict_do_update(index_elements=["job_id"], set_=values))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not record the run of scheduler job %s", job_id, exc_info=True)


def _upsert(model):
    """INSERT with ``on_conflict_do_…``, in this database's dialect."""
    return (pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert)(model)


def _add_jobs(scheduler, app: Flask, leadership: Leadership, stand_down: Callable[[], None] | None = None) -> None:
    for job in JOBS:
        scheduler.add_job(_run_job, "interval", args=(app, job, leadership, stand_down), id=job.id,
                          minutes=job.minutes, next_run_time=datetime.now().astimezone(), replace_existing=True)


def _scheduler_options() -> dict:
    # Coalesce missed runs into one, never run a job twice at once, and let a run that is late
    # by up to an hour (a restart) still happen. The heartbeat has a thread of its own, so a
    # long job cannot delay it past the lease.
    return {"executors": {"default": ThreadPoolExecutor(2), "heartbeat": ThreadPoolExecutor(1)},
            "job_defaults": {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}}


def _process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership:
    """Only one scheduler is active: the holder of the heartbeat row, while it keeps renewing it.

    Taking the lead, renewing it and giving it up are each one conditional UPDATE, the same on
    SQLite and PostgreSQL. Times come from the database's clock on PostgreSQL (schedulers on
    several hosts agree on it) and from the local clock on SQLite (one host)."""

    def __init__(self, app: Flask, lease_seconds: float | None = None):
        self.app = app
        # Unique per instance: two schedulers in one thread (or a thread id reused) are still two holders.
        self.holder = f"{_process_name()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"[-100:]
        seconds = lease_seconds or app.config.get("CASESYS_SCHEDULER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
        self.lease = timedelta(seconds=float(seconds))
        self.term: int | None = None  # the term this scheduler leads under, while it does

    @property
    def interval(self) -> float:
        """Seconds between heartbeats, and between a standby's looks: a lease survives three missed beats."""
        return self.lease.total_seconds() / 4

    def acquire(self) -> bool:
        """Lead: extend our own lead, or take one that was given up or is older than the lease (a new term)."""
        try:
            with self._transaction() as (conn, now, stale_before):
                conn.execute(_upsert(SchedulerHeartbeat).values(name=HEARTBEAT, holder=self.holder, term=0,
                                                               renewed_at=RELEASED).on_conflict_do_nothing())
                ours = self._ours()
                self.term = conn.execute(
                    update(HEARTBEATS)
                    .where(HEARTBEATS.c.name == HEARTBEAT, ours | (HEARTBEATS.c.renewed_at < stale_before))
                    .values(holder=self.holder, renewed_at=now,
                            term=case((ours, HEARTBEATS.c.term), else_=HEARTBEATS.c.term + 1))
                    .returning(HEARTBEATS.c.term)).scalar()
        except SQLAlchemyError:
            log.warning("scheduler could not reach the database to lead", exc_info=True)
            return False
        return self.term is not None

    def renew(self) -> bool:
        """The heartbeat, and the check before every job: renew only under our own term. False
        once a standby has taken over (for good) or while the database cannot be reached."""
        if self.term is None:
            return False
        try:
            with self._transaction() as (conn, now, _stale_before):
                renewed = conn.execute(update(HEARTBEATS).where(HEARTBEATS.c.name == HEARTBEAT, self._ours())
                                       .values(renewed_at=now)).rowcount
        except SQLAlchemyError:
            log.warning("scheduler could not renew its lead", exc_info=True)
            return False  # the term is kept: once the database answers again, acquire() extends it
        if not renewed:
            self.term = None
        return bool(renewed)

    def release(self) -> None:
        """Give the lead up (a clean stop): a standby takes over at its next look, not after a lease."""
        if self.term is None:
            return
        try:
            with self._transaction() as (conn, _now, _stale_before):
                conn.execute(update(HEARTBEATS).where(HEARTBEATS.c.name == HEARTBEAT, self._ours())
                             .values(renewed_at=RELEASED))
        except SQLAlchemyError:
            log.warning("scheduler could not give up its lead; it runs out after the lease", exc_info=True)
        self.term = None

    def _ours(self):
        if self.term is None:
            return false()
        return and_(HEARTBEATS.c.holder == self.holder, HEARTBEATS.c.term == self.term)

    @contextmanager
    def _transaction(self):
        """A short transaction of its own, with the current time and the staleness limit as SQL."""
        with self.app.app_context(), db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # A heartbeat that has to wait (a peer stuck holding the row) gives up within its interval.
                conn.execute(text("SELECT set_config('statement_timeout', :ms, true)"),
                             {"ms": str(int(self.interval * 1000))})
                now = func.statement_timestamp(type_=DateTime(timezone=True))
                yield conn, now, now - self.lease
            else:
                now = utcnow()
                yield conn, literal(now, UTCDateTime()), literal(now - self.lease, UTCDateTime())


def status() -> dict:
    """What ``flask scheduler status`` shows, as plain values: the lead and its heartbeat's age by
    the database's clock, and the last run of each job."""
    if db.engine.dialect.name == "postgresql":
        now = db.session.scalar(select(func.statement_timestamp()))
    else:
        now = utcnow()
    lead = db.session.execute(select(HEARTBEATS).where(HEARTBEATS.c.name == HEARTBEAT)).one_or_none()
    runs = {run.job_id: run for run in db.session.execute(select(SchedulerJobRun.__table__))}
    return {"now": now, "lead": lead, "released": lead is not None and lead.renewed_at == RELEASED,
            "heartbeat_age": lead and now - lead.renewed_at, "runs": runs}


def _bound_sessions(app: Flask, lease: timedelta) -> None:
    """On PostgreSQL, a frozen or vanished scheduler must not keep row locks its successor needs:
    the server ends a session left idle inside a transaction for half a lease, and TCP keepalives
    on both ends notice a peer that is gone within about 30 s."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql" or app.extensions.get("casesys.scheduler.bounded"):
        return
    app.extensions["casesys.scheduler.bounded"] = True
    keepalives = {"idle": 10, "interval": 5, "count": 4}
    server = " ".join([f"-c idle_in_transaction_session_timeout={int(lease.total_seconds() * 500)}"]
                      + [f"-c tcp_keepalives_{name}={value}" for name, value in keepalives.items()])

    @event.listens_for(engine, "do_connect")
    def bounded(_dialect, _record, _cargs, cparams):
        cparams.update({"keepalives": 1, **{f"keepalives_{name}": value for name, value in keepalives.items()}})
        cparams["options"] = f"{cparams.get('options', '')} {server}".strip()

    engine.dispose()  # connections opened before this point have neither


def run_forever(app: Flask, poll_seconds: float | None = None, echo: Callable[[str], None] = print) -> None:
    """``flask scheduler run``: wait to lead, then run the jobs until the lead is lost."""
    leadership = Leadership(app)
    poll = leadership.interval if poll_seconds is None else poll_seconds
    _bound_sessions(app, leadership.lease)
    waiting = False
    try:
        while True:
            if not leadership.acquire():
                if not waiting:
                    echo(f"scheduler {leadership.holder}: standing by")
                    waiting = True
                time.sleep(poll)
                continue
            waiting = False
            echo(f"scheduler {leadership.holder}: active (term {leadership.term})")
            scheduler = BlockingScheduler(**_scheduler_options())

            def stand_down(scheduler=scheduler):
                with suppress(SchedulerNotRunningError):  # the heartbeat and a job may both notice
                    scheduler.shutdown(wait=False)
                    echo("scheduler lost its lead; standing by")

            _add_jobs(scheduler, app, leadership, stand_down)

            def keep_lead(stand_down=stand_down):
                if not leadership.renew():
                    stand_down()

            scheduler.add_job(keep_lead, "interval", id="lease", seconds=leadership.interval, executor="heartbeat")
            scheduler.start()  # blocks until shutdown
    finally:
        leadership.release()


def start_embedded(app: Flask) -> BackgroundScheduler | None:
    """The development server's own scheduler (``CASESYS_SCHEDULER_EMBEDDED=1``), started once:
    not in the reloader's watcher process, never in gunicorn workers (they do not set the flag)."""
    if not app.config.get("CASESYS_SCHEDULER_EMBEDDED"):
        return None
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None
    leadership = Leadership(app)
    _bound_sessions(app, leadership.lease)
    if not leadership.acquire():
        log.info("another scheduler is active; the embedded one stays off")
        return None
    scheduler = BackgroundScheduler(**_scheduler_options())
    _add_jobs(scheduler, app, leadership)
    # Its heartbeat also takes the lead back if it lapsed (the dev server was suspended); jobs skip meanwhile.
    scheduler.add_job(leadership.acquire, "interval", id="lease", seconds=leadership.interval, executor="heartbeat")
    scheduler.start()
    return scheduler
