"""What a statistics request selects: a period and optional region, agency kind, agency, IP type,
workflow and outcome. Parsed from query arguments (web, API) or CLI options, checked against
the caller's area: a supervisor sees their own region and everything below it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from casesys.agencies.models import AGENCY_KINDS, Agency, Region
from casesys.cases.catalog import IP_TYPES
from casesys.core.errors import InvalidInput
from casesys.core.types import today_in_china
from casesys.extensions import db

BUCKETS = ("month", "quarter", "year")
FILTER_KEYS = ("region", "agency_kind", "agency", "ip_type", "workflow", "outcome")


@dataclass(frozen=True)
class StatsFilters:
    date_from: date
    date_to: date
    region: str | None = None  # a GB/T 2260 code; includes every region below it
    agency_kind: str | None = None
    agency: str | None = None  # agency code
    ip_type: str | None = None
    workflow: str | None = None
    outcome: str | None = None

    def with_(self, **changes) -> StatsFilters:
        return replace(self, **changes)

    def as_args(self) -> dict[str, str]:
        """Query arguments that select the same figures again (links, exports, drill-down)."""
        args = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        args.update({k: v for k, v in asdict(self).items() if k in FILTER_KEYS and v})
        return args


def default_period() -> tuple[date, date]:
    today = today_in_china()
    return date(today.year, 1, 1), today


def parse_filters(args, user=None) -> StatsFilters:
    """Filters from ``args`` (a mapping of strings); InvalidInput names every bad field."""
    errors: dict[str, str] = {}
    start, end = default_period()
    date_from = _date(args.get("from"), start, "from", errors)
    date_to = _date(args.get("to"), end, "to", errors)
    if date_from and date_to and date_from > date_to:
        errors["to"] = _("must not be before the start of the period")
    values = {k: (args.get(k) or "").strip() or None for k in FILTER_KEYS}
    _check_choices(values, errors)
    if user is not None and "region" not in errors:
        values["region"] = _within_area(user, values["region"], errors)
    if errors:
        raise InvalidInput(_("Some filters are not valid."), errors)
    return StatsFilters(date_from=date_from, date_to=date_to, **values)


def _date(raw: str | None, default: date, field: str, errors: dict) -> date | None:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        errors[field] = _("not a date (YYYY-MM-DD)")
        return None


def _check_choices(values: dict, errors: dict) -> None:
    from casesys.workflows.engine import workflows

    if values["region"] and db.session.get(Region, values["region"]) is None:
        errors["region"] = _("no region has the code %(code)s", code=values["region"])
    if values["agency_kind"] and values["agency_kind"] not in AGENCY_KINDS:
        errors["agency_kind"] = _("not an agency kind")
    if values["agency"] and db.session.scalar(select(Agency.id).where(Agency.code == values["agency"])) is None:
        errors["agency"] = _("no agency has the code %(code)s", code=values["agency"])
    if values["ip_type"] and values["ip_type"] not in IP_TYPES:
        errors["ip_type"] = _("not an IP type")
    if values["workflow"] and values["workflow"] not in workflows():
        errors["workflow"] = _("not a workflow")
    if values["outcome"] and len(values["outcome"]) > 40:
        errors["outcome"] = _("not an outcome")


def _within_area(user, code: str | None, errors: dict) -> str | None:
    """A supervisor's figures stop at their own region; no region means all of it."""
    own = user.agency.region
    if code is None:
        return own.code if own.parent_code else None
    region = db.session.get(Region, code)
    if not region.path.startswith(own.path):
        errors["region"] = _("outside your area (%(code)s and below)", code=own.code)
    return code
