"""Who may see which case (DOMAIN §1). Views, API and templates all ask these."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select

from casesys.agencies.models import Region
from casesys.cases.models import Case
from casesys.extensions import db
from casesys.workflows.models import CaseAccess

AGENCY_ROLES = {"officer", "agency_head", "mediator"}


def _region_scope(user):
    """Codes of the user's agency region and every region below it."""
    return select(Region.code).where(Region.path.startswith(user.agency.region.path, autoescape=True))


def _shared_with_agency(user, level: str | None = None):
    stmt = select(CaseAccess.case_id).where(CaseAccess.agency_id == user.agency_id)
    return stmt if level is None else stmt.where(CaseAccess.level == level)


def _procuratorate_copies():
    return select(CaseAccess.case_id).where(CaseAccess.reason == "procuratorate_copy")


def _owner_clause(user) -> ColumnElement[bool] | None:
    """Full access through the owning agency (heads: all; officers: confidential only when assigned)."""
    if "agency_head" in user.roles:
        return Case.agency_id == user.agency_id
    if user.roles & {"officer", "mediator"}:
        return (Case.agency_id == user.agency_id) & (~Case.is_confidential | (Case.assigned_officer_id == user.id))
    return None


def visible_cases_clause(user) -> ColumnElement[bool]:
    """A WHERE clause selecting exactly the cases ``user`` may see."""
    if not user.is_active:
        return false()
    clauses = []
    if "supervisor" in user.roles:
        clauses.append(Case.region_code.in_(_region_scope(user)))
    if (owner := _owner_clause(user)) is not None:
        clauses.append(owner)
    if user.roles & AGENCY_ROLES:
        # Shared on purpose: a handoff waiting for this agency, a former owner, the
        # procuratorate's copy of a transfer, the agency a linked case came from.
        clauses.append(Case.id.in_(_shared_with_agency(user)))
        clauses.append(Case.origin_agency_id == user.agency_id)
        if user.agency.kind == "procuratorate":
            # A procuratorate sees every transfer copied to a procuratorate in its region and below.
            clauses.append(Case.id.in_(_procuratorate_copies()) & Case.region_code.in_(_region_scope(user)))
    return or_(*clauses) if clauses else false()


def can_view(user, case: Case) -> bool:
    """The same rule as the list, asked of one case, so the two can never disagree."""
    return db.session.scalar(select(Case.id).where(Case.id == case.id, visible_cases_clause(user))) is not None


def access_level(user, case: Case) -> str | None:
    """"full", "status" (state, clocks and history without later notes) or None."""
    if not can_view(user, case):
        return None
    full = [Case.id.in_(_shared_with_agency(user, "full"))]
    if user.agency.kind == "procuratorate":
        full.append(Case.id.in_(_procuratorate_copies()) & Case.region_code.in_(_region_scope(user)))
    if "supervisor" in user.roles:
        full.append(Case.region_code.in_(_region_scope(user)))
    if (owner := _owner_clause(user)) is not None:
        full.append(owner)
    if user.roles & AGENCY_ROLES:
        # The agency that opened a linked case (and has not handed it over) reads all of it.
        full.append((Case.origin_agency_id == user.agency_id) & (Case.agency_id == user.agency_id))
    is_full = db.session.scalar(select(Case.id).where(Case.id == case.id, or_(*full))) is not None
    return "full" if is_full else "status"
