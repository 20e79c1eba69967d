"""The Python behind the names that workflow files use for guards and actions.

A guard answers None when the transition may fire, or a message saying why not. An action
does what data cannot say: it runs after the state, history and clocks are written, in the
same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from casesys.cases.models import Case
from casesys.core.errors import InvalidInput
from casesys.extensions import db
from casesys.workflows.models import CaseLink
from casesys.workflows.ownership import grant_access, move_ownership, same_region_agency


@dataclass
class ActionContext:
    user: object
    case: Case
    transition: str
    fields: dict
    effective_on: date


def _has_respondent(case: Case, user) -> str | None:
    if not any(p.role == "respondent" for p in case.parties):
        return _("A case can be filed only against a named respondent; add one first.")
    return None


def _no_open_children(case: Case, user) -> str | None:
    """A case cannot close while a case it opened (a criminal transfer...) is still running."""
    children = db.session.scalars(select(Case).join(CaseLink, CaseLink.child_id == Case.id)
                                  .where(CaseLink.parent_id == case.id, Case.closed_on.is_(None)))
    open_numbers = [c.number for c in children]
    if open_numbers:
        return _("Linked cases are still open: %(numbers)s.", numbers=", ".join(open_numbers))
    return None


def _transfer_to_police(ctx: ActionContext) -> None:
    """Art 5 of decree 310: the case goes to the same-level public security organ, and a copy
    to the same-level procuratorate at the same moment."""
    case = ctx.case
    police = same_region_agency(case, "public_security")
    procuratorate = same_region_agency(case, "procuratorate")
    if police is None or procuratorate is None:
        raise InvalidInput(_("No public security organ or procuratorate at this level to transfer to."))
    move_ownership(case, police, ctx.effective_on)
    grant_access(case, procuratorate, "full", "procuratorate_copy")


def _assign_to_actor(ctx: ActionContext) -> None:
    """Whoever takes up an unassigned case becomes its officer."""
    if ctx.case.assigned_officer_id is None:
        ctx.case.assigned_officer_id = ctx.user.id


GUARDS: dict[str, Callable[[Case, object], str | None]] = {
    "has_respondent": _has_respondent,
    "no_open_children": _no_open_children,
}
ACTIONS: dict[str, Callable[[ActionContext], None]] = {
    "transfer_to_police": _transfer_to_police,
    "assign_to_actor": _assign_to_actor,
}
