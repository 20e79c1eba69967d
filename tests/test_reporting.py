"""Reported figures (信息报送): inspection records and plan-indicator reports, through the pages
and the API; who may record and see what; the indicators' overview, its numbers and its charts."""

from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from casesys.audit.models import AuditEntry
from casesys.core.types import today_in_china
from casesys.extensions import db
from casesys.reporting import services
from casesys.reporting.indicators import INDICATORS
from casesys.reporting.models import IndicatorReport, InspectionRecord
from tests.conftest import csrf_token

HRB_COPYRIGHT = "230100-copyright"
QQHR_COPYRIGHT = "230200-copyright"
PROVINCE_COPYRIGHT = "230000-copyright"
PROVINCE_IP = "230000-ip_office"
HRB_IP = "230100-ip_office"
HIGH_VALUE = "high_value_invention_patents_per_10k"
COPYRIGHT_REGS = "copyright_registrations"


USERS = {  # username -> (agency, role)
    "hrb.copy": (HRB_COPYRIGHT, "officer"), "hrb.copy2": (HRB_COPYRIGHT, "agency_head"),
    "qqhr.copy": (QQHR_COPYRIGHT, "officer"), "prov.copy": (PROVINCE_COPYRIGHT, "officer"),
    "prov.ip": (PROVINCE_IP, "officer"), "hrb.ip": (HRB_IP, "officer"), "hrb.court": ("230100-court", "officer"),
    "prov.sup": ("230000-coordination_office", "supervisor"), "qqhr.sup": ("230200-market_regulation", "supervisor"),
    "hrb.med": ("230100-mediation_org", "mediator"),
}


class People(dict):
    """The users of USERS, each made (reading English) the first time a test asks for it."""

    def __init__(self, make_user):
        super().__init__()
        self.make_user = make_user

    def __missing__(self, username):
        agency, role = USERS[username]
        user = self.make_user(username, agency, role)
        user.locale = "en"  # messages in English whatever the translations say
        db.session.commit()
        self[username] = user
        return user


@pytest.fixture
def people(make_user):
    return People(make_user)


@pytest.fixture
def web_as(people, web):
    """web_as("hrb.copy") -> a client signed in as that user, made if needed."""

    def sign_in(username):
        people[username]
        return web(username)

    return sign_in


def _field_errors(page: str, name: str) -> list[str]:
    """Error messages inside the field block that holds the input named ``name``."""
    block = re.search(rf'<div class="field has-error">(?:(?!</div>).)*?name="{name}".*?</div>', page, re.S)
    return [html.unescape(m) for m in re.findall(r'class="error">([^<]+)<', block.group(0))] if block else []


def _records() -> list[InspectionRecord]:
    db.session.rollback()
    return list(db.session.scalars(select(InspectionRecord).order_by(InspectionRecord.id)))


def _audit(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _inspection(client, token=None, **overrides):
    data = {"inspected_on": (today_in_china() - timedelta(days=1)).isoformat(), "units_inspected": "25",
            "campaign": "剑网2024", "note": "网吧、复印店"}
    data.update(overrides)
    data["csrf_token"] = token if token is not None else csrf_token(client, "/reports/inspections/new")
    return client.post("/reports/inspections/new", data=data)


def _add_inspection(user, on, units, campaign=None) -> int:
    """An inspection recorded through the service, committed (for the list and scope tests)."""
    record = services.record_inspection(user, inspected_on=on, units_inspected=units, campaign=campaign)
    db.session.commit()
    return record.id


def _report(user, indicator, year, quarter, value) -> None:
    services.report_indicator(user, indicator=indicator, year=year, quarter=quarter, value=Decimal(value))
    db.session.commit()


def _listed_inspections(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr id="inspection-(\d+)"', page)}


# --- inspection records in the browser ------------------------------------------------------

def test_an_officer_records_an_inspection_from_the_form(people, web_as):
    client = web_as("hrb.copy")
    form = client.get("/reports/inspections/new")
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert 'name="units_inspected"' in page and f'max="{today_in_china().isoformat()}"' in page
    response = _inspection(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/reports/inspections")

    [record] = _records()
    assert (record.agency.code, record.units_inspected, record.campaign, record.note, record.created_by.username,
            record.inspected_on) == (HRB_COPYRIGHT, 25, "剑网2024", "网吧、复印店", "hrb.copy",
                                     today_in_china() - timedelta(days=1))
    [entry] = _audit("inspection.record")
    assert (entry.actor_name, entry.object_type, entry.object_id) == ("hrb.copy", "inspection_record", str(record.id))
    assert entry.details["units_inspected"] == 25 and entry.details["agency"] == HRB_COPYRIGHT

    listing = client.get("/reports/inspections").get_data(as_text=True)
    assert "Inspection of 25 business units recorded." in listing
    assert _listed_inspections(listing) == {record.id}
    assert re.search(r'id="total-units">25<', listing)


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"inspected_on": (date.today() + timedelta(days=2)).isoformat()}, "inspected_on", "cannot be in the future"),
    ({"inspected_on": "2015-12-31"}, "inspected_on", "must not be before 2016"),
    ({"inspected_on": "31/12/2024"}, "inspected_on", "Not a valid date value."),
    ({"inspected_on": ""}, "inspected_on", "This field is required."),
    ({"units_inspected": "0"}, "units_inspected", "a whole number from 1 to 100000"),
    ({"units_inspected": "100001"}, "units_inspected", "a whole number from 1 to 100000"),
    ({"units_inspected": "12.5"}, "units_inspected", "Not a valid integer value."),
    ({"units_inspected": ""}, "units_inspected", "This field is required."),
    ({"campaign": "专" * 101}, "campaign", "at most 100 characters"),
    ({"note": "x" * 2001}, "note", "at most 2000 characters"),
])
def test_the_inspection_form_refuses_bad_input_beside_the_field(people, web_as, overrides, field, message):
    client = web_as("hrb.copy")
    response = _inspection(client, **overrides)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in _field_errors(page, field), page
    assert _records() == [] and _audit("inspection.record") == []


def test_the_inspection_form_needs_its_csrf_token(people, web_as):
    client = web_as("hrb.copy")
    response = client.post("/reports/inspections/new", data={
        "inspected_on": today_in_china().isoformat(), "units_inspected": "3"})
    assert response.status_code == 400
    assert _records() == []


def test_only_inspecting_agency_kinds_record_inspections(people, web_as, api_token):
    court = web_as("hrb.court")
    assert court.get("/reports/inspections/new").status_code == 403
    token = csrf_token(court, "/reports/inspections")
    refused = _inspection(court, token=token)
    assert refused.status_code == 403
    assert "Only copyright, market regulation and agriculture agencies record inspections." in \
        refused.get_data(as_text=True)
    assert 'id="record-inspection"' not in court.get("/reports/inspections").get_data(as_text=True)
    api = court.post("/api/v1/inspections", json={"inspected_on": "2024-05-01", "units_inspected": 3},
                     headers=api_token(people["hrb.court"]))
    assert api.status_code == 403 and api.json["error"]["code"] == "forbidden"
    # A supervisor reads inspections but records none; a mediator does neither.
    assert web_as("prov.sup").get("/reports/inspections/new").status_code == 403
    assert web_as("hrb.med").get("/reports/inspections").status_code == 403
    assert _records() == []


def test_each_user_sees_the_inspections_of_their_scope(people, web_as):
    hrb = _add_inspection(people["hrb.copy"], date(2024, 3, 5), 40, "剑网2024")
    hrb_old = _add_inspection(people["hrb.copy2"], date(2023, 7, 1), 7)
    qqhr = _add_inspection(people["qqhr.copy"], date(2024, 4, 2), 11)
    prov = _add_inspection(people["prov.copy"], date(2024, 6, 9), 100)

    # An agency sees its own agency's records (both of its officers'), newest first, and no one else's.
    page = web_as("hrb.copy").get("/reports/inspections").get_data(as_text=True)
    assert _listed_inspections(page) == {hrb, hrb_old}
    assert page.index(f'id="inspection-{hrb}"') < page.index(f'id="inspection-{hrb_old}"')
    assert re.search(r'id="total-units">47<', page)
    assert 'name="agency"' not in page  # nothing to choose from
    # Another agency's record is not reached through the agency filter either.
    refused = web_as("hrb.copy").get(f"/reports/inspections?agency={QQHR_COPYRIGHT}").get_data(as_text=True)
    assert f"no agency {QQHR_COPYRIGHT} among those whose figures you may see" in refused
    assert _listed_inspections(web_as("qqhr.copy").get("/reports/inspections").get_data(as_text=True)) == {qqhr}

    # A city supervisor sees their city's agencies; the province supervisor sees everything.
    city = web_as("qqhr.sup").get("/reports/inspections").get_data(as_text=True)
    assert _listed_inspections(city) == {qqhr} and re.search(r'id="total-units">11<', city)
    province = web_as("prov.sup")
    everything = province.get("/reports/inspections").get_data(as_text=True)
    assert _listed_inspections(everything) == {hrb, hrb_old, qqhr, prov}
    assert re.search(r'id="total-units">158<', everything)
    filtered = province.get(f"/reports/inspections?from=2024-01-01&to=2024-12-31&agency={HRB_COPYRIGHT}")
    assert _listed_inspections(filtered.get_data(as_text=True)) == {hrb}
    assert re.search(r'id="total-units">40<', filtered.get_data(as_text=True))
    bad = province.get("/reports/inspections?from=2024-13-01&to=2024-01-01").get_data(as_text=True)
    assert "not a date (YYYY-MM-DD)" in bad


# --- indicator reports in the browser -------------------------------------------------------

def _indicator_post(client, token=None, **overrides):
    data = {"indicator": HIGH_VALUE, "year": "2024", "quarter": "0", "value": "3.1", "note": "年报"}
    data.update(overrides)
    data["csrf_token"] = token if token is not None else csrf_token(client, "/reports/indicators/submit")
    return client.post("/reports/indicators/submit", data=data)


def _indicator_rows() -> list[tuple]:
    db.session.rollback()
    return [(r.indicator, r.agency.code, r.year, r.quarter, r.value, r.note, r.submitted_by.username)
            for r in db.session.scalars(select(IndicatorReport).order_by(IndicatorReport.id))]


def test_an_officer_reports_an_indicator_and_replaces_it(people, web_as):
    client = web_as("prov.ip")
    form = client.get("/reports/indicators/submit").get_data(as_text=True)
    # An IP office reports the IP office's indicators, and only those.
    options = set(re.findall(r'<option (?:selected )?value="([a-z0-9_]+)"', form))
    assert {HIGH_VALUE, "gi_trademarks", "patent_licence_filings"} <= options
    assert COPYRIGHT_REGS not in options and "valid_trademarks_10k" not in options

    response = _indicator_post(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _indicator_rows() == [(HIGH_VALUE, PROVINCE_IP, 2024, 0, Decimal("3.1"), "年报", "prov.ip")]
    page = client.get("/reports/indicators/submit").get_data(as_text=True)
    assert "recorded." in page and ">3.1 <" in page

    # The list links to the period, which opens with its value; submitting again replaces it.
    assert f"indicator={HIGH_VALUE}&amp;year=2024&amp;quarter=0" in page
    reopened = client.get(f"/reports/indicators/submit?indicator={HIGH_VALUE}&year=2024&quarter=0")
    assert 'value="3.1"' in reopened.get_data(as_text=True)
    assert _indicator_post(client, value="3.25", note="更正").status_code == 302
    assert _indicator_rows() == [(HIGH_VALUE, PROVINCE_IP, 2024, 0, Decimal("3.25"), "更正", "prov.ip")]
    assert "replaced." in client.get("/reports/indicators/submit").get_data(as_text=True)

    first, second = _audit("indicator.report")
    assert (first.details["old_value"], first.details["new_value"]) == (None, "3.1")
    assert (second.details["old_value"], second.details["new_value"]) == ("3.1", "3.25")
    assert second.details["indicator"] == HIGH_VALUE and second.details["agency"] == PROVINCE_IP
    assert (second.details["year"], second.details["quarter"]) == (2024, 0)


@pytest.fixture
def fixed_today(monkeypatch):
    """China's date is 2025-05-10 for the services: Q2 of 2025 has begun, Q3 has not."""
    monkeypatch.setattr(services, "today_in_china", lambda: date(2025, 5, 10))


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"value": "-1"}, "value", "must not be negative"),
    ({"value": "1.23456"}, "value", "at most 4 decimal places"),
    ({"value": "100000000000"}, "value", "at most 11 digits before the decimal point"),
    ({"value": "abc"}, "value", "Not a valid decimal value."),
    ({"value": ""}, "value", "This field is required."),
    ({"year": "2015"}, "year", "a year from 2016 to 2025"),
    ({"year": "2026"}, "year", "a year from 2016 to 2025"),
    ({"year": "20x4"}, "year", "Not a valid integer value."),
    ({"year": "2025", "quarter": "3"}, "quarter", "that quarter has not begun"),
    ({"quarter": "5"}, "quarter", "Not a valid choice."),
    ({"indicator": COPYRIGHT_REGS}, "indicator", "Not a valid choice."),
    ({"note": "x" * 2001}, "note", "at most 2000 characters"),
])
def test_the_indicator_form_refuses_bad_input_beside_the_field(people, web_as, fixed_today, overrides, field,
                                                               message):
    response = _indicator_post(web_as("prov.ip"), **overrides)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in _field_errors(page, field), page
    assert _indicator_rows() == [] and _audit("indicator.report") == []


def test_the_indicator_form_accepts_a_begun_quarter_and_needs_its_csrf_token(people, web_as, fixed_today):
    client = web_as("prov.ip")
    assert _indicator_post(client, year="2025", quarter="2").status_code == 302
    assert client.post("/reports/indicators/submit", data={
        "indicator": HIGH_VALUE, "year": "2024", "quarter": "0", "value": "1"}).status_code == 400
    assert [(r[2], r[3]) for r in _indicator_rows()] == [(2025, 2)]


def test_who_reports_indicators_and_who_sees_the_overview(people, web_as):
    assert web_as("prov.sup").get("/reports/indicators/submit").status_code == 403
    assert web_as("prov.ip").get("/reports/indicators").status_code == 403
    assert web_as("prov.ip").get(f"/reports/indicators/{HIGH_VALUE}").status_code == 403
    court = web_as("hrb.court").get("/reports/indicators/submit").get_data(as_text=True)
    assert 'id="no-indicators"' in court
    assert web_as("prov.sup").get("/reports/indicators/no_such_thing").status_code == 404


# --- the overview -----------------------------------------------------------------------------

@pytest.fixture
def reported(people):
    """Reports behind the overview's numbers.

    high-value patents (stock): the province office 2.9 for 2023 and 3.1 for 2024 (Q3 2024 said 3.0,
    the annual report is the year-end level); Harbin's own 9.9 for 2024 describes Harbin only.
    copyright registrations (flow), 2024: the province 1500 for the year, Harbin Q1 100 + Q2 150
    (year to date: Q2), Qiqihar 300 for the year -> 2050 to Q2; 2023: the province 1800.
    """
    _report(people["prov.ip"], HIGH_VALUE, 2023, 0, "2.9")
    _report(people["prov.ip"], HIGH_VALUE, 2024, 3, "3.0")
    _report(people["prov.ip"], HIGH_VALUE, 2024, 0, "3.1")
    _report(people["hrb.ip"], HIGH_VALUE, 2024, 0, "9.9")
    _report(people["prov.copy"], COPYRIGHT_REGS, 2023, 0, "1800")
    _report(people["prov.copy"], COPYRIGHT_REGS, 2024, 0, "1500")
    _report(people["hrb.copy"], COPYRIGHT_REGS, 2024, 1, "100")
    _report(people["hrb.copy"], COPYRIGHT_REGS, 2024, 2, "150")
    _report(people["qqhr.copy"], COPYRIGHT_REGS, 2024, 0, "300")
    _report(people["prov.ip"], "patent_licence_amount_10k", 2024, 0, "1234567.8912")


def _by_key(body) -> dict:
    return {i["key"]: i for i in body["indicators"]}


def test_the_overview_computes_latest_values_and_progress(client, people, reported, api_token):
    response = client.get("/api/v1/indicators", headers=api_token(people["prov.sup"]))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["region"] == "230000"
    assert list(_by_key(body)) == list(INDICATORS)
    high = _by_key(body)[HIGH_VALUE]
    assert (high["base_2020"], high["target_2025"], high["measure"], high["unit"]) == (
        "2.57", "4.53", "stock", {"zh": "件", "en": "items"})
    assert high["label"] == {"zh": "每万人口高价值发明专利拥有量",
                             "en": "High-value invention patents per 10,000 people"}
    assert high["latest"] == {"year": 2024, "quarter": 0, "value": "3.1"}
    assert high["progress"] == pytest.approx(round((3.1 - 2.57) / (4.53 - 2.57), 4))
    assert high["progress"] == 0.2704
    assert high["history"] == [{"year": 2023, "quarter": 0, "value": "2.9"},
                               {"year": 2024, "quarter": 0, "value": "3.1"}]

    regs = _by_key(body)[COPYRIGHT_REGS]
    assert regs["latest"] == {"year": 2024, "quarter": 2, "value": "2050"}
    assert regs["progress"] == round((2050 - 2038) / (3000 - 2038), 4)
    assert regs["history"] == [{"year": 2023, "quarter": 0, "value": "1800"},
                               {"year": 2024, "quarter": 2, "value": "2050"}]

    amount = _by_key(body)["patent_licence_amount_10k"]
    assert (amount["latest"]["value"], amount["base_2020"], amount["target_2025"], amount["progress"]) == (
        "1234567.8912", None, None, None)
    untouched = _by_key(body)["protection_satisfaction"]
    assert (untouched["latest"], untouched["progress"], untouched["history"]) == (None, None, [])

    # A city supervisor: the city's flows and the city's own stock reports; no progress (the plan is the province's).
    city = _by_key(client.get("/api/v1/indicators", headers=api_token(people["qqhr.sup"])).json)
    assert city[COPYRIGHT_REGS]["latest"] == {"year": 2024, "quarter": 0, "value": "300"}
    assert city[COPYRIGHT_REGS]["progress"] is None
    assert city[HIGH_VALUE]["latest"] is None


def test_the_overview_page_shows_the_table_and_a_chart_per_indicator(people, reported, web_as):
    client = web_as("prov.sup")
    page = client.get("/reports/indicators").get_data(as_text=True)
    row = re.search(rf'<tr id="indicator-{HIGH_VALUE}">.*?</tr>', page, re.S).group(0)
    assert '<td class="number base">2.57</td>' in row and '<td class="number target">4.53</td>' in row
    assert '<td class="number latest">3.1</td>' in row
    assert '<meter min="0" max="1"' in row and "27.0%" in row
    regs = re.search(rf'<tr id="indicator-{COPYRIGHT_REGS}">.*?</tr>', page, re.S).group(0)
    assert ">2050<" in regs and "(to Q2)" in regs and "1.2%" in regs
    assert "vendor/chart-4.6.1.umd.min.js" in page and "/static/charts.js" in page
    progress = json.loads(html.unescape(re.search(r"id=\"progress-chart\"[^>]*data-chart='([^']*)'", page).group(1)))
    assert progress["type"] == "hbar" and len(progress["labels"]) == 8
    assert progress["datasets"][0]["data"][0] == 27.0
    assert progress["links"][0] == f"/reports/indicators/{HIGH_VALUE}"

    detail = client.get(f"/reports/indicators/{HIGH_VALUE}").get_data(as_text=True)
    chart = json.loads(html.unescape(re.search(r"id=\"history-chart\"[^>]*data-chart='([^']*)'", detail).group(1)))
    assert chart["type"] == "line"
    assert chart["labels"] == ["2020", "2021", "2022", "2023", "2024", "2025"]
    reported_line, base, target = chart["datasets"]
    assert reported_line["data"] == [None, None, None, 2.9, 3.1, None]
    assert (base["label"], base["data"]) == ("2020 base", [2.57] * 6)
    assert (target["label"], target["data"]) == ("2025 target", [4.53] * 6)
    # The same numbers as a table, and the reports of the area behind them (Harbin's too).
    assert re.search(r'<tr id="year-2024"><td>2024</td><td class="number">3.1</td>', detail)
    assert detail.count('<tr id="report-') == 4
    assert 'id="progress">27.0%<' in detail


# --- the API ----------------------------------------------------------------------------------

def test_the_api_needs_a_token_and_the_right_role(client, people, api_token):
    for method, path in (("GET", "/api/v1/inspections"), ("POST", "/api/v1/inspections"),
                         ("GET", "/api/v1/indicators"), ("GET", "/api/v1/indicator-reports"),
                         ("POST", "/api/v1/indicator-reports")):
        response = client.open(path, method=method, json={} if method == "POST" else None)
        assert response.status_code == 401, (method, path)
        assert response.json["error"]["code"] == "unauthorized"
    officer, supervisor, mediator = (api_token(people[u]) for u in ("prov.ip", "prov.sup", "hrb.med"))
    assert client.get("/api/v1/indicators", headers=officer).status_code == 403
    assert client.post("/api/v1/indicator-reports", json={"indicator": HIGH_VALUE, "year": 2024, "value": "1"},
                       headers=supervisor).status_code == 403
    assert client.post("/api/v1/inspections", json={"inspected_on": "2024-01-02", "units_inspected": 1},
                       headers=supervisor).status_code == 403
    for path in ("/api/v1/inspections", "/api/v1/indicator-reports"):
        assert client.get(path, headers=mediator).status_code == 403


def test_inspections_through_the_api(client, people, api_token):
    hrb = api_token(people["hrb.copy"])
    response = client.post("/api/v1/inspections", json={
        "inspected_on": "2024-05-20", "units_inspected": 30, "campaign": " 剑网2024 ", "note": None}, headers=hrb)
    assert response.status_code == 201, response.json
    body = response.json
    assert {k: body[k] for k in ("agency", "inspected_on", "units_inspected", "campaign", "created_by")} == {
        "agency": HRB_COPYRIGHT, "inspected_on": "2024-05-20", "units_inspected": 30, "campaign": "剑网2024",
        "created_by": "hrb.copy"}
    client.post("/api/v1/inspections", json={"inspected_on": "2023-02-01", "units_inspected": 5}, headers=hrb)
    client.post("/api/v1/inspections", json={"inspected_on": "2024-02-01", "units_inspected": 9},
                headers=api_token(people["qqhr.copy"]))

    bad = client.post("/api/v1/inspections", json={
        "inspected_on": (today_in_china() + timedelta(days=1)).isoformat(), "units_inspected": 0,
        "campaign": "x" * 101}, headers=hrb)
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) == {"inspected_on", "units_inspected", "campaign"}
    typed = client.post("/api/v1/inspections", json={"inspected_on": "soon", "units_inspected": "many",
                                                      "extra": 1}, headers=hrb)
    assert typed.status_code == 422
    assert set(typed.json["error"]["fields"]) == {"inspected_on", "units_inspected", "extra"}
    assert client.post("/api/v1/inspections", data="[]", headers=hrb,
                       content_type="application/json").status_code == 400

    own = client.get("/api/v1/inspections", headers=hrb).json
    assert [(i["inspected_on"], i["units_inspected"]) for i in own["items"]] == [("2024-05-20", 30),
                                                                                ("2023-02-01", 5)]
    assert (own["total_units"], own["total_records"], own["next_page"]) == (35, 2, None)
    year = client.get("/api/v1/inspections?from=2024-01-01&to=2024-12-31", headers=hrb).json
    assert (year["total_units"], [i["units_inspected"] for i in year["items"]]) == (30, [30])
    sup = api_token(people["prov.sup"])
    assert client.get("/api/v1/inspections", headers=sup).json["total_units"] == 44
    assert client.get("/api/v1/inspections", headers=api_token(people["qqhr.sup"])).json["total_units"] == 9
    assert client.get(f"/api/v1/inspections?agency={QQHR_COPYRIGHT}", headers=sup).json["total_units"] == 9
    outside = client.get(f"/api/v1/inspections?agency={QQHR_COPYRIGHT}", headers=hrb)
    assert outside.status_code == 422 and "agency" in outside.json["error"]["fields"]
    wrong = client.get("/api/v1/inspections?from=yesterday&colour=red", headers=hrb)
    assert wrong.status_code == 422 and set(wrong.json["error"]["fields"]) == {"from", "colour"}


def test_indicator_reports_through_the_api(client, people, api_token):
    ip = api_token(people["prov.ip"])
    created = client.post("/api/v1/indicator-reports", json={
        "indicator": HIGH_VALUE, "year": 2024, "quarter": 0, "value": "3.1", "note": "年报"}, headers=ip)
    assert created.status_code == 201, created.json
    assert {k: created.json[k] for k in ("indicator", "agency", "year", "quarter", "value", "submitted_by")} == {
        "indicator": HIGH_VALUE, "agency": PROVINCE_IP, "year": 2024, "quarter": 0, "value": "3.1",
        "submitted_by": "prov.ip"}
    replaced = client.post("/api/v1/indicator-reports", json={
        "indicator": HIGH_VALUE, "year": 2024, "value": "3.2000"}, headers=ip)
    assert replaced.status_code == 200 and replaced.json["id"] == created.json["id"]
    assert replaced.json["value"] == "3.2" and replaced.json["note"] is None
    exact = client.post("/api/v1/indicator-reports", json={
        "indicator": "patent_licence_amount_10k", "year": 2023, "value": "99999999999.9999"}, headers=ip)
    assert exact.status_code == 201 and exact.json["value"] == "99999999999.9999"
    [*_, entry] = _audit("indicator.report")
    assert (entry.details["old_value"], entry.details["new_value"]) == (None, "99999999999.9999")
    assert [e.details["old_value"] for e in _audit("indicator.report")] == [None, "3.1", None]

    for body, field in (
            ({"indicator": "no_such_indicator", "year": 2024, "value": "1"}, "indicator"),
            ({"indicator": COPYRIGHT_REGS, "year": 2024, "value": "1"}, "indicator"),
            ({"indicator": HIGH_VALUE, "year": 2015, "value": "1"}, "year"),
            ({"indicator": HIGH_VALUE, "year": "2024", "value": "1"}, "year"),
            ({"indicator": HIGH_VALUE, "year": 2024, "quarter": 5, "value": "1"}, "quarter"),
            ({"indicator": HIGH_VALUE, "year": 2024, "value": "-0.5"}, "value"),
            ({"indicator": HIGH_VALUE, "year": 2024, "value": "0.00001"}, "value"),
            ({"indicator": HIGH_VALUE, "year": 2024, "value": "NaN"}, "value"),
            ({"indicator": HIGH_VALUE, "year": 2024, "value": "lots"}, "value"),
            ({"indicator": HIGH_VALUE, "year": 2024}, "value")):
        response = client.post("/api/v1/indicator-reports", json=body, headers=ip)
        assert response.status_code == 422, body
        assert field in response.json["error"]["fields"], (body, response.json)
    copyright_ = client.post("/api/v1/indicator-reports", json={"indicator": COPYRIGHT_REGS, "year": 2024,
                                                                 "value": "120"},
                             headers=api_token(people["hrb.copy"]))
    assert copyright_.status_code == 201

    own = client.get("/api/v1/indicator-reports", headers=ip).json
    assert [(r["indicator"], r["year"]) for r in own["items"]] == [
        (HIGH_VALUE, 2024), ("patent_licence_amount_10k", 2023)]
    assert client.get(f"/api/v1/indicator-reports?indicator={HIGH_VALUE}&year=2023", headers=ip).json["items"] == []
    everything = client.get("/api/v1/indicator-reports", headers=api_token(people["prov.sup"])).json["items"]
    assert {r["agency"] for r in everything} == {PROVINCE_IP, HRB_COPYRIGHT}
    city = client.get("/api/v1/indicator-reports", headers=api_token(people["qqhr.sup"])).json["items"]
    assert city == []
    unknown = client.get("/api/v1/indicator-reports?indicator=nope", headers=ip)
    assert unknown.status_code == 422 and "indicator" in unknown.json["error"]["fields"]


def test_the_openapi_document_lists_the_reporting_paths(client, people, api_token):
    doc = client.get("/api/v1/openapi.json", headers=api_token(people["prov.sup"])).json
    assert set(doc["paths"]["/inspections"]) == {"get", "post"}
    assert set(doc["paths"]["/indicator-reports"]) == {"get", "post"}
    assert set(doc["paths"]["/indicators"]) == {"get"}
    assert "201" in doc["paths"]["/inspections"]["post"]["responses"]
    assert {p["name"] for p in doc["paths"]["/inspections"]["get"]["parameters"]} >= {"from", "to", "agency"}
    schemas = doc["components"]["schemas"]
    assert set(schemas["IndicatorReportIn"]["required"]) == {"indicator", "year", "value"}
    assert {"InspectionIn", "InspectionOut", "IndicatorOverviewOut", "IndicatorOut"} <= set(schemas)
