"""What the case page shows of the workflow: its state, actions, clocks, history, linked cases and
diagram. A read model, not a view: the case page (casesys.web) and the supervision order forms
(casesys.reminders), which show the case page again with a refused form, both build on it."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from casesys.agencies.models import Agency
from casesys.cases.access import access_level
from casesys.cases.models import CaseFormerNumber
from casesys.core.i18n import N_
from casesys.extensions import db
from casesys.workflows import engine, overview, svg

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
