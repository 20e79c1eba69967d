"""Small builders of valid input, shared by the tests."""

from __future__ import annotations

from datetime import date, timedelta

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
