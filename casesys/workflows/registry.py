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


# --- courts (issue 12 point 11) ------------------------------------------------------------------
# A court's level is its region's: province → 高级人民法院, prefecture → 中级人民法院, county → 基层人民法院.

# First-instance IP disputes that belong to intermediate courts (and the IP courts), not basic courts:
# 发明专利、实用新型专利、植物新品种、集成电路布图设计、技术秘密、计算机软件 (最高人民法院关于第一审知识产权
# 民事、行政案件管辖的若干规定 (法释〔2022〕13号) Art 1). Computer software has no ip_type of its own
# (it is recorded as copyright), so it cannot be told apart here.
INTERMEDIATE_COURT_IP_TYPES = frozenset({"patent_invention", "patent_utility_model", "plant_variety", "trade_secret"})


def court_level(agency: AgencyFacts) -> str:
    """"high", "intermediate" or "basic", from the depth of the court's region."""
    depth = agency.region.path.strip("/").count("/") + 1
    return {1: "high", 2: "intermediate"}.get(depth, "basic")


def _related_regions(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _competent_confirmation_court(case: CaseFacts) -> str | None:
    """民事诉讼法 (2023) Art 205: a mediation the court invited (委派) is confirmed by that court
    (the court opens the confirmation from its own pre-filing case: origin = owner); otherwise the
    basic court where the mediation organisation (or the dispute) is, or the intermediate court when
    the dispute belongs to an intermediate court. Party domicile is not a fact casesys keeps, so the
    place is the case's region."""
    court = case.agency
    if case.origin_agency_id == court.id:
        return None
    level = court_level(court)
    if level == "high":
        return _("A higher people's court does not confirm mediation agreements: apply to the basic court where "
                 "the mediation organisation is, or to the intermediate court for disputes it hears "
                 "(Civil Procedure Law Art 205).")
    if not _related_regions(court.region.path, case.region.path):
        return _("This court is not where the mediation organisation or the dispute is; the application belongs "
                 "to the court of that place (Civil Procedure Law Art 205).")
    if level == "basic" and case.ip_type in INTERMEDIATE_COURT_IP_TYPES:
        return _("Disputes over invention or utility-model patents, plant varieties, technical secrets or software "
                 "are heard by intermediate courts: the agreement must be confirmed by the competent intermediate "
                 "court (Civil Procedure Law Art 205).")
    return None


def _basic_court(case: CaseFacts) -> str | None:
    """Small claims (民事诉讼法 Art 165) are a procedure of basic courts and their tribunals."""
    if court_level(case.agency) != "basic":
        return _("Only a basic people's court may try a case under the small-claims procedure "
                 "(Civil Procedure Law Art 165).")
    return None


def _running(case: CaseFacts, keys: tuple[str, ...]) -> bool:
    return any(c.key in keys and c.status in ("running", "paused") for c in case.clocks)


def _ordinary_trial(case: CaseFacts) -> str | None:
    if not _running(case, ("trial_ordinary",)):
        return _("Only for a case tried under the ordinary procedure.")
    return None


def _simple_trial(case: CaseFacts) -> str | None:
    if not _running(case, ("trial_simple", "trial_small_claims")):
        return _("Only for a case tried under the simple or small-claims procedure.")
    return None


def _not_court_invited(case: CaseFacts) -> str | None:
    """A mediation a court invited (委派/委托) is not sent to a court of the parties' choosing: the
    inviting court confirms it from its own case (民事诉讼法 Art 205(1))."""
    if case.origin_agency_id is not None:
        return _("This mediation was invited by a court: that court deals with the agreement (a mediation "
                 "statement after filing; before filing, judicial confirmation registered from its own case; "
                 "Civil Procedure Law Art 205(1)).")
    return None


def _extensions_of(case: CaseFacts, key: str) -> int | None:
    clock = next((c for c in case.clocks if c.key == key and c.status in ("running", "paused")), None)
    return None if clock is None else len(clock.extensions)


def _case_conclusion_not_extended(case: CaseFacts) -> str | None:
    if _extensions_of(case, "case_conclusion") != 0:
        return _("The head's one-month extension has already been granted (or the period is not running).")
    return None


def _case_conclusion_extended_once(case: CaseFacts) -> str | None:
    if _extensions_of(case, "case_conclusion") != 1:
        return _("The extension approved one level up follows the head's one-month extension, once.")
    return None


GUARDS: dict[str, Callable[[CaseFacts], str | None]] = {
    "has_respondent": _has_respondent,
    "no_open_children": _no_open_children,
    "competent_confirmation_court": _competent_confirmation_court,
    "basic_court": _basic_court,
    "ordinary_trial": _ordinary_trial,
    "simple_trial": _simple_trial,
    "not_court_invited": _not_court_invited,
    "case_conclusion_not_extended": _case_conclusion_not_extended,
    "case_conclusion_extended_once": _case_conclusion_extended_once,
}
ACTIONS: dict[str, Callable[[CaseFacts, ActorFacts, Agencies], ActionResult]] = {
    "transfer_to_police": _transfer_to_police,
    "assign_to_actor": _assign_to_actor,
}
