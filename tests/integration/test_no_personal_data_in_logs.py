"""Application logs carry ids and outcomes, never an email address or a secret."""

from __future__ import annotations

import io
import json
import re

from chalice.test import Client

from chalicelib.mail import RecordingOutbox
from tests.support.forms import PageClient

ADDRESS = "private.person@example.com"


def test_the_verification_flow_logs_no_address_and_no_token(
    client: Client, outbox: RecordingOutbox, app_log: io.StringIO
) -> None:
    headers = {"Content-Type": "application/json"}
    for _ in range(4):  # the fourth is refused by the rate limit
        client.http.post("/api/verifications", body=json.dumps({"email": ADDRESS}), headers=headers)
    token = re.findall(r"token=([\w-]+)", outbox.as_json()[-1]["text"])[0]
    session = client.http.post(
        "/api/sessions", body=json.dumps({"token": token}), headers=headers
    ).json_body["session"]
    client.http.post("/api/sessions", body=json.dumps({"token": token}), headers=headers)
    client.http.get("/api/session", headers={"Authorization": f"Bearer {session}"})
    PageClient(client).sign_in(f"/verify?token={token}")

    logged = app_log.getvalue()
    assert "verification link issued" in logged
    assert "resident session opened" in logged
    for secret in (ADDRESS, "private.person", token, session):
        assert secret not in logged
