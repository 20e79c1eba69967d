"""The statistics module through its public surface: the engine builds the records, the CLI and
the API report the figures (DOMAIN §5), with their filters, scope and boundaries."""

from __future__ import annotations

import json
from datetime import date

import pytest

from casesys.extensions import db
from casesys.reporting.models import InspectionRecord
from casesys.stats import figures
from casesys.stats.filters import StatsFilters

MR_HRB, MR_QQHR = "230100-market_regulation", "230200-market_regulation"
PERIOD = {"from": "2019-01-01", "to": "2019-12-31"}


def _filed_admin_case(officer, head, *, received, filed, region="230100", ip_type="unfair_competition"):
    case = officer.register(received_on=received, ip_type=ip_type, region=region)
    officer.fire(case["id"], "start_verification", {"is_complaint": True}, effective_on=received)
    head.fire(case["id"], "file_case", effective_on=filed)
    return case


@pytest.fixture
def world(actor, make_user, api_token):
    """Cases built through the engine with past dates, and the people who look at them."""

    class World:
        hrb_officer = actor("mr.officer", MR_HRB, "officer")
        hrb_head = actor("mr.head", MR_HRB, "agency_head")
        qqhr_officer = actor("qq.officer", MR_QQHR, "officer")
        qqhr_head = actor("qq.head", MR_QQHR, "agency_head")
        police = actor("police", "230100-public_security", "officer")
        supervisor = actor("prov.supervisor", "230000-coordination_office", "supervisor")
        city_supervisor = actor("hrb.supervisor", MR_HRB, "supervisor")

    w = World
    w.hrb_case = _filed_admin_case(w.hrb_officer, w.hrb_head, received="2019-03-01", filed="2019-03-05")
    w.qqhr_case = _filed_admin_case(w.qqhr_officer, w.qqhr_head, received="2019-06-10", filed="2019-06-12",
                                    region="230200")
    # Filed in 2020: outside the 2019 period although received in it.
    _filed_admin_case(w.hrb_officer, w.hrb_head, received="2019-12-30", filed="2020-01-02")
    # Received and refused in 2019: never filed.
    refused = w.hrb_officer.register(received_on="2019-04-01", ip_type="unfair_competition")
    w.hrb_officer.fire(refused["id"], "start_verification", {"is_complaint": True}, effective_on="2019-04-01")
    w.hrb_head.fire(refused["id"], "decide_not_to_file", {"reason": "不属于本机关管辖"}, effective_on="2019-04-08")
    # A trademark case filed in 2019 counts as filed, not as unfair competition.
    _filed_admin_case(w.hrb_officer, w.hrb_head, received="2019-05-01", filed="2019-05-06", ip_type="trademark")
    # The police open a case, investigate and solve it in 2019.
    crime = w.police.register(workflow="criminal_transfer", state="filed", received_on="2019-02-01",
                              ip_type="counterfeit_goods")
    w.police.fire(crime["id"], "start_investigation", effective_on="2019-02-02")
    w.police.fire(crime["id"], "solve", {"suspects_arrested": 3, "amount_involved": "1234567.89"},
                  effective_on="2019-07-01")
    w.crime = crime
    return w


def _plan(client, headers, **args):
    response = client.get("/api/v1/stats/plan-figures", query_string={**PERIOD, **args}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["figures"]


def test_plan_figures_count_what_the_records_say(world, client):
    got = _plan(client, world.supervisor.headers)
    assert set(got) == set(figures.PLAN_KEYS)
    assert got["market_regulation.unfair_competition_cases"] == 2  # not the refused one, not the one filed in 2020
    assert got["public_security.criminal_cases_solved"] == 1
    assert got["public_security.suspects_arrested"] == 3
    assert got["public_security.amount_involved_yuan"] == "1234567.89"  # exact, as a decimal string
    assert got["court.civil_first_instance.accepted"] == 0
    assert got["court.civil_first_instance.closure_rate"] is None  # nothing accepted: no rate, not 0
    # The filed-in-2020 case counts in 2020.
    assert _plan(client, world.supervisor.headers, **{"from": "2020-01-01", "to": "2020-12-31"})[
        "market_regulation.unfair_competition_cases"] == 1


def test_region_filter_includes_everything_below(world, client):
    headers = world.supervisor.headers
    assert _plan(client, headers, region="230100")["market_regulation.unfair_competition_cases"] == 1
    assert _plan(client, headers, region="230200")["market_regulation.unfair_competition_cases"] == 1
    assert _plan(client, headers, region="230000")["market_regulation.unfair_competition_cases"] == 2


def test_figures_stay_live(world, client):
    before = _plan(client, world.supervisor.headers)["market_regulation.unfair_competition_cases"]
    _filed_admin_case(world.hrb_officer, world.hrb_head, received="2019-09-01", filed="2019-09-03")
    assert _plan(client, world.supervisor.headers)["market_regulation.unfair_competition_cases"] == before + 1


def test_a_city_supervisor_sees_only_their_city(world, client):
    headers = world.city_supervisor.headers
    assert _plan(client, headers)["market_regulation.unfair_competition_cases"] == 1  # defaults to 230100
    response = client.get("/api/v1/stats/plan-figures", query_string={**PERIOD, "region": "230200"},
                          headers=headers)
    assert response.status_code == 422
    assert "230100" in response.json["error"]["fields"]["region"]


@pytest.mark.parametrize("args, field", [
    ({"from": "2019-13-01"}, "from"),
    ({"from": "2020-01-01", "to": "2019-01-01"}, "to"),
    ({"region": "999999"}, "region"),
    ({"ip_type": "perfume"}, "ip_type"),
    ({"agency_kind": "bank"}, "agency_kind"),
    ({"colour": "red"}, "colour"),
])
def test_bad_filters_are_422_naming_the_field(world, client, args, field):
    response = client.get("/api/v1/stats/plan-figures", query_string={**PERIOD, **args},
                          headers=world.supervisor.headers)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_only_supervisors_read_statistics(world, client):
    assert client.get("/api/v1/stats/plan-figures").status_code == 401
    assert client.get("/api/v1/stats/summary", headers=world.hrb_officer.headers).status_code == 403
    assert client.get("/api/v1/stats/plan-figures", headers=world.hrb_head.headers).status_code == 403


def test_summary_agrees_with_plan_figures_and_breaks_down(world, client):
    response = client.get("/api/v1/stats/summary", query_string={**PERIOD, "bucket": "quarter"},
                          headers=world.supervisor.headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["plan_figures"] == _plan(client, world.supervisor.headers)
    head = body["headline"]
    # Received in 2019: five admin cases and the police case.
    assert head["cases.received"] == 6
    assert head["cases.filed"] == 4  # three admin cases filed in 2019 and the police case (opened as filed)
    assert head["cases.closed"] == 1 and head["cases.handling_days_avg"] == 7.0  # the refused one: 04-01..04-08
    cities = {row["key"]: row["cases.received"] for row in body["breakdowns"]["city"]}
    assert cities == {"230100": 5, "230200": 1}
    kinds = {row["key"]: row["cases.filed"] for row in body["breakdowns"]["agency_kind"]}
    assert kinds == {"market_regulation": 3, "public_security": 1}
    quarters = {row["bucket"]: row["cases.received"] for row in body["trend"]}
    assert quarters == {"2019-Q1": 2, "2019-Q2": 3, "2019-Q4": 1}
    assert {row["clock"] for row in body["clocks"]} >= {"filing_decision"}
    months = client.get("/api/v1/stats/summary", query_string={**PERIOD, "sections": "overview"},
                        headers=world.supervisor.headers).json
    assert {row["bucket"] for row in months["trend"]} == {"2019-02", "2019-03", "2019-04", "2019-05", "2019-06",
                                                           "2019-12"}
    assert "flows" not in months or months["flows"] is None
    bad = client.get("/api/v1/stats/summary", query_string={"sections": "gossip"}, headers=world.supervisor.headers)
    assert bad.status_code == 422 and "sections" in bad.json["error"]["fields"]


def test_drill_down_lists_exactly_the_cases_counted(world, app):
    f = StatsFilters(date_from=date(2019, 1, 1), date_to=date(2019, 12, 31))
    counted = figures.plan_figures(f)["market_regulation.unfair_competition_cases"]
    behind = db.session.execute(figures.cases_behind("market_regulation.unfair_competition_cases", f)).all()
    assert len(behind) == counted
    assert {row[0].number for row in behind} == {c["number"] for c in (world.hrb_case, world.qqhr_case)}


def test_inspected_units_come_from_copyright_inspection_records(world, client, make_user):
    user = make_user("cr.officer", "230100-copyright", "officer")
    other = make_user("agri.officer", "230100-agriculture", "officer")
    db.session.add_all([
        InspectionRecord(agency_id=user.agency_id, inspected_on=date(2019, 5, 1), units_inspected=120,
                         created_by_id=user.id, campaign="剑网2019"),
        InspectionRecord(agency_id=user.agency_id, inspected_on=date(2020, 5, 1), units_inspected=80,
                         created_by_id=user.id),
        InspectionRecord(agency_id=other.agency_id, inspected_on=date(2019, 5, 1), units_inspected=999,
                         created_by_id=other.id),
    ])
    db.session.commit()
    assert _plan(client, world.supervisor.headers)["copyright.inspected_units"] == 120
    assert _plan(client, world.supervisor.headers, region="230200")["copyright.inspected_units"] == 0


def test_cli_prints_every_plan_key(world, runner):
    result = runner.invoke(args=["stats", "plan-figures", "--from", "2019-01-01", "--to", "2019-12-31", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)["figures"]
    assert got["market_regulation.unfair_competition_cases"] == 2 and set(got) == set(figures.PLAN_KEYS)
    table = runner.invoke(args=["stats", "plan-figures", "--from", "2019-01-01", "--to", "2019-12-31",
                                "--region", "230200"])
    assert table.exit_code == 0
    line = next(x for x in table.output.splitlines() if x.startswith("market_regulation.unfair_competition_cases"))
    assert line.split()[1] == "1" and "plan: 609" in line
    bad = runner.invoke(args=["stats", "plan-figures", "--from", "2019-02-30", "--to", "2019-12-31"])
    assert bad.exit_code == 2 and "from: not a date" in bad.output


def test_rates_are_rounded_as_the_plan_reports_them():
    closure = figures.figure("court.civil_first_instance.closure_rate")
    mediation = figures.figure("court.civil_first_instance.mediation_withdrawal_rate")
    assert figures.rate(closure, 5015, 5071) == 0.989 and figures.display(closure, 0.989) == "98.9%"
    assert figures.rate(mediation, 3476, 5015) == 0.6931 and figures.display(mediation, 0.6931) == "69.31%"
    assert figures.rate(closure, 1, 0) is None
