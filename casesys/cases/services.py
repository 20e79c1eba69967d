"""Verbs on cases. They flush; the request or command around them commits once.

Registering a case starts its workflow, so ``register_case`` is the workflows package's
(casesys.workflows.registration); numbering is casesys.cases.numbering."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from casesys import audit
from casesys.cases.access import can_view, visible_cases_clause
from casesys.cases.models import Case, CaseFormerNumber
from casesys.cases.schemas import CaseFilters
from casesys.core.errors import NotFound
from casesys.extensions import db


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


