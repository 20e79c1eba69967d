"""End to end through the API and the registration form: customs border measures under the Customs IP
Protection Regulations (workflows/customs_protection.yaml)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from casesys.cases.models import Case
from casesys.extensions import db
from tests.conftest import csrf_token
from tests.factories import clocks

CUSTOMS = "230100-customs"
MONDAY = date(2026, 11, 2)  # no holiday in November or December 2026


@pytest.fixture
def hg(actor):
    class Cast:
        officer = actor("hg.officer", CUSTOMS, "officer")
        head = actor("hg.head", CUSTOMS, "agency_head")

    return Cast


def _register(officer, **overrides):
    payload = {"workflow": "customs_protection", "title": "出口侵犯注册商标专用权嫌疑货物案", "source": "customs",
               "received_on": MONDAY.isoformat(), **overrides}
    return officer.register(**payload)


def test_the_workflow_is_listed_with_its_legal_bases(actor, client):
    officer = actor("hg.reader", CUSTOMS, "officer")
    listed = {wf["key"]: wf for wf in client.get("/api/v1/workflows", headers=officer.headers).json["workflows"]}
    customs = listed["customs_protection"]
    assert customs["agency_kinds"] == ["customs"] and customs["initial_state"] == "received"
    bases = {c["key"]: (c["duration"], c["unit"], c["legal_basis"]["zh"]) for c in customs["clocks"]}
    assert bases["holder_application"][:2] == (3, "working_days") and "第十六条" in bases["holder_application"][2]
    assert bases["customs_investigation"][:2] == (30, "working_days")
    assert "第二十条" in bases["customs_investigation"][2]
    assert bases["court_order_on_application"][:2] == (20, "working_days")
    assert bases["court_order_ex_officio"][:2] == (50, "working_days")
    assert all("第二十四条" in bases[k][2] for k in ("court_order_on_application", "court_order_ex_officio"))


def test_the_registration_form_offers_it_to_customs_only(actor, web):
    actor("hg.form", CUSTOMS, "officer")
    actor("mr.form", "230100-market_regulation", "officer")
    client = web("hg.form")
    page = client.get("/cases/new").get_data(as_text=True)
    assert re.search(r'<option[^>]*value="customs_protection"', page)
    assert 'value="customs_protection"' not in web("mr.form").get("/cases/new").get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, "/cases/new"), "workflow": "customs_protection",
            "title": "进口侵权嫌疑货物案", "ip_type": "trademark", "source": "customs", "region": "230100",
            "received_on": MONDAY.isoformat(), "complainant-kind": "organisation",
            "respondent-kind": "organisation", "respondent-party_name": "某进出口有限公司"}
    response = client.post("/cases/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    registered = db.session.query(Case).one()
    assert registered.workflow == "customs_protection" and registered.state == "received"


def test_another_kind_of_agency_cannot_open_a_customs_case(actor, client):
    officer = actor("mr.customs", "230100-market_regulation", "officer")
    from tests.factories import case_payload

    response = client.post("/api/v1/cases", json=case_payload(workflow="customs_protection"), headers=officer.headers)
    assert response.status_code == 422 and "customs_protection" in str(response.json)


def test_ex_officio_detention_investigation_and_confiscation(hg):
    case = _register(hg.officer)
    assert hg.officer.get(case["id"])["clocks"] == []
    assert hg.officer.allowed(case["id"]) >= {"notify_holder", "register_application"}

    notified = hg.officer.fire(case["id"], "notify_holder", {"recordal_number": "T2019-12345",
                                                             "goods": "运动鞋 2000 双，哈尔滨机场口岸"},
                               effective_on=MONDAY)
    holder = clocks(notified)["holder_application"]
    assert notified["state"] == "holder_notified" and holder["due_on"] == "2026-11-05"  # 3 working days
    assert "第十六条" in holder["legal_basis"]["zh"]

    hg.officer.fire(case["id"], "holder_applies", {}, effective_on=date(2026, 11, 4), expect=422)  # bond required
    detained = hg.officer.fire(case["id"], "holder_applies", {"bond": "100000"}, effective_on=date(2026, 11, 4))
    running = clocks(detained)
    assert detained["state"] == "detained_ex_officio" and running["holder_application"]["status"] == "met"
    assert running["customs_investigation"]["due_on"] == "2026-12-16"  # 30 working days from detention
    assert running["court_order_ex_officio"]["status"] == "running"
    assert "court_order_on_application" not in running

    # Only the head determines infringement; the application-mode steps are not on offer.
    assert "find_infringing" not in hg.officer.allowed(case["id"])
    assert "detain_on_application" not in hg.head.allowed(case["id"])
    found = hg.head.fire(case["id"], "find_infringing",
                         {"findings": "经权利人辨认为侵权商品", "amount_involved": "360000"},
                         effective_on=date(2026, 11, 20))
    assert found["state"] == "found_infringing"
    assert {k: c["status"] for k, c in clocks(found).items()}["customs_investigation"] == "met"
    closed = hg.head.fire(case["id"], "confiscate", {"disposal": "destroyed", "fine": "50000"},
                          effective_on=date(2026, 11, 25))
    assert closed["state"] == "closed" and closed["outcome"] == "confiscated"
    assert closed["amount_involved"] == "360000.00"


def test_the_holder_does_not_apply_in_time(hg):
    case = _register(hg.officer)
    hg.officer.fire(case["id"], "notify_holder", {"recordal_number": "T1", "goods": "手表"}, effective_on=MONDAY)
    ended = hg.officer.fire(case["id"], "holder_did_not_apply", {"note": "逾期未提供担保"},
                            effective_on=date(2026, 11, 6))
    assert ended["state"] == "not_detained" and ended["outcome"] == "not_detained"
    assert clocks(ended)["holder_application"]["status"] in {"met", "late"}


def test_detention_on_application_then_release_without_a_court_order(hg):
    case = _register(hg.officer, source="complaint")
    review = hg.officer.fire(case["id"], "register_application", {"goods": "进口手机壳"}, effective_on=MONDAY)
    assert review["state"] == "application_review" and clocks(review) == {}
    hg.officer.fire(case["id"], "detain_on_application", {"bond": "50000"}, effective_on=MONDAY, expect=403)
    detained = hg.head.fire(case["id"], "detain_on_application", {"bond": "50000"}, effective_on=MONDAY)
    court = clocks(detained)["court_order_on_application"]
    assert detained["state"] == "detained_on_application" and court["due_on"] == "2026-11-30"  # 20 working days
    assert "第二十四条" in court["legal_basis"]["zh"] and "customs_investigation" not in clocks(detained)
    assert "find_infringing" not in hg.head.allowed(case["id"])  # customs does not determine on application

    released = hg.head.fire(case["id"], "release_goods", {"ground": "no_court_order"}, effective_on=date(2026, 12, 1))
    assert released["state"] == "goods_released" and released["outcome"] == "released"
    assert clocks(released)["court_order_on_application"]["status"] == "late"


def test_a_court_order_is_assisted_and_closes_the_case(hg):
    case = _register(hg.officer, source="complaint")
    hg.officer.fire(case["id"], "register_application", {"goods": "进口服装"}, effective_on=MONDAY)
    hg.head.fire(case["id"], "detain_on_application", {"bond": "80000"}, effective_on=MONDAY)
    assisting = hg.officer.fire(case["id"], "court_order_received",
                                {"court": "哈尔滨市中级人民法院（2026）黑01民初1号", "measure": "preservation"},
                                effective_on=date(2026, 11, 20))
    assert assisting["state"] == "court_assisting"
    assert clocks(assisting)["court_order_on_application"]["status"] == "met"
    closed = hg.head.fire(case["id"], "close_after_court", {"note": "已协助执行财产保全"},
                          effective_on=date(2026, 11, 27))
    assert closed["state"] == "closed" and closed["outcome"] == "court_order"


def test_an_application_can_be_rejected(hg):
    case = _register(hg.officer, source="complaint")
    hg.officer.fire(case["id"], "register_application", {"goods": "进口玩具"}, effective_on=MONDAY)
    rejected = hg.head.fire(case["id"], "reject_application", {"reason": "未提供足以证明侵权事实明显存在的证据"},
                            effective_on=date(2026, 11, 3))
    assert rejected["state"] == "application_rejected" and rejected["outcome"] == "application_rejected"
