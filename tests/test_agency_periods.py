"""End to end through the API: each agency kind runs its own periods in admin_enforcement (issue 12
point 6), and the handoff receipt period is configuration, not law (point 12)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from casesys import create_app
from casesys.config import ConfigError, from_environment
from casesys.workflows.loader import HANDOFF_CLOCK, WorkflowError, load_workflows
from tests.conftest import config_for
from tests.factories import clocks

MONDAY = date(2026, 11, 2)  # no holiday in November 2026
SAMR_ONLY = {"complaint_acceptance", "filing_decision", "case_decision"}


def _cast(actor, code: str):
    short = code.split("-")[1]
    return actor(f"{short}.officer", code, "officer"), actor(f"{short}.head", code, "agency_head")


def _register(officer, **overrides):
    return officer.register(received_on=MONDAY.isoformat(), **overrides)


def test_agriculture_runs_its_own_filing_period_and_no_samr_clock(actor):
    officer, head = _cast(actor, "230100-agriculture")
    case = _register(officer, ip_type="plant_variety", title="销售假冒玉米种子案")
    filing = clocks(officer.get(case["id"]))["agriculture_filing_decision"]
    assert filing["kind"] == "legal" and filing["due_on"] == "2026-11-11"  # 7 working days
    assert "农业行政处罚程序规定" in filing["legal_basis"]["zh"] and "待核实" in filing["legal_basis"]["zh"]

    started = clocks(officer.fire(case["id"], "start_verification", {"is_complaint": True},
                                  effective_on=date(2026, 11, 3)))
    assert not SAMR_ONLY & set(started)
    follow_up = started["complaint_follow_up"]
    assert follow_up["kind"] == "follow_up" and "非法定" in follow_up["label"]["zh"]
    assert "not a statutory" in follow_up["label"]["en"]

    # The extension is the agriculture rule's +7 working days, not SAMR's +15.
    head.fire(case["id"], "extend_filing_decision", {"reason": "特殊情况", "extension_amount": 8},
              effective_on=date(2026, 11, 5), expect=422)
    extended = head.fire(case["id"], "extend_filing_decision", {"reason": "特殊情况", "extension_amount": 7},
                         effective_on=date(2026, 11, 5))
    assert clocks(extended)["agriculture_filing_decision"]["due_on"] == "2026-11-20"
    assert "extend_filing_decision" not in head.allowed(case["id"])

    filed = clocks(head.fire(case["id"], "file_case", {"note": "立案"}, effective_on=date(2026, 11, 10)))
    assert filed["agriculture_filing_decision"]["status"] == "met"
    assert filed["agriculture_case_decision"]["status"] == "running" and "case_decision" not in filed
    officer.fire(case["id"], "start_investigation", effective_on=date(2026, 11, 11))
    # One extension set by the head, and no SAMR "collective decision" step after it.
    head.fire(case["id"], "extend_case_decision", {"reason": "案情复杂"}, expect=422)  # the head sets the length
    head.fire(case["id"], "extend_case_decision", {"reason": "案情复杂", "extension_amount": 30})
    assert "extend_case_decision" not in head.allowed(case["id"])


def test_copyright_has_its_complaint_period_and_no_statutory_filing_period(actor):
    officer, head = _cast(actor, "230100-copyright")
    case = _register(officer, ip_type="copyright", title="销售盗版图书案")
    filing = clocks(officer.get(case["id"]))["filing_follow_up"]
    assert filing["kind"] == "follow_up" and filing["due_on"] == "2026-11-23"  # internal target, 15 working days
    assert "第十一条" in filing["legal_basis"]["zh"] and "非法定" in filing["label"]["zh"]
    assert "extend_filing_decision" not in head.allowed(case["id"])

    started = clocks(officer.fire(case["id"], "start_verification", {"is_complaint": True},
                                  effective_on=date(2026, 11, 3)))
    acceptance = started["copyright_complaint_acceptance"]
    assert acceptance["kind"] == "legal" and "第十三条" in acceptance["legal_basis"]["zh"]
    assert not SAMR_ONLY & set(started) and "complaint_follow_up" not in started

    filed = clocks(head.fire(case["id"], "file_case", effective_on=date(2026, 11, 6)))
    decision = filed["case_decision_general"]
    assert decision["status"] == "running" and "《行政处罚法》第六十条" in decision["legal_basis"]["zh"]
    officer.fire(case["id"], "start_investigation", effective_on=date(2026, 11, 9))
    assert "extend_case_decision" not in head.allowed(case["id"])  # no SAMR ladder for copyright
    head.fire(case["id"], "extend_case_decision", {"reason": "集体讨论", "extension_amount": 30}, expect=422)


@pytest.mark.parametrize("code", ["230100-customs", "230000-forestry_grassland"])
def test_customs_and_forestry_get_internal_targets_not_samr_periods(actor, code):
    officer, head = _cast(actor, code)
    case = _register(officer, ip_type="trademark" if "customs" in code else "plant_variety",
                     region=code.split("-")[0])
    started = clocks(officer.fire(case["id"], "start_verification", {"is_complaint": True},
                                  effective_on=date(2026, 11, 3)))
    assert {k: c["kind"] for k, c in started.items()} == {"filing_follow_up": "follow_up",
                                                          "complaint_follow_up": "follow_up"}
    filed = clocks(head.fire(case["id"], "file_case", effective_on=date(2026, 11, 6)))
    assert "case_decision_general" in filed and not SAMR_ONLY & set(filed)


def test_market_regulation_keeps_the_samr_periods(actor):
    officer, head = _cast(actor, "230100-market_regulation")
    case = _register(officer)
    started = clocks(officer.fire(case["id"], "start_verification", {"is_complaint": True},
                                  effective_on=date(2026, 11, 3)))
    assert set(started) == {"filing_decision", "complaint_acceptance"}
    assert all(c["kind"] == "legal" for c in started.values())
    filed = clocks(head.fire(case["id"], "file_case", effective_on=date(2026, 11, 6)))
    assert "case_decision" in filed and "case_decision_general" not in filed


# --- point 12: the handoff receipt period -------------------------------------------------------


def test_every_handoff_says_its_period_is_a_convention_not_law(app):
    from casesys.workflows import engine
    from casesys.workflows.decide import clock_definition

    for wf in engine.workflows().values():
        if wf.handoff is None:
            continue
        receipt = clock_definition(wf, HANDOFF_CLOCK)
        english = receipt.legal_basis.en.lower()
        assert "非法定" in receipt.legal_basis.zh, wf.key
        assert "not a statutory" in english or "not statutory" in english, wf.key
        assert "非法定" in receipt.label.zh and "not a statutory" in receipt.label.en


def test_the_setting_overrides_every_files_receipt_days(app):
    found = load_workflows(Path(app.config["CASESYS_WORKFLOW_DIR"]), handoff_receipt_days=5)
    assert {wf.handoff.receipt_days for wf in found.values() if wf.handoff} == {5}
    with pytest.raises(WorkflowError):
        load_workflows(Path(app.config["CASESYS_WORKFLOW_DIR"]), handoff_receipt_days=0)


def test_the_environment_variable_reaches_the_app(database_url):
    assert from_environment({"CASESYS_ENV": "test"})["CASESYS_HANDOFF_RECEIPT_DAYS"] is None
    assert from_environment({"CASESYS_ENV": "test", "CASESYS_HANDOFF_RECEIPT_DAYS": " 5 "})[
        "CASESYS_HANDOFF_RECEIPT_DAYS"] == 5
    for bad in ("0", "three", "-2"):
        with pytest.raises(ConfigError, match="CASESYS_HANDOFF_RECEIPT_DAYS"):
            from_environment({"CASESYS_ENV": "test", "CASESYS_HANDOFF_RECEIPT_DAYS": bad})
    other = create_app({**config_for(database_url), "CASESYS_HANDOFF_RECEIPT_DAYS": 5})
    assert other.extensions["casesys.workflows"]["admin_enforcement"].handoff.receipt_days == 5


def test_a_configured_receipt_period_drives_the_handoff_clock_through_the_api(app, actor, client, monkeypatch):
    officer, _head = _cast(actor, "230100-market_regulation")
    receiver = actor("cr.officer", "230100-copyright", "officer")
    before = _register(officer)
    officer.fire(before["id"], "hand_off", {"receiving_agency": "230100-copyright", "reason": "属版权事项",
                                            "materials": "投诉书"}, effective_on=MONDAY)
    assert clocks(officer.get(before["id"]))[HANDOFF_CLOCK]["due_on"] == "2026-11-05"  # the files' 3 days

    configured = load_workflows(Path(app.config["CASESYS_WORKFLOW_DIR"]), handoff_receipt_days=5)
    monkeypatch.setitem(app.extensions, "casesys.workflows", configured)
    listed = {wf["key"]: wf for wf in client.get("/api/v1/workflows", headers=officer.headers).json["workflows"]}
    assert listed["admin_enforcement"]["handoff"]["receipt_days"] == 5
    case = _register(officer)
    detail = officer.fire(case["id"], "hand_off", {"receiving_agency": "230100-copyright", "reason": "属版权事项",
                                                   "materials": "投诉书"}, effective_on=MONDAY)
    receipt = clocks(detail)[HANDOFF_CLOCK]
    assert receipt["due_on"] == "2026-11-09" and "非法定" in receipt["legal_basis"]["zh"]
    accepted = receiver.fire(case["id"], "accept_handoff", effective_on=date(2026, 11, 4))
    assert clocks(accepted)[HANDOFF_CLOCK]["status"] == "met"
