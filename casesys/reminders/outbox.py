"""Send the e-mail copies of notifications, after their commit, at most once each.

A row is committed as ``sending`` before the SMTP call: if the process dies mid-send the row
stays ``sending`` and is not sent again (a person never gets the same reminder twice; the
in-app notification is there either way). An SMTP error puts it back to ``pending`` with an
exponential back-off; after ``MAX_ATTEMPTS`` it is ``failed``.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from casesys import audit
from casesys.extensions import db
from casesys.reminders.models import EmailOutbox

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BATCH = 100


def queue(notification_id: int, user, subject: str, body: str, send_at: datetime | None = None) -> None:
    """The e-mail copy of a notification, in the caller's transaction; users without an address get none."""
    if user.email:
        db.session.add(EmailOutbox(notification_id=notification_id, to_address=user.email, subject=subject,
                                   body=body, **({"next_attempt_at": send_at} if send_at else {})))


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** attempts, 60))


def _deliver(row: EmailOutbox) -> None:
    """Hand the message to SMTP, or to the log when no SMTP host is configured (development)."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["CASESYS_MAIL_FROM"]
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = f"<casesys-notification-{row.notification_id}@{config['CASESYS_MAIL_DOMAIN']}>"
    message.set_content(row.body)
    host = config.get("CASESYS_SMTP_HOST")
    if not host:
        log.info("e-mail (no SMTP host configured) to %s: %s", row.to_address, row.subject)
        return
    with smtplib.SMTP(host, int(config.get("CASESYS_SMTP_PORT", 25)), timeout=30) as smtp:
        if config.get("CASESYS_SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("CASESYS_SMTP_USER"):
            smtp.login(config["CASESYS_SMTP_USER"], config.get("CASESYS_SMTP_PASSWORD", ""))
        smtp.send_message(message)


def send_due(now: datetime) -> dict[str, int]:
    sent = failed = retried = 0
    ids = list(db.session.scalars(select(EmailOutbox.id).where(EmailOutbox.status == "pending",
                                                               EmailOutbox.next_attempt_at <= now)
                                  .order_by(EmailOutbox.id).limit(BATCH)))
    db.session.commit()
    for row_id in ids:
        row = db.session.get(EmailOutbox, row_id, with_for_update=True)
        if row is None or row.status != "pending":
            db.session.commit()
            continue  # another sender took it
        row.status, row.attempts = "sending", row.attempts + 1
        db.session.commit()
        try:
            _deliver(row)
        except (smtplib.SMTPException, OSError) as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
                failed += 1
            else:
                row.status, row.next_attempt_at = "pending", now + backoff(row.attempts)
                retried += 1
            audit.record("email.failed", "notification", row.notification_id, None, attempts=row.attempts,
                         error=row.last_error)
        else:
            row.status, row.sent_at = "sent", now
            sent += 1
            audit.record("email.sent", "notification", row.notification_id, None, to=row.to_address)
        db.session.commit()
    return {"sent": sent, "retried": retried, "failed": failed}
