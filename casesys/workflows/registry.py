"""The Python behind the names that workflow files use for guards and actions.

Both are part of the decision core: plain functions of the case's facts, no database. A guard
answers None when the transition may fire, or a message saying why not. An action says what
data cannot: which agency the case moves to, which agency gets a copy, who becomes its officer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _

from casesys.core.errors import InvalidInput
from casesys.workflows.values import ActorFacts, Agencies, AgencyFacts, CaseFacts


@dataclass
class ActionResult:
    assign_to: int | None = None  # the officer the case gets, when it has none
    move_to: AgencyFacts | None = None  # ownership moves (the case gets the receiver's number)
    grants: list[tuple[AgencyFacts, str, str]] = field(default_factory=list)  # (agency, level, reason)


def _has_respondent(case: CaseFacts) -> str | None:
    if "respondent" not in case.party_roles:
        return _("A case can be filed only against a named respondent; add one first.")
    return None


def _no_open_children(case: CaseFacts) -> str | None:
    """A case cannot close while a case it opened (a criminal transfer...) is still running."""
    if case.open_children:
        return _("Linked cases are still open: %(numbers)s.", numbers=", ".join(map(str, case.open_children)))
    return None


def _transfer_to_police(case: CaseFacts, actor: ActorFacts, agencies: Agencies) -> ActionResult:
    """Art 5 of decree 310: the case goes to the same-level public security organ, and a copy
    to the same-level procuratorate at the same moment."""
    police = agencies.at(case.agency.region_code, "public_security")
    procuratorate = agencies.at(case.agency.region_code, "procuratorate")
    if police is None or procuratorate is None:
        raise InvalidInput(_("No public security organ or procuratorate at this level to transfer to."))
    return ActionResult(move_to=police, grants=[(procuratorate, "full", "procuratorate_copy")])


def _assign_to_actor(case: CaseFacts, actor: ActorFacts, agencies: Agencies) -> ActionResult:
    """Whoever takes up an unassigned case becomes its officer."""
    return ActionResult(assign_to=actor.id if case.assigned_officer_id is None else None)


GUARDS: dict[str, Callable[[CaseFacts], str | None]] = {
    "has_respondent": _has_respondent,
    "no_open_children": _no_open_children,
}
ACTIONS: dict[str, Callable[[CaseFacts, ActorFacts, Agencies], ActionResult]] = {
    "transfer_to_police": _transfer_to_police,
    "assign_to_actor": _assign_to_actor,
}
