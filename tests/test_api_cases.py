"""The JSON API: registration, listing with keyset pagination, reading, and its errors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casesys.cases.models import Case
from casesys.extensions import db
from tests.factories import case_payload


@pytest.fixture
def officer_headers(make_user, api_token):
    return api_token(make_user("hrb.api", "230100-market_regulation", "officer"))


def test_register_returns_201_with_the_case(client, officer_headers):
    response = client.post("/api/v1/cases", json=case_payload(), headers=officer_headers)
    assert response.status_code == 201, response.json
    body = response.json
    year = date.today().year
    assert body["number"] == f"230100-SJ-{year}-00001"
    assert body["workflow"] == "admin_enforcement"
    assert body["state"] == "received"
    assert body["version"] == 1
    assert body["agency"] == "230100-market_regulation"
    assert body["amount_involved"] == "12345.67"
    assert [p["role"] for p in body["parties"]] == ["complainant", "respondent"]
    assert response.headers["Location"].endswith(f"/api/v1/cases/{body['id']}")

    detail = client.get(f"/api/v1/cases/{body['id']}", headers=officer_headers).json
    assert detail["history"][0]["kind"] == "registered"
    assert detail["history"][0]["to_state"] == "received"
    assert detail["history"][0]["actor"] == "hrb.api"


def test_amount_is_exact(client, officer_headers):
    response = client.post("/api/v1/cases", json=case_payload(amount_involved="2500000000.01"),
                           headers=officer_headers)
    assert response.json["amount_involved"] == "2500000000.01"
    assert db.session.get(Case, response.json["id"]).amount_involved_fen == 250000000001


def test_trade_secrets_are_always_confidential(client, officer_headers):
    payload = case_payload(ip_type="trade_secret", confidential=False)
    assert client.post("/api/v1/cases", json=payload, headers=officer_headers).json["confidential"] is True
    payload = case_payload(ip_type="trademark")
    del payload["confidential"]
    assert client.post("/api/v1/cases", json=payload, headers=officer_headers).json["confidential"] is False


def test_no_token_is_401(client):
    response = client.post("/api/v1/cases", json=case_payload())
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/cases", headers={"Authorization": "Bearer cs_wrong"}).status_code == 401


@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        ("{not json", "application/json", 400, None),
        ('["a list"]', "application/json", 400, None),
        ("title=x", "application/x-www-form-urlencoded", 400, None),
    ],
)
def test_malformed_bodies_are_400(client, officer_headers, body, content_type, status, field):
    response = client.post("/api/v1/cases", data=body, content_type=content_type, headers=officer_headers)
    assert response.status_code == status
    assert set(response.json["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": 123}, "title"),
        ({"title": "长" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"ip_type": "perfume"}, "ip_type"),
        ({"received_on": "2026-02-30"}, "received_on"),
        ({"received_on": "yesterday"}, "received_on"),
        ({"received_on": (date.today() + timedelta(days=30)).isoformat()}, "received_on"),
        ({"amount_involved": "-1"}, "amount_involved"),
        ({"amount_involved": "1.234"}, "amount_involved"),
        ({"amount_involved": "a lot"}, "amount_involved"),
        ({"confidential": "maybe"}, "confidential"),
        ({"region": "23"}, "region"),
        ({"region": "110000"}, "region"),
        ({"region": "230200"}, "region"),  # Qiqihar is outside a Harbin agency's area
        ({"agency": "999999-nothing"}, "agency"),
        ({"workflow": "patent_ruling"}, "workflow"),
        ({"parties": []}, "parties"),
        ({"parties": "nobody"}, "parties"),
        ({"surprise": 1}, "surprise"),
        ({"parties": [{"role": "respondent", "kind": "organisation", "name": "X",
                       "uscc": "91350100M000100Y44"}]}, "parties.0.uscc"),
        ({"parties": [{"role": "respondent", "kind": "person", "name": "X",
                       "uscc": "91350100M000100Y43"}]}, "parties.0.uscc"),
        ({"parties": [{"role": "respondent", "kind": "person", "name": "X",
                       "id_number": "110105194912310021"}]}, "parties.0.id_number"),
        ({"parties": [{"role": "judge", "kind": "person", "name": "X"}]}, "parties.0.role"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(client, officer_headers, overrides, field):
    response = client.post("/api/v1/cases", json=case_payload(**overrides), headers=officer_headers)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"], response.json
    assert db.session.query(Case).count() == 0


def test_nul_characters_are_refused_before_reaching_the_database(client, officer_headers):
    response = client.post("/api/v1/cases", json=case_payload(title="a\u0000b"), headers=officer_headers)
    assert response.status_code == 400 and "NUL" in response.json["error"]["message"]
    assert client.get("/api/v1/cases?q=a%00b", headers=officer_headers).status_code == 400
    assert db.session.query(Case).count() == 0


def test_registering_for_another_agency_is_403(client, officer_headers):
    response = client.post("/api/v1/cases", json=case_payload(agency="230200-market_regulation"),
                           headers=officer_headers)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_agency_kind_must_fit_the_workflow(client, make_user, api_token):
    headers = api_token(make_user("police", "230100-public_security", "officer"))
    response = client.post("/api/v1/cases", json=case_payload(), headers=headers)
    assert response.status_code == 422
    assert "workflow" in response.json["error"]["fields"]


def test_supervisor_may_not_register(client, make_user, api_token):
    headers = api_token(make_user("sup", "230000-coordination_office", "supervisor"))
    assert client.post("/api/v1/cases", json=case_payload(), headers=headers).status_code == 403


def test_unknown_routes_and_methods_answer_json(client, officer_headers):
    response = client.get("/api/v1/nothing-here", headers=officer_headers)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert client.delete("/api/v1/cases", headers=officer_headers).status_code == 405
    huge = client.get("/api/v1/cases/" + "9" * 20, headers=officer_headers)
    assert huge.status_code == 404 and huge.json["error"]["code"] == "not_found"


def test_list_filters_and_keyset_pagination(client, officer_headers):
    ids = []
    for i in range(7):
        payload = case_payload(title=f"案件{i}", ip_type="trademark" if i % 2 else "copyright",
                               received_on=(date.today() - timedelta(days=i)).isoformat())
        ids.append(client.post("/api/v1/cases", json=payload, headers=officer_headers).json["id"])

    seen, cursor = [], None
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/cases", query_string=query, headers=officer_headers).json
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)

    trademarks = client.get("/api/v1/cases?ip_type=trademark", headers=officer_headers).json["items"]
    assert {c["ip_type"] for c in trademarks} == {"trademark"} and len(trademarks) == 3
    recent_from = (date.today() - timedelta(days=2)).isoformat()
    recent = client.get(f"/api/v1/cases?received_from={recent_from}", headers=officer_headers).json["items"]
    assert len(recent) == 3
    assert client.get("/api/v1/cases?state=closed", headers=officer_headers).json["items"] == []


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=1000", "cursor=%%%", "cursor=OTk5OTk5OTk5OTk5OTk5",
                                   "received_from=x",
                                   "received_from=2026-05-01&received_to=2026-01-01", "ip_type=perfume"])
def test_bad_list_parameters_are_422(client, officer_headers, query):
    response = client.get(f"/api/v1/cases?{query}", headers=officer_headers)
    assert response.status_code == 422, response.json


def test_other_agencies_get_404_not_403(client, officer_headers, make_user, api_token):
    case_id = client.post("/api/v1/cases", json=case_payload(), headers=officer_headers).json["id"]
    other = api_token(make_user("qqhr", "230200-market_regulation", "officer"))
    response = client.get(f"/api/v1/cases/{case_id}", headers=other)
    assert response.status_code == 404
    assert client.get(f"/api/v1/cases/{case_id + 1000}", headers=other).json == response.json
    assert client.get("/api/v1/cases", headers=other).json["items"] == []


def test_openapi_document_describes_the_api(client, officer_headers):
    assert client.get("/api/v1/openapi.json").status_code == 401
    doc = client.get("/api/v1/openapi.json", headers=officer_headers).json
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) >= {"/cases", "/cases/{case_id}"}
    register = doc["paths"]["/cases"]["post"]
    assert "201" in register["responses"] and "422" in register["responses"]
    case_in = doc["components"]["schemas"]["CaseIn"]
    assert set(case_in["required"]) >= {"workflow", "title", "ip_type", "source", "region", "received_on",
                                        "parties"}
    assert case_in["properties"]["title"]["maxLength"] == 200
    assert "CaseOut" in doc["components"]["schemas"]
