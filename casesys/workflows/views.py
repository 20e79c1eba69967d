"""Workflow pages: a transition's form, the inbox, and what the case page shows of the workflow.

Every change goes through ``engine.apply_transition``, as the API's does; a refusal rolls back
and the form is shown again with the engine's messages beside the fields they concern.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from casesys.agencies.models import Agency
from casesys.auth.permissions import Permission
from casesys.cases import services
from casesys.cases.access import access_level, can_view, record_confidential_reads
from casesys.core.errors import Conflict, DomainError
from casesys.core.guards import require
from casesys.core.i18n import N_
from casesys.core.params import parse_row_id
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.reminders.orders import open_orders_for
from casesys.workflows import diagram, engine, overview, svg
from casesys.workflows.forms import transition_form
from casesys.workflows.models import CaseClock, CaseFormerNumber, Handoff

bp = Blueprint("workflows", __name__)

CLOCK_STATUSES = {
    "running": N_("Running"), "overdue": N_("Overdue"), "paused": N_("Paused (not counted)"),
    "met": N_("Met"), "late": N_("Met late"), "ended": N_("Ended"),
}
# Values the engine records beside a transition's own fields.
EXTRA_FIELDS = {"old_number": N_("Former number"), "caused_by": N_("Caused by case"),
                "opened_by": N_("Opened from case")}


def _locale() -> str:
    return str(get_locale())


def state_label(case) -> str:
    """The state in the words of the case's own workflow (keys mean different things elsewhere)."""
    return engine.definition_of(case).states[case.state].label(_locale())


def _transition_label(wf, name: str | None) -> str | None:
    if name in wf.transitions:
        return wf.transitions[name].label(_locale())
    if name in engine.HANDOFF_TRANSITION_NAMES:
        return engine.handoff_label(name)(_locale())
    return None


def _field_defs(wf, name: str | None) -> dict:
    if name in wf.transitions:
        return {f.name: f for f in wf.transitions[name].fields}
    if name in engine.HANDOFF_TRANSITION_NAMES:
        return {f.name: f for f in engine.handoff_fields(wf, name)}
    return {}


def _shown_value(definition, value, agencies: dict) -> str:
    if definition is None:
        return str(value)
    if definition.type == "boolean":
        return _("Yes") if value else _("No")
    if definition.type == "choice" and value in (definition.choices or {}):
        return definition.choices[value](_locale())
    if definition.type == "agency" and value in agencies:
        return agencies[value].name(_locale())
    return str(value)


def history(user, case, wf, access: str) -> list[dict]:
    """The events with their step's label and recorded fields; with status access, what another
    agency wrote (its notes and fields) is withheld (DOMAIN §3.7)."""
    events = [(e, (e.data or {}).get("transition"), e.data or {}) for e in case.events]
    codes = {str(data.get("fields", {}).get(f.name)) for _e, name, data in events
             for f in _field_defs(wf, name).values() if f.type == "agency"}
    agencies = {a.code: a for a in db.session.scalars(select(Agency).where(Agency.code.in_(codes)))} if codes else {}
    rows = []
    for event, name, data in events:
        hidden = access != "full" and event.agency_id != user.agency_id
        recorded = {**data.get("fields", {}), **({"opened_by": data["opened_by"]} if "opened_by" in data else {})}
        defs = _field_defs(wf, name)
        fields = []
        for key, value in ({} if hidden else recorded).items():
            if key in defs:
                fields.append((defs[key].label(_locale()), _shown_value(defs[key], value, agencies)))
            elif key in EXTRA_FIELDS:
                fields.append((_(EXTRA_FIELDS[key]), str(value)))
        # The note is the step's reason or note field: shown once, among the fields when it is one.
        note = None if hidden or event.note in {str(v) for v in recorded.values()} else event.note
        rows.append({"event": event, "label": _transition_label(wf, name), "fields": fields, "note": note,
                     "withheld": hidden and bool(event.note or recorded)})
    return rows


def case_page(user, case) -> dict:
    """Everything the case page shows beside the case's own columns."""
    wf = engine.definition_of(case)
    access = access_level(user, case) or "status"
    clocks = overview.clock_views(case)
    pending = engine.pending_handoff(case)
    receipt = next((c for c in clocks if pending and c.id == pending.clock_id), None)
    former = db.session.scalars(select(CaseFormerNumber.number).where(CaseFormerNumber.case_id == case.id)
                                .order_by(CaseFormerNumber.id)).all()
    return {
        "workflow": wf, "access": access, "state_text": wf.states[case.state].label(_locale()),
        "actions": engine.allowed_transitions(user, case), "clocks": clocks,
        "clock_statuses": {key: _(value) for key, value in CLOCK_STATUSES.items()},
        "history": history(user, case, wf, access),
        "family": [r for r in overview.family(user, case) if r.id != case.id],
        "pending": pending, "receipt": receipt, "former_numbers": former,
        "diagram": svg.render(wf, case.state, _locale()),
    }


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
                                        effective_on=form.effective_on.data)
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
