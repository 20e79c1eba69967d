"""Roles and what each may do (DOMAIN §1). Object-level scope lives with the objects."""

from __future__ import annotations

from enum import StrEnum

from casesys.core.i18n import N_

ROLES: dict[str, str] = {
    "officer": N_("Enforcement officer"),
    "agency_head": N_("Agency head"),
    "mediator": N_("Mediator"),
    "supervisor": N_("Supervisor"),
    "admin": N_("Administrator"),
}


class Permission(StrEnum):
    SIGNED_IN = "signed_in"
    VIEW_CASES = "view_cases"
    REGISTER_CASES = "register_cases"
    MANAGE_USERS = "manage_users"
    MANAGE_CALENDAR = "manage_calendar"
    ISSUE_ORDERS = "issue_orders"  # supervision orders (督办)
    VIEW_STATS = "view_stats"  # cross-department statistics, dashboard, exports, indicators
    REPORT_FIGURES = "report_figures"  # inspection records and indicator reports (信息报送)
    READ_REPORTS = "read_reports"  # read them: reporters their own agency's, supervisors their area's


ROLE_PERMISSIONS: dict[str, set[Permission]] = {
    "officer": {Permission.VIEW_CASES, Permission.REGISTER_CASES, Permission.REPORT_FIGURES, Permission.READ_REPORTS},
    "agency_head": {Permission.VIEW_CASES, Permission.REGISTER_CASES, Permission.REPORT_FIGURES,
                    Permission.READ_REPORTS},
    "mediator": {Permission.VIEW_CASES, Permission.REGISTER_CASES},
    "supervisor": {Permission.VIEW_CASES, Permission.ISSUE_ORDERS, Permission.VIEW_STATS, Permission.READ_REPORTS},
    "admin": {Permission.MANAGE_USERS, Permission.MANAGE_CALENDAR},  # users, agencies, calendar; not case content
}


def permissions_for(roles: set[str]) -> set[Permission]:
    granted = {Permission.SIGNED_IN}
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, set())
    return granted
