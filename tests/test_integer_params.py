"""Whole numbers in query strings, forms and paths: only the ASCII digits 0-9 are a number.

str.isdigit() takes '²' (which int() then refuses: a 500) and int() reads '٣' or '３' as 3. Every
integer parameter is fuzzed with Unicode text: never a server error; anything but ASCII digits is a
4xx; ASCII numbers in range still work."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from casesys.core.params import parse_row_id, whole_number
from tests.conftest import csrf_token
from tests.factories import case_payload

NOT_NUMBERS = ["²", "٣", "３", "𝟙", " 1", "1 ", "+1", "-1", "1_0", "1.0", "0x1", ""]
FUZZ = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _expect(response, text: str):
    assert response.status_code < 500, (text, response.status_code)
    if text == "" or _is_number(text):
        return
    assert 400 <= response.status_code < 500, (text, response.status_code, response.get_data(as_text=True)[:300])


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_the_one_parser_takes_ascii_digits_only(text):
    assert whole_number(text, 0, 10**6) is None
    assert parse_row_id(text) is None


def test_the_one_parser_reads_ascii_numbers_within_bounds():
    assert whole_number("0042", 1, 100) == 42
    assert whole_number("101", 1, 100) is None
    assert parse_row_id("2147483647") == 2**31 - 1
    assert parse_row_id("2147483648") is None
    # int() refuses more than 4300 digits: such a number is out of range, not an error.
    assert parse_row_id("9" * 5000) is None and parse_row_id("0" * 5000 + "7") == 7


@pytest.fixture
def officer(app, make_user, web, api_token):
    user = make_user("hrb.officer", "230100-market_regulation", "officer")
    return web("hrb.officer"), api_token(user)


API_PARAMS = [("/api/v1/cases", "limit"), ("/api/v1/notifications", "limit"), ("/api/v1/inspections", "page"),
              ("/api/v1/indicator-reports", "year"), ("/api/v1/indicator-reports", "page"),
              ("/api/v1/cases", "cursor")]


def test_api_integer_parameters_refuse_all_but_ascii_digits(client, officer):
    _web, headers = officer

    @FUZZ
    @given(where=st.sampled_from(API_PARAMS), text=st.text())
    @example(where=API_PARAMS[0], text="²")
    @example(where=API_PARAMS[2], text="٣")
    @example(where=API_PARAMS[3], text="３")
    def fuzz(where, text):
        path, name = where
        response = client.get(path, query_string={name: text}, headers=headers)
        _expect(response, text)
        if response.status_code >= 400:  # the API's JSON error names the parameter
            assert name in response.json["error"]["fields"], response.json

    fuzz()
    for path, name, good in [("/api/v1/cases", "limit", "3"), ("/api/v1/inspections", "page", "2"),
                             ("/api/v1/indicator-reports", "year", "2024")]:
        assert client.get(path, query_string={name: good}, headers=headers).status_code == 200
    refused = client.get("/api/v1/cases?limit=%C2%B2", headers=headers)
    assert refused.status_code == 422 and "limit" in refused.json["error"]["fields"]


@pytest.fixture
def pages(app, make_user, web, officer):
    """Signed-in clients and the integer parameters of their pages."""
    client, headers = officer
    make_user("prov.sup", "230000-coordination_office", "supervisor")
    make_user("prov.admin", "230000-coordination_office", "admin")
    supervisor, admin = web("prov.sup"), web("prov.admin")
    return [(client, "/cases/", "after"), (client, "/notifications", "after"), (client, "/overdue", "page"),
            (client, "/reports/inspections", "page"), (client, "/reports/indicators/submit", "year"),
            (client, "/reports/indicators/submit", "quarter"), (admin, "/admin/calendar", "year"),
            (supervisor, "/stats/cases", "after")]


def test_page_integer_parameters_refuse_all_but_ascii_digits(pages):
    @FUZZ
    @given(where=st.sampled_from(pages), text=st.text())
    @example(where=pages[0], text="²")
    @example(where=pages[2], text="²")
    @example(where=pages[4], text="²")
    @example(where=pages[6], text="²")
    def fuzz(where, text):
        client, path, name = where
        fixed = {"figure": "cases.received"} if path == "/stats/cases" else {}
        response = client.get(path, query_string={**fixed, name: text})
        _expect(response, text)
        if response.status_code == 422:
            assert name in response.get_data(as_text=True)  # the error page names the parameter

    fuzz()
    officer = pages[0][0]
    assert officer.get("/cases/?after=99999999999999999999").status_code == 200  # beyond any id: none
    assert officer.get("/overdue?page=2").status_code == 200
    assert officer.get("/reports/indicators/submit?year=2024&quarter=2").status_code == 200
    assert pages[6][0].get("/admin/calendar?year=2026").status_code == 302


def test_path_ids_take_ascii_digits_only(client, officer):
    _web, headers = officer
    case_id = client.post("/api/v1/cases", json=case_payload(), headers=headers).json["id"]
    assert case_id < 10 and client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 200
    # int() reads the Arabic-Indic or full-width digit of the case's id as that id.
    for text in (chr(0x0660 + case_id), chr(0xFF10 + case_id), "²", "9" * 5000):
        assert client.get(f"/api/v1/cases/{quote(text)}", headers=headers).status_code == 404, text


def test_form_integers_refuse_all_but_ascii_digits(client, officer):
    web_client, headers = officer
    case = client.post("/api/v1/cases", json=case_payload(), headers=headers).json
    detail = client.get(f"/api/v1/cases/{case['id']}", headers=headers).json
    name = detail["allowed_transitions"][0]["name"]
    page = f"/cases/{case['id']}/transitions/{name}"

    token = csrf_token(web_client, f"/cases/{case['id']}")  # one per session: it stays valid

    @FUZZ
    @given(text=st.text(), target=st.sampled_from([page, f"/cases/{case['id']}/transitions/no_such_step"]))
    @example(text="²", target=page)
    @example(text="٣", target=page)
    @example(text="²", target=f"/cases/{case['id']}/transitions/no_such_step")
    def fuzz(text, target):
        response = web_client.post(target, data={"csrf_token": token, "effective_on": "2026-01-05",
                                                 "expected_version": text})
        _expect(response, text)

    fuzz()
    forms = {"units_inspected": ("/reports/inspections/new", {"inspected_on": "2026-01-05"}),
             "year": ("/reports/indicators/submit", {"indicator": "valid_trademarks_10k", "quarter": "0",
                                                     "value": "3.1"})}

    @FUZZ
    @given(text=st.text(), field=st.sampled_from(sorted(forms)))
    @example(text="٣", field="units_inspected")
    @example(text="２０２４", field="year")
    def reporting_forms(text, field):
        path, data = forms[field]
        response = web_client.post(path, data={**data, field: text, "csrf_token": token})
        _expect(response, text)
        if text and not _is_number(text) and "\x00" not in text:
            assert response.status_code == 422, (text, response.status_code)  # the form shows the error

    reporting_forms()
