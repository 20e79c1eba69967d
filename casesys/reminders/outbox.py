"""Send the e-mail copies of notifications, after their commit, at most once each.

A run drains every due e-mail, a batch at a time: the batch is committed as ``sending`` before
any SMTP call, sent over one connection, and its results committed. An SMTP error puts a row
back to ``pending`` with an exponential back-off; after ``MAX_ATTEMPTS`` it is ``failed``.

At most once: a row still ``sending`` after its sender died (kill -9, power loss) may or may not
have reached the server, so it is never sent again on its own; ``flask scheduler status`` lists
it once it has been ``sending`` for ``STUCK_AFTER``, and ``flask scheduler resend`` queues it
again when an operator decides a duplicate is better than a missing e-mail. The in-app
notification is there either way. An exception mid-batch leaves only the row in flight
``sending``: the rows not yet tried go back to the queue.
"""

from __future__ import annotations

import logging
import smtplib
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import func, or_, select, update

from casesys import audit
from casesys.core.types import utcnow
from casesys.extensions import db
from casesys.reminders.models import EmailOutbox

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BATCH = 200
STUCK_AFTER = timedelta(minutes=10)


def queue(notification_id: int, user, subject: str, body: str, send_at: datetime | None = None) -> None:
    """The e-mail copy of a notification, in the caller's transaction; users without an address get none."""
    if user.email:
        db.session.add(EmailOutbox(notification_id=notification_id, to_address=user.email, subject=subject,
                                   body=body, **({"next_attempt_at": send_at} if send_at else {})))


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** attempts, 60))


@dataclass(frozen=True)
class _Claimed:
    """A row claimed for sending, as plain values: nothing is read from the database while sending."""

    id: int
    notification_id: int
    to_address: str
    subject: str
    body: str
    attempts: int


class _Mailer:
    """One SMTP connection for a whole run, opened at the first message and again after an error;
    the log instead when no SMTP host is configured (development)."""

    def __init__(self):
        self.config = current_app.config
        self._connection = ExitStack()
        self._smtp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._close()
        return False

    def send(self, row: _Claimed) -> str | None:
        """Hand one message over; the SMTP error as text, or None when the server took it."""
        if not self.config.get("CASESYS_SMTP_HOST"):
            log.info("e-mail (no SMTP host configured) to %s: %s", row.to_address, row.subject)
            return None
        message = EmailMessage()
        message["From"] = self.config["CASESYS_MAIL_FROM"]
        message["To"] = row.to_address
        message["Subject"] = row.subject
        message["Message-ID"] = f"<casesys-notification-{row.notification_id}@{self.config['CASESYS_MAIL_DOMAIN']}>"
        message.set_content(row.body)
        try:
            self._open().send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            self._close()  # the connection may be unusable; the next message opens a new one
            return f"{type(exc).__name__}: {exc}"[:2000]
        return None

    def _open(self):
        if self._smtp is None:
            config = self.config
            smtp = self._connection.enter_context(
                smtplib.SMTP(config["CASESYS_SMTP_HOST"], int(config.get("CASESYS_SMTP_PORT", 25)), timeout=30))
            if config.get("CASESYS_SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("CASESYS_SMTP_USER"):
                smtp.login(config["CASESYS_SMTP_USER"], config.get("CASESYS_SMTP_PASSWORD", ""))
            self._smtp = smtp
        return self._smtp

    def _close(self):
        self._smtp = None
        try:
            self._connection.close()  # QUIT, then close
        except (smtplib.SMTPException, OSError):
            log.debug("closing the SMTP connection failed", exc_info=True)
        self._connection = ExitStack()


def send_due(now: datetime) -> dict[str, int]:
    """Send every e-mail due at ``now``, however long the backlog, a committed batch at a time."""
    totals = {"sent": 0, "retried": 0, "failed": 0}
    after = 0  # keyset: each run passes over a row once, even if it comes back to ``pending``
    with _Mailer() as mailer:
        while batch := _claim(now, after):
            after = batch[-1].id
            _send(batch, now, mailer, totals)
    return totals


def _claim(now: datetime, after: int) -> list[_Claimed]:
    """Commit the next due rows as ``sending`` (concurrent senders skip each other's rows)."""
    rows = db.session.execute(
        select(EmailOutbox.id, EmailOutbox.notification_id, EmailOutbox.to_address, EmailOutbox.subject,
               EmailOutbox.body, EmailOutbox.attempts)
        .where(EmailOutbox.status == "pending", EmailOutbox.next_attempt_at <= now, EmailOutbox.id > after)
        .order_by(EmailOutbox.id).limit(BATCH).with_for_update(skip_locked=True)).all()
    if rows:
        db.session.execute(update(EmailOutbox).where(EmailOutbox.id.in_([row.id for row in rows]))
                           .values(status="sending", attempts=EmailOutbox.attempts + 1, claimed_at=utcnow())
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return [_Claimed(*row[:5], attempts=row.attempts + 1) for row in rows]


def _send(batch: list[_Claimed], now: datetime, mailer: _Mailer, totals: dict[str, int]) -> None:
    done: list[tuple[_Claimed, str | None]] = []
    try:
        for row in batch:
            done.append((row, mailer.send(row)))
    except BaseException:
        # The row in flight may have reached the server: it stays ``sending``. Those not tried go back.
        db.session.rollback()
        untried = [row.id for row in batch[len(done) + 1:]]
        if untried:
            db.session.execute(update(EmailOutbox).where(EmailOutbox.id.in_(untried))
                               .values(status="pending", attempts=EmailOutbox.attempts - 1, claimed_at=None)
                               .execution_options(synchronize_session=False))
        raise
    finally:
        _record(done, now, totals)
        db.session.commit()


def _record(done: list[tuple[_Claimed, str | None]], now: datetime, totals: dict[str, int]) -> None:
    sent = [row for row, error in done if error is None]
    if sent:
        db.session.execute(update(EmailOutbox).where(EmailOutbox.id.in_([row.id for row in sent]))
                           .values(status="sent", sent_at=now).execution_options(synchronize_session=False))
        # One entry per batch (a backlog of thousands would otherwise be thousands of entries).
        audit.record("email.sent", "email_outbox", None, None,
                     notifications={str(row.notification_id): row.to_address for row in sent})
    totals["sent"] += len(sent)
    for row, error in done:
        if error is None:
            continue
        if row.attempts >= MAX_ATTEMPTS:
            values, outcome = {"status": "failed"}, "failed"
        else:
            values, outcome = {"status": "pending", "next_attempt_at": now + backoff(row.attempts)}, "retried"
        db.session.execute(update(EmailOutbox).where(EmailOutbox.id == row.id).values(last_error=error, **values)
                           .execution_options(synchronize_session=False))
        totals[outcome] += 1
        audit.record("email.failed", "notification", row.notification_id, None, attempts=row.attempts, error=error)


def due_count(now: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(EmailOutbox)
                             .where(EmailOutbox.status == "pending", EmailOutbox.next_attempt_at <= now))


def _stuck(now: datetime | None):
    cutoff = (now or utcnow()) - STUCK_AFTER
    return (select(EmailOutbox).where(EmailOutbox.status == "sending",
                                      or_(EmailOutbox.claimed_at.is_(None), EmailOutbox.claimed_at < cutoff))
            .order_by(EmailOutbox.id))


def stuck(now: datetime | None = None) -> list:
    """Rows ``sending`` for longer than ``STUCK_AFTER`` (their sender died mid-batch), as plain values."""
    return list(db.session.execute(_stuck(now).with_only_columns(
        EmailOutbox.id, EmailOutbox.to_address, EmailOutbox.notification_id, EmailOutbox.claimed_at)))


def resend(ids: list[int], now: datetime | None = None) -> list[int]:
    """Queue stuck rows again (an operator's choice: the recipient may get the e-mail twice)."""
    requeue = db.session.scalars(_stuck(now).where(EmailOutbox.id.in_(ids))).all()
    for row in requeue:
        row.status, row.next_attempt_at, row.claimed_at = "pending", now or utcnow(), None
        audit.record("email.requeued", "notification", row.notification_id, None, outbox_id=row.id)
    return [row.id for row in requeue]
