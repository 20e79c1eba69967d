"""Enumerations of DOMAIN §2 and, until workflows are loaded from ``workflows/``, the one
workflow a case can be registered in."""

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

EVENT_KINDS = {"registered": N_("Registered")}

WORKFLOWS = {
    "admin_enforcement": {
        "label": N_("Complaints, reports and administrative enforcement"),
        "initial_state": "received",
        "agency_kinds": {"market_regulation", "copyright", "agriculture", "forestry_grassland",
                         "ip_office", "customs"},
        "states": {
            "received": N_("Received"),
            "verifying": N_("Verifying"),
            "not_filed": N_("Not filed"),
            "filed": N_("Filed"),
            "investigating": N_("Investigating"),
            "notified": N_("Notified (statement / hearing)"),
            "hearing": N_("Hearing"),
            "decided": N_("Decided"),
            "awaiting_criminal": N_("Awaiting police decision"),
            "closed": N_("Closed"),
        },
    },
}
REGISTERING_ROLES = {"officer", "agency_head"}


def state_labels() -> dict[str, str]:
    return {state: text for wf in WORKFLOWS.values() for state, text in wf["states"].items()}
