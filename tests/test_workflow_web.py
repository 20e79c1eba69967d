"""The workflow in the browser pages: actions, transition forms, clocks, history, handoff, inbox."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from casesys.cases.models import Case
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.workflows.models import Handoff
from tests.conftest import csrf_token

MR = "230100-market_regulation"


@pytest.fixture
def case(actor):
    """A received administrative case of Harbin market regulation, registered by mr.officer."""
    officer = actor("mr.officer", MR, "officer")
    received = (today_in_china() - timedelta(days=5)).isoformat()
    return officer.register(ip_type="copyright", received_on=received)


def _actions(page: str) -> set[str]:
    return set(re.findall(r'id="action-([a-z_]+)"', page))


def _field_errors(page: str, name: str) -> list[str]:
    """Error messages inside the field block that holds the input named ``name``."""
    block = re.search(rf'<div class="field has-error">(?:(?!</div>).)*?name="{name}".*?</div>', page, re.S)
    return re.findall(r'class="error">([^<]+)<', block.group(0)) if block else []


def _post(client, case_id, name, data=None, *, version=None):
    token = csrf_token(client, "/cases/")
    body = {"csrf_token": token, "expected_version": version or _version(case_id),
            "effective_on": today_in_china().isoformat(), **(data or {})}
    return client.post(f"/cases/{case_id}/transitions/{name}", data=body)


def _version(case_id) -> int:
    db.session.rollback()
    return db.session.get(Case, case_id).version


def _case(case_id) -> Case:
    db.session.rollback()
    return db.session.get(Case, case_id)


def test_case_page_offers_only_the_allowed_actions(case, actor, web):
    actor("mr.head", MR, "agency_head")
    actor("hrb.supervisor", "230000-coordination_office", "supervisor")
    officer_page = web("mr.officer").get(f"/cases/{case['id']}").get_data(as_text=True)
    assert _actions(officer_page) == {"start_verification", "hand_off"}
    assert _actions(web("mr.head").get(f"/cases/{case['id']}").get_data(as_text=True)) == {
        "start_verification", "decide_not_to_file", "hand_off"}
    assert _actions(web("hrb.supervisor").get(f"/cases/{case['id']}").get_data(as_text=True)) == set()
    assert f'href="/cases/{case["id"]}/transitions/start_verification"' in officer_page


def test_a_transition_form_moves_the_state_and_redirects(case, web):
    client = web("mr.officer")
    form = client.get(f"/cases/{case['id']}/transitions/start_verification").get_data(as_text=True)
    for name in ("is_complaint", "note", "effective_on", "expected_version"):
        assert f'name="{name}"' in form, name
    assert f'value="{today_in_china().isoformat()}"' in form  # effective_on defaults to today

    response = _post(client, case["id"], "start_verification", {"is_complaint": "y", "note": "现场核查"})
    assert response.status_code == 302 and response.location == f"/cases/{case['id']}"
    assert _case(case["id"]).state == "verifying"
    page = client.get(response.location).get_data(as_text=True)
    assert "核查中" in page  # the state, from the workflow definition
    assert "开始核查" in page and "现场核查" in page  # the history: step label and recorded note
    assert {"complaint_acceptance", "filing_decision"} <= {c.key for c in _case(case["id"]).clocks}


def test_a_missing_required_field_is_shown_beside_it_and_changes_nothing(case, web):
    client = web("mr.officer")
    response = _post(client, case["id"], "hand_off", {"receiving_agency": "230100-copyright", "materials": "材料"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _field_errors(page, "reason"), page
    assert "材料" in page  # what was typed is kept
    assert _case(case["id"]).version == 1 and db.session.query(Handoff).count() == 0


def test_an_engine_refusal_is_shown_beside_its_field_with_422(case, web):
    client = web("mr.officer")
    too_early = (today_in_china() - timedelta(days=30)).isoformat()
    response = _post(client, case["id"], "start_verification", {"effective_on": too_early})
    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), "effective_on")
    assert _case(case["id"]).state == "received"


def test_a_stale_version_gives_a_409_page_asking_to_reload(case, actor, web):
    client = web("mr.officer")
    actor("mr.head", MR, "agency_head").fire(case["id"], "start_verification")  # someone else moved it
    moved_to = _version(case["id"])
    response = _post(client, case["id"], "pause_for_testing", {"reason": "送检"}, version=1)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'id="conflict"' in page and f'href="/cases/{case["id"]}"' in page
    assert "送检" in page  # what was typed is shown, to copy
    # The same when the step is no longer on offer at all.
    response = _post(client, case["id"], "start_verification", version=1)
    assert response.status_code == 409 and 'id="conflict"' in response.get_data(as_text=True)
    assert _case(case["id"]).version == moved_to


def test_a_post_without_csrf_token_is_refused(case, web):
    client = web("mr.officer")
    response = client.post(f"/cases/{case['id']}/transitions/start_verification",
                           data={"expected_version": 1, "effective_on": today_in_china().isoformat()})
    assert response.status_code == 400
    assert _case(case["id"]).state == "received"


def test_another_agencys_user_sees_neither_the_case_nor_its_forms(case, actor, web):
    actor("qqhr.officer", "230200-market_regulation", "officer")
    client = web("qqhr.officer")
    assert client.get(f"/cases/{case['id']}").status_code == 404
    assert client.get(f"/cases/{case['id']}/transitions/start_verification").status_code == 404
    token = csrf_token(client, "/cases/")
    response = client.post(f"/cases/{case['id']}/transitions/start_verification",
                           data={"csrf_token": token, "expected_version": 1})
    assert response.status_code == 404 and _case(case["id"]).state == "received"


def test_an_action_not_on_offer_leads_back_to_the_case(case, web):
    response = web("mr.officer").get(f"/cases/{case['id']}/transitions/file_case")
    assert response.status_code == 302 and response.location == f"/cases/{case['id']}"


def test_the_handoff_form_offers_the_agencies_that_run_the_workflow(case, web):
    page = web("mr.officer").get(f"/cases/{case['id']}/transitions/hand_off").get_data(as_text=True)
    options = set(re.findall(r'<option value="([^"]*)"', page))
    assert {"230100-copyright", "230200-market_regulation", "230000-ip_office"} <= options
    assert MR not in options and "230100-court" not in options and "230100-public_security" not in options


def test_handoff_through_the_inbox_and_acceptance_from_the_case_page(case, actor, web):
    actor("cr.officer", "230100-copyright", "officer")
    actor("qqhr.cr", "230200-copyright", "officer")
    sender = web("mr.officer")
    response = _post(sender, case["id"], "hand_off", {"receiving_agency": "230100-copyright",
                                                      "reason": "属著作权侵权", "materials": "投诉材料一套"})
    assert response.status_code == 302
    page = sender.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert 'id="pending-handoff"' in page and _actions(page) == set()

    receiver = web("cr.officer")
    inbox = receiver.get("/inbox").get_data(as_text=True)
    handoffs = re.search(r'id="inbox-handoffs".*?</table>', inbox, re.S).group(0)
    assert case["number"] in handoffs and "属著作权侵权" in handoffs
    assert re.search(r'id="nav-inbox">[^<]*<span class="count"[^>]*>1</span>', inbox)
    for other in (web("qqhr.cr"), sender):
        assert 'id="inbox-handoffs"' not in other.get("/inbox").get_data(as_text=True)

    page = receiver.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert _actions(page) == {"accept_handoff", "return_handoff"}
    response = _post(receiver, case["id"], "accept_handoff", {"note": "已接收，内部意见"})
    assert response.status_code == 302 and response.location == f"/cases/{case['id']}"
    moved = _case(case["id"])
    assert moved.agency.code == "230100-copyright" and moved.number.startswith("230100-BQ-")
    page = receiver.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert moved.number in page and case["number"] in re.search(r'id="former-numbers">[^<]*', page).group(0)
    assert "已接收，内部意见" in page

    # The sender keeps the status, not the receiver's notes.
    page = sender.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert moved.number in page and "已接收，内部意见" not in page and _actions(page) == set()


def test_a_returned_handoff_leaves_the_receiver_at_the_inbox(case, actor, web):
    actor("cr.officer", "230100-copyright", "officer")
    _post(web("mr.officer"), case["id"], "hand_off", {"receiving_agency": "230100-copyright",
                                                       "reason": "r", "materials": "m"})
    receiver = web("cr.officer")
    response = _post(receiver, case["id"], "return_handoff", {"reason": "不属本局管辖"})
    assert response.status_code == 302 and response.location == "/inbox"
    assert _case(case["id"]).agency.code == MR


def test_the_inbox_lists_waiting_and_assigned_cases_and_says_when_empty(case, actor, web):
    page = web("mr.officer").get("/inbox").get_data(as_text=True)
    for section in ("inbox-waiting", "inbox-assigned"):
        table = re.search(rf'id="{section}".*?</table>', page, re.S).group(0)
        assert case["number"] in table and "已登记" in table
    actor("mr.other", MR, "officer")
    page = web("mr.other").get("/inbox").get_data(as_text=True)
    assert 'id="inbox-assigned"' not in page and 'id="inbox-handoffs"' not in page


def test_the_case_page_draws_the_workflow_with_the_current_state_highlighted(case, web):
    page = web("mr.officer").get(f"/cases/{case['id']}").get_data(as_text=True)
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    root = ET.fromstring(svg)  # well-formed
    ns = {"s": "http://www.w3.org/2000/svg"}
    current = [g.get("data-state") for g in root.iterfind(".//s:g", ns) if "wf-current" in g.get("class", "")]
    assert current == ["received"]
    finals = {g.get("data-state") for g in root.iterfind(".//s:g", ns) if "wf-final" in g.get("class", "")}
    assert finals == {"not_filed", "closed"}
    assert root.find(".//s:marker", ns) is not None and "已登记" in svg
    assert " style=" not in svg


def test_the_clocks_table_shows_legal_basis_and_due_date(case, web):
    page = web("mr.officer").get(f"/cases/{case['id']}").get_data(as_text=True)
    table = re.search(r'id="clocks".*?</table>', page, re.S).group(0)
    clock = next(c for c in _case(case["id"]).clocks if c.key == "filing_decision")
    assert "《市场监督管理行政处罚程序规定》第十八条" in table
    assert clock.due_on.isoformat() in table


def test_overdue_and_unconfirmed_clocks_are_marked(case, web):
    clock = next(c for c in _case(case["id"]).clocks if c.key == "filing_decision")
    clock.due_on = clock.strict_due_on = today_in_china() - timedelta(days=1)
    clock.calendar_unconfirmed = True
    db.session.commit()
    page = web("mr.officer").get(f"/cases/{case['id']}").get_data(as_text=True)
    assert 'class="clock-overdue"' in page and 'class="clock-status overdue"' in page
    assert 'class="tag unconfirmed"' in page


def test_registration_offers_the_users_workflows(actor, web):
    actor("police.officer", "230100-public_security", "officer")
    client = web("police.officer")
    page = client.get("/cases/new").get_data(as_text=True)
    assert re.search(r'<option selected value="criminal_transfer">', page), page
    assert 'value="admin_enforcement"' not in page
    data = {"csrf_token": csrf_token(client, "/cases/new"), "workflow": "criminal_transfer", "title": "侵犯著作权罪案",
            "ip_type": "copyright", "source": "own_investigation", "region": "230100",
            "received_on": today_in_china().isoformat(), "complainant-kind": "organisation",
            "respondent-kind": "person", "respondent-party_name": "王某"}
    response = client.post("/cases/new", data=data)
    assert response.status_code == 302
    registered = db.session.query(Case).one()
    assert registered.workflow == "criminal_transfer" and registered.state == "filed"
    assert "已立案" in client.get(response.location).get_data(as_text=True)


def test_every_workflow_draws_as_well_formed_svg(app):
    from casesys.workflows import engine, svg

    for wf in engine.workflows().values():
        for locale in ("zh_Hans_CN", "en"):
            root = ET.fromstring(str(svg.render(wf, wf.initial_state, locale)))
            states = [g.get("data-state") for g in root.iter("{http://www.w3.org/2000/svg}g")]
            assert sorted(states) == sorted(wf.states), wf.key
