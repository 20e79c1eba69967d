"""Small builders of valid input, shared by the tests."""

from __future__ import annotations

from datetime import date, timedelta

from casesys.cases.models import Case
from casesys.core.types import today_in_china
from casesys.extensions import db

VALID_USCC = "91350100M000100Y43"


def case_payload(**overrides) -> dict:
    payload = {
        "workflow": "admin_enforcement",
        "title": "销售假冒注册商标商品案",
        "ip_type": "trademark",
        "source": "complaint",
        "region": "230100",
        "received_on": (date.today() - timedelta(days=3)).isoformat(),
        "amount_involved": "12345.67",
        "confidential": False,
        "parties": [
            {"role": "complainant", "kind": "organisation", "name": "某品牌有限公司", "uscc": VALID_USCC},
            {"role": "respondent", "kind": "person", "name": "张某"},
        ],
    }
    payload.update(overrides)
    return payload


def clocks(detail: dict) -> dict:
    """A case's clocks from the API, by key."""
    return {c["key"]: c for c in detail["clocks"]}


def open_status(due_on: str) -> str:
    """What an open, unpaused clock due on ``due_on`` shows today."""
    return "overdue" if today_in_china() > date.fromisoformat(due_on) else "running"


def outcome(case_id: int) -> str | None:
    """The outcome the engine recorded on the case row."""
    db.session.rollback()
    return db.session.get(Case, case_id).outcome
