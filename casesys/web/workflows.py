"""Workflow pages: a transition's form, the inbox, and the Mermaid download of a case's diagram.

Every change goes through ``engine.apply_transition``, as the API's does; a refusal rolls back
and the form is shown again with the engine's messages beside the fields they concern. The
blueprint keeps its name ("workflows"), so ``url_for("workflows.…")`` is unchanged; it sits in
the web layer because the inbox also lists supervision orders (casesys.reminders).
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from casesys.auth.guards import require
from casesys.auth.permissions import Permission
from casesys.cases import services
from casesys.cases.access import can_view, record_confidential_reads
from casesys.core.errors import Conflict, DomainError
from casesys.core.params import parse_row_id
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.reminders.orders import open_orders_for
from casesys.workflows import diagram, engine, overview
from casesys.workflows.case_page import state_label
from casesys.workflows.forms import transition_form
from casesys.workflows.models import CaseClock, Handoff

bp = Blueprint("workflows", __name__)


def _locale() -> str:
    return str(get_locale())


def _attach_errors(form, exc: DomainError) -> None:
    """The engine's messages beside the inputs they name; the rest above the form."""
    form.form_errors.append(exc.message)
    for name, message in exc.fields.items():
        field = form._fields.get(name) if name not in ("csrf_token", "expected_version") else None
        if field is not None:
            field.errors = [*field.errors, message]
        elif message != exc.message:
            form.form_errors.append(message)


def _conflict(case, option, form, exc: Conflict):
    db.session.rollback()
    return render_template("cases/transition.html", case=case, option=option, form=form, conflict=exc.message,
                           state_text=state_label(case)), 409


@bp.route("/cases/<int:case_id>/transitions/<name>", methods=["GET", "POST"])
@require(Permission.VIEW_CASES)
def transition(case_id: int, name: str):
    case = services.get_case_for(current_user, case_id)
    wf = engine.definition_of(case)
    option = next((o for o in engine.allowed_transitions(current_user, case) if o.name == name), None)
    if option is None:
        if request.method == "GET":
            flash(_("This action is not available for the case now."), "info")
            return redirect(url_for("cases.show", case_id=case.id))
        # Let the engine say why: changed since it was loaded (409), wrong state, not yours...
        try:
            engine.apply_transition(current_user, case.id, name, {},
                                    expected_version=parse_row_id(request.form.get("expected_version")))
        except Conflict as exc:
            return _conflict(case, None, None, exc)
        raise DomainError(_("This action is not available for the case now."))  # not reached: the engine refuses

    form = transition_form(option, wf, current_user, _locale(),
                           version=case.version if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                engine.apply_transition(current_user, case.id, name, form.engine_data(),
                                        expected_version=form.expected_version.data,
                                        effective_on=form.effective_on.data,
                                        effective_at=form.effective_moment())
            except Conflict as exc:
                return _conflict(case, option, form, exc)
            except DomainError as exc:
                db.session.rollback()  # nothing half-done stays in the session, nor on the page
                _attach_errors(form, exc)
                status = exc.status
            else:
                flash(_("Recorded: %(action)s.", action=option.label(_locale())), "success")
                if can_view(current_user, case):
                    return redirect(url_for("cases.show", case_id=case.id))
                return redirect(url_for("workflows.inbox"))  # e.g. a returned handoff is no longer ours
    return render_template("cases/transition.html", case=case, option=option, form=form, conflict=None,
                           state_text=state_label(case)), status


@bp.route("/cases/<int:case_id>/diagram.mmd")
@require(Permission.VIEW_CASES)
def mermaid(case_id: int):
    case = services.get_case_for(current_user, case_id)
    text = diagram.mermaid(engine.definition_of(case), case.state, _locale())
    return Response(text, mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="{case.workflow}.mmd"'})


def _receipt_due(handoffs) -> dict:
    ids = [h.clock_id for h in handoffs if h.clock_id]
    if not ids:
        return {}
    return {c.id: c.due_on for c in db.session.scalars(select(CaseClock).where(CaseClock.id.in_(ids)))}


def _with_next_due(cases) -> list[dict]:
    rows = []
    for case in cases:
        clock = overview.next_due(case)
        label = engine.clock_definition(engine.definition_of(case), clock.key).label(_locale()) if clock else None
        overdue = clock is not None and clock.status == "running" and clock.due_on < today_in_china()
        rows.append({"case": case, "state": state_label(case), "clock": clock, "clock_label": label,
                     "overdue": overdue})
    return rows


@bp.route("/inbox")
@require(Permission.VIEW_CASES)
def inbox():
    box = overview.inbox(current_user)
    orders = open_orders_for(current_user)
    shown = [h.case for h in box.handoffs] + box.waiting + box.assigned + [row.order.case for row in orders or ()]
    record_confidential_reads(current_user, shown, "inbox")
    return render_template("inbox.html", handoffs=box.handoffs, receipt_due=_receipt_due(box.handoffs),
                           waiting=_with_next_due(box.waiting), assigned=_with_next_due(box.assigned),
                           orders=orders)


@bp.app_context_processor
def _inbox_count():
    def pending_handoff_count() -> int:
        """Handoffs waiting for the user's agency, for the header; asked only when shown."""
        if not current_user.is_authenticated or not current_user.roles & set(engine.HANDOFF_ROLES):
            return 0
        return db.session.scalar(select(func.count(Handoff.id)).where(overview.pending_for(current_user))) or 0

    return {"pending_handoff_count": pending_handoff_count}
