"""Moving a case to another agency, and letting other agencies read it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from casesys.agencies.models import Agency
from casesys.cases.models import Case
from casesys.cases.services import next_case_number
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.workflows.models import CaseAccess, CaseFormerNumber


def grant_access(case: Case, agency: Agency, level: str, reason: str) -> None:
    """Let ``agency`` read ``case``; an existing grant is raised to ``full`` but never lowered."""
    if agency.id == case.agency_id:
        return
    grant = db.session.scalar(select(CaseAccess).where(CaseAccess.case_id == case.id,
                                                       CaseAccess.agency_id == agency.id))
    if grant is None:
        db.session.add(CaseAccess(case_id=case.id, agency_id=agency.id, level=level, reason=reason))
    elif level == "full":
        grant.level, grant.reason = level, reason


def revoke_access(case: Case, agency: Agency) -> None:
    db.session.execute(delete(CaseAccess).where(CaseAccess.case_id == case.id, CaseAccess.agency_id == agency.id))


def move_ownership(case: Case, receiver: Agency, on: date, assignee=None) -> str:
    """Give ``case`` to ``receiver``: a new number in its series (the old one is kept and still
    found), the former owner keeps status access. Returns the old number."""
    old_number, old_agency = case.number, case.agency
    db.session.add(CaseFormerNumber(case_id=case.id, number=old_number, agency_id=old_agency.id, replaced_on=on))
    year = today_in_china().year
    seq, number = next_case_number(receiver, year)
    case.number, case.number_year, case.number_seq = number, year, seq
    case.agency = receiver
    case.agency_id = receiver.id
    case.assigned_officer_id = assignee.id if assignee is not None else None
    revoke_access(case, receiver)
    grant_access(case, old_agency, "status", "former_owner")
    return old_number


def same_region_agency(case: Case, kind: str) -> Agency | None:
    """The agency of ``kind`` at the owning agency's region (两法衔接 pairs agencies by level)."""
    return db.session.scalar(select(Agency).where(Agency.kind == kind,
                                                  Agency.region_code == case.agency.region_code))
