"""Supervision orders (督办, DOMAIN §1): a supervisor orders the owning agency to act on a case
by a date; the order runs its own clock, which the normal sweep reminds through, and the
owning agency answers it. Services flush only; the request commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casesys import audit
from casesys.auth.permissions import Permission
from casesys.cases.access import AGENCY_ROLES, visible_cases_clause
from casesys.cases.models import Case
from casesys.cases.services import get_case_for
from casesys.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.reminders import outbox, sweep
from casesys.reminders.models import Notification, SupervisionOrder
from casesys.workcalendar import add_months, load_calendar
from casesys.workflows import clocks
from casesys.workflows.definitions import ClockDef
from casesys.workflows.engine import clock_definition, definition_of
from casesys.workflows.loader import SUPERVISION_CLOCK
from casesys.workflows.models import CaseClock

MAX_TEXT = 2000
MAX_MONTHS_AHEAD = 12


def _definition(case: Case, days: int) -> ClockDef:
    """The built-in order clock with the order's own length: natural days, no roll-forward."""
    return clock_definition(definition_of(case), SUPERVISION_CLOCK).model_copy(
        update={"duration": days, "unit": "natural_days", "roll_forward": False})


def _locked_case(user, case_id: int) -> Case:
    """The case, locked until commit (PostgreSQL), if ``user`` may see it; else NotFound."""
    db.session.scalar(select(Case).where(Case.id == case_id).with_for_update()
                      .execution_options(populate_existing=True))
    return get_case_for(user, case_id)


def latest_due(today: date) -> date:
    return add_months(today, MAX_MONTHS_AHEAD)


def _check_text(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("Please fill in the required fields."), {field: _("This field is required.")})
    if len(value) > MAX_TEXT:
        message = _("at most %(n)d characters", n=MAX_TEXT)
        raise InvalidInput(message, {field: message})
    return value


def _check_due(due_on: date | None, today: date) -> date:
    if due_on is None:
        raise InvalidInput(_("Please fill in the required fields."), {"due_on": _("This field is required.")})
    if due_on <= today:
        message = _("The due date must be after today (%(today)s).", today=today.isoformat())
        raise InvalidInput(message, {"due_on": message})
    if due_on > latest_due(today):
        message = _("The due date must be within a year (by %(day)s).", day=latest_due(today).isoformat())
        raise InvalidInput(message, {"due_on": message})
    return due_on


def may_issue(user, case: Case) -> bool:
    """Whether the page offers ``user`` the order form (the service decides again)."""
    return user.can(Permission.ISSUE_ORDERS) and case.closed_on is None


def may_answer(user, case: Case) -> bool:
    """The owning agency's officers, heads and mediators (those the order's clock reminds)."""
    return user.is_active and bool(user.roles & AGENCY_ROLES) and user.agency_id == case.agency_id


def _email_copy(notification: Notification, user, case: Case, supervisor) -> None:
    """The e-mail copy of the order's notification, sent by the outbox job after the commit."""
    due = notification.due_on.isoformat()
    subject = f"[casesys] {case.number} 督办事项（{due}前办理）"
    body = (f"{user.display_name}：\n\n{supervisor.display_name}（{supervisor.agency.name_zh}）对案件 {case.number}"
            f"《{case.title}》发出督办，请于 {due} 前办理并答复。\n\n"
            "请登录 casesys 查看督办要求。本邮件由系统自动发送。\n")
    outbox.queue(notification.id, user, subject, body)


def issue_order(supervisor, case_id: int, due_on: date | None, instructions: str | None) -> SupervisionOrder:
    """Order the owning agency to act on the case by ``due_on``; raises Forbidden, NotFound,
    Conflict (closed case) or InvalidInput, and flushes only."""
    if not supervisor.can(Permission.ISSUE_ORDERS):
        raise Forbidden(_("Only supervisors may issue supervision orders."))
    case = _locked_case(supervisor, case_id)
    if case.closed_on is not None:
        raise Conflict(_("The case is closed; supervision orders can only be issued on open cases."))
    today, calendar = today_in_china(), load_calendar()
    due_on = _check_due(due_on, today)
    instructions = _check_text(instructions, "instructions")

    order = SupervisionOrder(case_id=case.id, issued_by_id=supervisor.id, issued_on=today, due_on=due_on,
                             instructions=instructions, status="open")
    db.session.add(order)
    definition = _definition(case, (due_on - today).days)
    # Not clocks.start(): it ends a running clock of the same key, and another open order's
    # clock on this case must keep running (several orders may be open at once).
    clock = CaseClock(key=SUPERVISION_CLOCK, status="running", started_on=today,
                      duration=definition.duration, unit=definition.unit)
    case.clocks.append(clock)
    clocks.recompute(clock, definition, calendar, today)
    db.session.flush()
    order.clock_id = clock.id

    recipients = sweep.recipients(case, clock, "order")  # the assigned officer, else the agency's people
    for user in recipients:
        notification = Notification(user_id=user.id, case_id=case.id, clock_id=None, order_id=order.id,
                                    threshold="order", due_on=due_on)
        db.session.add(notification)
        db.session.flush()
        _email_copy(notification, user, case, supervisor)
    audit.record("order.issue", "supervision_order", order.id, supervisor, case=case.number,
                 due_on=due_on.isoformat(), notified=[u.username for u in recipients])
    return order


def answer_order(user, order_id: int, answer: str | None) -> SupervisionOrder:
    """Answer an open order for the owning agency: stops its clock. Flushes only."""
    order = db.session.scalar(select(SupervisionOrder).where(SupervisionOrder.id == order_id).with_for_update()
                              .execution_options(populate_existing=True))
    if order is None:
        raise NotFound(_("No such supervision order."))
    case = get_case_for(user, order.case_id)  # NotFound when the case is not visible
    if not may_answer(user, case):
        raise Forbidden(_("Only the owning agency's officers and heads may answer a supervision order."))
    if order.status != "open":
        raise Conflict(_("This supervision order has already been answered."))
    answer = _check_text(answer, "answer")
    today, calendar = today_in_china(), load_calendar()
    order.status, order.answer, order.answered_by_id, order.answered_on = "answered", answer, user.id, today
    clock = db.session.get(CaseClock, order.clock_id) if order.clock_id else None
    if clock is not None and clock.status in clocks.OPEN_STATUSES:
        clocks.stop(clock, today)
        clocks.recompute(clock, _definition(case, clock.duration), calendar, today)
    db.session.flush()
    audit.record("order.answer", "supervision_order", order.id, user, case=case.number,
                 on_time=today <= order.due_on)
    return order


def orders_of(case: Case) -> list[SupervisionOrder]:
    """A case's orders, open ones first, then newest first."""
    return list(db.session.scalars(
        select(SupervisionOrder).where(SupervisionOrder.case_id == case.id)
        .options(selectinload(SupervisionOrder.issued_by), selectinload(SupervisionOrder.answered_by))
        .order_by((SupervisionOrder.status == "open").desc(), SupervisionOrder.id.desc())))


@dataclass(frozen=True)
class InboxOrder:
    order: SupervisionOrder
    overdue: bool


def open_orders_for(user, limit: int = 200) -> list[InboxOrder] | None:
    """Open orders on cases the user's agency owns (and the user may see); None for people
    who do not answer orders (supervisors, admins)."""
    if not user.is_active or not user.roles & AGENCY_ROLES:
        return None
    today = today_in_china()
    orders = db.session.scalars(
        select(SupervisionOrder).join(Case, Case.id == SupervisionOrder.case_id)
        .where(SupervisionOrder.status == "open", Case.agency_id == user.agency_id, visible_cases_clause(user))
        .options(selectinload(SupervisionOrder.case), selectinload(SupervisionOrder.issued_by))
        .order_by(SupervisionOrder.due_on, SupervisionOrder.id).limit(limit))
    return [InboxOrder(order=o, overdue=o.due_on < today) for o in orders]
