"""The OpenAPI document: valid OpenAPI 3.1, served, and exactly the app's JSON API."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client
from openapi_spec_validator import validate

from app import app
from chalicelib.routes.contract import OPERATIONS
from chalicelib.routes.openapi import document

METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


def served(client: Client) -> dict[str, Any]:
    response = client.http.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = json.loads(response.body)
    return body


def documented_operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    }


def test_the_document_is_valid_openapi_3_1(client: Client) -> None:
    spec = served(client)

    validate(spec)
    assert spec["openapi"] == "3.1.0"


def test_the_apps_api_routes_and_the_documents_operations_are_the_same_set(
    client: Client,
) -> None:
    registered = {
        (method, path)
        for path, entries in app.routes.items()
        if path.startswith("/api/")
        for method in entries
    }

    assert documented_operations(served(client)) == registered


def test_every_operation_documents_its_refusals_in_the_error_shape(client: Client) -> None:
    spec = served(client)
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "500" in responses and "503" in responses, (method, path)
            for status, response in responses.items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == error
            if operation["security"]:
                assert "401" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= set(responses), (method, path)
            if "{report_id}" in path:
                assert "404" in responses, (method, path)


def test_links_name_operations_that_exist(client: Client) -> None:
    spec = served(client)
    ids = {
        operation["operationId"] for item in spec["paths"].values() for operation in item.values()
    }
    targets = {
        link["operationId"]
        for item in spec["paths"].values()
        for operation in item.values()
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    }

    assert targets and targets <= ids


def test_the_document_is_made_from_the_routes_declarations() -> None:
    spec = document(OPERATIONS, title="t", version="1", server="http://localhost")

    assert len(documented_operations(spec)) == len(OPERATIONS)
    schemas = spec["components"]["schemas"]
    assert {"ReportView", "StaffReportView", "ErrorBody", "NewReport"} <= set(schemas)
