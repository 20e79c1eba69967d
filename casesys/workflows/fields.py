"""Check the values a transition records against its declared fields.

The web form and the API both pass their input through ``clean``; what is stored in the
history is JSON-ready (dates as ISO text, money as exact decimal text).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from casesys.agencies.models import Agency
from casesys.core.params import whole_number
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.workflows.definitions import FieldDef

MAX_AMOUNT = Decimal("99999999999999.99")


def _one(field: FieldDef, value):
    """The cleaned value, or raise ValueError with a message for the person who typed it."""
    kind = field.type
    if kind in ("text", "string"):
        if not isinstance(value, str):
            raise ValueError(_("must be text"))
        value = value.strip()
        limit = 200 if kind == "string" else field.max_length
        if len(value) > limit:
            raise ValueError(_("at most %(n)d characters", n=limit))
        return value
    if kind == "date":
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(_("a date such as 2026-05-01")) from None
        if day > today_in_china() and not field.future:
            raise ValueError(_("cannot be in the future"))
        return day.isoformat()
    if kind == "decimal":
        try:
            amount = Decimal(str(value)) if not isinstance(value, bool | float) else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT \
                or amount != amount.quantize(Decimal("0.01")):
            raise ValueError(_("an amount in yuan, at most two decimals, not negative"))
        return f"{amount:.2f}"
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(_("a whole number"))
        number = whole_number(str(value), 0, 1_000_000)  # a negative int is refused here too
        if number is None:
            raise ValueError(_("a whole number from 0 to 1000000"))
        return number
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if value in ("true", "y", "on", "1"):
            return True
        if value in ("false", "n", "off", "0", ""):
            return False
        raise ValueError(_("true or false"))
    if kind == "choice":
        if not isinstance(value, str) or value not in (field.choices or {}):
            raise ValueError(_("one of: %(choices)s", choices=", ".join(field.choices or {})))
        return value
    if kind == "agency":
        agency = db.session.scalar(select(Agency).where(Agency.code == value)) if isinstance(value, str) else None
        if agency is None or (field.agency_kind and agency.kind != field.agency_kind):
            raise ValueError(_("the code of an agency of kind %(kind)s", kind=field.agency_kind or "*"))
        return agency.code
    raise ValueError(kind)  # unreachable: the schema allows only the kinds above


def clean(fields: list[FieldDef], data: dict) -> tuple[dict, dict[str, str]]:
    """(cleaned values, errors by field name); unknown names are errors too."""
    if not isinstance(data, dict):
        return {}, {"fields": _("must be an object of field values")}
    known = {f.name: f for f in fields}
    errors = {name: _("this transition has no such field") for name in data if name not in known}
    cleaned = {}
    for field in fields:
        value = data.get(field.name)
        if value is None or (isinstance(value, str) and not value.strip() and field.type != "boolean"):
            if field.required:
                errors[field.name] = _("required")
            continue
        try:
            cleaned[field.name] = _one(field, value)
        except ValueError as exc:
            errors[field.name] = str(exc)
    return cleaned, errors
