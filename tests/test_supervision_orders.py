"""Supervision orders (督办): issued by a supervisor from the case page, shown to the owning
agency on the case page and in its inbox, reminded through the normal sweep, answered."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from casesys.agencies.models import Agency
from casesys.audit.models import AuditEntry
from casesys.auth.models import User
from casesys.cases.models import Case
from casesys.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from casesys.core.types import CHINA_TZ, today_in_china
from casesys.extensions import db
from casesys.reminders import orders
from casesys.reminders.models import Notification, SupervisionOrder
from casesys.scheduler import runner as scheduler
from casesys.workflows.models import CaseAccess, CaseClock
from tests.conftest import csrf_token

MR = "230100-market_regulation"
PROVINCE = "230000-coordination_office"
DUE = timedelta(days=10)


@pytest.fixture
def people(actor, make_user):
    """The owning agency (officer, who registers the case, and head), a province supervisor,
    a supervisor of another city and an officer of another city; all read English."""
    officer = actor("mr.officer", MR, "officer")
    made = {"officer": officer.user, "head": make_user("mr.head", MR, "agency_head"),
            "sup": make_user("prov.sup", PROVINCE, "supervisor"),
            "qqhr.sup": make_user("qqhr.sup", "230200-market_regulation", "supervisor"),
            "qqhr.officer": make_user("qqhr.officer", "230200-market_regulation", "officer")}
    for user in made.values():
        user.locale = "en"  # messages in English whatever the translations say
    db.session.commit()
    return {"api": officer, **{k: u.username for k, u in made.items()}}


@pytest.fixture
def case(people):
    received = (today_in_china() - timedelta(days=2)).isoformat()
    return people["api"].register(received_on=received)


def _user(username) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _orders(case_id) -> list[SupervisionOrder]:
    db.session.rollback()
    return list(db.session.scalars(select(SupervisionOrder).where(SupervisionOrder.case_id == case_id)
                                   .order_by(SupervisionOrder.id)))


def _field_errors(page: str, name: str) -> list[str]:
    """Error messages inside the field block that holds the input named ``name``."""
    block = re.search(rf'<div class="field has-error">(?:(?!</div>).)*?name="{name}".*?</div>', page, re.S)
    return re.findall(r'class="error">([^<]+)<', block.group(0)) if block else []


def _issue(client, case_id, due_on=None, instructions="请于期限内报告案件办理进展。", token=None):
    token = token or csrf_token(client, f"/cases/{case_id}")
    due_on = due_on if due_on is not None else today_in_china() + DUE
    return client.post(f"/cases/{case_id}/orders", data={
        "csrf_token": token, "due_on": str(due_on), "instructions": instructions})


def _answer(client, order_id, text="已按要求完成核查，报告附后。", case_id=None):
    token = csrf_token(client, f"/cases/{case_id}") if case_id else csrf_token(client, "/inbox")
    return client.post(f"/orders/{order_id}/answer", data={
        f"order-{order_id}-csrf_token": token, f"order-{order_id}-answer": text})


def _clock_notifications(clock_id) -> list[tuple[str, str]]:
    db.session.rollback()
    rows = db.session.scalars(select(Notification).where(Notification.clock_id == clock_id)
                              .order_by(Notification.id))
    found = [(n.user.username, n.threshold) for n in rows]
    db.session.rollback()
    return found


def tick(app, day) -> None:
    """``flask scheduler tick --now`` at noon China time on ``day``; the test's session holds no lock."""
    db.session.rollback()
    scheduler.tick(app, datetime.combine(day, time(12), CHINA_TZ))
    db.session.rollback()


def test_a_supervisor_issues_an_order_the_owning_agency_sees_it(case, people, web):
    sup = web("prov.sup")
    page = sup.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert 'id="order-form"' in page and 'name="due_on"' in page  # the form is offered to the supervisor
    response = _issue(sup, case["id"], instructions="督办：请10日内查处并报告。")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/cases/{case['id']}#supervision-orders")

    [order] = _orders(case["id"])
    due = today_in_china() + DUE
    assert (order.status, order.due_on, order.issued_on, order.issued_by.username) == (
        "open", due, today_in_china(), "prov.sup")

    # The case page shows it, to the supervisor and to the owning agency (who may answer it).
    shown = sup.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "督办：请10日内查处并报告。" in shown and f'id="order-{order.id}"' in shown
    assert due.isoformat() in shown
    assert f'id="answer-form-{order.id}"' not in shown  # a supervisor does not answer
    officer_page = web("mr.officer").get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "督办：请10日内查处并报告。" in officer_page and f'id="answer-form-{order.id}"' in officer_page
    assert 'id="order-form"' not in officer_page  # an officer does not issue

    # The owning agency's inbox lists it (officer and head); another agency's does not.
    for username in ("mr.officer", "mr.head"):
        inbox = web(username).get("/inbox").get_data(as_text=True)
        row = re.search(rf'<tr id="inbox-order-{order.id}".*?</tr>', inbox, re.S)
        assert row, f"{username}: no order in the inbox"
        assert f'href="/cases/{case["id"]}#supervision-orders"' in row.group(0)
        assert case["number"] in row.group(0) and due.isoformat() in row.group(0)
    assert f'id="inbox-order-{order.id}"' not in web("qqhr.officer").get("/inbox").get_data(as_text=True)

    # One 'order' notification, to the assigned officer only.
    db.session.rollback()
    notes = list(db.session.scalars(select(Notification).where(Notification.order_id == order.id)))
    assert [(n.user.username, n.threshold, n.clock_id, n.due_on) for n in notes] == [
        ("mr.officer", "order", None, due)]

    # A running supervision_order clock on the case, due on the order's date, linked to it.
    clocks = [c for c in people["api"].get(case["id"])["clocks"] if c["key"] == "supervision_order"]
    assert [(c["id"], c["status"], c["due_on"], c["started_on"]) for c in clocks] == [
        (order.clock_id, "running", due.isoformat(), today_in_china().isoformat())]
    clock = db.session.get(CaseClock, order.clock_id)
    assert (clock.unit, clock.duration, clock.strict_due_on) == ("natural_days", DUE.days, due)
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "order.issue", AuditEntry.object_id == str(order.id))) == 1


def test_the_sweep_reminds_the_assigned_officer_once_until_answered(app, case, people, web):
    assert _issue(web("prov.sup"), case["id"]).status_code == 302
    [order] = _orders(case["id"])
    due = order.due_on

    tick(app, due)
    first = _clock_notifications(order.clock_id)
    assert ("mr.officer", "due") in first
    assert {user for user, _threshold in first} == {"mr.officer"}  # the assigned officer, nobody else
    assert len(first) == len(set(first))  # each threshold once
    tick(app, due)
    assert _clock_notifications(order.clock_id) == first  # a second run adds nothing

    response = _answer(web("mr.officer"), order.id, "已立案查处，详见报告。", case_id=case["id"])
    assert response.status_code == 302, response.get_data(as_text=True)
    [order] = _orders(case["id"])
    assert (order.status, order.answer, order.answered_by.username, order.answered_on) == (
        "answered", "已立案查处，详见报告。", "mr.officer", today_in_china())
    [clock] = [c for c in people["api"].get(case["id"])["clocks"] if c["key"] == "supervision_order"]
    assert clock["status"] == "met"

    # Well past the due date, an answered order reminds and escalates to nobody.
    tick(app, due + timedelta(days=15))
    assert _clock_notifications(order.clock_id) == first
    page = web("mr.officer").get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "已立案查处，详见报告。" in page and f'id="answer-form-{order.id}"' not in page
    assert f'id="inbox-order-{order.id}"' not in web("mr.officer").get("/inbox").get_data(as_text=True)


def test_an_unanswered_order_is_reminded_when_overdue(app, case, web):
    """The counterpart of the test above: without an answer the sweep goes on (and escalates)."""
    assert _issue(web("prov.sup"), case["id"]).status_code == 302
    [order] = _orders(case["id"])
    tick(app, order.due_on + timedelta(days=15))
    sent = _clock_notifications(order.clock_id)
    assert {("mr.officer", "overdue"), ("mr.head", "escalate_head"), ("prov.sup", "escalate_supervisors")} <= set(sent)


def test_without_an_assigned_officer_the_agency_is_notified(case, people, web):
    db.session.get(Case, case["id"]).assigned_officer_id = None
    db.session.commit()
    assert _issue(web("prov.sup"), case["id"]).status_code == 302
    [order] = _orders(case["id"])
    notes = db.session.scalars(select(Notification).where(Notification.order_id == order.id))
    assert sorted(n.user.username for n in notes) == ["mr.head", "mr.officer"]


def test_an_officer_cannot_issue(case, people, web):
    officer = web("mr.officer")
    assert _issue(officer, case["id"]).status_code == 403
    assert _orders(case["id"]) == []
    with pytest.raises(Forbidden):
        orders.issue_order(_user("mr.officer"), case["id"], today_in_china() + DUE, "x")


def test_a_supervisor_of_another_city_cannot_see_the_case(case, people, web):
    other = web("qqhr.sup")
    assert other.get(f"/cases/{case['id']}").status_code == 404
    token = csrf_token(other, "/cases/")
    assert _issue(other, case["id"], token=token).status_code == 404
    assert _orders(case["id"]) == []
    with pytest.raises(NotFound):
        orders.issue_order(_user("qqhr.sup"), case["id"], today_in_china() + DUE, "x")


@pytest.mark.parametrize(("due_offset", "instructions", "field", "message"), [
    (-1, "报告进展", "due_on", "The due date must be after today"),
    (0, "报告进展", "due_on", "The due date must be after today"),
    (367, "报告进展", "due_on", "The due date must be within a year"),
    (10, "   ", "instructions", "This field is required."),
    (10, "长" * 2001, "instructions", "2000"),
])
def test_a_bad_order_is_refused_beside_the_field(case, people, web, due_offset, instructions, field, message):
    sup = web("prov.sup")
    response = _issue(sup, case["id"], due_on=today_in_china() + timedelta(days=due_offset),
                      instructions=instructions)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert any(message in e for e in _field_errors(page, field)), page
    assert f'id="case-number">{case["number"]}<' in page  # the case page again, with the form
    assert _orders(case["id"]) == []
    assert db.session.scalar(select(func.count(CaseClock.id)).where(CaseClock.key == "supervision_order")) == 0


def test_a_year_ahead_is_the_latest_due_date(case, people, web):
    latest = orders.latest_due(today_in_china())
    assert _issue(web("prov.sup"), case["id"], due_on=latest).status_code == 302
    [order] = _orders(case["id"])
    assert db.session.get(CaseClock, order.clock_id).due_on == latest  # natural days, no roll-forward


def test_a_form_without_csrf_is_refused(case, people, web):
    sup = web("prov.sup")
    response = sup.post(f"/cases/{case['id']}/orders", data={
        "due_on": str(today_in_china() + DUE), "instructions": "报告进展"})
    assert response.status_code == 400
    assert _orders(case["id"]) == []


def test_a_supervisor_cannot_answer(case, people, web):
    sup = web("prov.sup")
    assert _issue(sup, case["id"]).status_code == 302
    [order] = _orders(case["id"])
    assert _answer(sup, order.id, case_id=case["id"]).status_code == 403
    [order] = _orders(case["id"])
    assert order.status == "open" and order.answer is None
    assert db.session.get(CaseClock, order.clock_id).status == "running"
    with pytest.raises(Forbidden):
        orders.answer_order(_user("prov.sup"), order.id, "x")
    # Nor may another city's officer, who cannot see the case at all.
    assert _answer(web("qqhr.officer"), order.id).status_code == 404


def test_an_answer_is_required_and_given_once(case, people, web):
    assert _issue(web("prov.sup"), case["id"]).status_code == 302
    [order] = _orders(case["id"])
    head = web("mr.head")
    response = _answer(head, order.id, "  ", case_id=case["id"])
    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True), f"order-{order.id}-answer")
    assert _orders(case["id"])[0].status == "open"
    assert _answer(head, order.id, "已处理", case_id=case["id"]).status_code == 302
    response = _answer(head, order.id, "再次答复", case_id=case["id"])
    assert response.status_code == 409
    [order] = _orders(case["id"])
    assert (order.answer, order.answered_by.username) == ("已处理", "mr.head")


def test_several_open_orders_keep_their_own_clocks(case, people, web):
    sup = web("prov.sup")
    assert _issue(sup, case["id"], due_on=today_in_china() + timedelta(days=5)).status_code == 302
    assert _issue(sup, case["id"], due_on=today_in_china() + timedelta(days=20)).status_code == 302
    first, second = _orders(case["id"])
    assert (db.session.get(CaseClock, first.clock_id).status,
            db.session.get(CaseClock, second.clock_id).status) == ("running", "running")
    assert _answer(web("mr.officer"), second.id, case_id=case["id"]).status_code == 302
    db.session.rollback()
    assert (db.session.get(CaseClock, first.clock_id).status,
            db.session.get(CaseClock, second.clock_id).status) == ("running", "stopped")


def test_no_order_on_a_closed_case(case, people, web):
    db.session.get(Case, case["id"]).closed_on = today_in_china()
    db.session.commit()
    sup = web("prov.sup")
    assert 'id="order-form"' not in sup.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert _issue(sup, case["id"]).status_code == 409
    assert _orders(case["id"]) == []
    with pytest.raises(Conflict):
        orders.issue_order(_user("prov.sup"), case["id"], today_in_china() + DUE, "x")


def test_the_service_checks_dates_itself(case, people):
    sup = _user("prov.sup")
    with pytest.raises(InvalidInput) as refused:
        orders.issue_order(sup, case["id"], today_in_china(), "报告进展")
    assert set(refused.value.fields) == {"due_on"}
    with pytest.raises(InvalidInput) as refused:
        orders.issue_order(sup, case["id"], None, "报告进展")
    assert set(refused.value.fields) == {"due_on"}


def test_an_overdue_order_is_highlighted(case, people, web):
    assert _issue(web("prov.sup"), case["id"]).status_code == 302
    [order] = _orders(case["id"])
    officer = web("mr.officer")
    assert "clock-overdue" not in re.search(rf'<tr id="order-{order.id}"[^>]*>', officer.get(
        f"/cases/{case['id']}").get_data(as_text=True)).group(0)
    order.due_on = today_in_china() - timedelta(days=1)  # as if issued earlier and not answered
    db.session.commit()
    page = officer.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "clock-overdue" in re.search(rf'<tr id="order-{order.id}"[^>]*>', page).group(0)
    assert re.search(rf'<tr id="order-{order.id}".*?order-overdue.*?</tr>', page, re.S)
    inbox = officer.get("/inbox").get_data(as_text=True)
    assert 'class="clock-overdue"' in re.search(rf'<tr id="inbox-order-{order.id}"[^>]*>', inbox).group(0)


def test_another_agency_that_reads_the_case_neither_lists_nor_answers_its_orders(case, people, make_user, web):
    ip_office = db.session.scalar(select(Agency).where(Agency.code == "230100-ip_office"))
    db.session.add(CaseAccess(case_id=case["id"], agency_id=ip_office.id, level="full", reason="handoff"))
    make_user("ipo.officer", "230100-ip_office", "officer")
    assert _issue(web("prov.sup"), case["id"]).status_code == 302
    [order] = _orders(case["id"])
    reader = web("ipo.officer")
    page = reader.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert f'id="order-{order.id}"' in page and f'id="answer-form-{order.id}"' not in page
    inbox = reader.get("/inbox").get_data(as_text=True)
    assert 'id="inbox-orders"' not in inbox and f'id="inbox-order-{order.id}"' not in inbox
    assert _answer(reader, order.id, case_id=case["id"]).status_code == 403
    assert _orders(case["id"])[0].status == "open"


def test_an_agency_that_follows_only_the_status_does_not_read_the_instructions(case, people, make_user, web):
    ip_office = db.session.scalar(select(Agency).where(Agency.code == "230100-ip_office"))
    db.session.add(CaseAccess(case_id=case["id"], agency_id=ip_office.id, level="status", reason="former_owner"))
    make_user("ipo.officer", "230100-ip_office", "officer")
    assert _issue(web("prov.sup"), case["id"], instructions="督办：内部要求").status_code == 302
    [order] = _orders(case["id"])
    page = web("ipo.officer").get(f"/cases/{case['id']}").get_data(as_text=True)
    assert f'id="order-{order.id}"' in page and "督办：内部要求" not in page
    assert "督办：内部要求" in web("mr.officer").get(f"/cases/{case['id']}").get_data(as_text=True)
