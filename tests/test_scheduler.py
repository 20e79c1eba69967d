"""The scheduler: one active at a time (PostgreSQL advisory lock, SQLite lease row), its jobs, its start."""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select, text, update

from casesys.core.types import utcnow
from casesys.extensions import db
from casesys.reminders import scheduler
from casesys.reminders.models import SchedulerLease
from casesys.reminders.scheduler import JOBS, LEASE_NAME, LEASE_SECONDS, Leadership
from tests.conftest import is_postgres

sqlite_only = pytest.mark.skipif(is_postgres(), reason="the lease row is SQLite's mechanism")


def lease():
    """The lease row as plain values (reading an expired ORM row later would take SQLite's write lock)."""
    db.session.rollback()
    row = db.session.execute(select(SchedulerLease.holder, SchedulerLease.expires_at)
                             .where(SchedulerLease.name == LEASE_NAME)).one_or_none()
    db.session.rollback()
    return row


@pytest.fixture
def leaders(app):
    made: list[Leadership] = []

    def make() -> Leadership:
        db.session.rollback()  # the test's session must not hold SQLite's write lock
        made.append(Leadership(app))
        return made[-1]

    yield make
    for leadership in made:
        leadership.release()


# --- SQLite: the lease row ---------------------------------------------------------------------


@sqlite_only
def test_sqlite_lease_one_holder_at_a_time(app, leaders):
    first, second = leaders(), leaders()
    assert first.holder != second.holder  # even two made in the same thread
    assert first.acquire() is True
    assert lease().holder == first.holder
    assert lease().expires_at > utcnow() + timedelta(seconds=LEASE_SECONDS - 5)
    assert second.acquire() is False and second.renew() is False
    assert first.renew() is True and first.acquire() is True  # its own lease: extended
    first.release()
    assert lease() is None
    assert second.acquire() is True and lease().holder == second.holder
    assert first.acquire() is False


@sqlite_only
def test_sqlite_lease_is_taken_over_when_it_expires(app, leaders):
    first, second = leaders(), leaders()
    assert first.acquire() is True
    assert second.acquire() is False
    # The first scheduler died: nobody renews, the lease runs out.
    db.session.execute(update(SchedulerLease).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert second.acquire() is True and lease().holder == second.holder
    # Back from the dead, the first has lost its lead and cannot take it back while it is renewed.
    assert first.renew() is False and first.acquire() is False
    assert second.renew() is True
    first.release()  # releasing a lease one does not hold leaves it alone
    assert lease().holder == second.holder


def test_a_standby_waits_then_takes_over(app, leaders, monkeypatch):
    """``flask scheduler run`` as a second scheduler: it polls until the first lets go, then leads."""
    active = leaders()
    assert active.acquire() is True
    polls, echoed, started = [], [], []

    class Clock:
        @staticmethod
        def sleep(seconds):
            polls.append(seconds)
            if len(polls) == 3:
                active.release()  # the first one stops
            if len(polls) > 10:
                raise AssertionError("the standby never took over")

    class Started(Exception):
        pass

    class FakeScheduler:
        def __init__(self, **options):
            self.jobs = []

        def add_job(self, func, trigger, **kwargs):
            self.jobs.append(kwargs["id"])

        def start(self):
            started.append(self.jobs)
            raise Started

    monkeypatch.setattr(scheduler, "time", Clock)
    monkeypatch.setattr(scheduler, "BlockingScheduler", FakeScheduler)
    db.session.rollback()
    with pytest.raises(Started):
        scheduler.run_forever(app, poll_seconds=15, echo=echoed.append)
    assert polls == [15, 15, 15]
    assert started == [["reminders", "email", "statistics", "lease"]]
    assert len(echoed) == 1 and echoed[0].endswith(": active")
    # It let go when it stopped: another can lead at once.
    assert leaders().acquire() is True


def test_a_dead_scheduler_is_replaced_within_a_minute():
    assert LEASE_SECONDS + inspect.signature(scheduler.run_forever).parameters["poll_seconds"].default <= 60
    assert LEASE_SECONDS // 3 < LEASE_SECONDS  # renewed well before it runs out


# --- PostgreSQL: the advisory lock -------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="advisory locks need PostgreSQL")
def test_postgres_advisory_lock_one_holder_at_a_time(app, leaders):
    first, second = leaders(), leaders()
    assert first.acquire() is True
    assert second.acquire() is False and second.renew() is False
    assert first.renew() is True
    first.release()
    assert second.acquire() is True
    assert first.acquire() is False
    second.release()
    assert first.acquire() is True


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="advisory locks need PostgreSQL")
def test_postgres_leader_that_lost_its_session_knows_it(app, leaders):
    first, second = leaders(), leaders()
    assert first.acquire() is True
    pid = first._connection.execute(text("SELECT pg_backend_pid()")).scalar()
    first._connection.commit()
    # Its session dies (server restart, network, an operator): the lock is gone with it.
    assert db.session.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar() is True
    db.session.commit()
    assert second.acquire() is True
    assert first.renew() is False  # so ``run_forever`` stands down instead of running beside the new leader
    assert first.acquire() is False  # on a fresh session, as a standby
    second.release()
    assert first.acquire() is True


# --- jobs and the embedded scheduler -----------------------------------------------------------


def test_jobs_have_unique_stable_ids(app):
    ids = [job.id for job in JOBS]
    assert ids == ["reminders", "email", "statistics"] and len(set(ids)) == len(ids)
    assert all(job.minutes >= 1 for job in JOBS)
    background = BackgroundScheduler()
    scheduler._add_jobs(background, app)
    assert sorted(job.id for job in background.get_jobs()) == ["email", "reminders", "statistics"]


def test_tick_runs_every_job_once(app, monkeypatch):
    calls = []
    monkeypatch.setattr(scheduler, "JOBS", [scheduler.Job("a", lambda now: calls.append(("a", now)) or 1, 1),
                                            scheduler.Job("b", lambda now: calls.append(("b", now)) or 2, 1)])
    now = utcnow() - timedelta(days=3)
    db.session.rollback()
    assert scheduler.tick(app, now) == {"a": 1, "b": 2}
    assert calls == [("a", now), ("b", now)]


def test_embedded_scheduler_starts_only_when_asked_and_not_in_the_reloader_parent(app, monkeypatch, leaders):
    db.session.rollback()
    monkeypatch.setitem(app.config, "CASESYS_SCHEDULER_EMBEDDED", False)
    assert scheduler.start_embedded(app) is None
    monkeypatch.setitem(app.config, "CASESYS_SCHEDULER_EMBEDDED", True)
    monkeypatch.setattr(app, "debug", True)
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert scheduler.start_embedded(app) is None  # the reloader's watcher process
    assert lease() is None or is_postgres()
    # Another scheduler leads: the embedded one stays off.
    other = leaders()
    assert other.acquire() is True
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    db.session.rollback()
    assert scheduler.start_embedded(app) is None
    other.release()
    # The reloader's child with nobody else leading: it starts, leads, and has every job.
    ran = []
    monkeypatch.setattr(scheduler, "JOBS", [scheduler.Job(job.id, ran.append, job.minutes) for job in JOBS])
    db.session.rollback()
    embedded = scheduler.start_embedded(app)
    assert isinstance(embedded, BackgroundScheduler) and embedded.running
    leadership = embedded.get_job("lease").func.__self__
    try:
        assert sorted(job.id for job in embedded.get_jobs()) == ["email", "lease", "reminders", "statistics"]
        assert leaders().acquire() is False  # it leads
    finally:
        embedded.shutdown(wait=True)
        leadership.release()
    assert leaders().acquire() is True
