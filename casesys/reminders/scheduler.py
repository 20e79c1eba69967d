"""The scheduler: jobs declared once, run by ``flask scheduler run`` (one active process, the
others wait as standbys), by ``flask scheduler tick`` (every job once), or embedded in the
development server. Jobs are sweepers over rows, so running them twice changes nothing."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import delete, text, update

from casesys.core.types import utcnow
from casesys.extensions import db
from casesys.reminders import outbox, sweep
from casesys.reminders.models import SchedulerLease
from casesys.stats import snapshots

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
LEASE_SECONDS = 45  # a dead scheduler's lease runs out within a minute; standbys poll every 15 s
ADVISORY_KEY = 0x5C4ED  # PostgreSQL advisory lock held by the active scheduler


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable[[datetime], object]
    minutes: int


# The one list of jobs: stable ids, nothing pickled (the job store is in memory).
JOBS = [
    Job("reminders", lambda now: sweep.sweep(now), minutes=5),
    Job("email", lambda now: outbox.send_due(now), minutes=1),
    Job("statistics", lambda now: snapshots.refresh(now), minutes=5),
]


def tick(app: Flask, now: datetime | None = None) -> dict[str, object]:
    """Run every job once at ``now`` (operations, back-fill after downtime, tests)."""
    results = {}
    for job in JOBS:
        with app.app_context():
            results[job.id] = job.run(now or utcnow())
            db.session.commit()
    return results


def _run_job(app: Flask, job: Job) -> None:
    with app.app_context():
        try:
            job.run(utcnow())
            db.session.commit()
        except Exception:  # a failed run is logged; the next run sweeps the same rows again
            db.session.rollback()
            log.exception("scheduler job %s failed", job.id)


def _add_jobs(scheduler, app: Flask) -> None:
    for job in JOBS:
        scheduler.add_job(_run_job, "interval", args=(app, job), id=job.id, minutes=job.minutes,
                          next_run_time=datetime.now().astimezone(), replace_existing=True)


def _scheduler_options() -> dict:
    # Coalesce missed runs into one, never run a job twice at once, and let a run that is late
    # by up to an hour (a restart) still happen.
    return {"executors": {"default": ThreadPoolExecutor(2)},
            "job_defaults": {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}}


class Leadership:
    """Only one scheduler is active: a PostgreSQL advisory lock held on its own connection, or
    on SQLite a lease row renewed while it runs. A standby takes over when it is released."""

    def __init__(self, app: Flask):
        self.app = app
        # Unique per instance: two schedulers in one thread (or a thread id reused) are still two holders.
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"[-100:]
        self._connection = None

    def acquire(self) -> bool:
        with self.app.app_context():
            if db.engine.dialect.name == "postgresql":
                if self._connection is None:
                    self._connection = db.engine.connect()
                got = self._connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
                self._connection.commit()
                return bool(got)
            return self._take_lease()

    def renew(self) -> bool:
        with self.app.app_context():
            if db.engine.dialect.name == "postgresql":
                return self._holds_advisory_lock()
            return self._take_lease()

    def _holds_advisory_lock(self) -> bool:
        """Whether our session still holds the lock: a dropped connection (server restart,
        network, pg_terminate_backend) has lost it, and a standby may already lead."""
        if self._connection is None:
            return False
        try:
            held = self._connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                " AND classid = 0 AND objid::bigint = :k AND objsubid = 1 AND granted"), {"k": ADVISORY_KEY}).scalar()
            self._connection.commit()
        except Exception:  # noqa: BLE001 (any database error means the lead is lost)
            log.warning("scheduler lost its database session", exc_info=True)
            held = 0
        if not held:
            self._drop_connection()
        return bool(held)

    def _drop_connection(self) -> None:
        try:
            self._connection.invalidate()  # never back to the pool: it may be broken or still hold the lock
            self._connection.close()
        except Exception:  # noqa: BLE001
            log.debug("closing a broken connection failed", exc_info=True)
        self._connection = None

    def release(self) -> None:
        with self.app.app_context():
            if self._connection is not None:
                # Closing only returns the connection to the pool, and its session keeps the lock:
                # unlock explicitly (or, if the session is broken, discard the connection).
                try:
                    self._connection.execute(text("SELECT pg_advisory_unlock_all()"))
                    self._connection.commit()
                    self._connection.close()
                    self._connection = None
                except Exception:  # noqa: BLE001
                    self._drop_connection()
            elif db.engine.dialect.name != "postgresql":
                db.session.execute(delete(SchedulerLease).where(SchedulerLease.name == LEASE_NAME,
                                                                SchedulerLease.holder == self.holder))
                db.session.commit()

    def _take_lease(self) -> bool:
        """Take or extend the lease if it is free, expired or ours (one UPDATE decides)."""
        now = utcnow()
        expires = now + timedelta(seconds=LEASE_SECONDS)
        if db.session.get(SchedulerLease, LEASE_NAME) is None:
            db.session.add(SchedulerLease(name=LEASE_NAME, holder=self.holder, expires_at=now - timedelta(seconds=1)))
            db.session.flush()
        taken = db.session.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == LEASE_NAME,
                   (SchedulerLease.holder == self.holder) | (SchedulerLease.expires_at < now))
            .values(holder=self.holder, expires_at=expires)).rowcount
        db.session.commit()
        return taken == 1


def run_forever(app: Flask, poll_seconds: float = 15, echo: Callable[[str], None] = print) -> None:
    """``flask scheduler run``: wait to lead, then run the jobs until the lead is lost."""
    leadership = Leadership(app)
    try:
        while True:
            if not leadership.acquire():
                time.sleep(poll_seconds)
                continue
            echo(f"scheduler {leadership.holder}: active")
            scheduler = BlockingScheduler(**_scheduler_options())
            _add_jobs(scheduler, app)

            def keep_lead(scheduler=scheduler):
                if not leadership.renew():
                    echo("scheduler lost its lead; standing by")
                    scheduler.shutdown(wait=False)

            scheduler.add_job(keep_lead, "interval", id="lease", seconds=LEASE_SECONDS // 3)
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
    if not leadership.acquire():
        log.info("another scheduler is active; the embedded one stays off")
        return None
    scheduler = BackgroundScheduler(**_scheduler_options())
    _add_jobs(scheduler, app)
    scheduler.add_job(leadership.renew, "interval", id="lease", seconds=LEASE_SECONDS // 3)
    scheduler.start()
    return scheduler

