"""End to end through the API: patent-infringement administrative ruling (专利纠纷行政裁决, CNIPA order 81).

Dates are fixed in 2026, whose holidays are loaded (中秋 09-25..27, 国庆 10-01..07, make-up working
days Sunday 09-20 and Saturday 10-10); 2027 is not loaded, so its due dates are "calendar unconfirmed".
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casesys.core.types import today_in_china
from tests.factories import clocks, open_status, outcome

IP = "230100-ip_office"
RECEIVED = date(2026, 9, 1)  # a Tuesday
FILED = date(2026, 9, 10)


@pytest.fixture
def ipo(actor):
    """The Harbin IP office, another city's IP office, and outsiders."""

    class Cast:
        officer = actor("ip.officer", IP, "officer")
        head = actor("ip.head", IP, "agency_head")
        qqhr_officer = actor("qqhr.ip", "230200-ip_office", "officer")
        qqhr_head = actor("qqhr.ip.head", "230200-ip_office", "agency_head")
        mr_officer = actor("mr.officer", "230100-market_regulation", "officer")

    return Cast


def register(ipo, **overrides) -> dict:
    payload = {"workflow": "patent_ruling", "title": "发明专利侵权纠纷行政裁决请求", "ip_type": "patent_invention",
               "source": "complaint", "received_on": RECEIVED.isoformat()}
    payload.update(overrides)
    return ipo.officer.register(**payload)


def to_answer_period(ipo, domicile="domestic") -> int:
    case_id = register(ipo)["id"]
    ipo.head.fire(case_id, "file_case", {"panel": "张某、李某、王某"}, effective_on=FILED)
    ipo.officer.fire(case_id, "serve_on_respondent", {"respondent_domicile": domicile, "service_method": "post"},
                     effective_on=date(2026, 9, 16))
    return case_id


def to_hearing(ipo) -> int:
    case_id = to_answer_period(ipo)
    ipo.officer.fire(case_id, "schedule_hearing", {"hearing_mode": "on_site", "hearing_date": "2026-10-20 第一审理庭"},
                     effective_on=date(2026, 10, 9))
    return case_id


def test_main_path_to_a_ruling_with_pauses_mediation_and_extensions(ipo):
    case = register(ipo)
    assert case["state"] == "petition_received" and case["number"].startswith("230100-")
    detail = ipo.officer.get(case["id"])
    filing = clocks(detail)["filing"]
    assert set(clocks(detail)) == {"filing"}
    # 5 working days after Tue 09-01: 09-02, 03, 04, 07, 08.
    assert (filing["status"], filing["due_on"], filing["calendar_unconfirmed"]) == (
        open_status("2026-09-08"), "2026-09-08", False)
    assert filing["legal_basis"]["zh"] == "《专利纠纷行政裁决和调解办法》第二十条"
    assert "Art 20" in filing["legal_basis"]["en"]
    assert {"file_case", "decline_to_file", "extend_filing", "hand_off"} <= ipo.head.allowed(case["id"])
    assert "file_case" not in ipo.officer.allowed(case["id"])

    # +5 working days, by the head only.
    ipo.officer.fire(case["id"], "extend_filing", {"reason": "案情特别复杂"}, expect=403)
    extended = ipo.head.fire(case["id"], "extend_filing", {"reason": "案情特别复杂"}, effective_on=date(2026, 9, 2))
    assert clocks(extended)["filing"]["due_on"] == "2026-09-15"
    assert clocks(extended)["filing"]["extensions_left"] == 0
    ipo.head.fire(case["id"], "extend_filing", {"reason": "再次"}, expect=422)

    filed = ipo.head.fire(case["id"], "file_case", {"panel": "张某、李某、王某"}, effective_on=FILED)
    assert filed["state"] == "accepted"
    c = clocks(filed)
    assert c["filing"]["status"] == "met"
    assert (c["serve_respondent"]["status"], c["serve_respondent"]["due_on"]) == (
        open_status("2026-09-17"), "2026-09-17")
    assert c["case_conclusion"]["started_on"] == "2026-09-10"
    assert c["case_conclusion"]["due_on"] == c["case_conclusion"]["strict_due_on"] == "2026-12-10"
    assert c["case_conclusion"]["extensions_left"] == 2
    assert "Art 37" in c["case_conclusion"]["legal_basis"]["en"]

    # Serving the respondent starts the 15-day answer period, which ends on 10-01 (National Day)
    # and rolls forward to the first working day after the holiday.
    served = ipo.officer.fire(case["id"], "serve_on_respondent",
                              {"respondent_domicile": "domestic", "service_method": "post"},
                              effective_on=date(2026, 9, 16))
    assert served["state"] == "answer_period"
    c = clocks(served)
    assert c["serve_respondent"]["status"] == "met"
    assert "answer_abroad" not in c
    assert (c["answer_domestic"]["strict_due_on"], c["answer_domestic"]["due_on"]) == ("2026-10-01", "2026-10-08")

    # A jurisdiction objection: the case period stops; the objection must be decided within
    # 5 working days (09-20 is a make-up Sunday and counts; 09-25 is Mid-Autumn).
    ipo.officer.fire(case["id"], "suspend_during_answer", {"reason": "jurisdiction_objection"}, expect=403)
    paused = ipo.head.fire(case["id"], "suspend_during_answer",
                           {"reason": "jurisdiction_objection", "note": "被请求人提出管辖异议"},
                           effective_on=date(2026, 9, 18))
    c = clocks(paused)
    assert c["case_conclusion"]["status"] == "paused"
    # An open pause counts up to today.
    assert c["case_conclusion"]["strict_due_on"] == (
        date(2026, 12, 10) + (today_in_china() - date(2026, 9, 18))).isoformat()
    assert (c["jurisdiction_decision"]["status"], c["jurisdiction_decision"]["due_on"]) == (
        open_status("2026-09-24"), "2026-09-24")
    ipo.head.fire(case["id"], "suspend_during_answer", {"reason": "appraisal"}, expect=422)  # already paused
    resumed = ipo.officer.fire(case["id"], "resume_during_answer", {"note": "异议不成立"},
                               effective_on=date(2026, 9, 28))
    c = clocks(resumed)
    # Ten days not counted: 12-10 + 10 = Sunday 12-20, rolled to Monday.
    assert c["case_conclusion"]["status"] == open_status("2026-12-21")
    assert (c["case_conclusion"]["strict_due_on"], c["case_conclusion"]["due_on"]) == ("2026-12-20", "2026-12-21")
    assert c["jurisdiction_decision"]["status"] == "late"  # decided 09-28, due 09-24

    answered = ipo.officer.fire(case["id"], "receive_answer", {"note": "不构成侵权"}, effective_on=date(2026, 9, 29))
    assert answered["state"] == "answer_period" and clocks(answered)["answer_domestic"]["status"] == "met"

    ipo.officer.fire(case["id"], "schedule_hearing", {"hearing_mode": "in_the_park", "hearing_date": "x"}, expect=422)
    hearing = ipo.officer.fire(case["id"], "schedule_hearing",
                               {"hearing_mode": "remote", "hearing_date": "2026-10-20 在线审理"},
                               effective_on=date(2026, 10, 9))
    assert hearing["state"] == "hearing"

    # Mediation conducted by the office counts in the case period (Art 37 excludes only 和解期间).
    mediating = ipo.officer.fire(case["id"], "start_mediation", effective_on=date(2026, 10, 12))
    c = clocks(mediating)["case_conclusion"]
    assert mediating["state"] == "mediating" and c["status"] == open_status("2026-12-21")
    assert c["strict_due_on"] == "2026-12-20"
    failed = ipo.officer.fire(case["id"], "mediation_failed", {"note": "赔偿数额分歧过大"},
                              effective_on=date(2026, 10, 15))
    assert failed["state"] == "hearing"
    assert clocks(failed)["case_conclusion"]["strict_due_on"] == "2026-12-20"  # nothing was excluded
    # The parties then try to settle by themselves (和解期间): that time is not counted.
    talks = ipo.head.fire(case["id"], "suspend_proceedings", {"reason": "settlement", "note": "双方自行协商"},
                          effective_on=date(2026, 10, 15))
    assert clocks(talks)["case_conclusion"]["status"] == "paused"
    resumed = ipo.officer.fire(case["id"], "resume_proceedings", {"note": "和解未成"}, effective_on=date(2026, 10, 25))
    assert clocks(resumed)["case_conclusion"]["strict_due_on"] == "2026-12-30"

    # Extensions: +1 month (head), then +2 months (approved one level up, recorded with its number).
    assert "extend_case_conclusion" not in ipo.officer.allowed(case["id"])
    assert "extend_case_conclusion_superior" not in ipo.head.allowed(case["id"])  # the head's month comes first
    ipo.head.fire(case["id"], "extend_case_conclusion_superior",
                  {"superior_office": "230000-ip_office", "superior_approval_number": "黑知裁〔2026〕3号",
                   "reason": "x"}, expect=422)
    ipo.officer.fire(case["id"], "extend_case_conclusion", {"reason": "案情复杂"}, expect=403)
    first = clocks(ipo.head.fire(case["id"], "extend_case_conclusion", {"reason": "案情复杂"},
                                 effective_on=date(2026, 10, 26)))["case_conclusion"]
    # 09-10 + 3 months + 1 month = 2027-01-10, + 20 days not counted = Saturday 01-30 -> Monday 02-01.
    assert (first["strict_due_on"], first["due_on"], first["extensions_left"]) == ("2027-01-30", "2027-02-01", 1)
    assert first["calendar_unconfirmed"] is True  # 2027 holidays are not loaded
    # The head cannot grant the second step on the office's own authority.
    body = ipo.head.fire(case["id"], "extend_case_conclusion", {"reason": "x"}, expect=422)
    assert "一个月延长已经作出" in body["error"]["message"]
    assert "extend_case_conclusion_superior" in ipo.head.allowed(case["id"])
    superior = {"superior_office": "230000-ip_office", "superior_approval_number": "黑知裁〔2026〕3号",
                "reason": "案情特别复杂"}
    errors = ipo.head.fire(case["id"], "extend_case_conclusion_superior", {"reason": "x"}, expect=422)["error"]
    assert {"superior_office", "superior_approval_number"} <= set(errors["fields"])
    body = ipo.head.fire(case["id"], "extend_case_conclusion_superior", {**superior, "extension_amount": 3},
                         expect=422)
    assert "extension_amount" in body["error"]["fields"]  # the second step allows at most 2 months
    second = ipo.head.fire(case["id"], "extend_case_conclusion_superior", superior, effective_on=date(2026, 10, 30))
    assert (clocks(second)["case_conclusion"]["due_on"], clocks(second)["case_conclusion"]["extensions_left"]) == (
        "2027-03-30", 0)
    event = second["history"][-1]
    assert event["fields"]["superior_approval_number"] == "黑知裁〔2026〕3号"
    ipo.head.fire(case["id"], "extend_case_conclusion_superior", superior, expect=422)

    ipo.officer.fire(case["id"], "rule", {"ruling": "infringement_found", "reasons": "落入保护范围"}, expect=403)
    ipo.head.fire(case["id"], "rule", {"reasons": "落入保护范围"}, expect=422)
    ruled = ipo.head.fire(case["id"], "rule", {"ruling": "infringement_found", "reasons": "落入保护范围"},
                          effective_on=date(2026, 11, 2))
    assert ruled["state"] == "ruled"
    c = clocks(ruled)
    assert c["case_conclusion"]["status"] == "met"
    assert (c["publish_ruling"]["status"], c["publish_ruling"]["due_on"]) == (open_status("2026-11-30"), "2026-11-30")
    published = ipo.officer.fire(case["id"], "publish", {"note": "门户网站"}, effective_on=date(2026, 11, 5))
    assert clocks(published)["publish_ruling"]["status"] == "met"

    ipo.officer.fire(case["id"], "close_ruled", expect=403)
    closed = ipo.head.fire(case["id"], "close_ruled")
    assert closed["state"] == "closed" and closed["allowed_transitions"] == []
    assert all(c["status"] in ("met", "late", "ended") for c in closed["clocks"])
    assert outcome(case["id"]) == "ruled"
    kinds = [e["kind"] for e in closed["history"]]
    assert kinds[0] == "registered" and kinds.count("transition") == 16


def test_respondent_without_domicile_in_china_has_thirty_days(ipo):
    case_id = to_answer_period(ipo, domicile="abroad")
    c = clocks(ipo.officer.get(case_id))
    assert "answer_domestic" not in c
    assert (c["answer_abroad"]["status"], c["answer_abroad"]["started_on"], c["answer_abroad"]["due_on"]) == (
        open_status("2026-10-16"), "2026-09-16", "2026-10-16")
    assert c["answer_abroad"]["legal_basis"]["zh"].endswith("第二十二条第一款")
    # Public notice is not counted either, but it opens no jurisdiction-objection clock.
    paused = ipo.head.fire(case_id, "suspend_during_answer", {"reason": "public_notice"},
                           effective_on=date(2026, 9, 21))
    assert clocks(paused)["case_conclusion"]["status"] == "paused" and "jurisdiction_decision" not in clocks(paused)
    resumed = ipo.officer.fire(case_id, "resume_during_answer", {"note": "公告期满"}, effective_on=date(2026, 10, 1))
    assert clocks(resumed)["case_conclusion"]["due_on"] == "2026-12-21"  # 12-10 + 10 = Sunday 12-20
    assert clocks(resumed)["answer_abroad"]["due_on"] == "2026-10-16"  # the party's period does not pause
    # No answer came: the hearing is scheduled once the period has run; the answer clock stops.
    heard = ipo.officer.fire(case_id, "schedule_hearing", {"hearing_mode": "remote", "hearing_date": "2026-11-01"},
                             effective_on=date(2026, 10, 19))
    assert clocks(heard)["answer_abroad"]["status"] == "late"


def test_serving_needs_the_domicile_and_a_method(ipo):
    case_id = register(ipo)["id"]
    ipo.head.fire(case_id, "file_case", effective_on=FILED)
    errors = ipo.officer.fire(case_id, "serve_on_respondent", {}, expect=422)["error"]["fields"]
    assert {"respondent_domicile", "service_method"} <= set(errors)
    errors = ipo.officer.fire(case_id, "serve_on_respondent", {"respondent_domicile": True, "service_method": "post"},
                              expect=422)["error"]["fields"]
    assert set(errors) == {"respondent_domicile"}
    assert ipo.officer.get(case_id)["state"] == "accepted"


def test_settled_by_mediation_during_the_answer_period(ipo):
    case_id = to_answer_period(ipo)
    mediating = ipo.officer.fire(case_id, "start_mediation", {"note": "双方同意调解"}, effective_on=date(2026, 9, 20))
    c = clocks(mediating)
    assert mediating["state"] == "mediating"
    # The office's mediation counts: the case period keeps running.
    assert c["answer_domestic"]["status"] == "met" and c["case_conclusion"]["status"] == open_status("2026-12-10")
    assert "rule" not in ipo.head.allowed(case_id)
    ipo.officer.fire(case_id, "settle", {"amount": "50000"}, expect=422)  # terms are required
    settled = ipo.officer.fire(case_id, "settle", {"terms": "被请求人停止制造并赔偿五万元", "amount": "50000"},
                               effective_on=date(2026, 9, 30))
    assert settled["state"] == "settled" and settled["amount_involved"] == "50000.00"
    conclusion = clocks(settled)["case_conclusion"]
    # Ten days of mediation by the office (09-20..09-30) are counted: the period still ends 12-10.
    assert (conclusion["status"], conclusion["strict_due_on"], conclusion["due_on"]) == (
        "met", "2026-12-10", "2026-12-10")
    closed = ipo.head.fire(case_id, "close_settled", {"note": "已履行"})
    assert closed["state"] == "closed" and outcome(case_id) == "settled"


def test_pause_during_the_hearing_and_rejection(ipo):
    case_id = to_hearing(ipo)
    paused = ipo.head.fire(case_id, "suspend_proceedings", {"reason": "suspension", "note": "无效宣告请求已受理"},
                           effective_on=date(2026, 10, 12))
    c = clocks(paused)
    assert c["case_conclusion"]["status"] == "paused"
    assert "jurisdiction_decision" not in c  # only a jurisdiction objection starts that clock
    assert "suspend_proceedings" not in ipo.head.allowed(case_id)  # the period is already stopped
    resumed = ipo.officer.fire(case_id, "resume_proceedings", {"note": "专利权维持有效"},
                               effective_on=date(2026, 11, 11))
    # 30 days not counted: 12-10 + 30 = 2027-01-09 (Saturday) -> Monday 01-11.
    assert (clocks(resumed)["case_conclusion"]["strict_due_on"], clocks(resumed)["case_conclusion"]["due_on"]) == (
        "2027-01-09", "2027-01-11")
    ruled = ipo.head.fire(case_id, "rule", {"ruling": "request_rejected", "reasons": "未落入保护范围"},
                          effective_on=date(2026, 11, 12))
    assert ruled["state"] == "ruled"


def test_withdrawal_and_refusal_to_file(ipo):
    case_id = register(ipo)["id"]
    ipo.head.fire(case_id, "file_case", effective_on=FILED)
    ipo.officer.fire(case_id, "withdraw", {}, expect=422)
    withdrawn = ipo.officer.fire(case_id, "withdraw", {"reason": "双方自行和解"}, effective_on=date(2026, 9, 11))
    c = clocks(withdrawn)
    assert withdrawn["state"] == "withdrawn"
    assert c["serve_respondent"]["status"] == "met" and c["case_conclusion"]["status"] == "met"
    ipo.head.fire(case_id, "close_withdrawn")
    assert outcome(case_id) == "withdrawn"

    other = register(ipo)["id"]
    ipo.officer.fire(other, "decline_to_file", {"ground": "in_court", "reason": "已起诉"}, expect=403)
    errors = ipo.head.fire(other, "decline_to_file", {"reason": "已起诉"}, expect=422)["error"]["fields"]
    assert "ground" in errors
    refused = ipo.head.fire(other, "decline_to_file", {"ground": "in_court", "reason": "当事人已向法院起诉"},
                            effective_on=date(2026, 9, 7))
    assert refused["state"] == "not_accepted" and clocks(refused)["filing"]["status"] == "met"
    assert refused["allowed_transitions"] == [] and outcome(other) == "not_accepted"
    ipo.head.fire(other, "file_case", expect=422)


def test_refusals(ipo):
    case_id = register(ipo)["id"]
    # wrong state
    body = ipo.head.fire(case_id, "rule", {"ruling": "request_rejected", "reasons": "x"}, expect=422)
    assert "transition" in body["error"]["fields"]
    ipo.officer.fire(case_id, "serve_on_respondent", {"respondent_domicile": "domestic", "service_method": "post"},
                     expect=422)
    # wrong role
    ipo.officer.fire(case_id, "file_case", expect=403)
    # other agencies cannot see it, let alone act
    ipo.qqhr_officer.get(case_id, expect=404)
    ipo.qqhr_head.fire(case_id, "file_case", expect=404)
    ipo.mr_officer.get(case_id, expect=404)
    # only IP offices register patent rulings
    body = ipo.mr_officer.register(workflow="patent_ruling", ip_type="patent_invention", expect=422)
    assert "workflow" in body["error"]["fields"]
    # filing needs a named respondent
    lonely = register(ipo, parties=[{"role": "complainant", "kind": "person", "name": "刘某"}])["id"]
    assert "file_case" not in ipo.head.allowed(lonely)
    assert ipo.head.fire(lonely, "file_case", expect=422)["error"]["fields"]["transition"]
    assert ipo.head.get(case_id)["state"] == "petition_received"


def test_handoff_to_another_ip_office_restarts_the_filing_clock(ipo):
    case_id = register(ipo, received_on=(today_in_china() - timedelta(days=2)).isoformat())["id"]
    body = ipo.officer.fire(case_id, "hand_off", {"receiving_agency": "230100-market_regulation", "reason": "x",
                                                  "materials": "y"}, expect=422)
    assert "receiving_agency" in body["error"]["fields"]
    sent = ipo.officer.fire(case_id, "hand_off", {"receiving_agency": "230200-ip_office",
                                                  "reason": "被请求人住所地在齐齐哈尔", "materials": "请求书及证据"})
    assert clocks(sent)["handoff_receipt"]["status"] == "running"
    assert ipo.qqhr_officer.allowed(case_id) == {"accept_handoff", "return_handoff"}
    accepted = ipo.qqhr_officer.fire(case_id, "accept_handoff")
    assert accepted["agency"] == "230200-ip_office" and accepted["former_numbers"]
    filing = [c for c in accepted["clocks"] if c["key"] == "filing"]
    assert sorted(c["status"] for c in filing) == ["ended", "running"]
    running = next(c for c in filing if c["status"] == "running")
    assert running["started_on"] == today_in_china().isoformat()
    # Filing is no longer possible once the case is accepted; so is a handoff.
    ipo.qqhr_head.fire(case_id, "file_case", effective_on=today_in_china())
    assert "hand_off" not in ipo.qqhr_head.allowed(case_id)
