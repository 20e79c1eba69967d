"""Enumerations of DOMAIN §2. Workflows, their states and transitions are data in ``workflows/``."""

from casesys.core.i18n import N_

IP_TYPES = {
    "patent_invention": N_("Invention patent"),
    "patent_utility_model": N_("Utility model patent"),
    "patent_design": N_("Design patent"),
    "trademark": N_("Trademark"),
    "copyright": N_("Copyright"),
    "plant_variety": N_("Plant variety / seed"),
    "geographical_indication": N_("Geographical indication"),
    "trade_secret": N_("Trade secret"),
    "unfair_competition": N_("Unfair competition"),
    "counterfeit_goods": N_("Counterfeit goods"),
    "other": N_("Other"),
}
CONFIDENTIAL_BY_DEFAULT = {"trade_secret"}

SOURCES = {
    "complaint": N_("Complaint"),
    "report": N_("Report"),
    "inspection": N_("Found in inspection"),
    "ecommerce_platform": N_("E-commerce platform"),
    "customs": N_("Customs"),
    "agency_referral": N_("Referral from another agency"),
    "transfer": N_("Transfer"),
    "own_investigation": N_("Own investigation"),
    "court_referral": N_("Court referral"),
    "overseas": N_("Overseas"),
}

PARTY_ROLES = {"complainant": N_("Right holder / complainant"), "respondent": N_("Respondent / suspect")}
PARTY_KINDS = {"person": N_("Person"), "organisation": N_("Organisation")}

EVENT_KINDS = {
    "registered": N_("Registered"),
    "transition": N_("Step"),
    "handoff_sent": N_("Handed off"),
    "handoff_accepted": N_("Handoff accepted"),
    "handoff_returned": N_("Handoff returned"),
}
