"""Build the OpenAPI 3.1 document from the registered operations and their pydantic models."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from sqlalchemy import select

from casesys.core.types import MAX_ROW_ID, today_in_china


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    response: type[BaseModel] | None
    status: int = 200
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path_params: tuple[str, ...] = ()
    errors: tuple[int, ...] = (401, 403)
    also: tuple[int, ...] = ()  # other success statuses, with the same body
    extra_query: dict[str, str] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


def operation(**kwargs):
    """Register the decorated API view's contract for the OpenAPI document."""
    OPERATIONS.append(Operation(**kwargs))
    return lambda view: view


def build_document(server_url: str, user) -> dict:
    """The document ``user``'s token reads: request bodies list the values that caller may send."""
    models = {m for op in OPERATIONS for m in (op.response, op.request, op.query) if m}
    from casesys.api.schemas import ErrorOut

    models.add(ErrorOut)
    _keys, schema = models_json_schema([(m, "validation" if m in _inputs() else "serialization")
                                        for m in sorted(models, key=lambda m: m.__name__)],
                                       ref_template="#/components/schemas/{model}")

    def ref(model):
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    components = schema.get("$defs", {})
    _refine_bodies(components, user)
    filters = _filter_choices()
    paths: dict = {}
    for op in OPERATIONS:
        params = [{"name": n, "in": "path", "required": True, "schema": ROW_ID} for n in op.path_params]
        if op.query:
            for name, prop in op.query.model_json_schema()["properties"].items():
                if name in filters:
                    prop = _replace(prop, {"type": "string", "enum": filters[name]})
                params.append({"name": name, "in": "query", "required": False, "schema": prop})
        for name, description in op.extra_query.items():
            params.append({"name": name, "in": "query", "required": False, "description": description,
                           "schema": EXTRA_QUERY[name]})
        responses = {str(status): {"description": "OK",
                                   **({"content": {"application/json": {"schema": ref(op.response)}}}
                                      if op.response else {})} for status in (op.status, *op.also)}
        # Any request may be refused: 400 (a NUL character, malformed JSON), 401, 429 (rate limit).
        for status in sorted({*op.errors, 400, 401, 429}):
            responses[str(status)] = {"description": "error",
                                      "content": {"application/json": {"schema": ref(ErrorOut)}}}
        spec = {"summary": op.summary, "parameters": params, "responses": responses,
                "security": [{"bearer": []}]}
        if op.request:
            spec["requestBody"] = {"required": True,
                                   "content": {"application/json": {"schema": ref(op.request)}}}
        paths.setdefault(op.path, {})[op.method.lower()] = spec
    return {
        "openapi": "3.1.0",
        "info": {"title": "casesys API", "version": "1"},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _inputs() -> set[type[BaseModel]]:
    return {m for op in OPERATIONS for m in (op.request, op.query) if m}


# ---- constraints the pydantic models leave to validators and services --------------------------
# Stated in the document so that clients (and the schemathesis run in the tests) send what the
# handlers accept: formats and patterns, and the values that live in data (workflow definitions,
# reference tables) or depend on the caller.

ROW_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}
EXTRA_QUERY = {
    "cursor": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,16}$"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},  # api.views.MAX_PAGE
}
TRANSITION_FIELDS = {"type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,59}$"},
                     "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
                     "description": "the transition's fields by name (see allowed_transitions): text, "
                                    "dates as YYYY-MM-DD, amounts as decimal strings, numbers, true/false"}
NOT_BLANK = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S",
             "description": "not only spaces (they are stripped)"}
USCC = {"type": "string", "format": "uscc", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$", "examples": ["91350100M000100Y43"],
        "description": "统一社会信用代码 (GB 32100-2015), its last character a check character"}
RESIDENT_ID = {"type": "string", "format": "cn-resident-id", "pattern": "^[0-9]{17}[0-9X]$",
               "examples": ["11010519491231002X"],
               "description": "居民身份号码 (GB 11643-1999), its last character a check digit"}


def _exact_decimal(integer_digits: int, places: int) -> dict:
    return {"type": "string", "pattern": f"^[0-9]{{1,{integer_digits}}}(\\.[0-9]{{1,{places}}})?$",
            "examples": ["12345.67"], "description": "an exact decimal string, not negative"}


def _past_date(first_year: int = 1990) -> dict:
    """A date from ``first_year`` to this year: a pattern, as JSON Schema cannot bound the "date" format
    (it leaves out only 29 February)."""
    years = "|".join(str(y) for y in range(first_year, today_in_china().year + 1))
    days = "(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31"
    return {"type": "string", "pattern": f"^({years})-({days})$",
            "examples": [today_in_china().isoformat()], "description": "YYYY-MM-DD, China time; not in the future"}


def _body_constraints(user) -> dict[str, dict]:
    from casesys.agencies.models import Region
    from casesys.extensions import db
    from casesys.reporting.indicators import INDICATORS
    from casesys.reporting.services import EARLIEST_YEAR, MAX_CAMPAIGN, MAX_NOTE, MAX_UNITS
    from casesys.workflows import engine

    own = [(wf.key, entry.state) for wf, entry in engine.registrable(user)]
    regions = db.session.scalars(select(Region.code).where(Region.path.startswith(user.agency.region.path))).all()
    indicators = [k for k, ind in INDICATORS.items() if user.agency.kind in ind.reporter_kinds]
    everything = engine.workflows().values()

    def choice(values, fallback):
        """The caller's own values; a caller with none is refused anyway: list every value."""
        return {"type": "string", "enum": sorted(set(values or fallback))}

    return {
        "CaseIn.workflow": choice([w for w, _s in own], [wf.key for wf in everything]),
        "CaseIn.state": choice([s for _w, s in own], [e.state for wf in everything for e in wf.entries]),
        "CaseIn.region": choice(regions, [user.agency.region_code]),
        "CaseIn.agency": choice([user.agency.code], []),
        "CaseIn.title": NOT_BLANK,
        "CaseIn.received_on": _past_date(),
        "CaseIn.amount_involved": _exact_decimal(14, 2),
        "PartyIn.name": NOT_BLANK,
        "PartyIn.uscc": USCC,
        "PartyIn.id_number": RESIDENT_ID,
        "TransitionIn.transition": choice([], [*(n for wf in everything for n in wf.transitions),
                                               *engine.HANDOFF_TRANSITION_NAMES]),
        "TransitionIn.expected_version": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID},
        "TransitionIn.effective_on": _past_date(),
        "TransitionIn.fields": TRANSITION_FIELDS,
        "InspectionIn.inspected_on": _past_date(EARLIEST_YEAR),
        "InspectionIn.units_inspected": {"type": "integer", "minimum": 1, "maximum": MAX_UNITS},
        "InspectionIn.campaign": {"type": "string", "maxLength": MAX_CAMPAIGN},
        "InspectionIn.note": {"type": "string", "maxLength": MAX_NOTE},
        "IndicatorReportIn.indicator": choice(indicators, INDICATORS),
        "IndicatorReportIn.year": {"type": "integer", "minimum": EARLIEST_YEAR, "maximum": today_in_china().year},
        "IndicatorReportIn.quarter": {"type": "integer", "minimum": 0, "maximum": 4, "default": 0},
        "IndicatorReportIn.value": _exact_decimal(11, 4),
        "IndicatorReportIn.note": {"type": "string", "maxLength": MAX_NOTE},
    }


def _filter_choices() -> dict[str, list[str]]:
    """Query filters of these names take any known value."""
    from casesys.agencies.models import AGENCY_KINDS, Agency, Region
    from casesys.cases.catalog import IP_TYPES
    from casesys.extensions import db
    from casesys.reporting.indicators import INDICATORS
    from casesys.workflows import engine

    everything = engine.workflows().values()
    return {
        "workflow": sorted(engine.workflows()),
        "state": sorted({s for wf in everything for s in wf.states}),
        "region": list(db.session.scalars(select(Region.code).order_by(Region.code))),
        "agency": list(db.session.scalars(select(Agency.code).order_by(Agency.code))),
        "agency_kind": sorted(AGENCY_KINDS),
        "ip_type": sorted(IP_TYPES),
        "indicator": sorted(INDICATORS),
    }


def _refine_bodies(components: dict, user) -> None:
    for key, constraint in _body_constraints(user).items():
        model, prop = key.split(".")
        properties = components[model]["properties"]
        properties[prop] = _replace(properties[prop], constraint)
    components["PartyIn"] = _party_kinds(components["PartyIn"])


def _party_kinds(party: dict) -> dict:
    """An organisation may have a USCC and a person a resident ID, not the other way round."""
    def kind(name: str, not_for_it: str) -> dict:
        properties = {**party["properties"], "kind": {"const": name}, not_for_it: {"type": "null"}}
        return {**party, "title": f"PartyIn ({name})", "properties": properties}

    return {"title": "PartyIn", "oneOf": [kind("organisation", "id_number"), kind("person", "uscc")]}


def _replace(prop: dict, constraint: dict) -> dict:
    """``prop`` with its value schema replaced by ``constraint``; null stays allowed where it was."""
    kept = {k: v for k, v in prop.items() if k in ("title", "description", "default")}
    if {"type": "null"} in prop.get("anyOf", []):
        return {**kept, "anyOf": [constraint, {"type": "null"}]}
    return {**kept, **constraint}
