"""Build the OpenAPI 3.1 document from the registered operations and their pydantic models."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema


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
    extra_query: dict[str, str] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


def operation(**kwargs):
    """Register the decorated API view's contract for the OpenAPI document."""
    OPERATIONS.append(Operation(**kwargs))
    return lambda view: view


def build_document(server_url: str) -> dict:
    models = {m for op in OPERATIONS for m in (op.response, op.request, op.query) if m}
    from casesys.api.schemas import ErrorOut

    models.add(ErrorOut)
    _keys, schema = models_json_schema([(m, "validation" if m in _inputs() else "serialization")
                                        for m in sorted(models, key=lambda m: m.__name__)],
                                       ref_template="#/components/schemas/{model}")

    def ref(model):
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    paths: dict = {}
    for op in OPERATIONS:
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "integer"}}
                  for n in op.path_params]
        if op.query:
            for name, prop in op.query.model_json_schema()["properties"].items():
                params.append({"name": name, "in": "query", "required": False, "schema": prop})
        for name, description in op.extra_query.items():
            params.append({"name": name, "in": "query", "required": False, "description": description,
                           "schema": {"type": "string"}})
        responses = {str(op.status): {"description": "OK",
                                      **({"content": {"application/json": {"schema": ref(op.response)}}}
                                         if op.response else {})}}
        for status in sorted({*op.errors, 401}):
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
        "components": {"schemas": schema.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _inputs() -> set[type[BaseModel]]:
    return {m for op in OPERATIONS for m in (op.request, op.query) if m}
