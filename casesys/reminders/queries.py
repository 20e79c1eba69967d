"""Read models and verbs for the notification inbox and the overdue lists (DOMAIN §4).

Every list asks the database: a user's notifications are filtered by ``user_id`` (the index
``ix_notifications_user_id_read_at`` serves both the list and the unread count), and every
overdue list joins its clocks to the cases ``visible_cases_clause`` lets the user see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased, contains_eager, selectinload

from casesys.agencies.models import Agency, Region
from casesys.cases.access import visible_cases_clause
from casesys.cases.models import Case
from casesys.core.errors import NotFound
from casesys.core.i18n import N_
from casesys.core.types import utcnow
from casesys.extensions import db
from casesys.reminders.models import Notification
from casesys.workcalendar import WorkingCalendar
from casesys.workflows import clocks
from casesys.workflows.definitions import Text
from casesys.workflows.engine import clock_definition, workflows
from casesys.workflows.models import CaseClock, clock_overdue

# What each threshold means to the person reading it (the e-mail says the same in Chinese).
THRESHOLD_LABELS = {
    "before_3": N_("3 working days left"),
    "before_1": N_("1 working day left"),
    "due": N_("Due today"),
    "overdue": N_("Overdue"),
    "escalate_head": N_("Overdue: for the agency head"),
    "escalate_supervisors": N_("Overdue 3+ working days: for supervisors"),
    "order": N_("Supervision order"),
}

OVERDUE_PAGE = 200
DUE_SOON_WORKING_DAYS = 5
OVERDUE_SORTS = ("due_on", "agency", "region", "days_overdue")


def threshold_words(threshold: str) -> str:
    return _(THRESHOLD_LABELS[threshold]) if threshold in THRESHOLD_LABELS else threshold


# --- notifications -------------------------------------------------------------------------


def unread_count(user) -> int:
    """The user's unread notifications (an index-only count on (user_id, read_at))."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def list_notifications(user, *, unread: bool | None = None, after_id: int | None = None,
                       limit: int = 50) -> list[Notification]:
    """The user's own notifications, newest first, ``limit`` at a time after the keyset ``after_id``;
    ``unread`` True: only the unread ones, False: only the read ones."""
    stmt = (select(Notification).where(Notification.user_id == user.id)
            .options(selectinload(Notification.case)).order_by(Notification.id.desc()).limit(limit))
    if unread is not None:
        stmt = stmt.where(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
    if after_id is not None:
        stmt = stmt.where(Notification.id < after_id)
    return list(db.session.scalars(stmt))


def own_notification(user, notification_id: int) -> Notification:
    """The user's notification; anyone else's is as absent as one that does not exist."""
    notification = db.session.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id))
    if notification is None:
        raise NotFound(_("No such notification."))
    return notification


def mark_read(user, notification_id: int, now: datetime | None = None) -> Notification:
    """Mark one of the user's notifications read; reading it again keeps the first time."""
    notification = own_notification(user, notification_id)
    if notification.read_at is None:
        notification.read_at = now or utcnow()
        db.session.flush()
    return notification


def mark_all_read(user, now: datetime | None = None) -> int:
    """Mark every unread notification of the user read; how many were unread."""
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow()).execution_options(synchronize_session=False))
    db.session.expire_all()
    return result.rowcount or 0


@dataclass(frozen=True)
class NotificationRow:
    """One notification as the inbox shows it."""

    notification: Notification
    case_visible: bool
    clock_label: Text | None
    words: str

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


def notification_rows(user, notifications: list[Notification]) -> list[NotificationRow]:
    """Each with its clock's label and whether the user may still open the case (a case handed
    to another agency since keeps its notification, not its number and title)."""
    case_ids = {n.case_id for n in notifications}
    clock_ids = {n.clock_id for n in notifications if n.clock_id is not None}
    visible = set(db.session.scalars(select(Case.id).where(Case.id.in_(case_ids), visible_cases_clause(user)))
                  ) if case_ids else set()
    keys = {clock_id: key for clock_id, key in db.session.execute(
        select(CaseClock.id, CaseClock.key).where(CaseClock.id.in_(clock_ids)))} if clock_ids else {}
    rows = []
    for n in notifications:
        label = None
        if n.clock_id in keys:
            label = clock_definition(workflows()[n.case.workflow], keys[n.clock_id]).label
        rows.append(NotificationRow(notification=n, case_visible=n.case_id in visible, clock_label=label,
                                    words=threshold_words(n.threshold)))
    return rows


# --- overdue lists -------------------------------------------------------------------------


def overdue_scope(user) -> str:
    """Which list the user gets: the supervisors' (region), the head's (agency) or their own."""
    if "supervisor" in user.roles:
        return "supervisor"
    if "agency_head" in user.roles:
        return "head"
    return "officer"


@dataclass(frozen=True)
class OverdueRow:
    clock: CaseClock
    case: Case
    label: Text
    legal_basis: Text
    days_overdue: int | None  # calendar days past the due date; None when not yet due
    working_days_left: int | None  # None when overdue


@dataclass(frozen=True)
class OverduePage:
    scope: str
    rows: list[OverdueRow]
    page: int
    has_more: bool


def overdue_regions(user) -> list[Region]:
    """The regions a supervisor may filter by: their own and every one below it."""
    return list(db.session.scalars(select(Region).where(
        Region.path.startswith(user.agency.region.path, autoescape=True)).order_by(Region.path)))


def overdue_clocks(user, today: date, calendar: WorkingCalendar, *, agency_kind: str | None = None,
                   region: Region | None = None, sort: str = "due_on", descending: bool = False,
                   locale: str = "zh_Hans_CN", page: int = 1, limit: int = OVERDUE_PAGE) -> OverduePage:
    """Running clocks past their due date on cases the user may see: a supervisor's whole scope,
    a head's own agency (with those due within 5 working days), an officer's assigned cases."""
    scope = overdue_scope(user)
    owner, place = aliased(Agency), aliased(Region)  # aliases: the visibility subqueries stay uncorrelated
    stmt = (select(CaseClock)
            .join(CaseClock.case).join(owner, Case.agency_id == owner.id).join(place, Case.region_code == place.code)
            .where(visible_cases_clause(user), CaseClock.status == "running")
            .options(contains_eager(CaseClock.case).contains_eager(Case.agency.of_type(owner)),
                     contains_eager(CaseClock.case).contains_eager(Case.region.of_type(place)),
                     contains_eager(CaseClock.case).selectinload(Case.assigned_officer)))
    if scope == "head":
        # Working days in (today, due_on] at most 5 <=> due before the 6th working day from today.
        horizon = calendar.add_working_days(today, DUE_SOON_WORKING_DAYS + 1)
        stmt = stmt.where(Case.agency_id == user.agency_id, CaseClock.due_on < horizon)
    else:
        stmt = stmt.where(clock_overdue(today, utcnow()))
        if scope == "officer":
            stmt = stmt.where(Case.assigned_officer_id == user.id)
    if agency_kind:
        stmt = stmt.where(owner.kind == agency_kind)
    if region is not None:
        stmt = stmt.where(place.path.startswith(region.path, autoescape=True))

    # Sorting by days overdue is sorting by the due date, the other way round.
    if sort == "days_overdue":
        sort, descending = "due_on", not descending
    columns = {"due_on": CaseClock.due_on, "agency": owner.name_en if locale == "en" else owner.name_zh,
               "region": place.path}
    primary = columns.get(sort, CaseClock.due_on)
    order = [primary.desc() if descending else primary.asc()]
    if primary is not CaseClock.due_on:
        order.append(CaseClock.due_on.asc())
    order.append(CaseClock.id.asc())
    page = max(page, 1)
    found = list(db.session.scalars(stmt.order_by(*order).offset((page - 1) * limit).limit(limit + 1)).unique())

    rows = []
    for clock in found[:limit]:
        definition = clock_definition(workflows()[clock.case.workflow], clock.key)
        overdue = clock.due_at < utcnow() if clocks.judged_by_the_hour(clock) else clock.due_on < today
        rows.append(OverdueRow(
            clock=clock, case=clock.case, label=definition.label, legal_basis=definition.legal_basis,
            days_overdue=(today - clock.due_on).days if overdue else None,
            working_days_left=None if overdue else calendar.working_days_between(today, clock.due_on)))
    return OverduePage(scope=scope, rows=rows, page=page, has_more=len(found) > limit)
