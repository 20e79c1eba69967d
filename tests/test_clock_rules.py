"""Where the law anchors a clock and how an extension lengthens it, through the API on the real
workflow files (issue 12, points 2 and 4)."""

from __future__ import annotations

from datetime import date

import pytest

from casesys.workflows.loader import WorkflowError, load_workflows
from tests.test_workflow_engine import _copy_with

COURT = "230100-court"


def _clocks(detail: dict) -> dict:
    return {c["key"]: c for c in detail["clocks"]}


def test_an_extended_month_period_counts_from_the_start(actor):
    """3 months from 31 March plus 1 month ends on 31 July (民法典 Arts 201–203), not 30 July."""
    judge, president = actor("rules.judge", COURT, "officer"), actor("rules.president", COURT, "agency_head")
    case = judge.register(workflow="civil_litigation", title="侵害商标权纠纷", ip_type="trademark", source="complaint",
                          received_on="2026-03-31")
    simple = _clocks(judge.fire(case["id"], "assign_procedure", {"procedure": "simple"},
                                effective_on=date(2026, 4, 1)))["trial_simple"]
    assert (simple["started_on"], simple["due_on"]) == ("2026-03-31", "2026-06-30")
    extended = _clocks(president.fire(case["id"], "extend_trial", {"reason": "院长批准"},
                                      effective_on=date(2026, 4, 2)))["trial_simple"]
    assert extended["due_on"] == "2026-07-31"


def test_a_complaint_is_counted_from_its_receipt_not_from_the_verification(actor):
    """自收到投诉之日起: the acceptance period runs from the day the complaint was received."""
    officer = actor("rules.officer", "230100-market_regulation", "officer")
    case = officer.register(received_on="2026-11-02")
    started = _clocks(officer.fire(case["id"], "start_verification", {"is_complaint": True},
                                   effective_on=date(2026, 11, 6)))["complaint_acceptance"]
    assert started["started_on"] == "2026-11-02"
    assert started["due_on"] == "2026-11-11"  # 7 working days after Monday 2 November


def test_a_clock_anchored_on_a_field_needs_that_date_on_the_step_that_starts_it(tmp_path):
    def anchor(value):
        return lambda d: d["clocks"]["case_decision"].update(anchor=value)

    broken = _copy_with(tmp_path, "admin_enforcement", anchor("field:served_on"))
    with pytest.raises(WorkflowError, match="anchored on 'served_on', but has no required date field"):
        load_workflows(broken)
    unknown = _copy_with(tmp_path / "x", "admin_enforcement", anchor("served"))
    with pytest.raises(WorkflowError, match="admin_enforcement.yaml"):
        load_workflows(unknown)


def _transfer_approved(actor, approved_on: date, approved_at: str | None):
    """A criminal transfer proposed on ``approved_on``, and the head's approval of it sent that day."""
    from datetime import timedelta

    officer = actor("hour.officer", "230100-market_regulation", "officer")
    head = actor("hour.head", "230100-market_regulation", "agency_head")
    case = officer.register(received_on=(approved_on - timedelta(days=5)).isoformat())
    officer.fire(case["id"], "start_verification", effective_on=approved_on - timedelta(days=4))
    head.fire(case["id"], "file_case", effective_on=approved_on - timedelta(days=3))
    officer.fire(case["id"], "start_investigation", effective_on=approved_on - timedelta(days=2))
    transfer = officer.fire(case["id"], "propose_criminal_transfer", {"reason": "涉嫌犯罪", "task_group": "甲、乙"},
                            effective_on=approved_on)
    transfer_id = [link for link in transfer["links"] if link["workflow"] == "criminal_transfer"][0]["id"]
    body = head.client.post(f"/api/v1/cases/{transfer_id}/transitions", headers=head.headers, json={
        "transition": "approve_transfer", "expected_version": head.get(transfer_id)["version"],
        "effective_on": approved_on.isoformat(), **({"effective_at": approved_at} if approved_at else {})})
    return officer, head, transfer_id, body


def test_the_24_hour_transfer_is_judged_to_the_hour(actor):
    """Decree 310 Art 5: transfer within 24 hours of approval — five hours late is late, not "met"."""
    from datetime import timedelta

    from casesys.core.types import today_in_china

    approved_on = today_in_china() - timedelta(days=3)
    # A step on an earlier day that starts an hour clock must say when it happened.
    officer, head, transfer_id, refused = _transfer_approved(actor, approved_on, None)
    assert refused.status_code == 422 and "effective_at" in refused.json["error"]["fields"]

    approved = head.client.post(f"/api/v1/cases/{transfer_id}/transitions", headers=head.headers, json={
        "transition": "approve_transfer", "expected_version": head.get(transfer_id)["version"],
        "effective_on": approved_on.isoformat(), "effective_at": f"{approved_on.isoformat()}T10:20:00+08:00"})
    assert approved.status_code == 200, approved.json
    clock = _clocks(approved.json)["transfer_within_24h"]
    next_day = approved_on + timedelta(days=1)
    assert clock["due_at"] == f"{next_day.isoformat()}T11:00:00+08:00"  # the next full hour, plus 24
    assert clock["status"] == "overdue"  # its due moment passed two days ago

    # Transferred the next day at 16:00, five hours late: late, though on its due date.
    late = officer.client.post(f"/api/v1/cases/{transfer_id}/transitions", headers=officer.headers, json={
        "transition": "transfer", "expected_version": officer.get(transfer_id)["version"],
        "effective_on": next_day.isoformat(), "effective_at": f"{next_day.isoformat()}T16:00:00",
        "fields": {"materials": "全部"}})
    assert late.status_code == 200, late.json
    stopped = _clocks(late.json)["transfer_within_24h"]
    assert (stopped["due_on"], stopped["status"]) == (next_day.isoformat(), "late")


def test_the_time_of_a_step_is_not_ahead_and_falls_on_its_date(actor):
    from datetime import timedelta

    from casesys.core.types import today_in_china

    today = today_in_china()
    _officer, head, transfer_id, _ = _transfer_approved(actor, today - timedelta(days=1), "12:00")
    for effective_on, effective_at in ((today, f"{(today + timedelta(days=1)).isoformat()}T09:00:00"),
                                       (today - timedelta(days=1), f"{today.isoformat()}T00:01:00")):
        body = head.client.post(f"/api/v1/cases/{transfer_id}/transitions", headers=head.headers, json={
            "transition": "approve_transfer", "expected_version": head.get(transfer_id)["version"],
            "effective_on": effective_on.isoformat(), "effective_at": effective_at})
        assert body.status_code == 422 and "effective_at" in body.json["error"]["fields"], body.json


def test_an_hour_clock_is_overdue_the_moment_its_time_passes(actor):
    """The reminder sweep tells the head when the 24 hours end, not on the next working day."""
    from datetime import datetime, timedelta

    from sqlalchemy import select

    from casesys.core.types import CHINA_TZ, today_in_china
    from casesys.extensions import db
    from casesys.reminders import sweep
    from casesys.reminders.models import Notification

    approved_on = today_in_china() - timedelta(days=3)
    _officer, head, transfer_id, _ = _transfer_approved(actor, approved_on, None)
    approved = head.client.post(f"/api/v1/cases/{transfer_id}/transitions", headers=head.headers, json={
        "transition": "approve_transfer", "expected_version": head.get(transfer_id)["version"],
        "effective_on": approved_on.isoformat(), "effective_at": f"{approved_on.isoformat()}T10:20:00"})
    clock = _clocks(approved.json)["transfer_within_24h"]
    due_day = approved_on + timedelta(days=1)

    def overdue_notices():
        return db.session.scalars(select(Notification.threshold).where(
            Notification.clock_id == clock["id"], Notification.threshold.in_(("overdue", "escalate_head")))).all()

    sweep.sweep(datetime.combine(due_day, datetime.min.time(), CHINA_TZ).replace(hour=10, minute=30))
    assert overdue_notices() == []  # 10:30 on the due day: half an hour left
    sweep.sweep(datetime.combine(due_day, datetime.min.time(), CHINA_TZ).replace(hour=11, minute=5))
    assert sorted(set(overdue_notices())) == ["escalate_head", "overdue"]
    sent = db.session.scalars(select(Notification.threshold).where(Notification.clock_id == clock["id"])).all()
    assert "before_1" not in sent and "due" in sent  # no days-before reminders for a period of hours
