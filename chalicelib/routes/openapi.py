"""The OpenAPI 3.1 document of the JSON API, made from the routes' declarations (`contract.py`)
and the JSON Schema pydantic writes for their models; served at `GET /api/openapi.json`."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .. import services
from .contract import (
    OPERATIONS,
    Answer,
    AnyObject,
    ErrorBody,
    NoContent,
    Operation,
    QueryParameter,
    Redirect,
    XmlDocument,
)
from .edge import api_route, json_response

blueprint = Blueprint(__name__)

JSON = "application/json"
REFUSALS = {
    400: "The request body is not a JSON object (or not JSON).",
    401: "No credential, or one that is forged, expired, revoked or signed out.",
    403: "The credential is genuine, but its group may not do this.",
    404: "No such report, or not one of yours.",
    409: "The report is not in a state that allows this (the message says why).",
    410: "The link was already used, or has expired.",
    413: "The request body is larger than 64 KiB.",
    415: "The request body is not sent as application/json.",
    422: "A field is not valid: `error.fields` names each one.",
    429: "Too many requests of this kind: wait `Retry-After` seconds.",
    500: "A defect on our side; nothing you sent was lost.",
    503: "A service we depend on is busy or unavailable: try again shortly.",
}
SECURITY_SCHEMES = {
    "resident": {
        "type": "http",
        "scheme": "bearer",
        "description": "The resident session from `POST /api/sessions`.",
    },
    "staff": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The staff token from `POST /api/staff/login` (a Cognito ID token with "
        "an open server-side session).",
    },
}
REFERENCE = {
    "type": "string",
    "minLength": 1,
    "maxLength": 40,
    "description": "The report's reference, such as `DEMO-7KQ2-M9XR` (case and spaces ignored).",
}


def _models(operations: Iterable[Operation]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
        (ErrorBody, "serialization"): None
    }
    for operation in operations:
        if operation.body is not None:
            wanted[(operation.body, "validation")] = None
        for answer in operation.answers.values():
            if isinstance(answer, type) and issubclass(answer, BaseModel):
                wanted[(answer, "serialization")] = None
    return list(wanted)


def _path_parameter(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": REFERENCE}


def _query_parameter(query: QueryParameter) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if query.max_length is not None:
        schema["maxLength"] = query.max_length
    if query.enum is not None:
        schema = {"type": "string", "enum": list(query.enum)}
    return {
        "name": query.name,
        "in": "query",
        "required": False,
        "description": query.description,
        "schema": schema,
    }


def _response(
    status: int, answer: Answer | None, refs: dict[Any, Any], follow_ups: tuple[str, ...] = ()
) -> dict[str, Any]:
    if answer is None:
        refusal: dict[str, Any] = {
            "description": REFUSALS.get(status, HTTPStatus(status).phrase),
            "content": {JSON: {"schema": refs[(ErrorBody, "serialization")]}},
        }
        if status == 429:
            refusal["headers"] = {
                "Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 0}}
            }
        return refusal
    if answer is NoContent:
        return {"description": "Done; no body."}
    if answer is XmlDocument:
        return {
            "description": "The NIBRS XML document (a `nibrs:Submission`). A preview, of a report "
            "not approved yet, says so in `X-NIBRS-Preview` and counts its problems in "
            "`X-NIBRS-Problems`.",
            "content": {"application/xml": {"schema": {"type": "string"}}},
            "headers": {
                "X-NIBRS-Preview": {"schema": {"type": "string", "enum": ["true"]}},
                "X-NIBRS-Problems": {"schema": {"type": "integer", "minimum": 0}},
            },
        }
    if answer is Redirect:
        return {
            "description": "Follow `Location` (a link that works for a few minutes).",
            "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
        }
    success: dict[str, Any] = {
        "description": HTTPStatus(status).phrase,
        "content": {JSON: {"schema": refs[(answer, "serialization")]}},
    }
    if follow_ups:
        success["links"] = {
            target: {"operationId": target, "parameters": {"report_id": "$response.body#/id"}}
            for target in follow_ups
        }
    return success


def _operation(operation: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    parameters = [_path_parameter(name) for name in operation.path_parameters]
    parameters += [_query_parameter(query) for query in operation.query]
    described: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": ["staff" if operation.path.startswith("/api/staff") else "resident"],
        "security": [] if operation.security == "none" else [{operation.security: []}],
        "responses": {
            str(status): _response(status, answer, refs, operation.follow_ups if answer else ())
            for status, answer in operation.statuses().items()
        },
    }
    if operation.description:
        described["description"] = operation.description
    if operation.permission is not None:
        described["x-permission"] = operation.permission
    if parameters:
        described["parameters"] = parameters
    if operation.body is not None:
        described["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": refs[(operation.body, "validation")]}},
        }
    return described


def document(
    operations: Iterable[Operation], *, title: str, version: str, server: str
) -> dict[str, Any]:
    operations = list(operations)
    refs, schemas = models_json_schema(
        _models(operations), ref_template="#/components/schemas/{model}"
    )
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Residents report minor incidents online; staff review them. "
            'Every refusal is `{"error": {"code", "message", "fields"?}}`.',
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


API_VERSION = "1.0.0"


@functools.cache
def served_document(title: str, server: str) -> dict[str, Any]:
    return document(OPERATIONS, title=title, version=API_VERSION, server=server)


@api_route(
    blueprint,
    "/api/openapi.json",
    methods=["GET"],
    summary="This API's OpenAPI 3.1 description",
    answers={200: AnyObject},
)
def openapi_document() -> Response:
    current = services.current()
    return json_response(
        served_document(f"{current.agency.name} Self-Report API", current.settings.url(""))
    )
