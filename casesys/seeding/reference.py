"""``flask seed reference``: regions, agencies and the holiday years in one call.

The agencies and the calendar each seed their own rows; this module, above both, runs them together.
"""

from __future__ import annotations

from casesys.agencies.reference import seed_agencies
from casesys.workcalendar import seed_calendar


def seed_reference() -> dict[str, int]:
    """Insert missing regions, agencies and holiday years; existing rows are left as they are."""
    created = seed_agencies()
    created["calendar days"] = seed_calendar()
    return created
