"""Case pages: the list with its filters, registering a case, and the case page.

The blueprint keeps its name ("cases"), so ``url_for("cases.…")`` is unchanged; it sits in the
web layer because the pages need the workflows (registration, states, the case page's panels)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import ValidationError
from sqlalchemy import select

from casesys.agencies.models import Region
from casesys.auth.guards import require
from casesys.auth.permissions import Permission
from casesys.cases import services
from casesys.cases.access import record_confidential_reads
from casesys.cases.catalog import IP_TYPES
from casesys.cases.forms import CaseFilterForm, CaseForm, choices_for
from casesys.cases.schemas import CaseFilters, CaseIn, pydantic_field_errors
from casesys.core.errors import DomainError
from casesys.core.params import row_id_arg
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.templating import state_labels, text
from casesys.workflows import engine, overview
from casesys.workflows.case_page import case_page
from casesys.workflows.registration import register_case

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.route("/")
@require(Permission.VIEW_CASES)
def index():
    form = CaseFilterForm(request.args)
    form.workflow.choices = [("", _("Any workflow"))] + [(wf.key, text(wf.label))
                                                         for wf in engine.workflows().values()]
    form.state.choices = [("", _("Any state"))] + [(key, text(label)) for key, label in state_labels().items()]
    form.ip_type.choices = choices_for(IP_TYPES, blank=_("Any IP type"))
    cases, after, filter_error = [], None, None
    page_size = current_app.config["CASESYS_PAGE_SIZE"]
    if form.validate():
        try:
            filters = CaseFilters(**{k: v for k, v in form.data.items() if v not in (None, "")})
        except ValidationError as exc:
            filter_error = "; ".join(pydantic_field_errors(exc).values())
        else:
            after = row_id_arg("after")
            cases = services.search_cases(current_user, filters, after_id=after, limit=page_size + 1)
    more = len(cases) > page_size
    cases = cases[:page_size]
    record_confidential_reads(current_user, cases, "cases.index")
    args = {k: v for k, v in request.args.items() if k != "after"}
    next_args = {**args, "after": cases[-1].id} if more else None
    return render_template("cases/index.html", form=form, cases=cases, next_args=next_args,
                           first_args=args if after is not None else None, filter_error=filter_error,
                           next_due=overview.next_due, today=today_in_china())


def _region_choices(agency) -> list[tuple[str, str]]:
    regions = db.session.scalars(
        select(Region).where(Region.path.startswith(agency.region.path)).order_by(Region.path)
    )
    locale = str(get_locale())
    return [(r.code, f"{r.name(locale)} ({r.code})") for r in regions]


def _party_from(subform, role: str) -> dict | None:
    data = subform.data
    if not (data.get("party_name") or "").strip():
        return None
    return {"role": role, "kind": data["kind"], "name": data["party_name"],
            "uscc": data.get("uscc") or None, "id_number": data.get("id_number") or None}


def _workflow_choices(user) -> tuple[list, list]:
    """(workflow choices, starting-point choices) from what ``user`` may register; a starting
    point is asked for only in workflows the user may enter in more than one state."""
    locale = str(get_locale())
    entries: dict[str, tuple] = {}
    for wf, entry in engine.registrable(user):
        entries.setdefault(wf.key, (wf, []))[1].append(entry)

    def entry_label(wf, entry) -> str:
        return entry.label(locale) if entry.label else f"{wf.label(locale)} · {wf.states[entry.state].label(locale)}"

    workflows = [(key, entry_label(wf, es[0]) if len(es) == 1 else wf.label(locale))
                 for key, (wf, es) in entries.items()]
    if len(workflows) != 1:
        workflows.insert(0, ("", "—"))
    states = [(e.state, entry_label(wf, e)) for wf, es in entries.values() if len(es) > 1 for e in es]
    return workflows, [("", _("Usual starting point")), *states] if states else []


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.REGISTER_CASES)
def new():
    workflows, states = _workflow_choices(current_user)
    only = workflows[0][0] if len(workflows) == 1 else ""
    form = CaseForm(data={"workflow": only, "state": ""})  # a single workflow is preselected
    form.fill_choices(_region_choices(current_user.agency), workflows, states or [("", "")])
    if request.method == "GET":
        form.region.data = current_user.agency.region_code
        form.received_on.data = today_in_china()
        form.respondent.kind.data = "organisation"
    if form.validate_on_submit():
        party_forms, parties = [], []
        for subform, role in ((form.complainant, "complainant"), (form.respondent, "respondent")):
            if (party := _party_from(subform, role)) is not None:
                party_forms.append(subform)
                parties.append(party)
        try:
            data = CaseIn(workflow=form.workflow.data, state=form.state.data or None, title=form.title.data,
                          ip_type=form.ip_type.data,
                          source=form.source.data, region=form.region.data,
                          received_on=form.received_on.data, amount_involved=form.amount_involved.data,
                          confidential=form.confidential.data, parties=parties)
            case = register_case(current_user, data)
        except ValidationError as exc:
            _attach_errors(form, party_forms, pydantic_field_errors(exc))
        except DomainError as exc:
            _attach_errors(form, party_forms, exc.fields or {"": exc.message})
        else:
            flash(_("Case %(number)s registered.", number=case.number), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/new.html", form=form, ask_state=bool(states),
                           can_register=any(key for key, _label in workflows))


def _attach_errors(form, party_forms, fields: dict[str, str]) -> None:
    """Put service and schema errors beside the inputs they concern."""
    for path, message in fields.items():
        head, _sep, rest = path.partition(".")
        if head == "parties":
            index, _sep, attr = rest.partition(".")
            if index.isdigit() and int(index) < len(party_forms):
                subform = party_forms[int(index)].form
                target = subform._fields.get("party_name" if attr in ("name", "") else attr,
                                             subform.party_name)
                target.errors = [*target.errors, message]
                continue
        field = getattr(form, head, None) if head else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message if not head else f"{head}: {message}")
    if not any(f.errors for f in form) and not form.form_errors:
        form.form_errors.append(_("The case could not be registered."))


@bp.route("/<int:case_id>")
@require(Permission.VIEW_CASES)
def show(case_id: int):
    case = services.get_case_for(current_user, case_id)
    return render_template("cases/show.html", case=case, **case_page(current_user, case))
