"""The e-mail outbox after downtime: the whole due backlog goes out in one run, a committed batch
at a time; a sender killed mid-batch leaves one row ``sending``, which ``flask scheduler status``
reports and nothing re-sends on its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, literal, select, update

from casesys.audit.models import AuditEntry
from casesys.core.types import utcnow
from casesys.extensions import db
from casesys.reminders import outbox
from casesys.reminders.models import EmailOutbox, Notification
from casesys.scheduler import runner as scheduler
from tests.test_reminders import smtp  # noqa: F401 (the fake SMTP server fixture)


@pytest.fixture
def backlog(app, actor):
    """backlog(n): n e-mails due since three days ago, written in two bulk INSERTs."""
    officer = actor("mr.officer", "230100-market_regulation", "officer")
    case_id = officer.register()["id"]
    due_since = utcnow() - timedelta(days=3)

    def make(n: int) -> None:
        db.session.execute(insert(Notification), [
            {"user_id": officer.user.id, "case_id": case_id, "threshold": "due", "created_at": due_since}
            for _ in range(n)])
        db.session.execute(insert(EmailOutbox).from_select(
            ["notification_id", "to_address", "subject", "body", "status", "attempts", "next_attempt_at"],
            select(Notification.id, literal("officer@example.test"), literal("案件到期"), literal("请处理"),
                   literal("pending"), literal(0), literal(due_since, EmailOutbox.next_attempt_at.type))))
        db.session.commit()

    return make


def statuses() -> dict[str, int]:
    db.session.rollback()
    counts = dict(db.session.execute(select(EmailOutbox.status, func.count()).group_by(EmailOutbox.status)).all())
    db.session.rollback()
    return counts


def test_a_10k_backlog_is_drained_by_one_tick(app, backlog):
    backlog(10_000)
    db.session.rollback()
    result = scheduler.tick(app)  # no SMTP host configured: the log sender
    assert result["email"] == {"sent": 10_000, "retried": 0, "failed": 0}
    assert statuses() == {"sent": 10_000}
    # Committed a batch at a time, each with its audit entry naming its notifications.
    batches = db.session.scalars(select(AuditEntry.details).where(AuditEntry.action == "email.sent")).all()
    assert len(batches) == 10_000 // outbox.BATCH and {len(b["notifications"]) for b in batches} == {outbox.BATCH}
    assert len(set().union(*(b["notifications"] for b in batches))) == 10_000
    db.session.rollback()
    assert scheduler.tick(app)["email"] == {"sent": 0, "retried": 0, "failed": 0}


def test_a_sender_killed_mid_batch_loses_only_the_row_in_flight_and_status_reports_it(
        app, backlog, smtp, runner):  # noqa: F811
    backlog(2 * outbox.BATCH + 100)
    sent_before_the_crash = 2 * outbox.BATCH + 50

    class DiesAfter(list):
        """The server takes message 451, and the sender is killed before it records that."""

        def append(self, message):
            super().append(message)
            if len(self) == sent_before_the_crash:
                raise RuntimeError("killed")

    smtp.messages = DiesAfter()
    db.session.rollback()
    with pytest.raises(RuntimeError, match="killed"):
        outbox.send_due(utcnow())
    # Two whole batches and the third's first 49 are recorded sent; the one in flight may have
    # reached the server, so it stays ``sending``; the rest go back to the queue.
    assert statuses() == {"sent": sent_before_the_crash - 1, "sending": 1, "pending": 50}
    db.session.rollback()
    in_flight = db.session.scalar(select(EmailOutbox.id).where(EmailOutbox.status == "sending"))
    db.session.rollback()

    # The next run sends the 50 and leaves the one in flight alone: at most once.
    assert outbox.send_due(utcnow()) == {"sent": 50, "retried": 0, "failed": 0}
    assert statuses() == {"sent": sent_before_the_crash - 1 + 50, "sending": 1}

    result = runner.invoke(args=["scheduler", "status"])
    assert result.exit_code == 0, result.output  # sending for a moment only: not stuck yet
    assert "e-mails due: 0" in result.output and "stuck in sending for over 10 min: 0" in result.output

    db.session.execute(update(EmailOutbox).where(EmailOutbox.id == in_flight)
                       .values(claimed_at=utcnow() - timedelta(minutes=11)))
    db.session.commit()
    result = runner.invoke(args=["scheduler", "status"])
    assert result.exit_code == 1  # something for an operator to look at
    assert "stuck in sending for over 10 min: 1" in result.output
    assert f"#{in_flight} to officer@example.test (notification " in result.output
    assert "job email: no run recorded" in result.output  # send_due was called directly, not by a scheduler
    assert outbox.send_due(utcnow() + timedelta(days=1)) == {"sent": 0, "retried": 0, "failed": 0}

    # The operator decides a duplicate beats a missing e-mail.
    result = runner.invoke(args=["scheduler", "resend", str(in_flight), "999999"])
    assert result.exit_code == 0, result.output
    assert "#999999: not stuck in sending, left alone" in result.output
    assert f"queued again: #{in_flight}" in result.output
    assert outbox.send_due(utcnow()) == {"sent": 1, "retried": 0, "failed": 0}
    assert statuses() == {"sent": 2 * outbox.BATCH + 100}
