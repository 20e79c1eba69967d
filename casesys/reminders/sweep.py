"""The reminder sweep: clocks whose next threshold has come, to the people responsible.

Who is responsible for a clock is read from the workflow: whoever may fire a transition that
stops it (the owning agency's assigned officer, the transferring agency, the procuratorate...);
overdue work escalates to that agency's heads and, three working days later, to the
supervisors whose region covers the case. Each (clock, threshold, due date, recipient) is
inserted at most once — a unique key claimed with INSERT … ON CONFLICT DO NOTHING — so two
sweepers, a rerun with the same ``--now`` or a crash before commit never duplicate anything,
and a backlog after downtime is delivered in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from casesys import audit
from casesys.agencies.models import Agency, Region
from casesys.auth.models import User, UserRole
from casesys.cases.access import can_view
from casesys.cases.models import Case
from casesys.core.types import CHINA_TZ, utcnow
from casesys.extensions import db
from casesys.reminders import outbox
from casesys.reminders.models import Notification
from casesys.workcalendar import load_calendar
from casesys.workflows import clocks
from casesys.workflows.engine import clock_definition, pending_handoff, workflows
from casesys.workflows.loader import HANDOFF_CLOCK, SUPERVISION_CLOCK
from casesys.workflows.models import CaseClock

BATCH = 500
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
ESCALATIONS = ("escalate_head", "escalate_supervisors")


@dataclass
class SweepResult:
    clocks: int = 0
    notifications: int = 0


def _users(agency_ids, roles) -> list[User]:
    if not agency_ids:
        return []
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.agency_id.in_(agency_ids), User.is_active, UserRole.role.in_(roles)).distinct()))


def _responsible_agencies(case: Case, clock: CaseClock) -> tuple[list[int], set[str], bool]:
    """(agency ids, roles, whether the owner's assigned officer is the one to tell)."""
    if clock.key == HANDOFF_CLOCK:
        handoff = pending_handoff(case)
        return ([handoff.to_agency_id] if handoff else []), {"officer", "agency_head", "mediator"}, False
    if clock.key == SUPERVISION_CLOCK:
        return [case.agency_id], {"officer", "agency_head", "mediator"}, True
    wf = workflows()[case.workflow]
    stoppers = [t for t in wf.transitions.values() if clock.key in t.clocks.stop and not t.system]
    sides = {t.side for t in stoppers} or {"owner"}
    roles = {r for t in stoppers for r in t.roles} or {"officer", "agency_head"}
    agencies: list[int] = []
    if "owner" in sides:
        agencies.append(case.agency_id)
    if "origin" in sides and case.origin_agency_id:
        agencies.append(case.origin_agency_id)
    if "region" in sides:
        kinds = {k for t in stoppers if t.side == "region" for k in (t.agency_kinds or ())}
        agencies += db.session.scalars(select(Agency.id).join(Region).where(
            Agency.kind.in_(kinds), Agency.region_code.in_(_region_chain(case))))
    return agencies, roles, sides == {"owner"}


def _region_chain(case: Case) -> list[str]:
    """The case's region and every region above it (the path holds them all)."""
    return [code for code in case.region.path.split("/") if code]


def recipients(case: Case, clock: CaseClock, threshold: str) -> list[User]:
    """Who is reminded. A confidential case's reminders (their e-mails carry its title) go only
    to those who may open it (docs/access.md): its heads, where no officer of theirs may."""
    found = _responsible_people(case, clock, threshold)
    return [u for u in found if can_view(u, case)] if case.is_confidential else found


def _responsible_people(case: Case, clock: CaseClock, threshold: str) -> list[User]:
    agencies, roles, to_assigned = _responsible_agencies(case, clock)
    if threshold == "escalate_head":
        return _users(agencies, {"agency_head"})
    if threshold == "escalate_supervisors":
        supervisor_agencies = db.session.scalars(select(Agency.id).where(Agency.region_code.in_(_region_chain(case))))
        return _users(list(supervisor_agencies), {"supervisor"})
    officer = case.assigned_officer
    if to_assigned and officer is not None and officer.is_active:
        return [officer]
    return _users(agencies, roles)


def _claim(clock: CaseClock, threshold: str, user: User) -> int | None:
    """Insert the notification unless it exists; its id when this sweep created it."""
    insert = _INSERTS[db.session.get_bind().dialect.name]
    stmt = (insert(Notification)
            .values(user_id=user.id, case_id=clock.case_id, clock_id=clock.id, threshold=threshold,
                    due_on=clock.due_on, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["clock_id", "threshold", "due_on", "user_id"])
            .returning(Notification.id))
    return db.session.execute(stmt).scalar_one_or_none()


def _email(notification_id: int, user: User, case: Case, clock: CaseClock, threshold: str, now: datetime) -> None:
    what = clock_definition(workflows()[case.workflow], clock.key).label.zh
    subject = f"[casesys] {case.number} {what}：{THRESHOLD_WORDS[threshold]}（{clock.due_on.isoformat()}）"
    body = (f"{user.display_name}：\n\n案件 {case.number}《{case.title}》的“{what}”"
            f"截止日期为 {clock.due_on.isoformat()}，{THRESHOLD_WORDS[threshold]}。\n\n"
            "请登录 casesys 办理。本邮件由系统自动发送。\n")
    # Sendable at the sweep's own moment: a ``tick --now`` for a past moment (a back-fill) sends
    # its e-mail in the same tick, not only once the real clock passes the row's creation time.
    outbox.queue(notification_id, user, subject, body, send_at=min(now, utcnow()))


THRESHOLD_WORDS = {
    "before_3": "还有3个工作日到期", "before_1": "还有1个工作日到期", "due": "今日到期", "overdue": "已逾期",
    "escalate_head": "已逾期，请负责人督促办理", "escalate_supervisors": "逾期已超过3个工作日，提请监督",
    "order": "督办事项",
}


def sweep(now: datetime) -> SweepResult:
    """Deliver every threshold due by ``now`` (China date) of running clocks; commits per batch."""
    today = now.astimezone(CHINA_TZ).date()
    calendar, result = load_calendar(), SweepResult()
    done: set[int] = set()
    while True:
        # No keyset on id: a swept clock's next_reminder_on moves past today (or to None), so it
        # leaves the range by itself. Ordering by the index's own columns keeps the planner on
        # ix_case_clocks_status_next_reminder_on; "id > ? ORDER BY id" let SQLite walk the whole
        # table in rowid order instead (a scan of every open clock).
        stmt = (select(CaseClock).where(CaseClock.status == "running", CaseClock.next_reminder_on <= today)
                .order_by(CaseClock.next_reminder_on, CaseClock.id).limit(BATCH))
        if db.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)  # a second sweeper takes the other rows
        batch = [clock for clock in db.session.scalars(stmt) if clock.id not in done]
        if not batch:
            break
        for clock in batch:
            result.clocks += 1
            result.notifications += _deliver(clock, today, calendar, now)
            done.add(clock.id)
        db.session.commit()
    return result


# An hour clock is overdue, and its agency head told, the moment its due time passes, not the
# next working day; until then the sweep looks at it again on each run of its due day.
AT_THE_HOUR = ("overdue", "escalate_head")
DAYS_BEFORE = ("before_3", "before_1")


def _reached(clock: CaseClock, threshold: str, day: date, today: date, now: datetime) -> bool:
    if threshold in AT_THE_HOUR and clocks.judged_by_the_hour(clock):
        return now > clock.due_at
    return day <= today


def _deliver(clock: CaseClock, today: date, calendar, now: datetime) -> int:
    case = clock.case
    wf = workflows()[case.workflow]
    follow_up = clock.key in wf.clocks and wf.clocks[clock.key].kind == "follow_up"
    dates = clocks.reminder_dates(clock.due_on, calendar)
    if clocks.judged_by_the_hour(clock):  # no days-before reminders for a period of hours
        dates = [(t, clock.due_on if t in AT_THE_HOUR else day) for t, day in dates if t not in DAYS_BEFORE]
    created = 0
    for threshold, day in dates:
        if not _reached(clock, threshold, day, today, now) or (follow_up and threshold in ESCALATIONS):
            continue
        for user in recipients(case, clock, threshold):
            notification_id = _claim(clock, threshold, user)
            if notification_id is not None:
                created += 1
                audit.record("notification.deliver", "notification", notification_id, None, case=case.number,
                             clock=clock.key, threshold=threshold, due_on=clock.due_on.isoformat(),
                             to=user.username)
                _email(notification_id, user, case, clock, threshold, now)
    later = [day for threshold, day in dates if not _reached(clock, threshold, day, today, now)]
    clock.next_reminder_on = min(later) if later else None
    return created
