"""``flask seed history``: the 2016–2020 dataset, its figures (DOMAIN §5), and the walker that
builds it offline (it must end where the workflow engine ends)."""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from casesys.agencies.models import Agency
from casesys.audit.models import AuditEntry
from casesys.cases.identifiers import uscc_check_character, uscc_problem
from casesys.cases.models import Case, CaseNumberCounter
from casesys.cases.schemas import CaseIn
from casesys.core.types import CHINA_TZ
from casesys.extensions import db
from casesys.seeding import history as h
from casesys.workcalendar import WorkingCalendar, load_calendar
from casesys.workflows import engine
from casesys.workflows.models import CaseAccess, CaseFormerNumber, CaseLink, Handoff
from casesys.workflows.registration import register_case

FIRST, LAST = h.PERIOD
PERIOD = {"first": FIRST, "last": LAST}
NUMBER_KEYS = ("caused_by", "old_number", "opened_by")


def _scalar(sql: str, **params):
    return db.session.execute(text(sql), params).scalar()


def _rows(sql: str, **params):
    return db.session.execute(text(sql), params).all()


def _table_counts() -> dict[str, int]:
    return {table: _scalar(f"SELECT count(*) FROM {table}") for table in (*h.COLUMNS, "case_number_counters",
                                                                         "audit_log")}


# --- the loaded dataset ------------------------------------------------------------------------


def test_seed_history_gives_the_plan_figures_and_loads_once(runner):
    result = runner.invoke(args=["seed", "history"])
    assert result.exit_code == 0, result.output
    assert "history loaded in" in result.output
    counts = _table_counts()
    assert 10_000 <= counts["cases"] <= 15_000

    _assert_plan_figures()
    _assert_plan_figures_through_the_stats_module(runner)
    _assert_event_chains_follow_the_workflows()
    _assert_numbers_are_gap_free_and_counters_agree()
    _assert_it_looks_like_real_work()
    _assert_rows_are_what_the_generator_gives_again()

    again = runner.invoke(args=["seed", "history"])
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.output
    assert _table_counts() == counts
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "seed.history")).all()
    assert len(entries) == 1 and entries[0].details["cases"] == counts["cases"]
    assert entries[0].details["figures"]["copyright.inspected_units"] == 34759
    _assert_figures_stay_live(runner)


def _assert_figures_stay_live(runner) -> None:
    """One more unfair-competition case filed by market regulation in the period: 609 becomes 610."""
    from casesys.auth.services import create_user
    from tests.factories import case_payload

    def unfair_competition_cases() -> int:
        result = runner.invoke(args=["stats", "plan-figures", "--from", "2016-01-01", "--to", "2020-12-31",
                                     "--json"])
        return json.loads(result.output)["figures"]["market_regulation.unfair_competition_cases"]

    officer = create_user(None, username="late.officer", password="correct-horse-battery",
                          agency_code="230500-market_regulation", roles={"officer", "agency_head"})
    case = register_case(officer, CaseIn.model_validate(case_payload(
        region="230500", ip_type="unfair_competition", received_on="2020-12-01")))
    engine.apply_transition(officer, case.id, "start_verification", {"is_complaint": True},
                            expected_version=None, effective_on=date(2020, 12, 2))
    assert unfair_competition_cases() == 609  # received, not yet filed
    engine.apply_transition(officer, case.id, "file_case", {}, expected_version=None, effective_on=date(2020, 12, 7))
    assert unfair_competition_cases() == 610


def test_seed_history_needs_the_reference_data(runner):
    # Not committed: the reference tables outlive a test on PostgreSQL. The command sees it all
    # the same (it runs in the test's app context and session) and rolls back.
    db.session.execute(text("DELETE FROM agencies WHERE code = '232700-court'"))
    result = runner.invoke(args=["seed", "history"])
    assert result.exit_code == 1 and "232700-court" in result.output and "flask seed reference" in result.output
    db.session.rollback()
    assert _scalar("SELECT count(*) FROM cases") == 0 and _scalar("SELECT count(*) FROM users") == 0


def _assert_plan_figures() -> None:
    admin = ("SELECT count(*) FROM cases c JOIN agencies a ON a.id = c.agency_id WHERE c.workflow = "
             "'admin_enforcement' AND a.kind = :kind AND c.filed_on BETWEEN :first AND :last")
    assert _scalar(admin + " AND c.ip_type = 'unfair_competition'", kind="market_regulation", **PERIOD) == 609
    assert _scalar(admin, kind="copyright", **PERIOD) == 36
    assert _scalar(admin + " AND c.ip_type = 'plant_variety'", kind="agriculture", **PERIOD) == 1536
    assert _scalar("SELECT sum(r.units_inspected) FROM inspection_records r JOIN agencies a ON a.id = r.agency_id "
                   "WHERE a.kind = 'copyright' AND r.inspected_on BETWEEN :first AND :last", **PERIOD) == 34759

    civil = "SELECT count(*) FROM cases WHERE workflow = 'civil_litigation'"
    accepted = _scalar(civil + " AND filed_on BETWEEN :first AND :last", **PERIOD)
    concluded = civil + (" AND closed_on BETWEEN :first AND :last AND outcome IN "
                         "('judgment', 'mediated', 'withdrawn', 'dismissed')")
    n_concluded = _scalar(concluded, **PERIOD)
    mediated = _scalar(concluded + " AND outcome IN ('mediated', 'withdrawn')", **PERIOD)
    assert (accepted, n_concluded, mediated) == (5071, 5015, 3476)
    assert round(n_concluded / accepted * 100, 1) == 98.9
    assert round(mediated / n_concluded * 100, 2) == 69.31

    solved, arrested, amount_fen = _rows(
        "SELECT count(*), sum(c.suspects_arrested), sum(c.amount_involved_fen) FROM cases c "
        "JOIN agencies a ON a.id = c.agency_id WHERE c.workflow = 'criminal_transfer' "
        "AND a.kind = 'public_security' AND c.solved_on BETWEEN :first AND :last", **PERIOD)[0]
    assert (solved, arrested) == (636, 857)
    assert 2_500_000_000 < Decimal(amount_fen) / 100 < 2_600_000_000


def _assert_plan_figures_through_the_stats_module(runner) -> None:
    """``flask stats plan-figures`` (casesys.stats.figures) computes the same from the records."""
    result = runner.invoke(args=["stats", "plan-figures", "--from", "2016-01-01", "--to", "2020-12-31", "--json"])
    assert result.exit_code == 0, result.output
    values = json.loads(result.output)["figures"]
    expected = {"market_regulation.unfair_competition_cases": 609, "copyright.inspected_units": 34759,
                "copyright.cases": 36, "agriculture.seed_violation_cases": 1536,
                "court.civil_first_instance.accepted": 5071, "court.civil_first_instance.concluded": 5015,
                "public_security.criminal_cases_solved": 636, "public_security.suspects_arrested": 857}
    assert {key: values[key] for key in expected} == expected
    assert round(float(values["court.civil_first_instance.closure_rate"]) * 100, 1) == 98.9
    assert round(float(values["court.civil_first_instance.mediation_withdrawal_rate"]) * 100, 2) == 69.31
    assert 2_500_000_000 < Decimal(str(values["public_security.amount_involved_yuan"])) < 2_600_000_000


def _assert_event_chains_follow_the_workflows() -> None:
    """Every case's history, event by event, is a walk its workflow definition allows."""
    workflows = engine.workflows()
    opened_in = defaultdict(set)  # workflow -> states a linked case may start in
    for wf in workflows.values():
        for t in wf.transitions.values():
            if t.creates:
                opened_in[t.creates.workflow].add(t.creates.state or workflows[t.creates.workflow].initial_state)
    events = defaultdict(list)
    for row in _rows("SELECT case_id, kind, from_state, to_state, data, effective_on FROM case_events "
                     "ORDER BY case_id, id"):
        events[row.case_id].append(row)
    cases = _rows("SELECT id, workflow, state, outcome, closed_on, filed_on, solved_on FROM cases")
    assert len(events) == len(cases)
    final_states = 0
    for case in cases:
        wf = workflows[case.workflow]
        first, *rest = events[case.id]
        assert first.kind == "registered" and first.from_state is None
        assert first.to_state in {e.state for e in wf.entries} | opened_in[wf.key], (case.id, first.to_state)
        state, day, milestones = first.to_state, str(first.effective_on), {}
        for event in [first, *rest]:
            assert str(event.effective_on) >= day, (case.id, "events out of date order")
            day = str(event.effective_on)
            data = event.data if isinstance(event.data, dict) else json.loads(event.data)
            if event.kind == "transition":
                t = wf.transitions[data["transition"]]
                assert event.from_state == state and state in t.from_ and event.to_state == t.to, (case.id, data)
            elif event.kind != "registered":
                assert event.kind in ("handoff_sent", "handoff_accepted", "handoff_returned")
                assert event.from_state == event.to_state == state
            state = event.to_state
            if wf.states[state].milestone:
                milestones.setdefault(wf.states[state].milestone, day)
        assert case.state == state
        assert (str(case.solved_on) if case.solved_on else None) == milestones.get("solved")
        assert (str(case.filed_on) if case.filed_on else None) == milestones.get("filed")
        if wf.is_final(state):
            final_states += 1
            assert case.outcome and str(case.closed_on) == day
    assert final_states == len(cases)  # every historical case is concluded by mid-2021
    assert _scalar("SELECT count(*) FROM case_clocks WHERE status IN ('running', 'paused')") == 0
    assert str(_scalar("SELECT max(effective_on) FROM case_events")) <= h.LIMIT.isoformat()


def _assert_numbers_are_gap_free_and_counters_agree() -> None:
    assert _scalar("SELECT count(DISTINCT number) FROM cases") == _scalar("SELECT count(*) FROM cases")
    used = defaultdict(list)
    codes = {a.id: a for a in db.session.scalars(select(Agency))}
    for case in _rows("SELECT agency_id, number, number_year, number_seq FROM cases"):
        agency = codes[case.agency_id]
        assert case.number == f"{agency.region_code}-{agency.number_code}-{case.number_year}-{case.number_seq:05d}"
        used[case.agency_id, case.number_year].append(case.number_seq)
    for former in db.session.scalars(select(CaseFormerNumber)):
        *_, year, seq = former.number.split("-")
        used[former.agency_id, int(year)].append(int(seq))
    counters = {(c.agency_id, c.year): c.last_seq for c in db.session.scalars(select(CaseNumberCounter))}
    assert set(counters) == set(used)
    for key, seqs in used.items():
        assert sorted(seqs) == list(range(1, counters[key] + 1)), key
    # numbers given at registration follow the order of receipt within each series
    order = _rows("SELECT agency_id, number_year, number_seq, received_on FROM cases WHERE origin_agency_id IS NULL "
                  "AND id NOT IN (SELECT case_id FROM case_former_numbers) ORDER BY agency_id, number_year, number_seq")
    for a, b in zip(order, order[1:], strict=False):
        if (a.agency_id, a.number_year) == (b.agency_id, b.number_year):
            assert str(a.received_on) <= str(b.received_on)
    # ids follow the order of receipt too ("newest first" lists sort by id)
    received = [str(r[0]) for r in _rows("SELECT received_on FROM cases ORDER BY id")]
    assert received == sorted(received)


def _assert_it_looks_like_real_work() -> None:
    by_kind = dict(_rows("SELECT a.kind, count(*) FROM cases c JOIN agencies a ON a.id = c.agency_id GROUP BY a.kind"))
    assert set(by_kind) >= {"market_regulation", "copyright", "agriculture", "forestry_grassland", "customs",
                            "ip_office", "public_security", "court", "mediation_org"}
    regions = {r[0] for r in _rows("SELECT DISTINCT a.region_code FROM cases c JOIN agencies a ON a.id = c.agency_id")}
    assert len(regions) == 14  # the province and its 13 cities
    # growing year by year
    per_year = [_scalar("SELECT count(*) FROM cases WHERE received_on BETWEEN :a AND :b", a=date(y, 1, 1),
                        b=date(y, 12, 31)) for y in h.YEARS]
    assert per_year == sorted(per_year) and per_year[0] < per_year[-1] * 0.7
    # received but not filed; boundary cases that must not count
    assert _scalar("SELECT count(*) FROM cases WHERE workflow = 'admin_enforcement' AND outcome = 'not_filed'") > 400
    assert _scalar("SELECT count(*) FROM cases WHERE workflow = 'admin_enforcement' AND filed_on < :d",
                   d=FIRST) >= 20
    assert _scalar("SELECT count(*) FROM cases WHERE workflow = 'admin_enforcement' AND filed_on > :d "
                   "AND received_on <= :d", d=LAST) >= 20
    assert _scalar("SELECT count(*) FROM cases WHERE workflow = 'civil_litigation' AND filed_on < :d "
                   "AND closed_on >= :d", d=FIRST) > 0
    assert _scalar("SELECT count(*) FROM cases WHERE workflow = 'patent_ruling'") > 150
    assert _scalar("SELECT count(*) FROM cases WHERE workflow = 'admin_enforcement' AND ip_type LIKE 'patent_%' "
                   "AND agency_id IN (SELECT id FROM agencies WHERE kind = 'market_regulation')") > 200
    # two-way criminal transfers, with every ending the workflow has
    links = dict(_rows("SELECT relation, count(*) FROM case_links GROUP BY relation"))
    assert links["criminal_transfer"] >= 150 and links["judicial_confirmation"] >= 80
    assert links["entrusted_mediation"] >= 200
    transfers = dict(_rows("SELECT c.outcome, count(*) FROM cases c JOIN case_links l ON l.child_id = c.id "
                           "WHERE l.relation = 'criminal_transfer' GROUP BY c.outcome"))
    assert {"prosecuted", "refused", "not_filed", "returned"} <= set(transfers)
    transitions = Counter(json.loads(d)["transition"] if isinstance(d, str) else d["transition"]
                          for (d,) in _rows("SELECT data FROM case_events WHERE kind = 'transition'"))
    for name in ("request_reconsideration", "reconsider_and_file", "order_filing", "reject_supervision",
                 "criminal_case_filed", "criminal_transfer_ended", "entrusted_mediation_settled",
                 "entrusted_mediation_failed", "confirm", "convert_to_ordinary", "extend_trial",
                 "pause_for_testing", "request_hearing"):
        assert transitions[name] > 0, name
    assert _scalar("SELECT count(*) FROM cases WHERE workflow = 'admin_enforcement' AND outcome = 'transferred'") > 100
    assert _scalar("SELECT count(*) FROM cases WHERE workflow = 'criminal_transfer' AND origin_agency_id IS NULL "
                   "AND solved_on IS NOT NULL") > 300  # the police's own cases
    # handoffs, sent and accepted or returned, each in the history
    handoffs = dict(_rows("SELECT status, count(*) FROM handoffs GROUP BY status"))
    assert handoffs.get("accepted", 0) > 30 and handoffs.get("returned", 0) > 10 and "pending" not in handoffs
    sent = _scalar("SELECT count(*) FROM case_events WHERE kind = 'handoff_sent'")
    assert sent == sum(handoffs.values())
    assert _scalar("SELECT count(*) FROM case_events WHERE kind = 'handoff_returned'") == handoffs["returned"]
    # mediation: settled and confirmed, or failed
    mediation = dict(_rows("SELECT outcome, count(*) FROM cases WHERE workflow = 'mediation' GROUP BY outcome"))
    assert {"performed", "failed", "declined", "confirmation_decided"} <= set(mediation)
    # some clocks were missed: the on-time rate is not 100 %
    stopped = _scalar("SELECT count(*) FROM case_clocks WHERE status = 'stopped'")
    late = _scalar("SELECT count(*) FROM case_clocks WHERE status = 'stopped' AND stopped_on > due_on")
    assert 0.02 * stopped < late < 0.3 * stopped
    # valid USCCs; repeat respondents met by two or more kinds of agency
    usccs = [u for (u,) in _rows("SELECT uscc FROM parties WHERE uscc IS NOT NULL")]
    assert len(usccs) > 5000 and not [u for u in usccs if uscc_problem(u)]
    repeat = _rows("SELECT p.uscc FROM parties p JOIN cases c ON c.id = p.case_id "
                   "JOIN agencies a ON a.id = c.agency_id "
                   "WHERE p.role = 'respondent' AND p.uscc IS NOT NULL GROUP BY p.uscc "
                   "HAVING count(DISTINCT a.kind) >= 2")
    assert len(repeat) >= 20
    # copyright inspections: a few hundred rows over the copyright agencies and campaigns
    campaigns = {c for (c,) in _rows("SELECT DISTINCT campaign FROM inspection_records WHERE campaign IS NOT NULL")}
    assert {f"剑网{y}" for y in h.YEARS} | {"秋风2019", "青少年版权保护季"} <= campaigns
    assert 250 <= _scalar("SELECT count(*) FROM inspection_records") <= 500
    assert _scalar("SELECT count(DISTINCT agency_id) FROM inspection_records") >= 10
    # every actor is a history account, which cannot log in
    assert _scalar("SELECT count(*) FROM users WHERE username NOT LIKE 'history.%'") == 0
    assert _scalar("SELECT count(*) FROM users WHERE is_active") == 0


def _normal(column: str, value):
    if column == "data":
        return json.dumps(value if isinstance(value, dict) else json.loads(value), sort_keys=True)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _assert_rows_are_what_the_generator_gives_again() -> None:
    """Generating again (ids from zero, as in the empty database) gives the rows in the database:
    the load is deterministic, and the database holds exactly what the generator wrote."""
    rows, figures, _walker = h.build_history(h.load_agencies(), h.Ids({}), {}, db.session.get_bind().dialect.name)
    assert {key: figures[key] for key in h.TARGETS} == h.TARGETS
    for table, columns in h.COLUMNS.items():
        order = "user_id, role" if table == "user_roles" else "id"
        stored = [tuple(_normal(c, v) for c, v in zip(columns, row, strict=True))
                  for row in _rows(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")]
        generated = sorted(tuple(_normal(c, v) for c, v in zip(columns, row, strict=True)) for row in rows[table])
        assert stored == generated, table


# --- the walker ends where the engine ends -----------------------------------------------------


_USCC = random.Random(11)


def _org(name: str, role: str = "respondent", region: str = "230102") -> h.PartySpec:
    first17 = f"91{region}{_USCC.randrange(10**9):09d}"
    return h.PartySpec(role, "organisation", name, first17 + uscc_check_character(first17))


def _stories(agencies) -> list[h.Story]:
    """Hand-written lives touching every kind of clock operation, handoff, link and effect."""
    a, region = agencies, (lambda code: a[f"{code}-court"].region)
    S = h.Step
    holder, shop = _org("某酒业股份有限公司", "complainant", "110105"), _org("哈尔滨某商贸有限公司")
    admin = h.Story(h.CaseSpec("admin_enforcement", a["230100-market_regulation"], "trademark", "complaint",
                               region("230100"), date(2020, 3, 2), "某商贸公司销售假冒白酒案", [holder, shop],
                               1860000), [
        S("hand_off", date(2020, 3, 3), {"receiving_agency": "230100-copyright", "reason": "属版权事项",
                                         "materials": "投诉书"}),
        S("return_handoff", date(2020, 3, 5), {"reason": "不属本机关管辖"}),
        S("start_verification", date(2020, 3, 5), {"is_complaint": True, "note": "调取证据"}),
        S("accept_complaint", date(2020, 3, 10), {"note": "受理"}),
        S("pause_for_testing", date(2020, 3, 11), {"reason": "送检"}),
        S("resume_verification", date(2020, 3, 20), {"note": "鉴定完毕"}),
        S("extend_filing_decision", date(2020, 3, 27), {"reason": "案情复杂", "extension_amount": 10}),
        S("file_case", date(2020, 4, 8), {"note": "立案"}),
        S("start_investigation", date(2020, 4, 9)),
        S("suspend_investigation", date(2020, 4, 15), {"reason": "testing", "note": "送检"}),
        S("resume_investigation", date(2020, 5, 6), {"note": "恢复"}),
        S("extend_case_decision", date(2020, 6, 30), {"reason": "案情复杂", "extension_amount": 20}),
        S("propose_criminal_transfer", date(2020, 7, 6), {"reason": "涉嫌犯罪", "task_group": "张三、李四"}),
        *[S(name, day, data, ("criminal_transfer",)) for name, day, data in [
            ("approve_transfer", date(2020, 7, 7), {}),
            ("transfer", date(2020, 7, 8), {"materials": "移送书"}),
            ("accept_transfer", date(2020, 7, 9), {}),
            ("extend_economic_review", date(2020, 7, 10), {"reason": "需要核实", "extension_amount": 7}),
            ("extend_economic_review", date(2020, 7, 15), {"reason": "重大复杂", "extension_amount": 20}),
            ("decline_filing", date(2020, 7, 20), {"reason": "情节显著轻微"}),
            ("request_reconsideration", date(2020, 7, 22), {"reason": "申请复议"}),
            ("uphold_refusal", date(2020, 7, 24), {"reason": "维持"}),
            ("request_supervision", date(2020, 7, 27), {"reason": "建议监督"}),
            ("ask_explanation", date(2020, 7, 29), {"note": "通知书"}),
            ("explain_refusal", date(2020, 8, 3), {"explanation": "说明"}),
            ("order_filing", date(2020, 8, 7), {"reason": "通知立案"}),
            ("file_on_order", date(2020, 8, 20), {"decision_number": "公立字1号"}),
            ("hand_over_items", date(2020, 8, 25), {"items": "涉案物品"}),
            ("start_investigation", date(2020, 8, 26), {}),
            ("solve", date(2020, 10, 15), {"suspects_arrested": 3, "amount_involved": "1234567.89"}),
            ("refer_for_prosecution", date(2020, 11, 2), {"reference": "起诉意见书1号"}),
            ("close_after_prosecution", date(2020, 11, 20), {}),
        ]],
    ])
    plaintiff, maker = _org("某电子科技有限公司", "complainant", "440300"), _org("大庆某电器经销部", region="230602")
    civil = h.Story(h.CaseSpec("civil_litigation", a["230100-court"], "patent_utility_model", "complaint",
                               region("230100"), date(2020, 5, 11), "某电子诉某电器侵害实用新型专利权纠纷案",
                               [plaintiff, maker]), [
        S("hand_off", date(2020, 5, 12), {"receiving_agency": "230600-court", "reason": "移送管辖",
                                          "materials": "起诉状"}),
        S("accept_handoff", date(2020, 5, 14), {"note": "接收"}),
        S("assign_procedure", date(2020, 5, 15), {"procedure": "simple", "judge": "王法官"}),
        S("convert_to_ordinary", date(2020, 6, 15), {"reason": "案情复杂"}),
        S("suspend_trial", date(2020, 6, 20), {"reason": "appraisal", "note": "鉴定"}),
        S("resume_trial", date(2020, 7, 20), {"note": "鉴定完毕"}),
        S("entrust_mediation", date(2020, 7, 22), {"mediation_org": "230600-mediation_org", "reason": "委托调解"}),
        S("start_mediation", date(2020, 7, 23), {"mediators": "何调解员"}, ("entrusted_mediation",)),
        S("log_session", date(2020, 7, 28), {"session_date": "2020-07-28", "summary": "协商"},
          ("entrusted_mediation",)),
        S("extend_entrusted_mediation", date(2020, 8, 14), {"reason": "双方同意", "extension_amount": 10},
          ("entrusted_mediation",)),
        S("fail", date(2020, 8, 25), {"reason": "分歧大", "suggested_route": "back_to_court"},
          ("entrusted_mediation",)),
        S("extend_trial", date(2020, 11, 5), {"reason": "院长批准", "extension_amount": 3}),
        S("render_judgment", date(2020, 12, 10), {"result": "partly_upheld", "damages": "50000.00",
                                                  "judgment_number": "（2020）黑06民初1号"}),
        S("close_judgment", date(2020, 12, 15)),
    ])
    settled = h.Story(h.CaseSpec("civil_litigation", a["230100-court"], "trademark", "complaint", region("230100"),
                                 date(2020, 9, 1), "某酒业诉某商贸侵害商标权纠纷案", [holder, shop]), [
        S("assign_procedure", date(2020, 9, 2), {"procedure": "simple"}),  # small claims: basic courts only
        S("entrust_mediation_simple", date(2020, 9, 3), {"mediation_org": "230100-mediation_org"}),
        S("start_mediation", date(2020, 9, 4), {"mediators": "何调解员"}, ("entrusted_mediation",)),
        S("settle", date(2020, 9, 20), {"terms": "赔偿", "amount": "8000.00", "performance_date": "2020-10-20"},
          ("entrusted_mediation",)),
        S("close_mediated", date(2020, 9, 25)),
        S("record_performance", date(2020, 10, 20), {"performed_on": "2020-10-20"}, ("entrusted_mediation",)),
        S("close_performed", date(2020, 10, 21), {}, ("entrusted_mediation",)),
    ])
    mediation = h.Story(h.CaseSpec("mediation", a["230100-mediation_org"], "trademark", "complaint",
                                   region("230100"), date(2020, 4, 1), "商标许可使用费纠纷调解", [holder, shop],
                                   12000000), [
        S("accept", date(2020, 4, 2)),
        S("start_mediation", date(2020, 4, 3), {"mediators": "何调解员"}),
        S("settle", date(2020, 4, 20), {"terms": "分期支付", "amount": "120000.00"}),
        S("apply_confirmation", date(2020, 4, 25), {"court": "230100-court", "reason": "共同申请"}),
        S("accept", date(2020, 4, 27), {}, ("judicial_confirmation",)),
        S("start_review", date(2020, 4, 28), {"judge": "冯法官"}, ("judicial_confirmation",)),
        S("extend_decision", date(2020, 5, 10), {"reason": "特殊情况", "extension_amount": 5},
          ("judicial_confirmation",)),
        S("confirm", date(2020, 5, 15), {"ruling_number": "（2020）黑01民特1号"}, ("judicial_confirmation",)),
        S("close_confirmed", date(2020, 5, 18), {}, ("judicial_confirmation",)),
    ])
    ruling = h.Story(h.CaseSpec("patent_ruling", a["230000-ip_office"], "patent_invention", "complaint",
                                region("230800"), date(2020, 6, 1), "某农机请求处理专利侵权纠纷案",
                                [plaintiff, _org("佳木斯某农机制造厂", region="230803")]), [
        S("extend_filing", date(2020, 6, 5), {"reason": "复杂", "extension_amount": 5}),
        S("file_case", date(2020, 6, 10), {"panel": "合议组"}),
        S("serve_on_respondent", date(2020, 6, 12), {"respondent_domicile": "domestic", "service_method": "post"}),
        S("suspend_during_answer", date(2020, 6, 15), {"reason": "jurisdiction_objection"}),
        S("resume_during_answer", date(2020, 6, 22), {"note": "异议驳回"}),
        S("receive_answer", date(2020, 6, 26), {"note": "答辩"}),
        S("schedule_hearing", date(2020, 7, 1), {"hearing_mode": "remote", "hearing_date": "7月8日"}),
        S("start_mediation", date(2020, 7, 10)),
        S("mediation_failed", date(2020, 7, 20), {"note": "未达成"}),
        S("extend_case_conclusion", date(2020, 8, 20), {"reason": "复杂", "extension_amount": 1}),
        S("rule", date(2020, 9, 1), {"ruling": "infringement_found", "reasons": "落入保护范围"}),
        S("publish", date(2020, 9, 15)),
        S("close_ruled", date(2020, 9, 20)),
    ])
    police = h.Story(h.CaseSpec("criminal_transfer", a["230100-public_security"], "copyright", "own_investigation",
                                region("230100"), date(2020, 2, 3), "某网站涉嫌侵犯著作权罪案", [h.PartySpec(
                                    "respondent", "person", "赵某")], state="filed"), [
        S("hand_off", date(2020, 2, 4), {"receiving_agency": "230200-public_security", "reason": "移送",
                                         "materials": "材料"}),
        S("accept_handoff", date(2020, 2, 10)),
        S("start_investigation", date(2020, 2, 11)),
        S("return_for_admin_penalty", date(2020, 4, 1), {"reason": "不构成犯罪"}),
    ])
    return [admin, civil, settled, mediation, ruling, police]


def _draft_summary(case: h.CaseDraft, walker: h.Walker) -> dict:
    by_id = {a.id: a.code for a in walker.agencies.values()}
    index = {e.id: i for i, e in enumerate(case.events)}
    return {
        "workflow": case.workflow, "state": case.state, "version": case.version, "agency": case.agency.code,
        "origin": by_id.get(case.origin_agency_id), "outcome": case.outcome, "closed_on": case.closed_on,
        "filed_on": case.filed_on, "solved_on": case.solved_on, "received_on": case.received_on,
        "amount": case.amount_involved_fen, "fine": case.fine_fen, "suspects": case.suspects_arrested,
        "confidential": case.is_confidential, "source": case.source, "title": case.title,
        "events": [(e.kind, e.from_state, e.to_state, e.effective_on, e.note, by_id[e.agency_id], _strip(e.data))
                   for e in case.events],
        "clocks": [_clock(c, index) for c in case.clocks],
        "access": sorted((by_id[g.agency_id], g.level, g.reason) for g in case.access.values()),
        "former_numbers": [by_id[f.agency_id] for f in case.former_numbers],
        "handoffs": [(x.from_agency.code, x.to_agency.code, x.status, x.sent_on, x.decided_on, x.reason, x.materials,
                      x.return_reason) for x in walker.handoffs if x.case is case],
        "children": {link.relation: _draft_summary(link.child, walker) for link in case.child_links},
    }


def _case_summary(case: Case) -> dict:
    index = {e.id: i for i, e in enumerate(case.events)}
    links = db.session.scalars(select(CaseLink).where(CaseLink.parent_id == case.id).order_by(CaseLink.id))
    return {
        "workflow": case.workflow, "state": case.state, "version": case.version, "agency": case.agency.code,
        "origin": case.origin_agency.code if case.origin_agency else None, "outcome": case.outcome,
        "closed_on": case.closed_on, "filed_on": case.filed_on, "solved_on": case.solved_on,
        "received_on": case.received_on, "amount": case.amount_involved_fen, "fine": case.fine_fen,
        "suspects": case.suspects_arrested, "confidential": case.is_confidential, "source": case.source,
        "title": case.title,
        "events": [(e.kind, e.from_state, e.to_state, e.effective_on, e.note, e.agency.code, _strip(e.data))
                   for e in case.events],
        "clocks": [_clock(c, index) for c in case.clocks],
        "access": sorted((g.agency.code, g.level, g.reason)
                         for g in db.session.scalars(select(CaseAccess).where(CaseAccess.case_id == case.id))),
        "former_numbers": [f.agency.code for f in db.session.scalars(
            select(CaseFormerNumber).where(CaseFormerNumber.case_id == case.id).order_by(CaseFormerNumber.id))],
        "handoffs": [(x.from_agency.code, x.to_agency.code, x.status, x.sent_on, x.decided_on, x.reason, x.materials,
                      x.return_reason) for x in db.session.scalars(
                          select(Handoff).where(Handoff.case_id == case.id).order_by(Handoff.id))],
        "children": {link.relation: _case_summary(link.child) for link in links},
    }


def _strip(data: dict) -> dict:
    """Event data without the case numbers (the engine numbers in today's year)."""
    fields = data.get("fields")
    if isinstance(fields, dict):
        data = {**data, "fields": {k: ("<number>" if k in NUMBER_KEYS else v) for k, v in fields.items()}}
    return {k: ("<number>" if k in NUMBER_KEYS else v) for k, v in data.items()}


def _clock(c, event_index: dict) -> tuple:
    def utc(moment):
        return moment.astimezone(UTC) if moment is not None else None

    return (c.key, c.status, c.started_on, utc(c.started_at), c.duration, c.unit, c.due_on, c.strict_due_on,
            utc(c.due_at), c.calendar_unconfirmed, c.stopped_on, c.next_reminder_on,
            [(p.paused_on, p.resumed_on, event_index.get(p.event_id)) for p in c.pauses],
            [(x.step, x.amount, x.unit, x.approver_role, x.granted_on, event_index.get(x.event_id))
             for x in c.extensions])


def _replay_with_the_engine(story: h.Story, make_user, users: dict) -> Case:
    """The same story through register_case and engine.apply_transition, by real users."""

    def user(agency: Agency, roles) -> object:
        preferred = ("mediator", *h.ROLE_ORDER) if agency.kind == "mediation_org" else h.ROLE_ORDER
        role = next(r for r in preferred if r in roles)
        if (agency.code, role) not in users:
            users[agency.code, role] = make_user(f"eq.{agency.code}.{role}", agency.code, role)
        return users[agency.code, role]

    spec = story.spec
    wf = engine.workflows()[spec.workflow]
    agency = db.session.scalar(select(Agency).where(Agency.code == spec.agency.code))
    entry = next(e for e in wf.entries if spec.state in (None, e.state))
    data = CaseIn(workflow=spec.workflow, state=spec.state, title=spec.title, ip_type=spec.ip_type,
                  source=spec.source, region=spec.region.code, received_on=spec.received_on,
                  amount_involved=None if spec.amount_fen is None else Decimal(spec.amount_fen) / 100,
                  parties=[{"role": p.role, "kind": p.kind, "name": p.name, "uscc": p.uscc} for p in spec.parties])
    root = register_case(user(agency, entry.roles), data)
    for step in story.steps:
        case = root
        for relation in step.on:
            case = db.session.scalar(select(Case).join(CaseLink, CaseLink.child_id == Case.id)
                                     .where(CaseLink.parent_id == case.id, CaseLink.relation == relation))
        case_wf = engine.workflows()[case.workflow]
        if step.name in engine.HANDOFF_TRANSITION_NAMES:
            pending = engine.pending_handoff(case)
            actor = user(pending.to_agency if pending else case.agency, engine.HANDOFF_ROLES)
        else:
            t = case_wf.transitions[step.name]
            side = {"owner": case.agency, "origin": case.origin_agency}.get(t.side) or db.session.scalar(
                select(Agency).where(Agency.code == f"{case.agency.region_code}-{t.agency_kinds[0]}"))
            actor = user(side, t.roles)
        engine.apply_transition(actor, case.id, step.name, dict(step.fields), expected_version=None,
                                effective_on=step.day, effective_at=datetime.combine(step.day, time(9), CHINA_TZ))
        db.session.flush()
    db.session.commit()
    return db.session.get(Case, root.id)


def test_a_walked_case_is_what_the_engine_makes_of_the_same_steps(app, make_user):
    agencies = h.load_agencies()
    walker = h.Walker(engine.workflows(), agencies, h.Users(h.Ids({})), h.Ids({}))
    users = {}
    for story in _stories(agencies):
        walked = walker.walk(story)
        fired = _replay_with_the_engine(story, make_user, users)
        assert _draft_summary(walked, walker) == _case_summary(fired), story.spec.title
    # the stories did reach the corners they were written for
    admin, civil = walker.cases[0], next(c for c in walker.cases if c.workflow == "civil_litigation")
    assert admin.outcome == "transferred" and admin.child_links[0].child.solved_on == date(2020, 10, 15)
    assert [c.status for c in admin.child_links[0].child.clocks if c.key == "handover_items"] == ["stopped"]
    assert civil.agency.code == "230600-court" and civil.outcome == "judgment"
    assert any(c.extensions for c in civil.clocks) and any(c.pauses for c in civil.clocks)


def test_the_walker_refuses_a_step_the_workflow_does_not_allow(app):
    agencies = h.load_agencies()
    walker = h.Walker(engine.workflows(), agencies, h.Users(h.Ids({})), h.Ids({}))
    story = _stories(agencies)[0]
    skipping = h.Story(story.spec, [h.Step("file_case", date(2020, 3, 5))])  # filing before verification
    with pytest.raises(h.WalkError, match="not allowed in state received"):
        walker.walk(skipping)
    backwards = h.Story(story.spec, [h.Step("start_verification", date(2020, 3, 1))])
    with pytest.raises(h.WalkError, match="before the previous event"):
        walker.walk(backwards)
    system = h.Story(story.spec, [h.Step("criminal_case_filed", date(2020, 3, 5))])
    with pytest.raises(h.WalkError, match="no transition criminal_case_filed that a user may fire"):
        walker.walk(system)
    too_long = h.Story(story.spec, [h.Step("start_verification", date(2020, 3, 3)),
                                    h.Step("extend_filing_decision", date(2020, 3, 4),
                                           {"reason": "复杂", "extension_amount": 16})])
    with pytest.raises(h.WalkError, match="extension"):
        walker.walk(too_long)
    wrong_field = h.Story(story.spec, [h.Step("start_verification", date(2020, 3, 3), {"colour": "red"})])
    with pytest.raises(h.WalkError, match="fields"):
        walker.walk(wrong_field)


def test_the_memo_calendar_counts_like_the_calendar(app):
    calendar = load_calendar()
    memo = h.MemoCalendar.of(calendar)
    rng = random.Random(5)
    for _ in range(3000):
        day = date(2015, 1, 1) + (date(2026, 6, 1) - date(2015, 1, 1)) * rng.random()
        n = rng.choice((0, 1, 3, 15, 21, 40, 250, 1500))
        assert memo.add_working_days(day, n) == WorkingCalendar.add_working_days(calendar, day, n), (day, n)
        assert memo.subtract_working_days(day, n % 300) == calendar.subtract_working_days(day, n % 300)
        assert memo.next_working_day(day) == calendar.next_working_day(day)


def test_generated_identifiers_are_valid(app):
    planner = h.Planner(random.Random(1), h.load_agencies())
    codes = [planner.uscc(region) for region in ("230000", "230100", "230102", "110105") for _ in range(200)]
    assert len(set(codes)) == len(codes) and not [c for c in codes if uscc_problem(c)]
    assert all(re.fullmatch(r"91\d{6}[0-9]{8}[0-9X][0-9A-HJ-NPQRTUWXY]", c) for c in codes)
