"""End to end through the API: administrative enforcement, criminal transfer (两法衔接), handoff."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casesys.core.types import today_in_china

MR = "230100-market_regulation"


@pytest.fixture
def hrb(actor):
    """The Harbin cast: market-regulation officer and head, police, procuratorate, copyright."""

    class Cast:
        officer = actor("mr.officer", MR, "officer")
        head = actor("mr.head", MR, "agency_head")
        police = actor("police.officer", "230100-public_security", "officer")
        police_head = actor("police.head", "230100-public_security", "agency_head")
        procurator = actor("procurator", "230100-procuratorate", "agency_head")
        copyright_officer = actor("cr.officer", "230100-copyright", "officer")
        qqhr_officer = actor("qqhr.officer", "230200-market_regulation", "officer")
        province_procurator = actor("hl.procurator", "230000-procuratorate", "officer")
        qqhr_procurator = actor("qqhr.procurator", "230200-procuratorate", "officer")

    return Cast


def _to_investigating(hrb) -> dict:
    case = hrb.officer.register(received_on=(today_in_china() - timedelta(days=10)).isoformat())
    hrb.officer.fire(case["id"], "start_verification", {"is_complaint": True})
    hrb.head.fire(case["id"], "file_case", {"note": "符合立案条件"})
    return hrb.officer.fire(case["id"], "start_investigation")


def test_main_path_to_a_penalty_decision(hrb):
    case = hrb.officer.register()
    assert {c["key"] for c in case.get("clocks", [])} <= {"filing_decision"}
    detail = hrb.officer.get(case["id"])
    clock = {c["key"]: c for c in detail["clocks"]}["filing_decision"]
    assert clock["status"] == "running" and clock["legal_basis"]["zh"].startswith("《市场监督管理行政处罚程序规定》")
    assert clock["calendar_unconfirmed"] in (True, False)
    assert {t["name"] for t in detail["allowed_transitions"]} >= {"start_verification", "hand_off"}

    hrb.officer.fire(case["id"], "start_verification", {"is_complaint": True})
    keys = {c["key"]: c["status"] for c in hrb.officer.get(case["id"])["clocks"]}
    assert keys == {"filing_decision": "running", "complaint_acceptance": "running"}
    # The officer may not approve filing; the head may.
    assert "file_case" not in hrb.officer.allowed(case["id"])
    hrb.officer.fire(case["id"], "file_case", expect=403)
    filed = hrb.head.fire(case["id"], "file_case")
    assert filed["state"] == "filed"
    clocks = {c["key"]: c for c in filed["clocks"]}
    assert clocks["filing_decision"]["status"] == "met"
    assert clocks["case_decision"]["status"] == "running"
    assert clocks["case_decision"]["due_on"] >= (today_in_china() + timedelta(days=90)).isoformat()

    hrb.officer.fire(case["id"], "start_investigation")
    notified = hrb.officer.fire(case["id"], "notify_party", {"intended_penalty": "罚款五万元"})
    assert "statement_period" in {c["key"] for c in notified["clocks"] if c["status"] == "running"}
    hrb.officer.fire(case["id"], "request_hearing")
    paused = {c["key"]: c["status"] for c in hrb.officer.get(case["id"])["clocks"]}
    assert paused["case_decision"] == "paused" and paused["statement_period"] == "met"
    hrb.officer.fire(case["id"], "end_hearing", {"note": "当事人到场陈述"})
    decided = hrb.head.fire(case["id"], "decide_penalty",
                            {"decision": "penalty", "fine": "50000", "order_to_stop": True})
    assert decided["state"] == "decided"
    closed = hrb.head.fire(case["id"], "close_case")
    assert closed["state"] == "closed" and closed["outcome"] == "decided"
    assert closed["closed_on"] == today_in_china().isoformat()
    assert all(c["status"] in ("met", "late", "ended") for c in closed["clocks"])
    assert closed["allowed_transitions"] == []
    assert closed["history"][-2]["transition"] == "decide_penalty"
    assert closed["history"][-2]["fields"]["fine"] == "50000.00"
    kinds = [e["kind"] for e in closed["history"]]
    assert kinds[0] == "registered" and kinds.count("transition") == 8


def test_not_filed_is_final(hrb):
    case = hrb.officer.register()
    hrb.head.fire(case["id"], "decide_not_to_file", {"reason": "不属于本机关管辖"})
    assert hrb.head.get(case["id"])["state"] == "not_filed"
    hrb.head.fire(case["id"], "start_verification", expect=422)


def test_refusals_are_clear(hrb, actor):
    case = hrb.officer.register()
    # wrong state
    body = hrb.head.fire(case["id"], "close_case", expect=422)
    assert "transition" in body["error"]["fields"]
    # unknown transition
    assert hrb.head.fire(case["id"], "teleport", expect=422)["error"]["fields"]["transition"]
    # another agency cannot even see it
    hrb.qqhr_officer.fire(case["id"], "start_verification", expect=404)
    # a supervisor sees it but may not move it
    supervisor = actor("sup", "230000-coordination_office", "supervisor")
    assert supervisor.get(case["id"])["allowed_transitions"] == []
    supervisor.fire(case["id"], "start_verification", expect=403)
    # missing required field, unknown field, bad types
    hrb.officer.fire(case["id"], "start_verification")
    errors = hrb.head.fire(case["id"], "decide_not_to_file", {}, expect=422)["error"]["fields"]
    assert "reason" in errors
    errors = hrb.head.fire(case["id"], "decide_not_to_file", {"reason": "x", "colour": "red"},
                           expect=422)["error"]["fields"]
    assert "colour" in errors
    # stale version
    stale = hrb.head.get(case["id"])["version"] - 1
    body = hrb.head.fire(case["id"], "decide_not_to_file", {"reason": "x"}, version=stale, expect=409)
    assert body["error"]["code"] == "conflict"


def test_effective_date_rules(hrb):
    received = today_in_china() - timedelta(days=20)
    case = hrb.officer.register(received_on=received.isoformat())
    hrb.officer.fire(case["id"], "start_verification", effective_on=received - timedelta(days=1), expect=422)
    hrb.officer.fire(case["id"], "start_verification", effective_on=today_in_china() + timedelta(days=1),
                     expect=422)
    yesterday = today_in_china() - timedelta(days=1)
    hrb.officer.fire(case["id"], "start_verification", effective_on=yesterday)
    filed = hrb.head.fire(case["id"], "file_case", effective_on=yesterday)
    clock = {c["key"]: c for c in filed["clocks"]}["case_decision"]
    # Clocks start from the effective date: 90 days after yesterday, rolled to a working day.
    assert clock["started_on"] == yesterday.isoformat()
    assert clock["strict_due_on"] == (yesterday + timedelta(days=90)).isoformat()
    assert clock["due_on"] >= clock["strict_due_on"]


def test_pause_and_extension_move_the_due_date(hrb):
    case = _to_investigating(hrb)
    before = {c["key"]: c for c in hrb.head.get(case["id"])["clocks"]}["case_decision"]
    extended = hrb.head.fire(case["id"], "extend_case_decision", {"reason": "案情复杂"})
    after = {c["key"]: c for c in extended["clocks"]}["case_decision"]
    assert date.fromisoformat(after["strict_due_on"]) == date.fromisoformat(before["strict_due_on"]) + timedelta(30)
    assert after["extensions_left"] == 1
    # The second step has no fixed amount: the head must say how long.
    body = hrb.head.fire(case["id"], "extend_case_decision", {"reason": "集体讨论"}, expect=422)
    assert "extension_amount" in body["error"]["fields"]
    hrb.head.fire(case["id"], "extend_case_decision", {"reason": "集体讨论", "extension_amount": 10})
    hrb.head.fire(case["id"], "extend_case_decision", {"reason": "again"}, expect=422)  # no steps left
    # officers may not extend
    assert "extend_case_decision" not in hrb.officer.allowed(case["id"])


def test_criminal_transfer_filed_by_police_closes_the_admin_case(hrb):
    case = _to_investigating(hrb)
    proposed = hrb.officer.fire(case["id"], "propose_criminal_transfer",
                                {"reason": "销售金额超过五万元，涉嫌销售假冒注册商标的商品罪",
                                 "task_group": "王某、李某"})
    assert proposed["state"] == "awaiting_criminal"
    [link] = proposed["links"]
    assert link["workflow"] == "criminal_transfer" and link["direction"] == "child"
    transfer_id = link["id"]
    transfer = hrb.head.get(transfer_id)
    assert transfer["state"] == "transfer_proposed" and transfer["agency"] == MR
    assert {c["key"] for c in transfer["clocks"]} == {"approval_decision"}
    # Before the transfer the police and the procuratorate see nothing.
    hrb.police.get(transfer_id, expect=404)
    hrb.procurator.get(transfer_id, expect=404)

    hrb.head.fire(transfer_id, "approve_transfer")
    clock = {c["key"]: c for c in hrb.head.get(transfer_id)["clocks"]}["transfer_within_24h"]
    assert clock["due_at"] is not None
    transferred = hrb.officer.fire(transfer_id, "transfer", {"materials": "移送书、调查报告、涉案物品清单"})
    assert transferred["agency"] == "230100-public_security"
    assert transferred["number"].startswith("230100-GA-") and transferred["former_numbers"]
    # The procuratorate sees it the moment it is transferred (the province's too); the police own it.
    assert hrb.procurator.get(transfer_id)["state"] == "transferred"
    assert hrb.province_procurator.get(transfer_id)["access"] == "full"
    hrb.qqhr_procurator.get(transfer_id, expect=404)
    assert "accept_transfer" in hrb.police.allowed(transfer_id)
    hrb.police.fire(transfer_id, "accept_transfer")
    review = hrb.police.get(transfer_id)
    assert {c["key"] for c in review["clocks"] if c["status"] == "running"} == {"police_filing_decision"}
    hrb.police.fire(transfer_id, "file_criminal_case", {"decision_number": "哈公立字〔2026〕1号"}, expect=403)
    hrb.police_head.fire(transfer_id, "file_criminal_case", {"decision_number": "哈公立字〔2026〕1号"})

    admin = hrb.head.get(case["id"])
    assert admin["state"] == "criminal_filed" and admin["allowed_transitions"] == []
    assert admin["history"][-1]["kind"] == "transition"
    # The transferring agency hands over the seized items (its own clock on the police case).
    assert "hand_over_items" in hrb.officer.allowed(transfer_id)
    hrb.officer.fire(transfer_id, "hand_over_items", {"items": "假冒商品 1200 件"})
    hrb.police.fire(transfer_id, "start_investigation")
    solved = hrb.police.fire(transfer_id, "solve", {"suspects_arrested": 3, "amount_involved": "2600000.00"})
    assert solved["state"] == "solved" and solved["amount_involved"] == "2600000.00"
    hrb.police_head.fire(transfer_id, "refer_for_prosecution", {"reference": "哈公诉字〔2026〕9号"})
    assert hrb.police_head.fire(transfer_id, "close_after_prosecution")["state"] == "closed"
    admin = hrb.head.get(case["id"])
    assert admin["state"] == "closed" and admin["outcome"] == "transferred"


def test_declined_transfer_resumes_the_admin_case_and_supervision_can_order_filing(hrb):
    case = _to_investigating(hrb)
    transfer_id = hrb.officer.fire(case["id"], "propose_criminal_transfer",
                                   {"reason": "涉嫌犯罪", "task_group": "王某、李某"})["links"][0]["id"]
    hrb.head.fire(transfer_id, "approve_transfer")
    hrb.officer.fire(transfer_id, "transfer", {"materials": "全部材料"})
    hrb.police.fire(transfer_id, "accept_transfer")
    hrb.police_head.fire(transfer_id, "decline_filing", {"reason": "未达追诉标准"})
    assert hrb.head.get(case["id"])["state"] == "investigating"  # resumed
    # The agency asks for reconsideration; the police uphold; the procuratorate orders filing.
    hrb.head.fire(transfer_id, "request_reconsideration", {"reason": "金额已达标准"})
    hrb.police_head.fire(transfer_id, "uphold_refusal", {"reason": "维持"})
    hrb.head.fire(transfer_id, "request_supervision", {"reason": "建议立案监督"})
    # First the reasons (7 days), only then an order to file (15 days).
    assert hrb.procurator.allowed(transfer_id) >= {"ask_explanation", "decline_supervision"}
    assert "order_filing" not in hrb.procurator.allowed(transfer_id)
    asked = hrb.procurator.fire(transfer_id, "ask_explanation")
    assert asked["state"] == "explanation_requested"
    assert {c["key"]: c for c in asked["clocks"]}["explanation_reply"]["status"] == "running"
    hrb.police.fire(transfer_id, "explain_refusal", {"explanation": "证据不足"})
    ordered = hrb.procurator.fire(transfer_id, "order_filing", {"reason": "理由不成立"})
    assert {c["key"]: c for c in ordered["clocks"]}["filing_on_order"]["status"] == "running"
    # The police ignore it: a correction notice, followed up.
    noticed = hrb.procurator.fire(transfer_id, "issue_correction_notice", {"reference": "哈检纠违〔2026〕1号"})
    assert {c["key"]: c["kind"] for c in noticed["clocks"]}["correction_follow_up"] == "follow_up"
    filed = hrb.police_head.fire(transfer_id, "file_on_order", {"decision_number": "哈公立字〔2026〕2号"})
    assert filed["state"] == "filed"
    assert {c["key"]: c["status"] for c in filed["clocks"]}["correction_follow_up"] != "running"
    # The admin case, which had resumed, now waits on the criminal case.
    assert hrb.head.get(case["id"])["state"] == "criminal_filed"


def test_refused_transfer_and_police_return(hrb):
    case = _to_investigating(hrb)
    first = hrb.officer.fire(case["id"], "propose_criminal_transfer", {"reason": "疑似", "task_group": "甲、乙"})
    hrb.head.fire(first["links"][0]["id"], "refuse_transfer", {"reason": "证据不足以认定涉嫌犯罪"})
    assert hrb.head.get(case["id"])["state"] == "investigating"

    second = hrb.officer.fire(case["id"], "propose_criminal_transfer", {"reason": "新证据", "task_group": "甲、乙"})
    transfer_id = next(link["id"] for link in second["links"] if link["state"] == "transfer_proposed")
    hrb.head.fire(transfer_id, "approve_transfer")
    hrb.officer.fire(transfer_id, "transfer", {"materials": "材料"})
    hrb.police.fire(transfer_id, "accept_transfer")
    hrb.police_head.fire(transfer_id, "file_criminal_case", {"decision_number": "1"})
    assert hrb.head.get(case["id"])["state"] == "criminal_filed"
    hrb.police.fire(transfer_id, "start_investigation")
    hrb.police_head.fire(transfer_id, "return_for_admin_penalty", {"reason": "不构成犯罪"})
    assert hrb.police.get(transfer_id)["state"] == "returned_for_admin_penalty"
    # Decree 310 Art 13, 行政处罚法 Art 27: the agency deals with it, on its own (internal) clock.
    admin = hrb.head.get(case["id"])
    assert admin["state"] == "returned_by_police"
    clock = {c["key"]: c for c in admin["clocks"]}["penalty_after_return"]
    assert clock["status"] == "running" and clock["kind"] == "follow_up"
    assert "第十三条" in clock["legal_basis"]["zh"] and "第二十七条" in clock["legal_basis"]["zh"]
    assert {"resume_after_return", "close_after_return"} <= hrb.head.allowed(case["id"])
    hrb.officer.fire(case["id"], "resume_after_return")
    hrb.officer.fire(case["id"], "notify_party", {"intended_penalty": "罚款"})
    decided = hrb.head.fire(case["id"], "decide_penalty", {"decision": "penalty", "fine": "30000"})
    assert {c["key"]: c for c in decided["clocks"]}["penalty_after_return"]["status"] in ("met", "late")
    assert hrb.head.fire(case["id"], "close_case")["outcome"] == "decided"


def test_police_open_a_criminal_case_directly(hrb):
    case = hrb.police.register(workflow="criminal_transfer", state="filed", source="own_investigation")
    assert case["state"] == "filed" and case["number"].startswith("230100-GA-")
    hrb.officer.register(workflow="criminal_transfer", state="filed", expect=422)
    hrb.police.register(workflow="criminal_transfer", state="transfer_proposed", expect=422)


def test_handoff_to_the_competent_agency(hrb):
    case = hrb.officer.register(ip_type="copyright")
    sent = hrb.officer.fire(case["id"], "hand_off", {"receiving_agency": "230100-copyright",
                                                     "reason": "属著作权侵权", "materials": "投诉材料一套"})
    receipt = {c["key"]: c for c in sent["clocks"]}["handoff_receipt"]
    assert receipt["status"] == "running" and receipt["remaining_working_days"] <= 3
    assert hrb.officer.allowed(case["id"]) == set()  # frozen while pending
    assert hrb.copyright_officer.allowed(case["id"]) == {"accept_handoff", "return_handoff"}
    accepted = hrb.copyright_officer.fire(case["id"], "accept_handoff", {"note": "已接收"})
    assert accepted["agency"] == "230100-copyright" and accepted["number"].startswith("230100-BQ-")
    assert accepted["former_numbers"] == [case["number"]]
    assert accepted["assigned_officer"] == "cr.officer"
    # The sender keeps status access: state yes, the receiver's notes no.
    seen = hrb.officer.get(accepted["id"])
    assert seen["access"] == "status" and seen["allowed_transitions"] == []
    assert seen["history"][-1]["note"] is None and seen["history"][-1]["fields"] == {}
    assert accepted["history"][-1]["fields"]["note"] == "已接收"
    # The old number still finds it.
    found = hrb.officer.client.get(f"/api/v1/cases?q={case['number']}", headers=hrb.copyright_officer.headers)
    assert [c["id"] for c in found.json["items"]] == [case["id"]]


def test_handoff_can_be_returned_and_not_to_a_wrong_agency(hrb):
    case = hrb.officer.register()
    body = hrb.officer.fire(case["id"], "hand_off", {"receiving_agency": "230100-court", "reason": "x",
                                                     "materials": "y"}, expect=422)
    assert "receiving_agency" in body["error"]["fields"]
    hrb.officer.fire(case["id"], "hand_off", {"receiving_agency": "230200-market_regulation",
                                              "reason": "属地管辖", "materials": "材料"})
    returned = hrb.qqhr_officer.fire(case["id"], "return_handoff", {"reason": "不属本局管辖"})
    assert returned["agency"] == MR
    hrb.qqhr_officer.get(case["id"], expect=404)
    assert "start_verification" in hrb.officer.allowed(case["id"])


@pytest.mark.parametrize("value", [["penalty"], {"a": 1}, 7, None, "", "fine_and_jail"], ids=repr)
def test_odd_json_for_a_choice_is_a_422_naming_the_field(hrb, value):
    case = hrb.officer.register()
    hrb.officer.fire(case["id"], "start_verification")
    hrb.head.fire(case["id"], "file_case")
    hrb.officer.fire(case["id"], "start_investigation")
    hrb.officer.fire(case["id"], "notify_party", {"intended_penalty": "罚款"})
    body = hrb.head.fire(case["id"], "decide_penalty", {"decision": value, "fine": ["1"],
                                                        "order_to_stop": {"x": 1}}, expect=422)
    assert set(body["error"]["fields"]) == {"decision", "fine", "order_to_stop"}


@pytest.mark.parametrize(("body", "field"), [
    ({"transition": "start_verification"}, "expected_version"),
    ({"transition": "start_verification", "expected_version": "one"}, "expected_version"),
    ({"transition": "start_verification", "expected_version": 1, "fields": ["x"]}, "fields"),
    ({"transition": "start_verification", "expected_version": 1, "effective_on": "yesterday"}, "effective_on"),
    ({"expected_version": 1}, "transition"),
    ({"transition": "start_verification", "expected_version": 1, "colour": "red"}, "colour"),
])
def test_malformed_transition_requests_are_422(hrb, body, field):
    case = hrb.officer.register()
    response = hrb.officer.client.post(f"/api/v1/cases/{case['id']}/transitions", json=body,
                                       headers=hrb.officer.headers)
    assert response.status_code == 422 and field in response.json["error"]["fields"], response.json
    assert hrb.officer.get(case["id"])["state"] == "received"


def test_transitions_need_a_token_and_a_json_body(hrb):
    case = hrb.officer.register()
    url = f"/api/v1/cases/{case['id']}/transitions"
    assert hrb.officer.client.post(url, json={"transition": "start_verification"}).status_code == 401
    response = hrb.officer.client.post(url, data="not json", headers=hrb.officer.headers)
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_json"
    assert hrb.officer.client.post("/api/v1/cases/999999/transitions", headers=hrb.officer.headers,
                                   json={"transition": "x", "expected_version": 1}).status_code == 404


def test_police_pass_a_transfer_to_the_competent_police_organ(hrb, actor):
    case = _to_investigating(hrb)
    transfer_id = hrb.officer.fire(case["id"], "propose_criminal_transfer",
                                   {"reason": "涉嫌犯罪", "task_group": "甲、乙"})["links"][0]["id"]
    assert "hand_off" not in hrb.head.allowed(transfer_id)  # before the transfer: no handoff
    hrb.head.fire(transfer_id, "approve_transfer")
    hrb.officer.fire(transfer_id, "transfer", {"materials": "材料"})
    # Decree 310 Art 7: not competent -> forward within 24 hours, telling the agency.
    forwarding = hrb.police.fire(transfer_id, "decline_jurisdiction", {"reason": "犯罪地在齐齐哈尔"})
    clock = {c["key"]: c for c in forwarding["clocks"]}["forward_within_24h"]
    assert clock["status"] == "running" and clock["due_at"] is not None and "第七条" in clock["legal_basis"]["zh"]
    forwarded = hrb.police.fire(transfer_id, "forward_transfer", {"competent_organ": "230200-public_security",
                                                                  "note": "已书面告知"})
    assert {c["key"]: c["status"] for c in forwarded["clocks"]}["forward_within_24h"] == "met"
    body = hrb.police.fire(transfer_id, "hand_off", {"receiving_agency": "230100-market_regulation",
                                                     "reason": "x", "materials": "y"}, expect=422)
    assert "receiving_agency" in body["error"]["fields"]
    hrb.police.fire(transfer_id, "hand_off", {"receiving_agency": "230200-public_security",
                                              "reason": "犯罪地在齐齐哈尔", "materials": "全部卷宗"})
    qqhr_police = actor("qqhr.police", "230200-public_security", "officer")
    accepted = qqhr_police.fire(transfer_id, "accept_handoff")
    assert accepted["number"].startswith("230200-GA-") and accepted["state"] == "forwarded"
    assert "accept_transfer" in qqhr_police.allowed(transfer_id)
    qqhr_police.fire(transfer_id, "accept_transfer")
    # Materials missing: the police ask, the transferring agency supplements within 3 days.
    asked = qqhr_police.fire(transfer_id, "request_materials", {"missing": "检验鉴定结论"})
    assert {c["key"]: c["status"] for c in asked["clocks"]}["materials_supplement"] == "running"
    assert "supplement_materials" in hrb.officer.allowed(transfer_id)
    done = hrb.officer.fire(transfer_id, "supplement_materials", {"materials": "鉴定意见书"})
    assert {c["key"]: c["status"] for c in done["clocks"]}["materials_supplement"] == "met"
    assert done["state"] == "police_review"


def test_police_filing_review_extends_on_the_economic_crime_ladder(hrb, actor):
    """Economic-crime Provisions Art 16: 3 days, to 10, to 30 (county head), +30 (one level up)."""
    case = _to_investigating(hrb)
    transfer_id = hrb.officer.fire(case["id"], "propose_criminal_transfer",
                                   {"reason": "涉嫌犯罪", "task_group": "甲、乙"})["links"][0]["id"]
    hrb.head.fire(transfer_id, "approve_transfer")
    hrb.officer.fire(transfer_id, "transfer", {"materials": "材料"})
    review = hrb.police.fire(transfer_id, "accept_transfer")
    first = {c["key"]: c for c in review["clocks"]}["police_filing_decision"]
    start = date.fromisoformat(first["strict_due_on"]) - timedelta(days=3)
    assert "extend_economic_review" not in hrb.police.allowed(transfer_id)  # the head approves
    body = hrb.police_head.fire(transfer_id, "extend_economic_review", {"reason": "x", "extension_amount": 8},
                                expect=422)
    assert "extension_amount" in body["error"]["fields"]
    dues = []
    for amount in (7, 20, 30):
        after = hrb.police_head.fire(transfer_id, "extend_economic_review",
                                     {"reason": "批准文号", "extension_amount": amount})
        clock = {c["key"]: c for c in after["clocks"]}["police_filing_decision"]
        dues.append(date.fromisoformat(clock["strict_due_on"]))
    assert dues == [start + timedelta(days=10), start + timedelta(days=30), start + timedelta(days=60)]
    hrb.police_head.fire(transfer_id, "extend_economic_review", {"reason": "again"}, expect=422)
    assert "economic_crime_follow_up" not in {c["key"] for c in after["clocks"]}


def test_procuratorate_acts_on_a_delayed_filing_decision_and_tells_the_agency_when_it_declines(hrb):
    case = _to_investigating(hrb)
    transfer_id = hrb.officer.fire(case["id"], "propose_criminal_transfer",
                                   {"reason": "涉嫌犯罪", "task_group": "甲、乙"})["links"][0]["id"]
    hrb.head.fire(transfer_id, "approve_transfer")
    hrb.officer.fire(transfer_id, "transfer", {"materials": "材料"})
    hrb.police.fire(transfer_id, "accept_transfer")
    # Neither filed nor refused: the procuratorate asks the police for their reasons (7 days).
    asked = hrb.procurator.fire(transfer_id, "ask_explanation_of_delay", {"note": "通知书"})
    assert asked["state"] == "police_review"
    assert {c["key"]: c["status"] for c in asked["clocks"]}["explanation_reply"] == "running"
    declined = hrb.police_head.fire(transfer_id, "decline_filing", {"reason": "未达追诉标准"})
    assert {c["key"]: c["status"] for c in declined["clocks"]}["explanation_reply"] == "met"
    assert hrb.head.get(case["id"])["state"] == "investigating"
    hrb.head.fire(transfer_id, "request_supervision", {"reason": "建议立案监督"})
    hrb.procurator.fire(transfer_id, "ask_explanation")
    hrb.police.fire(transfer_id, "explain_refusal", {"explanation": "情节显著轻微"})
    found = hrb.procurator.fire(transfer_id, "reject_supervision", {"reason": "理由成立"})
    assert found["state"] == "supervision_declined"
    notice = {c["key"]: c for c in found["clocks"]}["supervision_outcome_notice"]
    assert notice["status"] == "running" and "待核实" in notice["legal_basis"]["zh"]
    closed = hrb.procurator.fire(transfer_id, "tell_agency_refusal_justified", {"note": "书面告知"})
    assert closed["state"] == "closed" and closed["outcome"] == "not_filed"
    # The agency's case went on by itself and may close now that no transfer is open.
    hrb.officer.fire(case["id"], "notify_party", {"intended_penalty": "罚款"})
    hrb.head.fire(case["id"], "decide_penalty", {"decision": "penalty", "fine": "10000"})
    assert hrb.head.fire(case["id"], "close_case")["state"] == "closed"
