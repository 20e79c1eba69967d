"""Who may see which case, and how much (DOMAIN §1; the rule in full: docs/access.md).

``visible_cases_clause`` and ``access_level`` are the only places the rule is applied: every
page, list, search, export, reminder and the API ask them. Both read one list of grants, so
they can never disagree.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, literal, or_, select, true
from sqlalchemy import case as case_when
from sqlalchemy.orm import aliased

from casesys import audit
from casesys.agencies.models import Region
from casesys.cases.models import Case, CaseAccess, CaseLink
from casesys.extensions import db

AGENCY_ROLES = {"officer", "agency_head", "mediator"}


def _region_scope(user):
    """Codes of the user's agency region and every region below it."""
    return select(Region.code).where(Region.path.startswith(user.agency.region.path, autoescape=True))


def _shared_with_agency(user, level: str):
    return select(CaseAccess.case_id).where(CaseAccess.agency_id == user.agency_id, CaseAccess.level == level)


def _procuratorate_copies():
    return select(CaseAccess.case_id).where(CaseAccess.reason == "procuratorate_copy")


def _opened_from_a_case_assigned_to(user):
    """Linked cases (a criminal transfer...) opened from a case ``user`` is the assigned officer of."""
    # Aliased here, not at import: an alias configures the mappers, and Case.clocks names a class of
    # the workflows package, which the app factory imports (this module must not).
    parent = aliased(Case, name="parent_case")
    return (select(CaseLink.child_id).join(parent, parent.id == CaseLink.parent_id)
            .where(parent.assigned_officer_id == user.id))


def _grants(user) -> list[tuple[ColumnElement[bool], str]]:
    """(which cases, what level) for each way ``user`` may see a case.

    A confidential case reaches, in the owning agency, its heads and assigned officer; in any
    other agency, only its heads -- plus, at the agency a linked case came from, the officer
    assigned to the case it was opened from (they still act on it: reconsideration, handing
    over seized items), and the procurators who hold the transfer's copy. Supervisors in scope
    see everything.
    """
    if not user.is_active:
        return []
    head = "agency_head" in user.roles
    # Confidential cases reach other agencies through their heads only.
    heads_only = true() if head else ~Case.is_confidential
    grants: list[tuple[ColumnElement[bool], str]] = []
    if "supervisor" in user.roles:
        grants.append((Case.region_code.in_(_region_scope(user)), "full"))
    if head:
        grants.append((Case.agency_id == user.agency_id, "full"))
    elif user.roles & AGENCY_ROLES:
        grants.append((and_(Case.agency_id == user.agency_id,
                            ~Case.is_confidential | (Case.assigned_officer_id == user.id)), "full"))
    if user.roles & AGENCY_ROLES:
        # Granted to the agency: a handoff waiting for it (full), a former owner (status), the
        # procuratorate's copy of a transfer (full).
        for level in ("full", "status"):
            grants.append((and_(Case.id.in_(_shared_with_agency(user, level)), heads_only), level))
        # The agency a linked case came from follows its status.
        grants.append((and_(Case.origin_agency_id == user.agency_id,
                            or_(heads_only, Case.id.in_(_opened_from_a_case_assigned_to(user)))), "status"))
        if user.agency.kind == "procuratorate":
            # A procuratorate sees every transfer copied to a procuratorate in its region and below,
            # confidential or not: the copy is its need to know (立案监督 is a procurator's work).
            grants.append((and_(Case.id.in_(_procuratorate_copies()), Case.region_code.in_(_region_scope(user))),
                           "full"))
    return grants


def visible_cases_clause(user) -> ColumnElement[bool]:
    """A WHERE clause selecting exactly the cases ``user`` may see."""
    grants = _grants(user)
    return or_(*(clause for clause, _level in grants)) if grants else false()


def can_view(user, case: Case) -> bool:
    """The same rule as the list, asked of one case, so the two can never disagree."""
    return access_level(user, case) is not None


def access_level(user, case: Case) -> str | None:
    """"full", "status" (state, clocks and history without other agencies' notes) or None."""
    grants = _grants(user)
    if not grants:
        return None
    full = [clause for clause, level in grants if level == "full"]
    level = case_when((or_(*full), "full"), else_="status") if full else literal("status")
    return db.session.scalar(select(level).where(Case.id == case.id, visible_cases_clause(user)))


def record_confidential_reads(user, cases, surface: str) -> None:
    """One audit entry for a list, search, export or drill-down that showed confidential cases
    (DOMAIN §1: every read of one is logged); nothing when it showed none."""
    record_confidential_case_ids(user, [c.id for c in cases if c.is_confidential], surface)


def record_confidential_case_ids(user, case_ids, surface: str) -> None:
    """The same entry for a read that showed what confidential cases hold (their parties in the
    repeat-respondent figures) without listing the cases themselves."""
    if ids := sorted(set(case_ids)):
        audit.record("case.list_confidential", "case", None, user, surface=surface, case_ids=ids)
