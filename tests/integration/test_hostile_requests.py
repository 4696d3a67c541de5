"""What a hostile or careless client sends, answered with a clear 4xx: bodies nested to exhaust
the parser, bytes that are not UTF-8, ids and query parameters that are not what they claim, and
every response with the same security headers."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from chalice.test import Client

from chalicelib.errors import NotFound
from chalicelib.json_text import MAX_DEPTH, UnreadableJson, parse_json
from chalicelib.mail import RecordingOutbox
from chalicelib.review.staff import StaffMember
from chalicelib.routes.edge import SECURITY_HEADERS
from chalicelib.services import Services
from tests.support.deployment import START

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
NESTED = "[" * 2000 + "]" * 2000
"""About 4 KB: enough to exhaust Python's parser, which recurses per level."""
JSON_ROUTES = [
    ("POST", "/api/verifications"),
    ("POST", "/api/sessions"),
    ("POST", "/api/reports"),
    ("PATCH", "/api/reports/RPD-2222-2222"),
    ("POST", "/api/reports/RPD-2222-2222/supplements"),
    ("POST", "/api/staff/login"),
    ("POST", "/api/staff/login/mfa"),
    ("POST", "/api/staff/login/new-password"),
    ("POST", "/api/staff/login/mfa-setup"),
]
"""Every route that reads a JSON body, with and without a session."""
BAD_IDS = ["%20", "%20%20%20", "%0D%0A", "RPD", "rpd-2222-2222-x", "%C3%A9", "..%2F..", "a" * 300]


def send(client: Client, method: str, path: str, body: str | bytes, **headers: str) -> Any:
    return getattr(client.http, method.lower())(path, body=body, headers={**JSON, **headers})


def resident(client: Client, outbox: RecordingOutbox) -> dict[str, str]:
    send(client, "POST", "/api/verifications", json.dumps({"email": "ana@example.com"}))
    token = re.findall(r"token=([\w-]+)", outbox.as_json()[-1]["text"])[0]
    opened = send(client, "POST", "/api/sessions", json.dumps({"token": token}))
    return {"Authorization": f"Bearer {opened.json_body['session']}"}


def assert_refused(response: Any, status: int) -> None:
    assert response.status_code == status, response.body[:300]
    assert response.json_body["error"]["code"]


# -- one parser for every body --------------------------------------------------------------------


def test_the_parser_bounds_nesting_without_recursing() -> None:
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) == parse_json(
        "[" * MAX_DEPTH + "]" * MAX_DEPTH
    )
    for text in (NESTED, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), b'{"a": "\xff"}', "{"):
        with pytest.raises(UnreadableJson):
            parse_json(text)
    deep_object = '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
    with pytest.raises(UnreadableJson):
        parse_json(deep_object)


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_nested_json_is_a_400_on_every_json_route(
    client: Client, outbox: RecordingOutbox, method: str, path: str
) -> None:
    auth = resident(client, outbox)

    for headers in ({}, auth):
        response = send(client, method, path, NESTED, **headers)
        assert response.status_code in (400, 401), response.body[:200]
        if response.status_code == 400:
            assert response.json_body["error"]["code"] == "malformed_request"
    assert_refused(send(client, method, path, NESTED, **auth), 400)


@pytest.mark.parametrize(
    "body",
    [b'{"email": "\xff\xfe"}', b"[1, 2]", b'"text"', b"null", b"{", b"\x00\x01", b""],
    ids=["not_utf8", "array", "string", "null", "truncated", "binary", "empty"],
)
def test_bodies_that_are_not_one_json_object_are_400(client: Client, body: bytes) -> None:
    assert_refused(send(client, "POST", "/api/verifications", body), 400)


def test_a_body_over_the_limit_is_413(client: Client) -> None:
    body = json.dumps({"email": "ana@example.com", "padding": "x" * 70_000})

    assert_refused(send(client, "POST", "/api/verifications", body), 413)


# -- ids and query parameters are checked before anything reaches AWS ----------------------------


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_a_malformed_report_id_is_not_found_for_residents(
    client: Client, outbox: RecordingOutbox, bad_id: str, aws_calls: list[str]
) -> None:
    auth = resident(client, outbox)
    aws_calls.clear()

    for method, path, body in (
        ("GET", f"/api/reports/{bad_id}", None),
        ("PATCH", f"/api/reports/{bad_id}", json.dumps({"answers": {"x": 1}})),
        ("POST", f"/api/reports/{bad_id}/submit", None),
        ("GET", f"/api/reports/{bad_id}/copy", None),
        ("POST", f"/api/reports/{bad_id}/supplements", json.dumps({"text": "hi"})),
    ):
        response = getattr(client.http, method.lower())(path, body=body, headers={**JSON, **auth})
        assert response.status_code == 404, (method, path, response.body[:200])
    assert aws_calls == ["dynamodb:GetItem"] * 5  # each request reads the session, nothing else


@pytest.mark.parametrize("bad_id", [*BAD_IDS, "", " ", "\r\n", "RPD-2222-2222\x00"])
def test_a_malformed_report_id_is_not_found_at_the_desk_without_an_aws_call(
    system: Services, bad_id: str, aws_calls: list[str]
) -> None:
    member = StaffMember("admin", frozenset({"admins"}), START + timedelta(hours=1))

    for attempt in (
        lambda: system.desk.report(member, bad_id),
        lambda: system.desk.decide(member, bad_id, "approve", None),
        lambda: system.desk.repush_export(member, bad_id),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert aws_calls == []


@pytest.mark.parametrize(
    "language", ["%0D%0ALocation:%20https://evil.example", "%00", "de", "e%22n", quote("é" * 50)]
)
def test_a_language_that_is_not_offered_never_reaches_a_header(
    client: Client, language: str
) -> None:
    response = client.http.get(f"/report/RPD-2222-2222/submit?lang={language}")

    assert response.status_code == 303
    assert response.headers["Location"] == "http://127.0.0.1:8000/report/RPD-2222-2222/check"


def test_a_malformed_report_id_in_a_redirect_is_a_404_page(client: Client) -> None:
    response = client.http.get("/report/%0D%0AX-Evil:%201/submit?lang=es")

    assert response.status_code == 404
    assert "X-Evil" not in response.headers


@pytest.mark.parametrize(
    "cursor",
    [
        base64.urlsafe_b64encode(NESTED.encode()).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "%%%",
        "é",
    ],
)
def test_a_forged_cursor_is_422_not_a_500(system: Services, cursor: str) -> None:
    from chalicelib.errors import InvalidInput

    with pytest.raises(InvalidInput):
        system.desk.queue("submitted", None, cursor)


# -- the same security headers on every response -------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"),
    [
        ("GET", "/", None, {}),
        ("GET", "/assets/site.css", None, {}),
        ("GET", "/sign-out", None, {}),  # a redirect
        ("GET", "/report/RPD-2222-2222/submit", None, {}),  # a redirect
        ("GET", "/api/agency", None, {}),
        ("POST", "/api/verifications", "{", JSON),  # a 400
        ("POST", "/api/verifications", "x=1", {"Content-Type": "text/plain"}),  # Chalice's 415
        ("POST", "/start", urlencode({"email": "x"}), FORM),
    ],
)
def test_every_response_carries_the_security_headers(
    client: Client, method: str, path: str, body: str | None, headers: dict[str, str]
) -> None:
    response = getattr(client.http, method.lower())(path, body=body, headers=headers)

    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, response.status_code, name)
