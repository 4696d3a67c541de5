"""Staff sessions on the server: signing out and idling end them, and the same token is refused.

Staff sign in through moto's Cognito (the demo users), on the API and on the pages. The module's
deployment has a fixed clock, which the idle tests move on; every test signs in afresh.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from chalice.test import Client

from app import app
from chalicelib import services
from chalicelib.models import AuditEvent, StaffSession
from chalicelib.review.staff_sessions import SESSION_ENDED, TOUCH_AFTER
from chalicelib.routes.staff_pages import STAFF_COOKIE
from chalicelib.tokens import digest
from tests.support.deployment import DEMO_PASSWORD, FakeClock, moto_deployment
from tests.support.forms import post_staff_form

JSON = {"Content-Type": "application/json"}


@dataclass
class Deployment:
    services: services.Services
    client: Client
    clock: FakeClock
    cognito: Any

    @property
    def idle_limit(self) -> timedelta:
        return timedelta(minutes=self.services.agency.limits.staff_idle_minutes)


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    with moto_deployment(staff_pool="demo", verify_sender=False) as built, Client(app) as client:
        yield Deployment(built.services, client, built.clock, built.cognito)


def sign_in(system: Deployment, username: str = "reviewer") -> str:
    """A sign-in over the API, as a client makes it: the ID token."""
    response = system.client.http.post(
        "/api/staff/login",
        body=json.dumps({"username": username, "password": DEMO_PASSWORD}),
        headers=JSON,
    )
    assert response.status_code == 200, response.body
    token: str = response.json_body["token"]
    return token


def sign_in_on_the_pages(system: Deployment, username: str = "reviewer") -> str:
    """A sign-in on the pages: the token the staff cookie now holds."""
    response = post_staff_form(
        system.client, "/staff", {"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 303, response.body
    assert response.headers["Location"].endswith("/staff/queue")
    found = re.search(rf"{STAFF_COOKIE}=([^;]+)", str(response.headers["Set-Cookie"]))
    assert found, response.headers
    return found.group(1)


def api(
    system: Deployment, token: str, method: str = "GET", path: str = "/api/staff/reports"
) -> Any:
    return getattr(system.client.http, method.lower())(
        path, headers={**JSON, "Authorization": f"Bearer {token}"}
    )


def queue_page(system: Deployment, token: str) -> Any:
    return system.client.http.get("/staff/queue", headers={"Cookie": f"{STAFF_COOKIE}={token}"})


def assert_refused(system: Deployment, token: str) -> None:
    """Refused at once on the API (401, the usual error) and on the pages (to sign in again)."""
    answer = api(system, token)
    assert answer.status_code == 401, answer.body
    assert answer.json_body == {"error": {"code": "not_authenticated", "message": SESSION_ENDED}}
    page = queue_page(system, token)
    assert page.status_code == 303
    assert page.headers["Location"].endswith("/staff?expired=1")
    assert "Max-Age=0" in page.headers["Set-Cookie"]


def events(username: str) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    return [
        (event.actor, event.action, event.outcome, event.details)
        for event in AuditEvent.query(f"staff#{username}", consistent_read=True)
    ]


def session_of(token: str) -> StaffSession:
    return StaffSession.get(digest(token), consistent_read=True)


def cognito_knows(system: Deployment, access_token: str) -> bool:
    try:
        system.cognito.get_user(AccessToken=access_token)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NotAuthorizedException"
        return False
    return True


# -- what a sign-in opens ------------------------------------------------------------------------


def test_a_sign_in_opens_a_session_kept_by_digest_with_cognitos_access_token(
    deployment: Deployment,
) -> None:
    token = sign_in(deployment, "supervisor")

    session = session_of(token)
    assert session.username == "supervisor"
    assert session.groups == ["supervisors"]
    assert session.created_at == session.last_seen_at == deployment.clock.now
    ended_at: datetime | None = session.ended_at  # null=True, which pynamodb's types omit
    assert ended_at is None
    assert cognito_knows(deployment, session.access_token)
    member = deployment.services.staff_tokens.verify(token)
    assert session.expires_at == member.expires_at, "the item lives as long as the token"
    stored = json.dumps(StaffSession.get(digest(token)).serialize())
    assert token not in stored, "the table keeps the token's digest, never the token"
    assert api(deployment, token).status_code == 200


# -- signing out ---------------------------------------------------------------------------------


def test_signing_out_over_the_api_ends_the_session_and_revokes_cognitos_tokens(
    deployment: Deployment,
) -> None:
    token = sign_in(deployment)
    access_token = session_of(token).access_token
    assert api(deployment, token).status_code == 200

    signed_out = api(deployment, token, "POST", "/api/staff/logout")

    assert signed_out.status_code == 204, signed_out.body
    assert_refused(deployment, token)
    assert not cognito_knows(deployment, access_token)
    assert session_of(token).ended_by == "sign_out"
    assert ("reviewer", "sign_out", "succeeded", {"cognito": "revoked"}) in events("reviewer")
    again = api(deployment, token, "POST", "/api/staff/logout")
    assert again.status_code == 401, "a session ends once"


def test_signing_out_on_the_pages_ends_the_session_behind_the_cookie(
    deployment: Deployment,
) -> None:
    token = sign_in_on_the_pages(deployment, "admin")
    assert queue_page(deployment, token).status_code == 200
    assert api(deployment, token).status_code == 200, "the cookie's token is the API's too"

    signed_out = post_staff_form(deployment.client, "/staff/sign-out", {}, token)

    assert signed_out.status_code == 303
    assert signed_out.headers["Location"].endswith("/staff")
    assert "Max-Age=0" in signed_out.headers["Set-Cookie"]
    assert_refused(deployment, token)
    assert ("admin", "sign_out", "succeeded", {"cognito": "revoked"}) in events("admin")


def test_a_sign_in_cognito_has_already_revoked_still_signs_out(deployment: Deployment) -> None:
    token = sign_in(deployment, "supervisor")
    deployment.cognito.global_sign_out(AccessToken=session_of(token).access_token)

    assert api(deployment, token, "POST", "/api/staff/logout").status_code == 204

    assert_refused(deployment, token)
    outcome = ("supervisor", "sign_out", "succeeded", {"cognito": "already_signed_out"})
    assert outcome in events("supervisor")


def test_signing_out_without_a_session_ends_nothing_and_still_clears_the_cookie(
    deployment: Deployment,
) -> None:
    for cookie in (None, "not-a-token"):
        response = post_staff_form(deployment.client, "/staff/sign-out", {}, cookie)
        assert response.status_code == 303
        assert "Max-Age=0" in response.headers["Set-Cookie"]


def test_signing_out_one_session_leaves_another_of_the_same_member_open(
    deployment: Deployment,
) -> None:
    desk, laptop = sign_in(deployment), sign_in(deployment)

    assert api(deployment, desk, "POST", "/api/staff/logout").status_code == 204

    assert_refused(deployment, desk)
    assert api(deployment, laptop).status_code == 200


# -- idling --------------------------------------------------------------------------------------


def test_a_session_idle_beyond_the_limit_is_refused_and_audited(deployment: Deployment) -> None:
    token = sign_in(deployment, "supervisor")
    access_token = session_of(token).access_token

    deployment.clock.advance(seconds=deployment.idle_limit.total_seconds())

    assert_refused(deployment, token)
    assert session_of(token).ended_by == "idle"
    assert not cognito_knows(deployment, access_token)
    assert ("service", "sign_out", "idle", {"cognito": "revoked"}) in events("supervisor")


def test_each_request_keeps_the_session_open_for_another_idle_period(
    deployment: Deployment,
) -> None:
    token = sign_in(deployment)
    almost = deployment.idle_limit - timedelta(minutes=1)

    for _ in range(3):
        deployment.clock.advance(seconds=almost.total_seconds())
        assert api(deployment, token).status_code == 200
        assert queue_page(deployment, token).status_code == 200

    deployment.clock.advance(seconds=deployment.idle_limit.total_seconds())
    assert_refused(deployment, token)


def test_most_requests_cost_one_read_and_the_last_use_is_written_once_a_minute(
    deployment: Deployment, aws_calls: list[str]
) -> None:
    token = sign_in(deployment)
    seen = session_of(token).last_seen_at

    deployment.clock.advance(seconds=TOUCH_AFTER.total_seconds() - 1)
    aws_calls.clear()
    assert api(deployment, token).status_code == 200
    assert aws_calls == ["dynamodb:GetItem", "dynamodb:Query"]
    assert session_of(token).last_seen_at == seen

    deployment.clock.advance(seconds=1)
    aws_calls.clear()
    assert api(deployment, token).status_code == 200
    assert aws_calls == ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"]
    assert session_of(token).last_seen_at == deployment.clock.now


def test_a_token_that_never_had_a_session_is_refused(deployment: Deployment) -> None:
    token = sign_in(deployment)
    session_of(token).delete()

    assert_refused(deployment, token)
