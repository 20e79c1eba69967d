"""End to end through the API (issue 12 point 11): pre-filing mediation a court invites (委派调解)
without a filed civil case, and the competent court for judicial confirmation (民事诉讼法 2023 Art 205).

Dates are fixed in 2026, whose holidays are loaded (中秋 09-25..27, 国庆 10-01..07).
"""

from __future__ import annotations

from datetime import date

from casesys.cases.models import Case
from casesys.extensions import db
from tests import test_workflow_mediation_court as court_tests
from tests.factories import clocks, open_status, outcome
from tests.test_workflow_mediation_court import BASIC, COURT, MED, child

hrb, basic = court_tests.hrb, court_tests.basic  # the Harbin cast and the Daoli basic court (fixtures)


def pre_filing(hrb, ip_type="trademark") -> dict:
    return hrb.judge.register(workflow="civil_litigation", state="pre_filing", title="侵害商标权纠纷（诉前调解）",
                              ip_type=ip_type, source="complaint", received_on="2026-08-03")


def delegated(hrb) -> tuple[int, int]:
    case = pre_filing(hrb)
    referred = hrb.judge.fire(case["id"], "delegate_mediation", {"mediation_org": MED, "reason": "当事人同意诉前调解"},
                              effective_on=date(2026, 8, 4))
    return case["id"], child(referred, "mediation")["id"]


def test_pre_filing_mediation_opens_without_a_filed_civil_case(hrb):
    case = pre_filing(hrb)
    assert case["state"] == "pre_filing" and hrb.judge.get(case["id"])["clocks"] == []
    assert {"delegate_mediation", "file_case", "close_pre_filing"} <= hrb.judge.allowed(case["id"])
    assert not hrb.judge.allowed(case["id"]) & {"assign_procedure", "render_judgment"}
    referred = hrb.judge.fire(case["id"], "delegate_mediation", {"mediation_org": MED}, effective_on=date(2026, 8, 4))
    assert referred["state"] == "pre_filing_mediation" and hrb.judge.allowed(case["id"]) == set()
    # Not filed (立案): the statistics do not count it as an accepted civil case.
    assert db.session.get(Case, case["id"]).filed_on is None

    mediation_id = child(referred, "mediation")["id"]
    mediation = hrb.mediator.get(mediation_id)
    assert (mediation["state"], mediation["source"]) == ("accepted", "court_referral")
    period = clocks(mediation)["delegated_mediation"]
    # 30 days from signing for the court's file.
    assert (period["started_on"], period["due_on"], period["extensions_left"]) == ("2026-08-04", "2026-09-03", 3)
    assert "Art 27(1)" in period["legal_basis"]["en"] and "第二十七条" in period["legal_basis"]["zh"]
    assert "entrusted_mediation" not in clocks(mediation)
    hrb.mediator.fire(mediation_id, "start_mediation", {"mediators": "何平"}, effective_on=date(2026, 8, 5))
    extended = clocks(hrb.mediator.fire(mediation_id, "extend_entrusted_mediation",
                                        {"reason": "双方同意延长", "extension_amount": 15},
                                        effective_on=date(2026, 9, 2)))["delegated_mediation"]
    assert extended["due_on"] == "2026-09-18"
    # No trial period runs before filing, so nothing to pause on the court's side.
    civil = hrb.judge.get(case["id"])
    assert civil["state"] == "pre_filing_mediation" and civil["clocks"] == []


def test_pre_filing_settlement_is_confirmed_by_the_inviting_court(hrb):
    case_id, mediation_id = delegated(hrb)
    hrb.mediator.fire(mediation_id, "start_mediation", {"mediators": "何平"}, effective_on=date(2026, 8, 5))
    settled = hrb.mediator.fire(mediation_id, "settle", {"terms": "停止使用并赔偿两万元", "amount": "20000"},
                                effective_on=date(2026, 8, 20))
    assert clocks(settled)["delegated_mediation"]["status"] == "met"
    civil = hrb.judge.get(case_id)
    assert civil["state"] == "pre_filing_settled"
    # The committee cannot send the agreement to another court: the inviting court confirms it (Art 205(1)).
    assert "apply_confirmation" not in hrb.mediator.allowed(mediation_id)
    assert "第二百零五条第一项" in hrb.mediator.fire(mediation_id, "apply_confirmation", {"court": "230200-court"},
                                             expect=422)["error"]["message"]
    applied = hrb.judge.fire(case_id, "apply_confirmation", {"reason": "双方共同申请"}, effective_on=date(2026, 8, 24))
    assert applied["state"] == "confirmation_applied"
    confirmation_id = child(applied, "judicial_confirmation")["id"]
    confirmation = hrb.judge.get(confirmation_id)
    assert (confirmation["state"], confirmation["agency"]) == ("applied", COURT)
    assert "accept" in hrb.judge.allowed(confirmation_id)  # the inviting court is competent
    hrb.judge.fire(confirmation_id, "accept", effective_on=date(2026, 8, 25))
    hrb.judge.fire(confirmation_id, "start_review", effective_on=date(2026, 8, 25))
    hrb.judge.fire(confirmation_id, "confirm", {"ruling_number": "（2026）黑01民特5号"}, effective_on=date(2026, 9, 1))
    civil = hrb.judge.get(case_id)
    assert civil["state"] == "closed" and outcome(case_id) == "pre_filing_confirmation"
    assert db.session.get(Case, case_id).filed_on is None


def test_pre_filing_mediation_fails_and_the_court_files_the_case(hrb):
    case_id, mediation_id = delegated(hrb)
    hrb.mediator.fire(mediation_id, "fail", {"reason": "被告拒绝", "suggested_route": "back_to_court"},
                      effective_on=date(2026, 8, 20))
    civil = hrb.judge.get(case_id)
    assert civil["state"] == "pre_filing" and "file_case" in hrb.judge.allowed(case_id)
    filed = hrb.judge.fire(case_id, "file_case", {"note": "原告坚持起诉"}, effective_on=date(2026, 8, 24))
    assert filed["state"] == "filed" and db.session.get(Case, case_id).filed_on == date(2026, 8, 24)
    trial = clocks(hrb.judge.fire(case_id, "assign_procedure", {"procedure": "ordinary"},
                                  effective_on=date(2026, 8, 26)))["trial_ordinary"]
    # The trial period runs from 立案 (08-24), not from the pre-filing registration (08-03).
    assert (trial["started_on"], trial["due_on"]) == ("2026-08-24", "2027-02-24")
    assert trial["status"] == open_status("2027-02-24")


def confirmation_at(hrb, court: str, mediator=None, **overrides) -> int:
    mediator = mediator or hrb.mediator
    case_id = mediator.register(**{"workflow": "mediation", "title": "知识产权纠纷调解", "ip_type": "trademark",
                                   "source": "complaint", "received_on": "2026-08-03", **overrides})["id"]
    mediator.fire(case_id, "accept", effective_on=date(2026, 8, 4))
    mediator.fire(case_id, "start_mediation", {"mediators": "何平"}, effective_on=date(2026, 8, 5))
    mediator.fire(case_id, "settle", {"terms": "赔偿一万元", "amount": "10000"}, effective_on=date(2026, 8, 20))
    applied = mediator.fire(case_id, "apply_confirmation", {"court": court}, effective_on=date(2026, 8, 24))
    return child(applied, "judicial_confirmation")["id"]


def test_a_higher_court_or_a_court_elsewhere_is_not_competent(hrb, actor):
    high = actor("high.judge", "230000-court", "officer")
    confirmation_id = confirmation_at(hrb, "230000-court")
    assert "accept" not in high.allowed(confirmation_id)
    body = high.fire(confirmation_id, "accept", expect=422)
    assert "高级人民法院" in body["error"]["message"] and "第二百零五条" in body["error"]["message"]
    refused = high.fire(confirmation_id, "refuse", {"ground": "not_competent", "reason": "应向中级人民法院申请"},
                        effective_on=date(2026, 8, 25))
    assert refused["state"] == "not_accepted"

    confirmation_id = confirmation_at(hrb, "230200-court")  # Qiqihar, for a Harbin mediation
    body = hrb.qqhr_judge.fire(confirmation_id, "accept", expect=422)
    assert "不是调解组织所在地" in body["error"]["message"]
    assert "accept" not in hrb.qqhr_judge.allowed(confirmation_id)


def test_basic_and_intermediate_courts_by_kind_of_dispute(hrb, basic):
    # A trademark agreement from the district's committee: its basic court confirms it.
    confirmation_id = confirmation_at(hrb, BASIC, basic.mediator, region="230102")
    assert "accept" in basic.judge.allowed(confirmation_id)
    assert basic.judge.fire(confirmation_id, "accept", effective_on=date(2026, 8, 25))["state"] == "accepted"
    # An invention-patent dispute belongs to an intermediate court (法释〔2022〕13号 Art 1): the basic court
    # may not confirm it ...
    confirmation_id = confirmation_at(hrb, BASIC, basic.mediator, region="230102", ip_type="patent_invention")
    body = basic.judge.fire(confirmation_id, "accept", expect=422)
    assert "中级人民法院" in body["error"]["message"]
    # ... the Harbin intermediate court may, for a dispute in its area.
    confirmation_id = confirmation_at(hrb, COURT, basic.mediator, region="230102", ip_type="patent_invention")
    assert "accept" in hrb.judge.allowed(confirmation_id)
    # A basic court of another city is not.
    confirmation_id = confirmation_at(hrb, BASIC, hrb.qqhr_mediator, region="230200")
    assert "不是调解组织所在地" in basic.judge.fire(confirmation_id, "accept", expect=422)["error"]["message"]
