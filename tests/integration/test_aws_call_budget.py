"""How many AWS calls each resident and staff operation makes: the fewest it can, never a Scan."""

from __future__ import annotations

import json
import re
from typing import Any

from chalice.test import Client

from app import app
from chalicelib.mail import RecordingOutbox
from tests.support.deployment import DEMO_PASSWORD, RecordingStepFunctions, moto_deployment
from tests.support.reports import submitted_report


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
        "dynamodb:UpdateItem",  # rate limit: this address from this client
        "dynamodb:UpdateItem",  # rate limit: this client
        "dynamodb:UpdateItem",  # rate limit: this address from anyone (the mail-bombing bound)
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


def test_each_staff_operation_makes_the_fewest_calls(aws_calls: list[str]) -> None:
    """Every staff request reads its server-side session (one GetItem; the ID token's signature
    is checked without a call), so that a sign-out or the idle limit refuses the token at once.
    Sign-in reads the name's and the address's failures before asking Cognito."""
    with (
        moto_deployment(staff_pool="demo", stepfunctions=RecordingStepFunctions()) as built,
        Client(app) as client,
    ):
        report = submitted_report("RPD-BBBB-3333")
        report.save()
        aws_calls.clear()
        signed_in = post(
            client, "/api/staff/login", {"username": "reviewer", "password": DEMO_PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.body
        assert aws_calls == [
            "dynamodb:GetItem",  # failures of this name
            "dynamodb:GetItem",  # failures from this address
            "cognito-idp:InitiateAuth",
            "dynamodb:PutItem",  # audit: signed in
            "dynamodb:PutItem",  # the session
        ]
        staff = {"Authorization": f"Bearer {signed_in.json_body['token']}"}

        aws_calls.clear()
        client.http.get("/api/staff/reports", headers=staff)
        assert aws_calls == ["dynamodb:GetItem", "dynamodb:Query"], "the session, the page"

        # A search: by reference, one GetItem; by a term (a case number, an email address, a
        # phone number, a word of a name), its Query, then one BatchGetItem of the rows found
        # (none here: this report was written without its terms).
        aws_calls.clear()
        client.http.get(f"/api/staff/search?q={report.report_id}", headers=staff)
        assert aws_calls == ["dynamodb:GetItem", "dynamodb:GetItem"], "the session, the report"
        aws_calls.clear()
        client.http.get("/api/staff/search?q=ana%40example.com", headers=staff)
        assert aws_calls == ["dynamodb:GetItem", "dynamodb:Query"], "the session, the term"

        aws_calls.clear()
        client.http.get(f"/api/staff/reports/{report.report_id}", headers=staff)
        assert aws_calls == [
            "dynamodb:GetItem",  # the session
            "dynamodb:GetItem",  # the report
            "dynamodb:Query",  # its audit trail
            "dynamodb:PutItem",  # audit: viewed (not again within 15 minutes)
        ]

        aws_calls.clear()
        decided = client.http.post(
            f"/api/staff/reports/{report.report_id}/decision",
            body=json.dumps({"decision": "approve"}),
            headers={"Content-Type": "application/json", **staff},
        )
        assert decided.status_code == 202, decided.body
        assert built.stepfunctions is not None and built.stepfunctions.successes
        nibrs = built.services.agency.nibrs
        checked = nibrs is not None and not nibrs.approve_invalid
        assert aws_calls == [
            "dynamodb:GetItem",  # the session
            # the report, for its NIBRS check, when an invalid one may not be approved
            *(["dynamodb:GetItem"] if checked else []),
            "dynamodb:UpdateItem",  # the decision, returning the task token
            "dynamodb:PutItem",  # audit: decided (SendTaskSuccess went to the stand-in)
        ]

        aws_calls.clear()
        assert client.http.post("/api/staff/logout", headers=staff).status_code == 204
        assert aws_calls == [
            "dynamodb:GetItem",  # the session, still open
            "dynamodb:UpdateItem",  # ended, returning its access token
            "cognito-idp:GlobalSignOut",
            "dynamodb:PutItem",  # audit: signed out
        ]

        aws_calls.clear()
        wrong = post(client, "/api/staff/login", {"username": "reviewer", "password": "Nope-99!x"})
        assert wrong.status_code == 401
        assert aws_calls == [
            "dynamodb:GetItem",
            "dynamodb:GetItem",
            "cognito-idp:InitiateAuth",
            "dynamodb:PutItem",  # audit: refused
            "dynamodb:UpdateItem",  # one more failure of this name
            "dynamodb:UpdateItem",  # and from this address
        ]
