"""The resident JSON API of the README, through Chalice's test client on moto in-process."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.mail import RecordingOutbox
from chalicelib.services import Services, install
from tests.support.deployment import FakeClock

JSON = {"Content-Type": "application/json"}


def post(client: Client, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.http.post(path, body=payload, headers={**JSON, **(headers or {})})


def latest_token(outbox: RecordingOutbox) -> str:
    match = re.search(r"token=([\w-]+)", outbox.as_json()[-1]["text"])
    assert match
    return match.group(1)


def sign_in(client: Client, outbox: RecordingOutbox, address: str = "ana@example.com") -> str:
    assert post(client, "/api/verifications", {"email": address}).status_code == 202
    response = post(client, "/api/sessions", {"token": latest_token(outbox)})
    assert response.status_code == 201
    session: str = response.json_body["session"]
    return session


def test_the_public_agency_profile(client: Client) -> None:
    response = client.http.get("/api/agency")

    assert response.status_code == 200
    assert response.json_body["name"] == "Riverton Police Department"
    assert response.json_body["contacts"]["emergency"] == "911"
    assert response.json_body["incident_types"][0]["label"] == "Something was stolen"


def test_every_well_formed_address_gets_the_same_answer(client: Client) -> None:
    first = post(client, "/api/verifications", {"email": "ana@example.com"})
    second = post(client, "/api/verifications", {"email": "nobody-ever@example.org"})

    assert first.status_code == second.status_code == 202
    assert first.json_body == second.json_body


def test_the_whole_exchange(client: Client, outbox: RecordingOutbox) -> None:
    session = sign_in(client, outbox)

    response = client.http.get("/api/session", headers={"Authorization": f"Bearer {session}"})

    assert response.status_code == 200
    assert response.json_body["email"] == "ana@example.com"
    assert response.json_body["language"] == "en"


def test_a_used_token_is_gone(client: Client, outbox: RecordingOutbox) -> None:
    sign_in(client, outbox)

    response = post(client, "/api/sessions", {"token": latest_token(outbox)})

    assert response.status_code == 410
    assert response.json_body["error"]["code"] == "token_used"


def test_an_expired_token_is_gone(
    client: Client, outbox: RecordingOutbox, clock: FakeClock
) -> None:
    post(client, "/api/verifications", {"email": "ana@example.com"})
    clock.advance(minutes=16)

    response = post(client, "/api/sessions", {"token": latest_token(outbox)})

    assert response.status_code == 410
    assert response.json_body["error"]["code"] == "token_expired"


def test_an_unknown_token_is_refused(client: Client) -> None:
    response = post(client, "/api/sessions", {"token": "A" * 43})

    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "invalid_token"


def test_signing_out_ends_the_session(client: Client, outbox: RecordingOutbox) -> None:
    headers = {"Authorization": f"Bearer {sign_in(client, outbox)}"}

    assert client.http.delete("/api/session", headers=headers).status_code == 204
    assert client.http.get("/api/session", headers=headers).status_code == 401


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer nonsense", "Basic YWRtaW46YWRtaW4=", "Bearer " + "A" * 43],
)
def test_a_missing_or_forged_session_is_refused(client: Client, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = client.http.get("/api/session", headers=headers)

    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "not_authenticated"


def test_too_many_requests_for_one_address_get_429_with_retry_after(client: Client) -> None:
    for _ in range(3):
        assert post(client, "/api/verifications", {"email": "ana@example.com"}).status_code == 202

    response = post(client, "/api/verifications", {"email": "ANA@example.com"})

    assert response.status_code == 429
    assert response.json_body["error"]["code"] == "rate_limited"
    assert 0 < int(response.headers["Retry-After"]) <= 3600


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("", 400, "malformed_request"),
        ("{not json", 400, "malformed_request"),
        ("[1, 2]", 400, "malformed_request"),
        ({}, 422, "invalid_input"),
        ({"email": 42}, 422, "invalid_input"),
        ({"email": "not-an-address"}, 422, "invalid_input"),
        ({"email": "<script>alert(1)</script>@example.com"}, 422, "invalid_input"),
        ({"email": "a@example.com\r\nBcc: victim@example.com"}, 422, "invalid_input"),
        ({"email": "x" * 400 + "@example.com"}, 422, "invalid_input"),
        ({"email": "ana@example.com", "language": "xx"}, 422, "invalid_input"),
        ({"email": "ana@example.com", "padding": "x" * 70_000}, 413, "too_large"),
    ],
)
def test_bad_input_gets_a_clear_error_never_a_500(
    client: Client, outbox: RecordingOutbox, body: Any, status: int, code: str
) -> None:
    response = post(client, "/api/verifications", body)

    assert response.status_code == status
    assert response.json_body["error"]["code"] == code
    assert response.json_body["error"]["message"]
    assert outbox.as_json() == []


def test_a_malformed_address_names_the_field(client: Client) -> None:
    response = post(client, "/api/verifications", {"email": "ana@"})

    assert response.json_body["error"]["fields"] == {
        "email": "Enter an email address in the correct format, like name@example.com"
    }


def test_session_exchange_validates_its_body(client: Client) -> None:
    assert post(client, "/api/sessions", {}).status_code == 422
    assert post(client, "/api/sessions", {"token": ["a"]}).status_code == 422
    assert post(client, "/api/sessions", "nope").status_code == 400


def test_the_outbox_exists_only_in_the_local_stage(
    client: Client, system: Services, outbox: RecordingOutbox
) -> None:
    post(client, "/api/verifications", {"email": "ana@example.com"})
    local = client.http.get("/_local/outbox")
    assert local.status_code == 200
    assert [email["to"] for email in local.json_body] == ["ana@example.com"]

    install(system.with_settings(stage="riverton"))

    deployed = client.http.get("/_local/outbox")
    assert deployed.status_code == 404
    assert "ana@example.com" not in deployed.body.decode()


def test_an_email_that_cannot_be_sent_is_a_503_not_a_500(client: Client, system: Services) -> None:
    system.aws.ses.delete_identity(Identity=system.agency.sender.address)

    response = post(client, "/api/verifications", {"email": "ana@example.com"})

    assert response.status_code == 503
    assert response.json_body["error"]["code"] == "temporarily_unavailable"
