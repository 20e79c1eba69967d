"""Supervision orders in the browser: the case page's panel (orders, the issue form for
supervisors, an answer form per open order for the owning agency) and the two form posts.
A refused form is shown again on the case page, its messages beside the fields, with 422."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.validators import DataRequired, Length

from casesys.auth.guards import require
from casesys.auth.permissions import Permission
from casesys.cases import services as case_services
from casesys.core.errors import DomainError, Forbidden, NotFound
from casesys.core.i18n import N_
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.reminders import orders
from casesys.reminders.models import SupervisionOrder
from casesys.workflows.case_page import case_page

bp = Blueprint("orders", __name__)

ORDER_STATUSES = {"open": N_("Open"), "answered": N_("Answered")}


class OrderForm(FlaskForm):
    due_on = DateField(_l("Due date"), validators=[DataRequired()])
    instructions = TextAreaField(_l("Instructions"), validators=[DataRequired(), Length(max=orders.MAX_TEXT)])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=orders.MAX_TEXT)])


def _answer_form(order_id: int, **kwargs) -> AnswerForm:
    # One form per open order on the page: the prefix keeps their field names and ids apart.
    return AnswerForm(prefix=f"order-{order_id}", **kwargs)


def _attach(form: FlaskForm, exc: DomainError) -> None:
    """The service's messages beside the fields they name; the rest above the form."""
    shown = False
    for name, message in exc.fields.items():
        if name in form._fields and name != "csrf_token":
            form[name].errors = [*form[name].errors, message]
            shown = shown or message == exc.message
    if not shown:
        form.form_errors.append(exc.message)


def panel(case, order_form: OrderForm | None = None, answer_form: AnswerForm | None = None,
          answer_order_id: int | None = None) -> dict:
    """What the case page shows of the case's orders, for the signed-in user."""
    today = today_in_china()
    answerable = orders.may_answer(current_user, case)
    rows = []
    for order in orders.orders_of(case):
        form = None
        if answerable and order.status == "open":
            form = answer_form if answer_order_id == order.id else _answer_form(order.id, formdata=None)
        rows.append({"order": order, "form": form, "overdue": order.status == "open" and order.due_on < today,
                     "late": order.answered_on is not None and order.answered_on > order.due_on})
    issue_form = None
    if orders.may_issue(current_user, case):
        issue_form = order_form or OrderForm(formdata=None)
    return {"orders": rows, "issue_form": issue_form, "statuses": {k: _(v) for k, v in ORDER_STATUSES.items()},
            "earliest_due": today + timedelta(days=1), "latest_due": orders.latest_due(today)}


@bp.app_context_processor
def _panel_helper():
    return {"supervision_orders_for": panel}


def _case_page_again(case, exc: DomainError | None, **forms):
    """The case page with the refused form in it (nothing of the attempt is kept): 422 with the
    messages beside the fields, or 409 with the reason on top (answered already, case closed)."""
    db.session.rollback()
    status = 422
    if exc is not None and exc.status == 409:
        flash(exc.message, "error")
        status = 409
    case = case_services.get_case_for(current_user, case.id)
    return render_template("cases/show.html", case=case, **case_page(current_user, case), **forms), status


def _refusal(form: FlaskForm, exc: DomainError) -> DomainError:
    """Input problems go back to the form; anything else (403, 404) is raised on."""
    if exc.status not in (409, 422):
        raise exc
    if exc.status == 422:
        _attach(form, exc)
    return exc


@bp.route("/cases/<int:case_id>/orders", methods=["POST"])
@require(Permission.ISSUE_ORDERS)
def issue(case_id: int):
    case = case_services.get_case_for(current_user, case_id)
    form, refused = OrderForm(), None
    if form.validate_on_submit():
        try:
            orders.issue_order(current_user, case.id, form.due_on.data, form.instructions.data)
        except DomainError as exc:
            refused = _refusal(form, exc)
        else:
            flash(_("Supervision order issued."), "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="supervision-orders"))
    return _case_page_again(case, refused, order_form=form)


@bp.route("/orders/<int:order_id>/answer", methods=["POST"])
@require(Permission.VIEW_CASES)
def answer(order_id: int):
    order = db.session.get(SupervisionOrder, order_id)
    if order is None:
        raise NotFound(_("No such supervision order."))
    case = case_services.get_case_for(current_user, order.case_id)
    if not orders.may_answer(current_user, case):
        raise Forbidden(_("Only the owning agency's officers and heads may answer a supervision order."))
    form, refused = _answer_form(order.id), None
    if form.validate_on_submit():
        try:
            orders.answer_order(current_user, order.id, form.answer.data)
        except DomainError as exc:
            refused = _refusal(form, exc)
        else:
            flash(_("Answer recorded."), "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="supervision-orders"))
    return _case_page_again(case, refused, answer_form=form, answer_order_id=order.id)
