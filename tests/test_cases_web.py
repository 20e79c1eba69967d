"""Registering, finding and reading cases in the browser pages, and who may see them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from casesys.audit.models import AuditEntry
from casesys.cases.models import Case
from casesys.extensions import db
from tests.conftest import csrf_token, login
from tests.factories import VALID_USCC, case_payload


def _form(client, **overrides) -> dict:
    data = {
        "csrf_token": csrf_token(client, "/cases/new"),
        "title": "网店销售假冒商标商品",
        "ip_type": "trademark",
        "source": "complaint",
        "region": "230100",
        "received_on": (date.today() - timedelta(days=1)).isoformat(),
        "amount_involved": "1000.50",
        "complainant-kind": "organisation",
        "complainant-party_name": "某品牌公司",
        "complainant-uscc": VALID_USCC,
        "respondent-kind": "person",
        "respondent-party_name": "李某",
        "respondent-id_number": "",
    }
    data.update(overrides)
    return data


def _errors(html: str) -> list[str]:
    return re.findall(r'class="error[^"]*">([^<]+)<', html)


def test_officer_registers_finds_and_opens_a_case(signed_in):
    client = signed_in("hrb.o", "230100-market_regulation", "officer")
    response = client.post("/cases/new", data=_form(client))
    assert response.status_code == 302, _errors(response.get_data(as_text=True))
    page = client.get(response.location).get_data(as_text=True)
    assert "网店销售假冒商标商品" in page
    assert f"230100-SJ-{date.today().year}-00001" in page
    assert "已登记" in page and "案件登记" in page  # state and timeline, in Chinese
    assert "¥1,000.50" in page

    listing = client.get("/cases/?state=received&ip_type=trademark").get_data(as_text=True)
    assert "网店销售假冒商标商品" in listing
    assert "网店销售假冒商标商品" not in client.get("/cases/?ip_type=copyright").get_data(as_text=True)
    future = (date.today() + timedelta(days=1)).isoformat()
    assert "网店销售假冒商标商品" not in client.get(f"/cases/?received_from={future}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"complainant-uscc": "91350100M000100Y44"}, "校验"),
        ({"title": ""}, ""),
        ({"received_on": (date.today() + timedelta(days=5)).isoformat()}, "未来"),
        ({"amount_involved": "-3"}, ""),
        ({"region": "230200"}, ""),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_is_saved(signed_in, overrides, expected):
    client = signed_in("hrb.o", "230100-market_regulation", "officer")
    response = client.post("/cases/new", data=_form(client, **overrides))
    assert response.status_code == 200
    errors = _errors(response.get_data(as_text=True))
    assert errors and any(expected in e for e in errors), errors
    assert db.session.query(Case).count() == 0


def test_bad_filters_show_an_error_not_a_500(signed_in):
    client = signed_in("hrb.o", "230100-market_regulation", "officer")
    assert client.get("/cases/?received_from=not-a-date").status_code == 200
    page = client.get("/cases/?received_from=2026-05-01&received_to=2026-01-01").get_data(as_text=True)
    assert "开始日期晚于结束日期" in page


def _register(client_headers_pair, **overrides) -> int:
    client, headers = client_headers_pair
    response = client.post("/api/v1/cases", json=case_payload(**overrides), headers=headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.fixture
def harbin(app, client, make_user, api_token):
    return client, api_token(make_user("hrb.reg", "230100-market_regulation", "officer"))


def _status_for(app, username: str, url: str) -> int:
    viewer = app.test_client()
    login(viewer, username)
    return viewer.get(url).status_code


def test_scope_officer_sees_own_agency_other_agencies_get_404(app, harbin, make_user):
    case_id = _register(harbin)
    make_user("hrb.copyright", "230100-copyright", "officer")
    make_user("qqhr.o", "230200-market_regulation", "officer")
    make_user("hrb.colleague", "230100-market_regulation", "officer")
    for username, status in [("hrb.copyright", 404), ("qqhr.o", 404), ("hrb.colleague", 200)]:
        assert _status_for(app, username, f"/cases/{case_id}") == status, username


def test_scope_supervisors_see_their_region_and_below(app, harbin, make_user):
    case_id = _register(harbin)
    make_user("prov.sup", "230000-coordination_office", "supervisor")
    make_user("hrb.sup", "230100-market_regulation", "supervisor")
    make_user("qqhr.sup", "230200-market_regulation", "supervisor")
    make_user("admin", "230000-coordination_office", "admin")
    for username, status in [("prov.sup", 200), ("hrb.sup", 200), ("qqhr.sup", 404)]:
        assert _status_for(app, username, f"/cases/{case_id}") == status, username
    # Administrators do not read case content.
    assert _status_for(app, "admin", f"/cases/{case_id}") == 403


def test_out_of_range_ids_are_404_not_500(signed_in):
    client = signed_in("hrb.o", "230100-market_regulation", "officer")
    huge = "9" * 20
    assert client.get(f"/cases/{huge}").status_code == 404
    assert client.get(f"/cases/?after={huge}").status_code == 200


def test_confidential_cases_assigned_officer_heads_and_supervisors_only_and_reads_are_logged(
        app, harbin, make_user):
    case_id = _register(harbin, ip_type="trade_secret", title="配方泄露案")
    make_user("hrb.colleague", "230100-market_regulation", "officer")
    make_user("hrb.head", "230100-market_regulation", "agency_head")
    make_user("hrb.mediator", "230100-market_regulation", "mediator")
    make_user("prov.sup", "230000-coordination_office", "supervisor")
    expectations = [("hrb.reg", 200), ("hrb.colleague", 404), ("hrb.mediator", 404), ("hrb.head", 200),
                    ("prov.sup", 200)]
    for username, status in expectations:
        viewer = app.test_client()
        login(viewer, username)
        assert viewer.get(f"/cases/{case_id}").status_code == status, username
        listed = "配方泄露案" in viewer.get("/cases/").get_data(as_text=True)
        assert listed is (status == 200), username

    reads = db.session.scalars(db.select(AuditEntry.actor_name)
                               .where(AuditEntry.action == "case.read_confidential")).all()
    assert sorted(reads) == ["hrb.head", "hrb.reg", "prov.sup"]


def test_a_failed_write_leaves_nothing_behind(app, harbin, monkeypatch):
    """Registration writes case, parties, history, counter and audit together or not at all."""
    import casesys.workflows.registration as services

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services.audit, "record", broken_audit)
    client, headers = harbin
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post("/api/v1/cases", json=case_payload(), headers=headers)
    assert response.status_code == 500
    assert db.session.query(Case).count() == 0
    monkeypatch.undo()
    # The number was not consumed either: the next case is still 00001.
    assert _register(harbin) and db.session.scalar(db.select(Case.number_seq)) == 1


def test_list_filters_by_workflow_and_shows_the_next_deadline(client, actor):
    officer = actor("mr.list", "230100-market_regulation", "officer")
    police = actor("police.list", "230100-public_security", "officer")
    admin_case = officer.register(title="行政案件甲")
    police.register(workflow="criminal_transfer", state="filed", source="own_investigation", title="刑事案件乙")
    actor("sup.list", "230000-coordination_office", "supervisor")
    login(client, "sup.list")
    page = client.get("/cases/?workflow=criminal_transfer").get_data(as_text=True)
    assert "刑事案件乙" in page and "行政案件甲" not in page
    page = client.get("/cases/?workflow=admin_enforcement").get_data(as_text=True)
    due = {c["key"]: c for c in officer.get(admin_case["id"])["clocks"]}["filing_decision"]["due_on"]
    assert "行政案件甲" in page and due in page
    assert client.get("/cases/?workflow=nonsense").status_code == 200
