from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, Form, FormField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from casesys.cases.catalog import IP_TYPES, PARTY_KINDS, SOURCES
from casesys.core.i18n import label


def choices_for(mapping, blank=None):
    """(key, translated label) pairs for a select, optionally led by a blank 'any' choice."""
    choices = [(key, label(mapping, key)) for key in mapping]
    return [("", blank)] + choices if blank is not None else choices


class PartyForm(Form):
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    party_name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    uscc = StringField(_l("Unified social credit code"), validators=[Optional(), Length(max=18)])
    id_number = StringField(_l("ID number"), validators=[Optional(), Length(max=18)])


class CaseForm(FlaskForm):
    # Choices come from engine.registrable(user); the engine checks the pick again.
    workflow = SelectField(_l("Workflow"), validators=[DataRequired()])
    state = SelectField(_l("Starting point"), validators=[Optional()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    ip_type = SelectField(_l("IP type"), validators=[DataRequired()])
    source = SelectField(_l("Source"), validators=[DataRequired()])
    region = SelectField(_l("Region"), validators=[DataRequired()])
    received_on = DateField(_l("Received on"), validators=[DataRequired()])
    amount_involved = DecimalField(_l("Amount involved (yuan)"), places=2,
                                   validators=[Optional(), NumberRange(min=0)])
    confidential = BooleanField(_l("Confidential"))
    complainant = FormField(PartyForm, label=_l("Right holder / complainant"))
    respondent = FormField(PartyForm, label=_l("Respondent / suspect"))

    def fill_choices(self, regions, workflows, states) -> None:
        self.workflow.choices = workflows
        self.state.choices = states
        self.ip_type.choices = choices_for(IP_TYPES)
        self.source.choices = choices_for(SOURCES)
        self.region.choices = regions
        for party in (self.complainant, self.respondent):
            party.kind.choices = choices_for(PARTY_KINDS)


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    workflow = SelectField(_l("Workflow"), validators=[Optional()])
    state = SelectField(_l("State"), validators=[Optional()])
    ip_type = SelectField(_l("IP type"), validators=[Optional()])
    received_from = DateField(_l("Received from"), validators=[Optional()])
    received_to = DateField(_l("Received to"), validators=[Optional()])
    q = StringField(_l("Number or title"), validators=[Optional(), Length(max=100)])
