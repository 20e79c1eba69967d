"""The scheduler: one active at a time (a heartbeat row with a fencing term), its jobs, its start."""

from __future__ import annotations

from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select, text, update

from casesys.core.types import utcnow
from casesys.extensions import db
from casesys.scheduler import runner as scheduler
from casesys.scheduler.models import SchedulerHeartbeat, SchedulerJobRun
from casesys.scheduler.runner import HEARTBEAT, JOBS, RELEASED, Leadership
from tests.conftest import is_postgres


def heartbeat():
    """The heartbeat row as plain values (reading an expired ORM row later would take SQLite's write lock)."""
    db.session.rollback()
    row = db.session.execute(select(SchedulerHeartbeat.holder, SchedulerHeartbeat.term, SchedulerHeartbeat.renewed_at)
                             .where(SchedulerHeartbeat.name == HEARTBEAT)).one_or_none()
    db.session.rollback()
    return row


def age_heartbeat(seconds: float) -> None:
    """Time passes without a heartbeat: the leader froze (or died) ``seconds`` ago."""
    db.session.execute(update(SchedulerHeartbeat).values(renewed_at=utcnow() - timedelta(seconds=seconds)))
    db.session.commit()


@pytest.fixture
def leaders(app):
    made: list[Leadership] = []

    def make(lease_seconds: float | None = None) -> Leadership:
        db.session.rollback()  # the test's session must not hold SQLite's write lock
        made.append(Leadership(app, lease_seconds))
        return made[-1]

    yield make
    for leadership in made:
        leadership.release()


# --- leadership: the heartbeat row (SQLite and PostgreSQL alike) -------------------------------


def test_one_leader_at_a_time_and_a_clean_stop_frees_the_lead_at_once(app, leaders):
    first, second = leaders(), leaders()
    assert first.holder != second.holder  # even two made in the same thread
    assert heartbeat() is None
    assert first.acquire() is True and first.term == 1
    holder, term, renewed_at = heartbeat()
    assert (holder, term) == (first.holder, 1) and abs(renewed_at - utcnow()) < timedelta(seconds=5)
    assert second.acquire() is False and second.renew() is False and second.term is None
    assert first.renew() is True and first.acquire() is True and first.term == 1  # its own lead: extended
    first.release()
    assert heartbeat().renewed_at == RELEASED and first.term is None
    assert first.renew() is False  # it gave the lead up
    assert second.acquire() is True and second.term == 2 and heartbeat()[:2] == (second.holder, 2)
    assert first.acquire() is False


def test_a_standby_takes_over_only_when_the_heartbeat_is_older_than_the_lease(app, leaders):
    first, second = leaders(lease_seconds=60), leaders(lease_seconds=60)
    assert first.acquire() is True
    age_heartbeat(50)  # late, but within the lease
    assert second.acquire() is False and heartbeat().holder == first.holder
    assert first.renew() is True  # a late heartbeat still counts while nobody took over
    age_heartbeat(61)  # the leader froze for longer than the lease
    assert second.acquire() is True and heartbeat()[:2] == (second.holder, 2)
    assert heartbeat().renewed_at > utcnow() - timedelta(seconds=5)


def test_a_leader_that_lost_its_lead_while_frozen_is_fenced_off(app, leaders):
    old, new = leaders(lease_seconds=60), leaders(lease_seconds=60)
    assert old.acquire() is True and old.term == 1
    age_heartbeat(120)
    assert new.acquire() is True and new.term == 2
    # The old leader wakes up: its term is gone, so it neither renews nor runs a job.
    ran = []
    job = scheduler.Job("probe", ran.append, 1)
    db.session.rollback()
    scheduler._run_job(app, job, old)
    assert ran == [] and old.term is None
    assert old.renew() is False and old.acquire() is False  # and it cannot take the fresh lead back
    old.release()  # giving up a lead it does not hold leaves the new one alone
    assert heartbeat()[:2] == (new.holder, 2) and heartbeat().renewed_at != RELEASED
    # The new leader runs it, and its run is recorded under its term.
    db.session.rollback()
    scheduler._run_job(app, job, new)
    assert len(ran) == 1
    run = db.session.get(SchedulerJobRun, "probe")
    assert (run.holder, run.term, run.ok, run.error) == (new.holder, 2, True, None)
    db.session.rollback()


def test_a_failing_job_is_recorded_and_the_scheduler_goes_on(app, leaders):
    leader = leaders()
    assert leader.acquire() is True

    def broken(now):
        raise ValueError("no such table")

    db.session.rollback()
    scheduler._run_job(app, scheduler.Job("broken", broken, 1), leader)
    run = db.session.get(SchedulerJobRun, "broken")
    assert (run.ok, run.error, run.term) == (False, "ValueError: no such table", 1)
    db.session.rollback()


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
        scheduler.run_forever(app, echo=echoed.append)
    assert polls == [15, 15, 15]  # a quarter of the 60 s lease
    assert started == [[job.id for job in JOBS] + ["lease"]]
    assert len(echoed) == 2 and echoed[0].endswith(": standing by") and echoed[1].endswith(": active (term 2)")
    # It let go when it stopped: another can lead at once.
    assert leaders().acquire() is True


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="session settings of PostgreSQL")
def test_a_scheduler_process_s_sessions_cannot_hold_locks_for_long_on_postgres(app, monkeypatch):
    """A leader frozen inside a transaction would keep its row locks from its successor: the
    server ends such a session after half a lease, and TCP keepalives notice a vanished peer."""
    monkeypatch.setitem(app.config, "CASESYS_SCHEDULER_LEASE_SECONDS", 8)
    seen = {}

    class Started(Exception):
        pass

    class FakeScheduler:
        def __init__(self, **options):
            pass

        def add_job(self, *args, **kwargs):
            pass

        def start(self):
            with db.engine.connect() as conn:
                for setting in ("idle_in_transaction_session_timeout", "tcp_keepalives_idle", "tcp_keepalives_count"):
                    seen[setting] = conn.execute(text(f"SHOW {setting}")).scalar()
            raise Started

    monkeypatch.setattr(scheduler, "BlockingScheduler", FakeScheduler)
    db.session.rollback()
    with pytest.raises(Started):
        scheduler.run_forever(app, echo=lambda line: None)
    assert seen == {"idle_in_transaction_session_timeout": "4s", "tcp_keepalives_idle": "10",
                    "tcp_keepalives_count": "4"}


def test_the_lease_is_configurable_and_heartbeats_come_well_within_it(app, monkeypatch):
    assert Leadership(app).lease == timedelta(seconds=60)
    monkeypatch.setitem(app.config, "CASESYS_SCHEDULER_LEASE_SECONDS", 8)
    leadership = Leadership(app)
    assert leadership.lease == timedelta(seconds=8) and leadership.interval == 2


# --- jobs and the embedded scheduler -----------------------------------------------------------


def test_jobs_have_unique_stable_ids(app):
    ids = [job.id for job in JOBS]
    assert ids == ["reminders", "email", "statistics", "audit-anchor"] and len(set(ids)) == len(ids)
    assert all(job.minutes >= 1 for job in JOBS)
    background = BackgroundScheduler()
    scheduler._add_jobs(background, app, Leadership(app))
    assert sorted(job.id for job in background.get_jobs()) == ["audit-anchor", "email", "reminders", "statistics"]


def test_tick_runs_every_job_once(app, monkeypatch):
    calls = []
    monkeypatch.setattr(scheduler, "JOBS", [scheduler.Job("a", lambda now: calls.append(("a", now)) or 1, 1),
                                            scheduler.Job("b", lambda now: calls.append(("b", now)) or 2, 1)])
    now = utcnow() - timedelta(days=3)
    db.session.rollback()
    assert scheduler.tick(app, now) == {"a": 1, "b": 2}
    assert calls == [("a", now), ("b", now)]
    # A manual run needs no lead (another scheduler may be active) and is recorded as such.
    runs = db.session.execute(select(SchedulerJobRun.job_id, SchedulerJobRun.holder, SchedulerJobRun.term,
                                     SchedulerJobRun.ok).order_by(SchedulerJobRun.job_id)).all()
    assert [(job_id, holder.startswith("tick:"), term, ok) for job_id, holder, term, ok in runs] == [
        ("a", True, None, True), ("b", True, None, True)]
    db.session.rollback()


def test_embedded_scheduler_starts_only_when_asked_and_not_in_the_reloader_parent(app, monkeypatch, leaders):
    db.session.rollback()
    monkeypatch.setitem(app.config, "CASESYS_SCHEDULER_EMBEDDED", False)
    assert scheduler.start_embedded(app) is None
    monkeypatch.setitem(app.config, "CASESYS_SCHEDULER_EMBEDDED", True)
    monkeypatch.setattr(app, "debug", True)
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert scheduler.start_embedded(app) is None  # the reloader's watcher process
    assert heartbeat() is None
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
        assert sorted(job.id for job in embedded.get_jobs()) == ["audit-anchor", "email", "lease", "reminders",
                                                                  "statistics"]
        assert leaders().acquire() is False  # it leads
    finally:
        embedded.shutdown(wait=True)
        leadership.release()
    assert leaders().acquire() is True


def test_status_shows_the_leader_its_heartbeat_and_each_job_s_last_run(app, leaders, runner, monkeypatch):
    db.session.rollback()
    result = runner.invoke(args=["scheduler", "status"])
    assert result.exit_code == 0, result.output
    assert "leader: none has run yet" in result.output and "job email: no run recorded" in result.output
    assert "e-mails due: 0" in result.output

    leader = leaders()
    assert leader.acquire() is True

    def broken(now):
        raise ValueError("the statistics tables are locked")

    monkeypatch.setattr(scheduler, "JOBS", [scheduler.Job("email", lambda now: None, 1),
                                            scheduler.Job("statistics", broken, 5)])
    db.session.rollback()
    for job in scheduler.JOBS:
        scheduler._run_job(app, job, leader)
    result = runner.invoke(args=["scheduler", "status"])
    assert result.exit_code == 0, result.output
    assert f"leader: {leader.holder} (term 1), heartbeat 0 s ago\n" in result.output
    assert f"job email: last run 0 s ago by {leader.holder} - ok" in result.output
    assert "job statistics: last run 0 s ago" in result.output
    assert "FAILED: ValueError: the statistics tables are locked" in result.output

    age_heartbeat(90)  # frozen, and no standby took over
    result = runner.invoke(args=["scheduler", "status"])
    assert result.exit_code == 1
    assert "heartbeat 90 s ago - STALE (over 60 s)" in result.output

    leader.release()
    result = runner.invoke(args=["scheduler", "status"])
    assert result.exit_code == 0 and f"leader: none (given up by {leader.holder}, term 1)" in result.output
