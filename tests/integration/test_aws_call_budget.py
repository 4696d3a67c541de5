"""How many AWS calls each resident operation makes: the fewest it can, and never a Scan."""

from __future__ import annotations

import json
import re
from typing import Any

from chalice.test import Client

from chalicelib.mail import RecordingOutbox


def post(client: Client, path: str, body: dict[str, str]) -> Any:
    return client.http.post(
        path, body=json.dumps(body), headers={"Content-Type": "application/json"}
    )


def test_each_resident_operation_makes_the_fewest_calls(
    client: Client, outbox: RecordingOutbox, aws_calls: list[str]
) -> None:
    client.http.get("/")
    assert aws_calls == [], "the home page needs no AWS call"

    post(client, "/api/verifications", {"email": "ana@example.com"})
    assert aws_calls == [
        "dynamodb:UpdateItem",  # rate limit: this address
        "dynamodb:UpdateItem",  # rate limit: this client
        "dynamodb:PutItem",  # the link's digest
        "ses:SendEmail",
    ]

    aws_calls.clear()
    token = re.findall(r"token=([\w-]+)", outbox.as_json()[-1]["text"])[0]
    session = post(client, "/api/sessions", {"token": token}).json_body["session"]
    assert aws_calls == ["dynamodb:UpdateItem", "dynamodb:PutItem"]

    aws_calls.clear()
    client.http.get("/api/session", headers={"Authorization": f"Bearer {session}"})
    assert aws_calls == ["dynamodb:GetItem"]

    aws_calls.clear()
    post(client, "/api/sessions", {"token": token})
    assert aws_calls == ["dynamodb:UpdateItem", "dynamodb:GetItem"], "one read to explain a refusal"
