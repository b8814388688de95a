"""The OpenAPI 3.1 document of the API, written from the router's endpoint table.

Paths, parameters, bodies and answers all come from the :class:`~monitor.api.routing.Endpoint`
declarations and their pydantic models (JSON Schema 2020-12, which OpenAPI 3.1 uses), so
what is documented is what is served; the tests check every answer against it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from monitor.api.problems import PROBLEM_JSON, Problem
from monitor.api.routing import JSON, MAX_ID, PREFIX, Endpoint
from monitor.config import ApiScope

VERSION = "1.0.0"
_REF = "#/components/schemas/{model}"
# Problems any endpoint may answer with, and why.
_COMMON = {
    400: "a parameter or the body is invalid",
    401: "no valid bearer token (when tokens are configured)",
    403: "the token may not do this, or no token is configured and the client is not local",
    404: "no such route or resource",
    405: "the route does not take this method",
    429: "over the rate limit: retry after Retry-After seconds",
    500: "the request failed on the server",
}
_EXTRA = {409: "the resource is not in a state that allows this",
          415: "the body is not application/json",
          422: "the body is well-formed but names what does not exist"}  # fmt: skip


def openapi_document(endpoints: list[Endpoint], title: str = "wirewatch API") -> dict[str, Any]:
    models = _models(endpoints)
    keyed, schemas = models_json_schema(
        [(model, mode) for model, mode in models], ref_template=_REF
    )
    refs = dict(keyed)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        operation = _operation(endpoint, refs)
        paths.setdefault(PREFIX + endpoint.path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": VERSION,
                 "description": "wirewatch's stories, alerts, rules, feeds, silences and "
                                "surges. Times are ISO 8601 UTC; lists are cursor-paged; "
                                "errors are RFC 9457 problem documents."},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.get("$defs", {}).items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }  # fmt: skip


def _models(endpoints: list[Endpoint]) -> list[tuple[type[BaseModel], Any]]:
    found: dict[tuple[type[BaseModel], str], None] = {(Problem, "serialization"): None}
    for endpoint in endpoints:
        if endpoint.response is not None:
            found[(endpoint.response, "serialization")] = None
        if endpoint.body is not None:
            found[(endpoint.body, "validation")] = None
    return list(found)


def _operation(endpoint: Endpoint, refs: dict[Any, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "parameters": _path_parameters(endpoint) + _query_parameters(endpoint),
        "responses": _responses(endpoint, refs),
        # Optional where no token is configured (loopback clients only).
        "security": [{}] if endpoint.public else [{"bearer": []}, {}],
    }
    if endpoint.description:
        operation["description"] = endpoint.description
    if endpoint.scope == ApiScope.WRITE:
        operation["description"] = (endpoint.description + " Needs a write token.").strip()
    if endpoint.body is not None:
        schema = refs[(endpoint.body, "validation")]
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": schema}}}
    return operation


def _path_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in endpoint.path.split("/") if part.startswith("{")]
    return [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}
         if endpoint.path_types.get(name) is int else {"type": "string", "minLength": 1}}
        for name in names
    ]  # fmt: skip


def _query_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    if endpoint.query is None:
        return []
    schema = endpoint.query.model_json_schema(ref_template=_REF)
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        described = _without_null(prop)
        description = described.pop("description", "")
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required,
                                     "schema": described}  # fmt: skip
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: a query string cannot say null (leaving it out does)."""
    described = {key: value for key, value in prop.items() if key != "title"}
    options = [item for item in described.pop("anyOf", []) if item != {"type": "null"}]
    if len(options) == 1:
        described = {**options[0], **described}
    elif options:
        described["anyOf"] = options
    if described.get("default", "") is None:
        del described["default"]
    return described


def _responses(endpoint: Endpoint, refs: dict[Any, Any]) -> dict[str, Any]:
    problem = {PROBLEM_JSON: {"schema": refs[(Problem, "serialization")]}}
    responses: dict[str, Any] = {}
    if endpoint.response is None:
        responses[str(endpoint.status)] = {"description": "done"}
    else:
        schema = refs[(endpoint.response, "serialization")]
        responses[str(endpoint.status)] = {
            "description": endpoint.summary,
            "content": {JSON: {"schema": schema}},
        }
    described = {**_COMMON, **{status: _EXTRA.get(status, "") for status in endpoint.errors}}
    if endpoint.body is not None:
        described[415] = _EXTRA[415]
    for status, why in sorted(described.items()):
        responses[str(status)] = {"description": why or "see the problem's detail",
                                  "content": problem}  # fmt: skip
    return responses
