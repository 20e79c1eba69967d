"""Registering a case: a number, parties, history and audit, at one of its workflow's entries.

It lives in the workflows package, not in cases, because a case starts in its workflow (the entry
state, the entry's clocks): the engine sits above cases and registration needs it."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from casesys import audit
from casesys.agencies.models import Agency, Region
from casesys.auth.permissions import Permission
from casesys.cases.catalog import CONFIDENTIAL_BY_DEFAULT
from casesys.cases.models import Case, CaseEvent, Party
from casesys.cases.numbering import next_case_number
from casesys.cases.schemas import CaseIn
from casesys.core.errors import Forbidden, InvalidInput
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.workflows import engine


def register_case(actor, data: CaseIn) -> Case:
    """Register a new case at one of its workflow's entries, with parties, clocks, history and audit."""
    if not actor.can(Permission.REGISTER_CASES):
        raise Forbidden(_("Your role may not register cases."))
    if data.agency and data.agency != actor.agency.code:
        agency = db.session.scalar(select(Agency).where(Agency.code == data.agency))
        if agency is None:
            raise InvalidInput(_("Unknown agency."),
                               {"agency": _("no agency has the code %(code)s", code=data.agency)})
        raise Forbidden(_("You may register cases only for your own agency."))
    agency = actor.agency
    workflow, entry = engine.entry_for(actor, data.workflow, data.state)
    region = db.session.get(Region, data.region)
    if region is None:
        raise InvalidInput(_("Unknown region."), {"region": _("no region has the code %(code)s", code=data.region)})
    if not region.path.startswith(agency.region.path):
        raise InvalidInput(_("The region is outside the agency's area."),
                           {"region": _("%(region)s is outside the area of %(agency)s",
                                        region=data.region, agency=agency.code)})

    year = today_in_china().year
    seq, number = next_case_number(agency, year)
    # Trade secrets are always confidential; anything else may be marked so.
    confidential = bool(data.confidential) or data.ip_type in CONFIDENTIAL_BY_DEFAULT
    case = Case(
        number=number, number_year=year, number_seq=seq, agency=agency,
        workflow=workflow.key, workflow_version=workflow.version, state=entry.state,
        title=data.title, ip_type=data.ip_type, source=data.source, region=region,
        received_on=data.received_on, is_confidential=confidential,
        assigned_officer_id=actor.id, created_by_id=actor.id,
    )
    case.amount_involved = data.amount_involved
    case.parties = [Party(**party.model_dump()) for party in data.parties]
    case.events.append(CaseEvent(kind="registered", to_state=case.state, actor_id=actor.id,
                                 agency_id=agency.id, effective_on=data.received_on))
    db.session.add(case)
    db.session.flush()
    engine.start_entry_clocks(case, workflow, entry)
    audit.record("case.register", "case", case.id, actor, number=number, agency=agency.code,
                 workflow=workflow.key, state=entry.state)
    return case
