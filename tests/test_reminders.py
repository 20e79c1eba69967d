"""Reminders and escalation (DOMAIN §4): thresholds, exactly-once delivery, e-mail and its retries.

The case: an administrative-enforcement case registered by a Harbin market-regulation officer on
Monday 2026-09-14 has a ``filing_decision`` clock of 15 working days. Counting by hand over the
2026 calendar (Mid-Autumn 9-25..27 off, Sunday 9-20 and Saturday 10-10 worked, National Day
10-1..7 off): 9-15 16 17 18 20 21 22 23 24 28 29 30 | 10-8 9 10 -> due Saturday 2026-10-10.
Thresholds: 3 working days before = 9-30 (10-9, 10-8, 9-30: the holiday week is skipped);
1 before = 10-9; due = 10-10; overdue and the head = Monday 10-12 (Sunday 10-11 is off);
the supervisors 3 working days later = 10-15.
"""

from __future__ import annotations

import smtplib
import threading
from collections import Counter
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select, update

from casesys.audit.models import AuditEntry
from casesys.auth.models import User
from casesys.core.types import CHINA_TZ
from casesys.extensions import db
from casesys.reminders import outbox
from casesys.reminders import sweep as sweep_module
from casesys.reminders.models import EmailOutbox, Notification
from casesys.scheduler import runner as scheduler
from casesys.workcalendar import load_calendar
from casesys.workflows import clocks
from casesys.workflows.models import CaseClock
from tests.conftest import is_postgres

MR = "230100-market_regulation"
RECEIVED = date(2026, 9, 14)
DUE = date(2026, 10, 10)
THRESHOLD_DATES = [
    ("before_3", date(2026, 9, 30)),
    ("before_1", date(2026, 10, 9)),
    ("due", date(2026, 10, 10)),
    ("overdue", date(2026, 10, 12)),
    ("escalate_head", date(2026, 10, 12)),
    ("escalate_supervisors", date(2026, 10, 15)),
]
# Day -> what is delivered that day, to whom (usernames).
EXPECTED_BY_DAY = {
    date(2026, 9, 30): {("before_3", "mr.officer")},
    date(2026, 10, 9): {("before_1", "mr.officer")},
    date(2026, 10, 10): {("due", "mr.officer")},
    date(2026, 10, 12): {("overdue", "mr.officer"), ("escalate_head", "mr.head")},
    date(2026, 10, 15): {("escalate_supervisors", "hrb.supervisor"), ("escalate_supervisors", "hl.supervisor")},
}
ALL_FOR_ONE_CLOCK = set().union(*EXPECTED_BY_DAY.values())  # 7 notifications
SMTP_HOST = "smtp.example.test"


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), CHINA_TZ)


def tick(app, day: date | datetime):
    """``flask scheduler tick --now`` at 09:00 China time on ``day``; the test's session holds no lock."""
    db.session.rollback()
    result = scheduler.tick(app, day if isinstance(day, datetime) else at(day))
    db.session.rollback()
    return result


def delivered(case_id: int | None = None) -> list[tuple[str, str, date]]:
    """(threshold, username, due date) of every notification (a list: duplicates would show)."""
    db.session.rollback()
    stmt = (select(Notification.threshold, User.username, Notification.due_on)
            .join(User, User.id == Notification.user_id))
    if case_id is not None:
        stmt = stmt.where(Notification.case_id == case_id)
    rows = [tuple(r) for r in db.session.execute(stmt.order_by(Notification.id))]
    db.session.rollback()
    return rows


def count(model) -> int:
    db.session.rollback()
    n = db.session.scalar(select(func.count()).select_from(model))
    db.session.rollback()
    return n


def the_clock(case_id: int) -> CaseClock:
    db.session.rollback()
    return db.session.scalar(select(CaseClock).where(CaseClock.case_id == case_id, CaseClock.key == "filing_decision"))


def email_actions(action: str) -> Counter:
    """How many audit entries of ``action`` name each notification id (``email.sent`` lists a
    batch's notifications in one entry; ``email.failed`` has one entry per attempt)."""
    db.session.rollback()
    result = Counter()
    for object_id, details in db.session.execute(select(AuditEntry.object_id, AuditEntry.details)
                                                 .where(AuditEntry.action == action)):
        result.update([int(object_id)] if object_id else [int(n) for n in details["notifications"]])
    db.session.rollback()
    return result


@pytest.fixture
def people(actor, make_user):
    """The officer who registers (assigned), the head, supervisors who cover Harbin, and people who must not hear."""

    def with_email(user, email):
        user.email = email
        db.session.commit()
        return user

    officer = actor("mr.officer", MR, "officer")
    head = actor("mr.head", MR, "agency_head")
    with_email(officer.user, "officer@example.test")
    with_email(head.user, "head@example.test")
    with_email(make_user("hrb.supervisor", MR, "supervisor"), "hrb.supervisor@example.test")
    make_user("hl.supervisor", "230000-coordination_office", "supervisor")  # no e-mail: in-app only
    # Not to be told: a colleague, another agency's head, a supervisor of another city.
    with_email(make_user("mr.colleague", MR, "officer"), "colleague@example.test")
    with_email(make_user("police.head", "230100-public_security", "agency_head"), "police@example.test")
    with_email(make_user("qqhr.supervisor", "230200-market_regulation", "supervisor"), "qqhr@example.test")
    return SimpleNamespace(officer=officer, head=head)


def register(people, received_on: date = RECEIVED) -> int:
    return people.officer.register(received_on=received_on.isoformat())["id"]


@pytest.fixture
def smtp(app, monkeypatch):
    """An SMTP server stand-in: ``failures`` makes the next sends fail, ``crash_after_send``
    kills the sender right after the server took the message."""
    box = SimpleNamespace(messages=[], failures=0, crash_after_send=False, lock=threading.Lock())

    class FakeSMTP:
        def __init__(self, host, port=25, timeout=None):
            assert host == SMTP_HOST

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            pass

        def login(self, user, password):
            pass

        def send_message(self, message):
            with box.lock:
                if box.failures:
                    box.failures -= 1
                    raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
                box.messages.append(message)
            if box.crash_after_send:
                raise RuntimeError("the process died before recording the send")

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "CASESYS_SMTP_HOST", SMTP_HOST)
    return box


def message_ids(box) -> Counter:
    return Counter(m["Message-ID"] for m in box.messages)


# --- dates -------------------------------------------------------------------------------------


def test_threshold_dates_across_weekends_and_national_day(app, people):
    assert clocks.reminder_dates(DUE, load_calendar()) == THRESHOLD_DATES
    case_id = register(people)
    clock = the_clock(case_id)
    assert (clock.due_on, clock.next_reminder_on, clock.status) == (DUE, date(2026, 9, 30), "running")


# --- delivery ----------------------------------------------------------------------------------


def test_each_threshold_is_delivered_once_on_its_day_to_the_right_people(app, people, smtp):
    case_id = register(people)
    seen: list[tuple[str, str, date]] = []
    day = date(2026, 9, 28)
    while day <= date(2026, 10, 20):
        first = tick(app, day)
        new = delivered(case_id)[len(seen):]
        assert {(t, u) for t, u, _due in new} == EXPECTED_BY_DAY.get(day, set()), day
        assert len(new) == len(EXPECTED_BY_DAY.get(day, ())), day
        assert all(due == DUE for _t, _u, due in new)
        assert first["reminders"].notifications == len(new)
        seen += new
        # The same moment again (a rerun of ``tick --now``): nothing new, nothing re-sent.
        again = tick(app, day)
        assert again["reminders"].notifications == 0 and again["email"]["sent"] == 0
        assert len(delivered(case_id)) == len(seen)
        day += timedelta(days=1)
    assert the_clock(case_id).next_reminder_on is None  # nothing more to say about this due date
    # E-mail: everyone told who has an address (not hl.supervisor), each exactly once.
    db.session.rollback()
    rows = db.session.execute(select(EmailOutbox.to_address, EmailOutbox.status, Notification.threshold)
                              .join(Notification, Notification.id == EmailOutbox.notification_id)).all()
    assert sorted((to, threshold) for to, _status, threshold in rows) == sorted([
        ("officer@example.test", "before_3"), ("officer@example.test", "before_1"),
        ("officer@example.test", "due"), ("officer@example.test", "overdue"),
        ("head@example.test", "escalate_head"), ("hrb.supervisor@example.test", "escalate_supervisors")])
    assert {status for _to, status, _t in rows} == {"sent"}
    assert len(smtp.messages) == 6 and max(message_ids(smtp).values()) == 1
    assert sorted(m["To"] for m in smtp.messages) == sorted(to for to, _s, _t in rows)
    # Every delivery is in the audit log.
    assert sum(email_actions("email.sent").values()) == 6 and max(email_actions("email.sent").values()) == 1


def test_the_database_refuses_a_second_delivery_even_when_the_sweeper_looks_again(app, people, smtp):
    case_id = register(people)
    tick(app, date(2026, 10, 12))
    assert len(delivered(case_id)) == 5 and len(smtp.messages) == 5
    # A sweeper that read the clock before the first one committed: force it to look again.
    db.session.execute(update(CaseClock).where(CaseClock.case_id == case_id).values(next_reminder_on=RECEIVED))
    db.session.commit()
    result = tick(app, date(2026, 10, 12))
    assert result["reminders"].clocks == 1 and result["reminders"].notifications == 0
    assert len(delivered(case_id)) == 5 and count(EmailOutbox) == 5 and len(smtp.messages) == 5
    assert the_clock(case_id).next_reminder_on == date(2026, 10, 15)


def test_a_tick_after_three_days_of_downtime_delivers_the_whole_backlog(app, people, smtp):
    case_id = register(people)
    tick(app, date(2026, 10, 9))  # the last tick before the outage: before_3 (late) and before_1
    assert {t for t, _u, _d in delivered(case_id)} == {"before_3", "before_1"}
    # Down on 10-10, 10-12, 10-13, 10-14; back on 10-15: everything due since, in one tick, e-mail included.
    result = tick(app, at(date(2026, 10, 15), hour=7))
    assert {(t, u) for t, u, _d in delivered(case_id)} == ALL_FOR_ONE_CLOCK and len(delivered(case_id)) == 7
    assert result["reminders"].notifications == 5
    assert result["email"] == {"sent": 4, "retried": 0, "failed": 0}
    assert len(smtp.messages) == 6 and max(message_ids(smtp).values()) == 1
    assert the_clock(case_id).next_reminder_on is None
    assert tick(app, date(2026, 10, 16))["reminders"].notifications == 0


def test_a_paused_clock_does_not_remind_and_resuming_picks_up(app, people):
    case_id = register(people)
    people.officer.fire(case_id, "start_verification", effective_on=date(2026, 9, 15))
    people.officer.fire(case_id, "pause_for_testing", {"reason": "送检"}, effective_on=date(2026, 9, 29))
    assert the_clock(case_id).next_reminder_on is None
    # Every threshold of the original date passes while it is paused: nothing is said.
    for day in (date(2026, 9, 30), date(2026, 10, 9), date(2026, 10, 12), date(2026, 10, 20)):
        assert tick(app, day)["reminders"].clocks == 0
    assert delivered(case_id) == []
    # Resumed on Monday 10-12: paused working days after 9-29 up to 10-12 are 9-30, 10-8, 10-9,
    # 10-10 (make-up Saturday), 10-12 = 5, so due 10-10 + 5 working days = Friday 10-16;
    # before_3 10-13, before_1 10-15, overdue and head Monday 10-19, supervisors 10-22.
    people.officer.fire(case_id, "resume_verification", effective_on=date(2026, 10, 12))
    new_due = date(2026, 10, 16)
    clock = the_clock(case_id)
    assert (clock.status, clock.due_on, clock.next_reminder_on) == ("running", new_due, date(2026, 10, 13))
    tick(app, date(2026, 10, 12))
    assert delivered(case_id) == []
    tick(app, date(2026, 10, 13))
    assert delivered(case_id) == [("before_3", "mr.officer", new_due)]
    tick(app, date(2026, 10, 21))
    assert sorted((t, u) for t, u, _d in delivered(case_id)) == sorted([
        ("before_3", "mr.officer"), ("before_1", "mr.officer"), ("due", "mr.officer"),
        ("overdue", "mr.officer"), ("escalate_head", "mr.head")])
    tick(app, date(2026, 10, 22))
    assert len(delivered(case_id)) == 7 and {d for _t, _u, d in delivered(case_id)} == {new_due}


def test_an_extension_reminds_on_the_new_date_and_the_old_one_falls_silent(app, people):
    case_id = register(people)
    people.officer.fire(case_id, "start_verification", effective_on=date(2026, 9, 15))
    tick(app, date(2026, 10, 9))
    assert [(t, d) for t, _u, d in delivered(case_id)] == [("before_3", DUE), ("before_1", DUE)]
    # The head extends by 5 working days on 10-9: 10-10 + 5 = 10-12 13 14 15 16 -> Friday 10-16.
    people.head.fire(case_id, "extend_filing_decision", {"reason": "案情复杂", "extension_amount": 5},
                     effective_on=date(2026, 10, 9))
    new_due = date(2026, 10, 16)
    clock = the_clock(case_id)
    assert (clock.due_on, clock.next_reminder_on) == (new_due, date(2026, 10, 13))
    # The old date's due/overdue/escalations (10-10, 10-12, 10-15) never come.
    tick(app, date(2026, 10, 10))
    tick(app, date(2026, 10, 12))
    assert len(delivered(case_id)) == 2
    tick(app, date(2026, 10, 13))
    assert delivered(case_id)[2:] == [("before_3", "mr.officer", new_due)]
    tick(app, date(2026, 10, 22))
    new = delivered(case_id)[2:]
    assert {(t, u) for t, u, _d in new} == ALL_FOR_ONE_CLOCK and len(new) == 7
    assert {d for _t, _u, d in new} == {new_due}
    assert {d for _t, _u, d in delivered(case_id)[:2]} == {DUE}


def test_a_sweep_in_many_small_batches_covers_every_due_clock_once(app, people, monkeypatch):
    cases = [register(people) for _ in range(5)]
    monkeypatch.setattr(sweep_module, "BATCH", 2)
    result = tick(app, date(2026, 10, 15))
    assert (result["reminders"].clocks, result["reminders"].notifications) == (5, 35)
    for case_id in cases:
        assert {(t, u) for t, u, _d in delivered(case_id)} == ALL_FOR_ONE_CLOCK


@pytest.mark.skipif(is_postgres(), reason="PostgreSQL's plan depends on its statistics; see benchmarks/")
def test_the_sweep_reads_the_next_reminder_index_not_the_table(app, people):
    register(people)
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT") and "FROM case_clocks" in statement:
            statements.append((statement, parameters))

    db.session.rollback()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        sweep_module.sweep(at(date(2026, 9, 30)))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = statements[0]
    plan = " / ".join(row[-1] for row in db.session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + statement, parameters))
    db.session.rollback()
    assert "USING INDEX ix_case_clocks_status_next_reminder_on" in plan, plan
    assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan


# --- crashes and e-mail ------------------------------------------------------------------------


def test_a_crash_before_the_commit_rolls_back_the_batch_and_the_next_tick_delivers_once(
        app, people, smtp, monkeypatch):
    first, second = register(people), register(people)
    second_clock = the_clock(second).id
    real_email = sweep_module._email

    def email_then_crash(notification_id, user, case, clock, threshold, *args, **kwargs):
        real_email(notification_id, user, case, clock, threshold, *args, **kwargs)
        if clock.id == second_clock:
            db.session.flush()  # the notification and its e-mail row are written, not committed
            assert db.session.scalar(select(func.count()).select_from(EmailOutbox)) >= 2
            raise RuntimeError("killed between writing and committing")

    monkeypatch.setattr(sweep_module, "_email", email_then_crash)
    with pytest.raises(RuntimeError, match="killed"):
        tick(app, date(2026, 10, 15))
    db.session.rollback()
    assert count(Notification) == 0 and count(EmailOutbox) == 0 and smtp.messages == []
    assert the_clock(first).next_reminder_on == date(2026, 9, 30)  # the first clock's progress rolled back too

    monkeypatch.setattr(sweep_module, "_email", real_email)
    result = tick(app, date(2026, 10, 15))
    assert result["reminders"].notifications == 14 and result["email"]["sent"] == 12
    for case_id in (first, second):
        assert {(t, u) for t, u, _d in delivered(case_id)} == ALL_FOR_ONE_CLOCK and len(delivered(case_id)) == 7
    assert len(smtp.messages) == 12 and max(message_ids(smtp).values()) == 1
    assert tick(app, date(2026, 10, 15))["reminders"].notifications == 0 and len(smtp.messages) == 12


def test_smtp_failure_is_retried_with_back_off_and_sent_once(app, people, smtp):
    register(people)
    smtp.failures = 1
    now = at(date(2026, 9, 30))
    result = tick(app, now)
    assert result["email"] == {"sent": 0, "retried": 1, "failed": 0} and smtp.messages == []
    row = db.session.scalar(select(EmailOutbox))
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == now + outbox.backoff(1) and row.next_attempt_at > now
    assert "SMTPServerDisconnected" in row.last_error
    assert email_actions("email.failed") == Counter({row.notification_id: 1})
    db.session.rollback()

    assert outbox.send_due(now + outbox.backoff(1) - timedelta(seconds=1)) == {"sent": 0, "retried": 0, "failed": 0}
    assert smtp.messages == []
    assert outbox.send_due(now + outbox.backoff(1)) == {"sent": 1, "retried": 0, "failed": 0}
    assert outbox.send_due(now + timedelta(days=1)) == {"sent": 0, "retried": 0, "failed": 0}
    db.session.rollback()
    row = db.session.scalar(select(EmailOutbox))
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, now + outbox.backoff(1))
    assert [m["To"] for m in smtp.messages] == ["officer@example.test"]
    assert smtp.messages[0]["Message-ID"].startswith(f"<casesys-notification-{row.notification_id}@")
    assert email_actions("email.sent") == Counter({row.notification_id: 1})


def test_smtp_keeps_failing_until_the_row_is_marked_failed(app, people, smtp):
    register(people)
    smtp.failures = outbox.MAX_ATTEMPTS + 5
    now = at(date(2026, 9, 30))
    tick(app, now)
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        now += timedelta(hours=2)
        outbox.send_due(now)
    db.session.rollback()
    row = db.session.scalar(select(EmailOutbox))
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert smtp.failures == 5 and smtp.messages == []


def test_a_crash_mid_send_is_never_sent_again(app, people, smtp):
    register(people)
    smtp.crash_after_send = True
    with pytest.raises(RuntimeError, match="died"):
        tick(app, date(2026, 9, 30))
    smtp.crash_after_send = False
    db.session.rollback()
    row = db.session.scalar(select(EmailOutbox))
    assert (row.status, row.attempts) == ("sending", 1)
    db.session.rollback()
    tick(app, date(2026, 10, 9))  # sends before_1's e-mail, not before_3's again
    assert outbox.send_due(at(date(2026, 12, 31))) == {"sent": 0, "retried": 0, "failed": 0}
    assert [m["Subject"].split("：")[-1] for m in smtp.messages] == [
        f"还有3个工作日到期（{DUE.isoformat()}）", f"还有1个工作日到期（{DUE.isoformat()}）"]
    assert max(message_ids(smtp).values()) == 1


# --- concurrency (PostgreSQL) ------------------------------------------------------------------


def _run_in_threads(app, n: int, work) -> list:
    results, barrier = [], threading.Barrier(n)

    def run(i):
        try:
            barrier.wait(timeout=30)
            results.append(work(i))
        except Exception as exc:  # noqa: BLE001 (reported by the caller's assertion)
            results.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="row locks and real concurrency need PostgreSQL")
def test_concurrent_ticks_on_postgres_deliver_each_reminder_once(app, people, smtp, monkeypatch):
    cases = [register(people) for _ in range(6)]
    monkeypatch.setattr(sweep_module, "BATCH", 2)  # small batches: the sweepers interleave
    db.session.rollback()
    results = _run_in_threads(app, 4, lambda i: scheduler.tick(app, at(date(2026, 10, 15))))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["reminders"].notifications for r in results) == 42
    assert sum(r["email"]["sent"] for r in results) == 36
    for case_id in cases:
        assert {(t, u) for t, u, _d in delivered(case_id)} == ALL_FOR_ONE_CLOCK and len(delivered(case_id)) == 7
    assert len(smtp.messages) == 36 and max(message_ids(smtp).values()) == 1
    assert sum(email_actions("email.sent").values()) == 36


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="row locks and real concurrency need PostgreSQL")
def test_sweepers_that_read_the_same_clocks_claim_each_notification_once_on_postgres(app, people):
    """No row lock helps here: all four read the clocks before anyone commits; the unique key decides."""
    cases = [register(people) for _ in range(4)]
    db.session.rollback()
    now = at(date(2026, 10, 15))

    def deliver_all(i):
        with app.app_context():
            try:
                stale = list(db.session.scalars(select(CaseClock).where(CaseClock.case_id.in_(cases))
                                                .order_by(CaseClock.id)))
                calendar, created = load_calendar(), 0
                for clock in stale:
                    created += sweep_module._deliver(clock, now.date(), calendar, now)
                db.session.commit()
                return created
            finally:
                db.session.remove()

    results = _run_in_threads(app, 4, deliver_all)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 28  # each claim won by exactly one sweeper
    for case_id in cases:
        assert len(delivered(case_id)) == 7
    assert count(EmailOutbox) == 24


# --- the command -------------------------------------------------------------------------------


def test_flask_scheduler_tick_cli(app, runner, people):
    case_id = register(people)
    db.session.rollback()
    bad = runner.invoke(args=["scheduler", "tick", "--now", "next tuesday"])
    assert bad.exit_code == 2 and "ISO date-time" in bad.output
    assert delivered() == []
    # A time without a zone is China time: 23:00 on 9-29 is still the day before before_3.
    quiet = runner.invoke(args=["scheduler", "tick", "--now", "2026-09-29T23:00"])
    assert quiet.exit_code == 0, quiet.output
    assert "reminders: SweepResult(clocks=0, notifications=0)" in quiet.output
    # 16:30 UTC on 9-29 is 00:30 on 9-30 in China: before_3 is due.
    loud = runner.invoke(args=["scheduler", "tick", "--now", "2026-09-29T16:30:00+00:00"])
    assert loud.exit_code == 0, loud.output
    assert "reminders: SweepResult(clocks=1, notifications=1)" in loud.output and "email: {'sent': 1" in loud.output
    assert delivered(case_id) == [("before_3", "mr.officer", DUE)]


def test_every_in_app_delivery_is_in_the_audit_log(app, actor):
    officer = actor("audit.officer", "230100-market_regulation", "officer")
    officer.register(received_on="2026-09-14")
    scheduler.tick(app, datetime(2026, 10, 20, 9, 0, tzinfo=CHINA_TZ))
    db.session.rollback()
    delivered = {n.id for n in db.session.scalars(select(Notification))}
    audited = {int(e.object_id) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "notification.deliver"))}
    assert delivered and audited == delivered
