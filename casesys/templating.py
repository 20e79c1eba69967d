"""Jinja helpers: labels in the reader's language, China time, money, masking."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask, current_app
from flask_babel import format_date, format_datetime, get_locale

from casesys.agencies.models import AGENCY_KINDS
from casesys.auth.permissions import ROLES
from casesys.cases.catalog import EVENT_KINDS, IP_TYPES, PARTY_KINDS, PARTY_ROLES, SOURCES
from casesys.core.i18n import label


def money(value: Decimal | None) -> str:
    return "" if value is None else f"¥{value:,.2f}"


def masked(identifier: str | None) -> str:
    """Show only the ends of a personal ID number."""
    if not identifier:
        return ""
    return identifier[:6] + "*" * (len(identifier) - 10) + identifier[-4:]


def localized_name(obj) -> str:
    return obj.name(str(get_locale())) if obj is not None else ""


def text(label) -> str:
    """A bilingual label from a workflow definition, in the reader's language."""
    return label(str(get_locale())) if label is not None else ""


def state_labels() -> dict:
    """Every workflow's states by key (the same key means the same thing across workflows)."""
    found = {}
    for wf in current_app.extensions["casesys.workflows"].values():
        for key, state in wf.states.items():
            found.setdefault(key, state.label)
    return found


def init_app(app: Flask) -> None:
    labels = {
        "ip_type": IP_TYPES, "source": SOURCES, "party_role": PARTY_ROLES, "party_kind": PARTY_KINDS,
        "role": ROLES, "agency_kind": AGENCY_KINDS, "event": EVENT_KINDS,
    }

    def label_of(kind: str, key: str | None) -> str:
        if kind == "state":
            found = state_labels().get(key)
            return text(found) if found is not None else (key or "")
        return label(labels[kind], key)

    app.jinja_env.globals.update(label_of=label_of, localized_name=localized_name, text=text)
    app.jinja_env.filters.update(
        money=money, masked=masked,
        datetime=lambda value: format_datetime(value, "yyyy-MM-dd HH:mm") if value else "",
        date=lambda value: format_date(value, "yyyy-MM-dd") if value else "",
    )

    @app.context_processor
    def _locale():
        return {"current_locale": str(get_locale())}
