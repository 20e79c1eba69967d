"""End to end through the API: mediation, judicial confirmation and civil first instance, and the
links between them (mediation → judicial confirmation; civil case → court-entrusted mediation and back).

Dates are fixed in 2026, whose holidays are loaded (端午 06-19..21, 中秋 09-25..27, 国庆 10-01..07,
make-up working days Sunday 09-20 and Saturday 10-10); 2027 is not loaded ("calendar unconfirmed").
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casesys.agencies.models import Agency, Region
from casesys.auth.models import User
from casesys.cases.models import Case
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.workflows import overview
from tests.conftest import empty_postgres, is_postgres
from tests.factories import clocks, open_status, outcome

MED = "230100-mediation_org"
COURT = "230100-court"


@pytest.fixture
def hrb(actor):
    """Harbin: mediation committee, intermediate court; and a Qiqihar court and mediation committee."""

    class Cast:
        mediator = actor("med.mediator", MED, "mediator")
        med_officer = actor("med.officer", MED, "officer")
        med_head = actor("med.head", MED, "agency_head")
        judge = actor("court.judge", COURT, "officer")
        president = actor("court.president", COURT, "agency_head")
        qqhr_judge = actor("qqhr.judge", "230200-court", "officer")
        qqhr_mediator = actor("qqhr.mediator", "230200-mediation_org", "mediator")
        ip_officer = actor("ip.officer", "230100-ip_office", "officer")

    return Cast


BASIC = "230102-court"  # a basic court: 哈尔滨市道里区人民法院 (county-level region, not in the reference data)
BASIC_MED = "230102-mediation_org"


@pytest.fixture
def basic(actor):
    """A county-level district of Harbin with a basic court and a mediation committee."""
    db.session.add(Region(code="230102", name_zh="道里区", name_en="Daoli District", level="county",
                          parent_code="230100", path="230000/230100/230102/"))
    db.session.flush()
    db.session.add(Agency(code=BASIC, kind="court", region_code="230102", name_zh="哈尔滨市道里区人民法院",
                          name_en="Daoli District People's Court"))
    db.session.add(Agency(code=BASIC_MED, kind="mediation_org", region_code="230102",
                          name_zh="道里区知识产权纠纷人民调解委员会", name_en="Daoli IP Dispute Mediation Committee"))
    db.session.commit()

    class Cast:
        judge = actor("daoli.judge", BASIC, "officer")
        president = actor("daoli.president", BASIC, "agency_head")
        mediator = actor("daoli.mediator", BASIC_MED, "mediator")

    yield Cast
    db.session.rollback()
    if is_postgres():  # reference rows outlive a test there: take the district away again
        empty_postgres(f"DELETE FROM agencies WHERE code IN ('{BASIC}', '{BASIC_MED}')",
                       "DELETE FROM regions WHERE code = '230102'")


def child(detail, workflow) -> dict:
    [link] = [link for link in detail["links"] if link["workflow"] == workflow and link["direction"] == "child"]
    return link


def register_mediation(hrb, received=date(2026, 8, 3), **overrides) -> dict:
    payload = {"workflow": "mediation", "title": "外观设计专利侵权赔偿纠纷", "ip_type": "patent_design",
               "source": "complaint", "received_on": received.isoformat()}
    payload.update(overrides)
    return hrb.mediator.register(**payload)


def settled_mediation(hrb) -> int:
    case_id = register_mediation(hrb)["id"]
    hrb.mediator.fire(case_id, "accept", effective_on=date(2026, 8, 4))
    hrb.mediator.fire(case_id, "start_mediation", {"mediators": "何平"}, effective_on=date(2026, 8, 5))
    hrb.mediator.fire(case_id, "settle", {"terms": "停止销售并赔偿八万元", "amount": "80000",
                                          "performance_date": "2026-12-31"}, effective_on=date(2026, 8, 20))
    return case_id


def confirmation_applied(hrb) -> tuple[int, int]:
    case_id = settled_mediation(hrb)
    applied = hrb.mediator.fire(case_id, "apply_confirmation", {"court": COURT, "reason": "双方共同申请"},
                                effective_on=date(2026, 9, 1))
    return case_id, child(applied, "judicial_confirmation")["id"]


def register_civil(hrb, received=date(2026, 6, 15), **overrides) -> dict:
    payload = {"workflow": "civil_litigation", "title": "侵害发明专利权纠纷", "ip_type": "patent_invention",
               "source": "complaint", "received_on": received.isoformat()}
    payload.update(overrides)
    return hrb.judge.register(**payload)


# --- mediation and judicial confirmation ----------------------------------------------------------


def test_mediation_settles_and_the_court_confirms_the_agreement(hrb):
    case = register_mediation(hrb)
    assert case["state"] == "requested" and case["number"].startswith("230100-TJ-")
    assert hrb.mediator.get(case["id"])["clocks"] == []
    accepted = hrb.mediator.fire(case["id"], "accept", {"note": "双方同意调解"}, effective_on=date(2026, 8, 4))
    assert accepted["state"] == "accepted"
    hrb.mediator.fire(case["id"], "log_session", {"session_date": "2026-08-05", "summary": "x"}, expect=422)
    hrb.mediator.fire(case["id"], "start_mediation", {"mediators": "何平、赵敏"}, effective_on=date(2026, 8, 5))
    # Sessions are logged in the history; the date must be a date and not in the future.
    errors = hrb.mediator.fire(case["id"], "log_session", {"session_date": "next Tuesday", "summary": "x"},
                               expect=422)["error"]["fields"]
    assert set(errors) == {"session_date"}
    hrb.mediator.fire(case["id"], "log_session", {"summary": "x"}, expect=422)
    for day in (date(2026, 8, 10), date(2026, 8, 14)):
        logged = hrb.mediator.fire(case["id"], "log_session", {"session_date": day.isoformat(),
                                                               "summary": "双方就赔偿数额交换意见"}, effective_on=day)
        assert logged["state"] == "in_mediation"
    assert [e["effective_on"] for e in logged["history"][-2:]] == ["2026-08-10", "2026-08-14"]
    # A stand-alone mediation has no court-entrusted period to extend.
    assert "extend_entrusted_mediation" not in hrb.mediator.allowed(case["id"])
    hrb.mediator.fire(case["id"], "extend_entrusted_mediation", {"reason": "x", "extension_amount": 5}, expect=422)

    hrb.mediator.fire(case["id"], "settle", {"amount": "80000"}, expect=422)
    # The performance date is a date, and may lie ahead (whatever the parties agreed).
    errors = hrb.mediator.fire(case["id"], "settle", {"terms": "x", "performance_date": "2026年底"},
                               expect=422)["error"]["fields"]
    assert set(errors) == {"performance_date"}
    performance = (today_in_china() + timedelta(days=400)).isoformat()
    settled = hrb.mediator.fire(case["id"], "settle", {"terms": "停止销售并赔偿八万元", "amount": "80000",
                                                       "performance_date": performance},
                                effective_on=date(2026, 8, 20))
    assert settled["state"] == "settled" and settled["amount_involved"] == "80000.00"
    db.session.rollback()
    [event] = [e for e in db.session.get(Case, case["id"]).events if (e.data or {}).get("transition") == "settle"]
    assert event.data["fields"]["performance_date"] == performance
    assert set(clocks(settled)) == {"confirmation_application"}  # no clock for the performance date
    application = clocks(settled)["confirmation_application"]
    # 30 days after 08-20 is Saturday 09-19; Sunday 09-20 is a make-up working day.
    assert (application["strict_due_on"], application["due_on"]) == ("2026-09-19", "2026-09-20")
    assert application["status"] == open_status("2026-09-20")
    assert "Art 205" in application["legal_basis"]["en"] and "第三十三条" in application["legal_basis"]["zh"]

    errors = hrb.mediator.fire(case["id"], "apply_confirmation", {"court": "230100-ip_office"},
                               expect=422)["error"]["fields"]
    assert "court" in errors
    applied = hrb.mediator.fire(case["id"], "apply_confirmation", {"court": COURT, "reason": "双方共同申请"},
                                effective_on=date(2026, 9, 1))
    assert applied["state"] == "confirmation_applied"
    assert clocks(applied)["confirmation_application"]["status"] == "met"
    assert hrb.mediator.allowed(case["id"]) == set()  # only the court's decision moves it on
    link = child(applied, "judicial_confirmation")
    assert (link["relation"], link["agency"], link["state"]) == ("judicial_confirmation", COURT, "applied")

    jc_id = link["id"]
    jc = hrb.judge.get(jc_id)
    assert (jc["state"], jc["source"], jc["received_on"], jc["amount_involved"]) == (
        "applied", "agency_referral", "2026-09-01", "80000.00")
    assert jc["number"].startswith("230100-") and jc["number"] != applied["number"]
    assert {p["name"] for p in jc["parties"]} == {p["name"] for p in applied["parties"]}
    acceptance = clocks(jc)["acceptance"]
    assert (acceptance["started_on"], acceptance["due_on"]) == ("2026-09-01", "2026-09-04")
    assert acceptance["legal_basis"]["zh"].endswith("第四条")
    # The mediation committee follows the status; it cannot decide. Other courts see nothing.
    seen = hrb.mediator.get(jc_id)
    assert seen["access"] == "status" and seen["allowed_transitions"] == []
    hrb.mediator.fire(jc_id, "accept", expect=403)
    hrb.qqhr_judge.get(jc_id, expect=404)
    hrb.judge.get(case["id"], expect=404)  # the court does not read the mediation file

    accepted = hrb.judge.fire(jc_id, "accept", effective_on=date(2026, 9, 3))
    c = clocks(accepted)
    assert c["acceptance"]["status"] == "met"
    assert (c["decision"]["due_on"], c["decision"]["extensions_left"]) == ("2026-09-18", 1)
    # The 30-day ceiling ends on Saturday 10-03, inside the National Day holiday.
    assert (c["statutory_ceiling"]["strict_due_on"], c["statutory_ceiling"]["due_on"]) == ("2026-10-03", "2026-10-08")
    assert "Art 187" in c["statutory_ceiling"]["legal_basis"]["en"]
    hrb.judge.fire(jc_id, "confirm", {"ruling_number": "x"}, expect=422)  # not under review yet
    hrb.judge.fire(jc_id, "start_review", {"judge": "审判员 孙某"}, effective_on=date(2026, 9, 4))
    hrb.judge.fire(jc_id, "extend_decision", {"reason": "需要通知当事人补充材料"}, expect=403)
    extended = hrb.president.fire(jc_id, "extend_decision", {"reason": "需要通知当事人补充材料"},
                                  effective_on=date(2026, 9, 10))
    decision = clocks(extended)["decision"]
    assert (decision["due_on"], decision["extensions_left"]) == ("2026-09-28", 0)
    hrb.president.fire(jc_id, "extend_decision", {"reason": "again"}, expect=422)
    hrb.judge.fire(jc_id, "confirm", {}, expect=422)
    confirmed = hrb.judge.fire(jc_id, "confirm", {"ruling_number": "(2026)黑01民特12号"},
                               effective_on=date(2026, 9, 15))
    assert confirmed["state"] == "confirmed"
    assert {clocks(confirmed)[k]["status"] for k in ("decision", "statutory_ceiling")} == {"met"}

    # The court's decision closes the mediation case (system transition, caused by the court's case).
    mediation = hrb.mediator.get(case["id"])
    assert mediation["state"] == "closed"
    last = mediation["history"][-1]
    assert (last["from_state"], last["to_state"], last["effective_on"]) == (
        "confirmation_applied", "closed", "2026-09-15")
    assert outcome(case["id"]) == "confirmation_decided"
    closed = hrb.judge.fire(jc_id, "close_confirmed", {"note": "已送达双方"})
    assert closed["state"] == "closed" and outcome(jc_id) == "confirmed"


def test_ip_validity_agreements_are_not_accepted_and_the_mediation_closes(hrb):
    mediation_id, jc_id = confirmation_applied(hrb)
    errors = hrb.judge.fire(jc_id, "refuse", {"reason": "涉及专利权有效性"}, expect=422)["error"]["fields"]
    assert "ground" in errors
    refused = hrb.judge.fire(jc_id, "refuse", {"ground": "ip_ownership_or_validity",
                                               "reason": "协议内容涉及专利权确权"}, effective_on=date(2026, 9, 2))
    assert refused["state"] == "not_accepted" and refused["allowed_transitions"] == []
    assert clocks(refused)["acceptance"]["status"] == "met"
    assert outcome(jc_id) == "not_accepted"
    assert hrb.mediator.get(mediation_id)["state"] == "closed"
    hrb.judge.fire(jc_id, "accept", expect=422)


def test_rejected_confirmation_also_closes_the_mediation(hrb):
    mediation_id, jc_id = confirmation_applied(hrb)
    hrb.judge.fire(jc_id, "accept", effective_on=date(2026, 9, 2))
    hrb.judge.fire(jc_id, "start_review", effective_on=date(2026, 9, 2))
    assert hrb.mediator.get(mediation_id)["state"] == "confirmation_applied"
    # The special-procedure ceiling can be extended by the president, by a stated number of days.
    body = hrb.president.fire(jc_id, "extend_statutory_ceiling", {"reason": "特殊情况"}, expect=422)
    assert "extension_amount" in body["error"]["fields"]
    ceiling = clocks(hrb.president.fire(jc_id, "extend_statutory_ceiling",
                                        {"reason": "特殊情况", "extension_amount": 5},
                                        effective_on=date(2026, 9, 3)))["statutory_ceiling"]
    assert (ceiling["strict_due_on"], ceiling["due_on"]) == ("2026-10-07", "2026-10-08")
    rejected = hrb.judge.fire(jc_id, "reject", {"ground": "harms_others", "ruling_number": "(2026)黑01民特13号"},
                              effective_on=date(2026, 9, 10))
    assert rejected["state"] == "rejected"
    assert hrb.mediator.get(mediation_id)["state"] == "closed"
    hrb.judge.fire(jc_id, "close_rejected")
    assert outcome(jc_id) == "rejected"


def test_a_court_registers_a_confirmation_directly(hrb):
    jc = hrb.judge.register(workflow="judicial_confirmation", title="调解协议司法确认申请", ip_type="trademark",
                            source="complaint", received_on="2026-09-30")
    acceptance = clocks(hrb.judge.get(jc["id"]))["acceptance"]
    # 09-30 + 3 = 10-03, in the National Day holiday: due on the first working day after it.
    assert (acceptance["strict_due_on"], acceptance["due_on"]) == ("2026-10-03", "2026-10-08")
    hrb.judge.fire(jc["id"], "accept", effective_on=date(2026, 10, 8))
    withdrawn = hrb.judge.fire(jc["id"], "withdraw", {"reason": "申请人撤回"}, effective_on=date(2026, 10, 9))
    assert withdrawn["state"] == "closed" and withdrawn["links"] == []
    assert outcome(jc["id"]) == "withdrawn"
    # Only courts register confirmations; a mediation committee cannot.
    body = hrb.mediator.register(workflow="judicial_confirmation", title="x", ip_type="trademark",
                                 source="complaint", expect=422)
    assert "workflow" in body["error"]["fields"]


def test_performed_agreement_and_failed_or_declined_mediation(hrb):
    case_id = settled_mediation(hrb)
    performed = hrb.med_officer.fire(case_id, "record_performance", {"performed_on": "2026-09-10"},
                                     effective_on=date(2026, 9, 10))
    assert performed["state"] == "performed"
    assert clocks(performed)["confirmation_application"]["status"] == "met"
    assert "apply_confirmation" not in hrb.mediator.allowed(case_id)
    hrb.mediator.fire(case_id, "close_performed")
    assert outcome(case_id) == "performed"

    # Failure is final; the parties are told where to go. With no court behind it nothing else moves.
    failing = register_mediation(hrb)["id"]
    hrb.mediator.fire(failing, "accept", effective_on=date(2026, 8, 4))
    errors = hrb.mediator.fire(failing, "fail", {"reason": "对方拒绝调解"}, expect=422)["error"]["fields"]
    assert "suggested_route" in errors
    failed = hrb.mediator.fire(failing, "fail", {"reason": "对方拒绝调解", "suggested_route": "litigation"},
                               effective_on=date(2026, 8, 6))
    assert failed["state"] == "failed" and failed["allowed_transitions"] == [] and failed["links"] == []
    assert outcome(failing) == "failed"

    declined = register_mediation(hrb)["id"]
    hrb.mediator.fire(declined, "decline", {"ground": "other_party_refuses", "reason": "x"}, expect=403)
    hrb.med_head.fire(declined, "decline", {"ground": "ownership_or_validity", "reason": "请求确认专利权归属"})
    assert hrb.med_head.get(declined)["state"] == "declined" and outcome(declined) == "declined"
    hrb.med_head.fire(declined, "accept", expect=422)


def test_mediation_refusals_and_handoff(hrb):
    case_id = register_mediation(hrb)["id"]
    hrb.qqhr_mediator.get(case_id, expect=404)
    hrb.judge.fire(case_id, "accept", expect=404)
    hrb.mediator.fire(case_id, "settle", {"terms": "x"}, expect=422)  # wrong state
    body = hrb.ip_officer.register(workflow="mediation", title="x", ip_type="trademark", source="complaint",
                                   expect=422)
    assert "workflow" in body["error"]["fields"]
    sent = hrb.mediator.fire(case_id, "hand_off", {"receiving_agency": "230200-mediation_org",
                                                   "reason": "当事人均在齐齐哈尔", "materials": "调解申请书"})
    assert clocks(sent)["handoff_receipt"]["status"] == "running"
    accepted = hrb.qqhr_mediator.fire(case_id, "accept_handoff")
    assert accepted["agency"] == "230200-mediation_org" and accepted["state"] == "requested"
    assert "accept" in hrb.qqhr_mediator.allowed(case_id)


# --- civil first instance -------------------------------------------------------------------------


def test_triage_starts_one_clock_from_filing_and_conversion_keeps_that_anchor(hrb):
    case = register_civil(hrb)
    assert case["state"] == "filed" and hrb.judge.get(case["id"])["clocks"] == []
    hrb.judge.fire(case["id"], "render_judgment", {"result": "upheld", "judgment_number": "x"}, expect=422)
    assert "procedure" in hrb.judge.fire(case["id"], "assign_procedure", {}, expect=422)["error"]["fields"]
    hrb.judge.fire(case["id"], "assign_procedure", {"procedure": "express"}, expect=422)
    trial = hrb.judge.fire(case["id"], "assign_procedure", {"procedure": "simple", "judge": "审判员 周某"},
                           effective_on=date(2026, 6, 22))
    assert trial["state"] == "trial"
    c = clocks(trial)
    assert set(c) == {"trial_simple"}
    # Counted from 立案 (the received date), not from the triage.
    assert (c["trial_simple"]["started_on"], c["trial_simple"]["due_on"]) == ("2026-06-15", "2026-09-15")
    assert "Art 164" in c["trial_simple"]["legal_basis"]["en"]
    # The trial steps act on the procedure's clock; nothing is paused yet, and small claims is not running.
    allowed = hrb.president.allowed(case["id"])
    assert {"convert_to_ordinary", "extend_trial", "suspend_trial", "entrust_mediation_simple"} <= allowed
    # Entrusted mediation under the simple procedure has its own (7-day) step; no small claims here.
    assert not allowed & {"convert_small_claims", "resume_trial", "entrust_mediation"}
    hrb.judge.fire(case["id"], "resume_trial", {"note": "x"}, expect=422)

    hrb.judge.fire(case["id"], "convert_to_ordinary", {"reason": "案情复杂"}, expect=403)
    converted = hrb.president.fire(case["id"], "convert_to_ordinary", {"reason": "需要鉴定，案情复杂"},
                                   effective_on=date(2026, 7, 1))
    c = clocks(converted)
    assert c["trial_simple"]["status"] == "met"
    assert (c["trial_ordinary"]["started_on"], c["trial_ordinary"]["due_on"]) == ("2026-06-15", "2026-12-15")
    assert c["trial_ordinary"]["status"] == open_status("2026-12-15")
    assert len(converted["clocks"]) == 2
    # Not twice: the simple-procedure clock no longer runs.
    hrb.president.fire(case["id"], "convert_to_ordinary", {"reason": "again"}, expect=422)
    assert len(hrb.president.get(case["id"])["clocks"]) == 2

    # Ordinary: +6 months by the president, then at most 3 more with the higher court's approval.
    extended = clocks(hrb.president.fire(case["id"], "extend_trial", {"reason": "院长批准"},
                                         effective_on=date(2026, 7, 2)))
    first = extended["trial_ordinary"]
    assert (first["due_on"], first["calendar_unconfirmed"], first["extensions_left"]) == ("2027-06-15", True, 1)
    # The stopped simple-procedure clock is left alone.
    assert (extended["trial_simple"]["due_on"], extended["trial_simple"]["extensions_left"]) == ("2026-09-15", 1)
    body = hrb.president.fire(case["id"], "extend_trial", {"reason": "上级法院批准", "extension_amount": 4},
                              expect=422)
    assert "extension_amount" in body["error"]["fields"]


def test_simple_procedure_extends_once_and_pauses_for_appraisal(hrb):
    case_id = register_civil(hrb)["id"]
    hrb.judge.fire(case_id, "assign_procedure", {"procedure": "simple"}, effective_on=date(2026, 6, 22))
    hrb.judge.fire(case_id, "extend_trial", {"reason": "x"}, expect=403)
    extended = clocks(hrb.president.fire(case_id, "extend_trial", {"reason": "院长批准"},
                                         effective_on=date(2026, 6, 23)))
    assert set(extended) == {"trial_simple"}
    assert (extended["trial_simple"]["due_on"], extended["trial_simple"]["extensions_left"]) == (
        "2026-10-15", 0)  # 4 months in all
    assert "extend_trial" not in hrb.president.allowed(case_id)
    hrb.president.fire(case_id, "extend_trial", {"reason": "again"}, expect=422)

    assert "reason" in hrb.judge.fire(case_id, "suspend_trial", {}, expect=422)["error"]["fields"]
    paused = hrb.judge.fire(case_id, "suspend_trial", {"reason": "appraisal", "note": "委托技术鉴定"},
                            effective_on=date(2026, 7, 1))
    assert clocks(paused)["trial_simple"]["status"] == "paused"
    assert "render_judgment" in hrb.judge.allowed(case_id)
    assert "suspend_trial" not in hrb.judge.allowed(case_id)  # nothing runs to pause
    hrb.judge.fire(case_id, "suspend_trial", {"reason": "settlement"}, expect=422)
    resumed = hrb.judge.fire(case_id, "resume_trial", {"note": "鉴定意见已送达"}, effective_on=date(2026, 8, 31))
    c = clocks(resumed)["trial_simple"]
    # 61 days not counted: 10-15 + 61 = 12-15.
    assert (c["status"], c["strict_due_on"], c["due_on"]) == (open_status("2026-12-15"), "2026-12-15", "2026-12-15")
    judged = hrb.judge.fire(case_id, "render_judgment", {"result": "partly_upheld", "damages": "120000",
                                                         "judgment_number": "(2026)黑01民初88号"},
                            effective_on=date(2026, 9, 30))
    assert judged["state"] == "judgment" and judged["amount_involved"] == "120000.00"
    assert clocks(judged)["trial_simple"]["status"] == "met"
    hrb.judge.fire(case_id, "close_judgment")
    assert outcome(case_id) == "judgment"


def test_small_claims_only_at_a_basic_court(hrb, basic):
    # The intermediate court may not try small claims (民事诉讼法 Art 165): not offered, refused with the reason.
    case_id = register_civil(hrb)["id"]
    assert "assign_small_claims" not in hrb.judge.allowed(case_id)
    body = hrb.judge.fire(case_id, "assign_small_claims", {}, expect=422)
    assert "基层人民法院" in body["error"]["message"]
    assert "procedure" in hrb.judge.fire(case_id, "assign_procedure", {"procedure": "small_claims"},
                                         expect=422)["error"]["fields"]
    assert hrb.judge.get(case_id)["state"] == "filed"
    # A basic court may.
    small = basic.judge.register(workflow="civil_litigation", title="侵害商标权纠纷", ip_type="trademark",
                                 source="complaint", received_on="2026-09-01", region="230102")["id"]
    assert "assign_small_claims" in basic.judge.allowed(small)
    c = clocks(basic.judge.fire(small, "assign_small_claims", {"judge": "审判员 吴某"}, effective_on=date(2026, 9, 2)))
    assert set(c) == {"trial_small_claims"} and "Art 165" in c["trial_small_claims"]["legal_basis"]["en"]


def test_small_claims_conversion_and_other_conclusions(hrb, basic):
    small = basic.judge.register(workflow="civil_litigation", title="侵害商标权纠纷", ip_type="trademark",
                                 source="complaint", received_on="2026-09-01", region="230102")["id"]
    c = clocks(basic.judge.fire(small, "assign_small_claims", {}, effective_on=date(2026, 9, 2)))
    # 2 months from 09-01 is Sunday 11-01.
    assert (c["trial_small_claims"]["strict_due_on"], c["trial_small_claims"]["due_on"]) == ("2026-11-01", "2026-11-02")
    assert "convert_to_ordinary" not in basic.president.allowed(small)
    converted = basic.president.fire(small, "convert_small_claims", {"procedure": "simple", "reason": "不宜小额"},
                                     effective_on=date(2026, 9, 8))
    c = clocks(converted)
    assert c["trial_small_claims"]["status"] == "met" and "trial_ordinary" not in c
    assert (c["trial_simple"]["started_on"], c["trial_simple"]["due_on"]) == ("2026-09-01", "2026-12-01")
    withdrawn = basic.judge.fire(small, "allow_withdrawal", {"after_settlement": True, "reason": "庭外和解"},
                                 effective_on=date(2026, 9, 9))
    assert withdrawn["state"] == "withdrawn" and clocks(withdrawn)["trial_simple"]["status"] == "met"
    basic.judge.fire(small, "close_withdrawn")

    ordinary = register_civil(hrb)["id"]
    hrb.judge.fire(ordinary, "assign_procedure", {"procedure": "ordinary"}, effective_on=date(2026, 6, 16))
    hrb.judge.fire(ordinary, "suspend_trial", {"reason": "settlement"}, effective_on=date(2026, 6, 20))
    mediated = hrb.judge.fire(ordinary, "conclude_by_mediation", {"terms": "被告赔偿三万元", "amount": "30000"},
                              effective_on=date(2026, 7, 20))
    trial = clocks(mediated)["trial_ordinary"]
    assert mediated["state"] == "mediated" and trial["status"] == "met"
    # Stopped while paused: the pause ends on 07-20, so 30 days are not counted (12-15 + 30).
    assert (trial["strict_due_on"], trial["due_on"]) == ("2027-01-14", "2027-01-14")
    hrb.judge.fire(ordinary, "close_mediated")

    dismissed = register_civil(hrb)["id"]
    hrb.judge.fire(dismissed, "dismiss", {"ground": "transferred"}, expect=422)
    hrb.judge.fire(dismissed, "dismiss", {"ground": "transferred", "reason": "移送哈尔滨知识产权法庭"})
    hrb.judge.fire(dismissed, "close_dismissed")

    # Statistics read the outcome: mediated and withdrawn count towards the mediation-withdrawal rate.
    assert [outcome(i) for i in (small, ordinary, dismissed)] == ["withdrawn", "mediated", "dismissed"]


def test_civil_refusals(hrb):
    case_id = register_civil(hrb)["id"]
    hrb.qqhr_judge.get(case_id, expect=404)
    hrb.qqhr_judge.fire(case_id, "assign_procedure", {"procedure": "simple"}, expect=404)
    hrb.mediator.get(case_id, expect=404)
    hrb.judge.fire(case_id, "close_judgment", expect=422)
    # System transitions happen only through the linked mediation case.
    assert hrb.judge.fire(case_id, "entrusted_mediation_settled", expect=403)["error"]["code"] == "forbidden"
    hrb.judge.fire(case_id, "assign_procedure", {"procedure": "ordinary"}, effective_on=date(2026, 6, 16))
    hrb.president.fire(case_id, "entrusted_mediation_failed", expect=403)
    assert hrb.judge.get(case_id)["state"] == "trial"
    hrb.judge.fire(case_id, "entrust_mediation", {}, expect=422)
    body = hrb.judge.fire(case_id, "entrust_mediation", {"mediation_org": COURT}, expect=422)
    assert "mediation_org" in body["error"]["fields"]
    assert hrb.judge.get(case_id)["links"] == []
    body = hrb.ip_officer.register(workflow="civil_litigation", title="x", ip_type="trademark", source="complaint",
                                   expect=422)
    assert "workflow" in body["error"]["fields"]


# --- court-entrusted mediation, both ways back --------------------------------------------------


def entrust(hrb) -> tuple[int, int]:
    case_id = register_civil(hrb)["id"]
    hrb.judge.fire(case_id, "assign_procedure", {"procedure": "ordinary"}, effective_on=date(2026, 6, 22))
    entrusted = hrb.judge.fire(case_id, "entrust_mediation", {"mediation_org": MED, "reason": "委托调解"},
                               effective_on=date(2026, 7, 10))
    return case_id, child(entrusted, "mediation")["id"]


def test_entrusted_mediation_fails_and_the_trial_resumes(hrb):
    case_id, mediation_id = entrust(hrb)
    civil = hrb.judge.get(case_id)
    # The entrusted mediation counts in the trial period (特邀调解规定 Art 27 ¶2): nothing is paused.
    assert civil["state"] == "pre_mediation"
    assert clocks(civil)["trial_ordinary"]["status"] == open_status("2026-12-15")
    assert hrb.judge.allowed(case_id) == set()  # the court waits for the mediation committee
    link = child(civil, "mediation")
    assert (link["relation"], link["agency"], link["state"]) == ("entrusted_mediation", MED, "accepted")

    mediation = hrb.mediator.get(mediation_id)
    assert (mediation["state"], mediation["source"], mediation["received_on"]) == ("accepted", "court_referral",
                                                                                  "2026-07-10")
    period = clocks(mediation)["entrusted_mediation"]
    # Ordinary procedure: 15 days from receipt of the file, Saturday 07-25, rolled to Monday.
    assert (period["strict_due_on"], period["due_on"], period["extensions_left"]) == ("2026-07-25", "2026-07-27", 3)
    assert "Art 27(2)" in period["legal_basis"]["en"]
    assert hrb.judge.get(mediation_id)["access"] == "status"
    hrb.qqhr_mediator.get(mediation_id, expect=404)
    # The entrusted case is in the committee's inbox; the court's case waits on nobody there.
    mediator = db.session.get(User, hrb.mediator.user.id)
    assert mediation_id in {c.id for c in overview.inbox(mediator).waiting}
    judge = db.session.get(User, hrb.judge.user.id)
    assert case_id not in {c.id for c in overview.inbox(judge).waiting}

    hrb.mediator.fire(mediation_id, "start_mediation", {"mediators": "何平"}, effective_on=date(2026, 7, 13))
    # Longer only if both parties agree: the mediator records it, and says how long.
    hrb.med_officer.fire(mediation_id, "extend_entrusted_mediation", {"reason": "双方同意", "extension_amount": 10},
                         expect=403)
    assert "extension_amount" in hrb.mediator.fire(mediation_id, "extend_entrusted_mediation", {"reason": "双方同意"},
                                                   expect=422)["error"]["fields"]
    extended = clocks(hrb.mediator.fire(mediation_id, "extend_entrusted_mediation",
                                        {"reason": "双方书面同意延长十日", "extension_amount": 10},
                                        effective_on=date(2026, 7, 24)))["entrusted_mediation"]
    assert (extended["strict_due_on"], extended["due_on"], extended["extensions_left"]) == (
        "2026-08-04", "2026-08-04", 2)
    # The agreed extension is not counted in the trial period: the court's clock stops from today.
    civil = hrb.judge.get(case_id)
    assert civil["state"] == "pre_mediation" and clocks(civil)["trial_ordinary"]["status"] == "paused"
    assert civil["history"][-1]["transition"] == "entrusted_mediation_extended"

    failed = hrb.mediator.fire(mediation_id, "fail", {"reason": "赔偿数额差距过大", "suggested_route": "back_to_court"},
                               effective_on=date(2026, 8, 3))
    assert failed["state"] == "failed" and clocks(failed)["entrusted_mediation"]["status"] == "met"

    civil = hrb.judge.get(case_id)
    assert civil["state"] == "trial"
    trial = clocks(civil)["trial_ordinary"]
    # Only the extension, 07-24..08-03 (10 days), is not counted: 12-15 + 10 = 12-25.
    assert (trial["strict_due_on"], trial["due_on"], trial["calendar_unconfirmed"]) == (
        "2026-12-25", "2026-12-25", False)
    assert trial["status"] == open_status("2026-12-25")
    last = civil["history"][-1]
    assert (last["from_state"], last["to_state"], last["effective_on"], last["agency"]) == (
        "pre_mediation", "trial", "2026-08-03", MED)
    # The trial goes on; the court may entrust again, pause and extend.
    assert {"render_judgment", "suspend_trial", "entrust_mediation"} <= hrb.judge.allowed(case_id)
    hrb.judge.fire(case_id, "suspend_trial", {"reason": "public_notice"}, effective_on=date(2026, 8, 20))
    hrb.judge.fire(case_id, "resume_trial", {"note": "公告期满"}, effective_on=date(2026, 9, 1))
    extended = clocks(hrb.president.fire(case_id, "extend_trial", {"reason": "院长批准延长六个月"},
                                         effective_on=date(2026, 9, 2)))["trial_ordinary"]
    # 12-15 + 6 months = 2027-06-15, + 22 days not counted = 2027-07-07.
    assert (extended["strict_due_on"], extended["due_on"]) == ("2027-07-07", "2027-07-07")
    hrb.judge.fire(case_id, "render_judgment", {"result": "rejected", "judgment_number": "(2026)黑01民初99号"},
                   effective_on=date(2026, 10, 15))
    hrb.judge.fire(case_id, "close_judgment")
    assert outcome(case_id) == "judgment" and outcome(mediation_id) == "failed"


def test_entrusted_mediation_settles_and_concludes_the_court_case(hrb):
    case_id = register_civil(hrb, received=date(2026, 9, 1))["id"]
    hrb.judge.fire(case_id, "assign_procedure", {"procedure": "simple"}, effective_on=date(2026, 9, 2))
    # Simple procedure: the 15-day step is not offered, the 7-day one is.
    assert "entrust_mediation" not in hrb.judge.allowed(case_id)
    assert "普通程序" in hrb.judge.fire(case_id, "entrust_mediation", {"mediation_org": MED},
                                                  expect=422)["error"]["message"]
    entrusted = hrb.judge.fire(case_id, "entrust_mediation_simple", {"mediation_org": MED},
                               effective_on=date(2026, 9, 3))
    assert set(clocks(entrusted)) == {"trial_simple"}
    assert clocks(entrusted)["trial_simple"]["status"] == open_status("2026-12-01")  # counted, not paused
    mediation_id = child(entrusted, "mediation")["id"]
    period = clocks(hrb.mediator.get(mediation_id))["entrusted_mediation_simple"]
    assert (period["started_on"], period["due_on"]) == ("2026-09-03", "2026-09-10")  # 7 days
    hrb.mediator.fire(mediation_id, "start_mediation", {"mediators": "何平"}, effective_on=date(2026, 9, 4))
    hrb.mediator.fire(mediation_id, "log_session", {"session_date": "2026-09-08", "summary": "达成初步意向"},
                      effective_on=date(2026, 9, 8))
    settled = hrb.mediator.fire(mediation_id, "settle", {"terms": "被告赔偿两万元", "amount": "20000.50",
                                                         "performance_date": "2026-10-31"},
                                effective_on=date(2026, 9, 10))
    assert settled["state"] == "settled"
    c = clocks(settled)
    assert c["entrusted_mediation_simple"]["status"] == "met"

    civil = hrb.judge.get(case_id)
    assert civil["state"] == "mediated"
    trial = clocks(civil)["trial_simple"]
    # The mediation days counted: 3 months from 立案 on 09-01.
    assert (trial["status"], trial["strict_due_on"], trial["due_on"]) == ("met", "2026-12-01", "2026-12-01")
    closed = hrb.judge.fire(case_id, "close_mediated", {"note": "出具调解书"})
    assert closed["state"] == "closed" and outcome(case_id) == "mediated"
    # The court deals with the agreement (调解书): the committee does not send it to a court of its choice.
    assert "apply_confirmation" not in hrb.mediator.allowed(mediation_id)
    body = hrb.mediator.fire(mediation_id, "apply_confirmation", {"court": COURT}, expect=422)
    assert "第二百零五条第一项" in body["error"]["message"]


def test_a_stand_alone_mediation_does_not_touch_a_court_case(hrb):
    case_id = register_civil(hrb)["id"]
    hrb.judge.fire(case_id, "assign_procedure", {"procedure": "ordinary"}, effective_on=date(2026, 6, 16))
    before = hrb.judge.get(case_id)
    mediation_id = settled_mediation(hrb)
    assert hrb.mediator.get(mediation_id)["links"] == []
    after = hrb.judge.get(case_id)
    assert (after["state"], after["version"], len(after["history"])) == ("trial", before["version"],
                                                                          len(before["history"]))
