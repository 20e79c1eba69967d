"""Verbs on cases. They flush; the request or command around them commits once."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from casesys import audit
from casesys.agencies.models import Agency, Region
from casesys.auth.permissions import Permission
from casesys.cases.access import can_view, visible_cases_clause
from casesys.cases.catalog import CONFIDENTIAL_BY_DEFAULT
from casesys.cases.models import Case, CaseEvent, CaseNumberCounter, Party
from casesys.cases.schemas import CaseFilters, CaseIn
from casesys.core.errors import Forbidden, InvalidInput, NotFound
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.workflows.models import CaseFormerNumber

_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def next_case_number(agency: Agency, year: int) -> tuple[int, str]:
    """Take the next number of ``agency``'s series for ``year``.

    The counter row is updated in the caller's transaction: on PostgreSQL the row lock
    queues concurrent registrations, on SQLite the write lock does; a rollback returns the
    number, so the series has no gaps.
    """
    insert = _UPSERT_INSERTS[db.session.get_bind().dialect.name]
    db.session.execute(insert(CaseNumberCounter).values(agency_id=agency.id, year=year, last_seq=0)
                       .on_conflict_do_nothing())
    seq = db.session.execute(
        update(CaseNumberCounter)
        .where(CaseNumberCounter.agency_id == agency.id, CaseNumberCounter.year == year)
        .values(last_seq=CaseNumberCounter.last_seq + 1)
        .returning(CaseNumberCounter.last_seq)
    ).scalar_one()
    return seq, f"{agency.region_code}-{agency.number_code}-{year}-{seq:05d}"


def register_case(actor, data: CaseIn) -> Case:
    """Register a new case at one of its workflow's entries, with parties, clocks, history and audit."""
    from casesys.workflows import engine

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


def get_case_for(user, case_id: int) -> Case:
    """The case if ``user`` may see it; otherwise NotFound (never confirm it exists)."""
    case = db.session.get(Case, case_id)
    if case is None or not can_view(user, case):
        raise NotFound(_("No such case."))
    if case.is_confidential:
        audit.record("case.read_confidential", "case", case.id, user, number=case.number)
    return case


def search_cases(user, filters: CaseFilters, *, after_id: int | None = None, limit: int = 50) -> list[Case]:
    """Visible cases, newest first, ``limit`` at a time after the keyset ``after_id``."""
    stmt = (select(Case).where(visible_cases_clause(user))
            .options(selectinload(Case.parties), selectinload(Case.clocks)).order_by(Case.id.desc()).limit(limit))
    conditions = []
    if filters.state:
        conditions.append(Case.state == filters.state)
    if filters.ip_type:
        conditions.append(Case.ip_type == filters.ip_type)
    if filters.workflow:
        conditions.append(Case.workflow == filters.workflow)
    if filters.received_from:
        conditions.append(Case.received_on >= filters.received_from)
    if filters.received_to:
        conditions.append(Case.received_on <= filters.received_to)
    if filters.q:
        former = select(CaseFormerNumber.case_id).where(CaseFormerNumber.number.icontains(filters.q, autoescape=True))
        conditions.append(or_(Case.number.icontains(filters.q, autoescape=True),
                              Case.title.icontains(filters.q, autoescape=True), Case.id.in_(former)))
    if after_id is not None:
        conditions.append(Case.id < after_id)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    return list(db.session.scalars(stmt))


