"""Who may see which case (DOMAIN §1). Views, API and templates all ask these."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select

from casesys.agencies.models import Region
from casesys.cases.models import Case
from casesys.extensions import db


def _region_scope(user):
    """Codes of the user's agency region and every region below it."""
    return select(Region.code).where(Region.path.startswith(user.agency.region.path, autoescape=True))


def visible_cases_clause(user) -> ColumnElement[bool]:
    """A WHERE clause selecting exactly the cases ``user`` may see."""
    if not user.is_active:
        return false()
    roles = user.roles
    clauses = []
    if "supervisor" in roles:
        clauses.append(Case.region_code.in_(_region_scope(user)))
    if "agency_head" in roles:
        clauses.append(Case.agency_id == user.agency_id)
    elif roles & {"officer", "mediator"}:
        # Confidential cases: only the assigned officer (and heads, above) of the owning agency.
        clauses.append((Case.agency_id == user.agency_id)
                       & (~Case.is_confidential | (Case.assigned_officer_id == user.id)))
    return or_(*clauses) if clauses else false()


def can_view(user, case: Case) -> bool:
    """The same rule as the list, asked of one case, so the two can never disagree."""
    return db.session.scalar(select(Case.id).where(Case.id == case.id, visible_cases_clause(user))) is not None


