"""Schemathesis over /api/v1/openapi.json: requests generated from the document, with a token of every
role, never get a server error, and get the responses the document promises; generated bodies are
mostly valid, so they reach the handlers rather than stop at the parser.

Bounded and reproducible: a few examples per operation and caller, derandomized."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from flask_babel import gettext as _
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.experimental import OPEN_API_3_1
from schemathesis.generation import DataGenerationMethod, GenerationConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from casesys.cases.identifiers import ID_CHECK, ID_WEIGHTS, USCC_ALPHABET, uscc_check_character
from casesys.extensions import db
from tests.factories import case_payload

OPEN_API_3_1.enable()  # the document is OpenAPI 3.1; schemathesis 3.x calls that support experimental


@st.composite
def _uscc(draw) -> str:
    first17 = draw(st.text(USCC_ALPHABET, min_size=17, max_size=17))
    return first17 + uscc_check_character(first17)


@st.composite
def _resident_id(draw) -> str:
    first17 = draw(st.text("0123456789", min_size=17, max_size=17))
    return first17 + ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


# The document's own formats: identifiers whose last character is a check character.
schemathesis.openapi.format("uscc", _uscc())
schemathesis.openapi.format("cn-resident-id", _resident_id())

# Who calls: every role, at agencies that register each kind of case or only read.
CALLERS = [
    ("officer", "230100-market_regulation", "officer"),
    ("head", "230100-market_regulation", "agency_head"),
    ("mediator", "230100-mediation_org", "mediator"),
    ("supervisor", "230000-coordination_office", "supervisor"),
    ("admin", "230000-coordination_office", "admin"),
    ("police", "230100-public_security", "officer"),
    ("procurator", "230100-procuratorate", "officer"),
]
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)
NUL_FREE = GenerationConfig(allow_x00=False)  # NUL is refused everywhere (400): not a valid body


def _settings(examples: int):
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    phases=[Phase.generate], suppress_health_check=list(HealthCheck))


@pytest.fixture
def world(app, client, make_user, api_token):
    """A token per caller and a few cases (one confidential, one at the police) for ids to resolve."""
    tokens = {name: api_token(make_user(name, agency, role)) for name, agency, role in CALLERS}
    for name, payload in [("officer", case_payload()), ("officer", case_payload(ip_type="trade_secret")),
                          ("police", case_payload(workflow="criminal_transfer", source="agency_referral")),
                          ("mediator", case_payload(workflow="mediation", amount_involved=None))]:
        response = client.post("/api/v1/cases", json=payload, headers=tokens[name])
        assert response.status_code == 201, response.json
    return tokens


def _schema(app, client, headers, config=NUL_FREE):
    """The document as this caller reads it."""
    document = client.get("/api/v1/openapi.json", headers=headers)
    assert document.status_code == 200
    return schemathesis.from_dict(document.json, app=app, base_url="/api/v1", generation_config=config)


def _call(app, case, headers):
    """Send ``case`` as tests.conftest.RequestClient would (an app context of its own) and check the
    response against the document."""
    db.session.rollback()
    with app.app_context():
        response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS)
    return response


def _fuzz(app, strategy, headers, examples: int) -> Counter:
    """Send ``examples`` generated cases; the responses' status classes (2 for 2xx...) counted."""
    statuses = Counter()

    @_settings(examples)
    @given(case=strategy)
    def check(case):
        statuses[_call(app, case, headers).status_code // 100] += 1

    check()
    return statuses


def test_every_operation_with_every_role_gets_no_server_error_and_what_the_document_says(app, client, world):
    for headers in world.values():
        for result in _schema(app, client, headers, GenerationConfig()).get_all_operations():
            operation = result.ok()
            valid_or_not = st.one_of(operation.as_strategy(data_generation_method=DataGenerationMethod.positive),
                                     operation.as_strategy(data_generation_method=DataGenerationMethod.negative))
            _fuzz(app, valid_or_not, headers, examples=2)


def test_generated_bodies_are_mostly_valid_for_the_caller(app, client, world):
    """The document lists what each caller may send, so most generated bodies are accepted."""
    for caller, path in [("officer", "/cases"), ("mediator", "/cases"), ("police", "/cases"),
                         ("head", "/inspections"), ("officer", "/indicator-reports")]:
        headers = world[caller]
        statuses = _fuzz(app, _schema(app, client, headers)[path]["POST"].as_strategy(), headers, examples=15)
        assert statuses[2] >= 0.75 * statuses.total(), (caller, path, statuses)


def test_generated_transitions_reach_the_engine(app, client, world):
    """No document can say a case's state and version: bodies aimed at the caller's cases must pass
    the parser, to be refused (or fired) by the engine."""
    headers = world["officer"]
    cases = [c["id"] for c in client.get("/api/v1/cases", headers=headers).json["items"]]
    with app.test_request_context():
        parser_refusal = _("The request has invalid fields.")
    operation = _schema(app, client, headers)["/cases/{case_id}/transitions"]["POST"]
    outcomes = Counter()

    @_settings(examples=20)
    @given(case=operation.as_strategy(), case_id=st.sampled_from(cases))
    def check(case, case_id):
        case.path_parameters["case_id"] = case_id
        response = _call(app, case, headers)
        by_parser = response.status_code == 422 and response.json["error"]["message"] == parser_refusal
        outcomes["parser" if by_parser else response.status_code] += 1

    check()
    assert outcomes["parser"] <= 0.2 * outcomes.total(), outcomes
    assert outcomes[409] + outcomes[422] + outcomes[200] >= 0.6 * outcomes.total(), outcomes
