"""A WTForms form built from a transition's declared fields (``FieldDef``), for the case pages.

WTForms checks what a browser can get wrong (missing, not a date, not a number); the engine's
``fields.clean`` stays the authority on every value, as it is for the API.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from casesys.agencies.models import Agency, Region
from casesys.core.params import WholeNumberField
from casesys.core.types import CHINA_TZ, today_in_china
from casesys.extensions import db
from casesys.workflows.definitions import FieldDef, WorkflowDef


class TransitionForm(FlaskForm):
    """Base of every transition form: when it happened, and the case version it was read at."""

    effective_on = DateField(_l("Effective on"), validators=[DataRequired()])
    # Named as the engine names it, so its refusal shows beside this input.
    effective_at = TimeField(_l("Time"), validators=[Optional()])
    expected_version = WholeNumberField(widget=HiddenInput(), validators=[InputRequired()])

    def effective_moment(self) -> datetime | None:
        """The date and time the step happened (China time), when a time was given."""
        if self.effective_at.data is None or self.effective_on.data is None:
            return None
        return datetime.combine(self.effective_on.data, self.effective_at.data, CHINA_TZ)

    def declared_fields(self):
        return [self[name] for name in self.declared]

    def engine_data(self) -> dict:
        """The declared fields as ``apply_transition`` takes them; empty ones are left out."""
        data = {}
        for name, kind in self.declared.items():
            value = self[name].data
            if kind == "boolean":
                data[name] = bool(value)
            elif value is None or (isinstance(value, str) and not value.strip()):
                continue
            elif isinstance(value, date):
                data[name] = value.isoformat()
            elif isinstance(value, Decimal):
                data[name] = str(value)
            else:
                data[name] = value
        return data


def agency_choices(field: FieldDef, wf: WorkflowDef, own_agency, locale: str) -> list[tuple[str, str]]:
    """Agencies of the field's kind; without one (the handoff), those that run the workflow.
    The user's own agency is never offered: a case is not handed to itself."""
    kinds = [field.agency_kind] if field.agency_kind else wf.handoff_receivers
    agencies = db.session.scalars(select(Agency).join(Region).where(Agency.kind.in_(kinds), Agency.id != own_agency.id)
                                  .order_by(Region.path, Agency.kind))
    return [(a.code, f"{a.name(locale)} ({a.code})") for a in agencies]


def _field(f: FieldDef, wf: WorkflowDef, user, locale: str):
    label = f.label(locale)
    needed = [DataRequired()] if f.required else [Optional()]
    if f.type == "text":
        return TextAreaField(label, validators=[*needed, Length(max=f.max_length)])
    if f.type == "string":
        return StringField(label, validators=[*needed, Length(max=200)])
    if f.type == "date":
        return DateField(label, validators=needed)
    if f.type == "decimal":
        return DecimalField(label, validators=needed)
    if f.type == "integer":
        return WholeNumberField(label, validators=needed)
    if f.type == "boolean":
        # An unticked box is "no", a value in its own right: never required.
        return BooleanField(label, validators=[Optional()])
    return SelectField(label, validators=needed)  # choices are set on the bound field


def _choices(f: FieldDef, wf: WorkflowDef, user, locale: str) -> list[tuple[str, str]]:
    if f.type == "choice":
        choices = [(key, text(locale)) for key, text in (f.choices or {}).items()]
    else:
        choices = agency_choices(f, wf, user.agency, locale)
    return [("", "—"), *choices]


def transition_form(option, wf: WorkflowDef, user, locale: str, *, version: int) -> TransitionForm:
    """The form of one allowed transition (an engine ``Option``), bound to the request."""
    attrs = {}
    for f in option.fields:  # the loader keeps declared names clear of the form's own (RESERVED_FIELD_NAMES)
        attrs[f.name] = _field(f, wf, user, locale)
    form_class = type("TransitionForm_" + option.name, (TransitionForm,), attrs)
    form = form_class(data={"effective_on": today_in_china(), "expected_version": version})
    form.declared = {f.name: f.type for f in option.fields}
    for f in option.fields:
        if f.type in ("choice", "agency"):
            form[f.name].choices = _choices(f, wf, user, locale)
    return form
