"""A new member of staff's first sign-in on a pool that requires MFA (TOTP only), on moto.

An administrator creates the account with `admin_create_user`; Cognito emails a temporary
password. The first sign-in then asks for a new password (`NEW_PASSWORD_REQUIRED`), then an
authenticator app (`MFA_SETUP`), and every later one for the app's code (`SOFTWARE_TOKEN_MFA`).

moto's Cognito hands every user the same TOTP secret and, with
`MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true`, checks codes as RFC 6238 does (SHA-1, six digits,
30-second steps, no window), so the codes here are computed from the secret the app shows.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from chalice.test import Client
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from app import app
from chalicelib import services
from chalicelib.models import AuditEvent
from chalicelib.review.staff import (
    EXPIRED,
    PASSWORD_MIN_LENGTH,
    PASSWORD_RULES,
    WRONG_CODE,
)
from chalicelib.routes.edge import PAGE_POLICY
from chalicelib.routes.staff_pages import STAFF_COOKIE
from infra import provision
from tests.support.deployment import moto_deployment
from tests.support.forms import PageClient

REGION = "us-east-1"
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TEMPORARY_PASSWORD = "Temp-Passw0rd-From-Email!"
NEW_PASSWORD = "Kettle-Harbour-42-Lantern!"
WEAK_PASSWORD = "Plain-2b!"
"""Refused by the policy for its length alone."""
ISSUER = "Riverton Police Department"


# -- the deployment --------------------------------------------------------------------------------


@dataclass
class Deployment:
    services: services.Services
    client: Client
    cognito: Any
    pool_id: str


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    """The app on moto with a staff pool that requires TOTP MFA, as a deployed stack's does."""
    with moto_deployment(staff_pool="mfa", verify_sender=False) as built:
        assert built.pool is not None
        with Client(app) as client:
            yield Deployment(built.services, client, built.cognito, built.pool.pool_id)


def new_staff_member(system: Deployment, group: str = "reviewers") -> str:
    """An account made as an administrator makes one: Cognito would email the password."""
    username = f"clerk-{uuid.uuid4().hex[:8]}"
    system.cognito.admin_create_user(
        UserPoolId=system.pool_id,
        Username=username,
        TemporaryPassword=TEMPORARY_PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@staff.example"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    system.cognito.admin_add_user_to_group(
        UserPoolId=system.pool_id, Username=username, GroupName=group
    )
    return username


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now; waits out the last second of a time step."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    totp = TOTP(key, 6, SHA1(), 30, enforce_key_length=False)  # noqa: S303 - as Cognito's TOTP
    while time.time() % 30 > 28.5:
        time.sleep(0.25)
    return totp.generate(int(time.time())).decode()


def another_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def post_json(system: Deployment, path: str, body: object) -> Any:
    payload = body if isinstance(body, str) else json.dumps(body)
    return system.client.http.post(path, body=payload, headers=JSON)


def post_form(system: Deployment, path: str, fields: dict[str, str]) -> Any:
    """A staff sign-in form, sent from a browser that holds no staff session yet."""
    return PageClient(system.client).post_form(path, fields)


def at_authenticator_setup(system: Deployment) -> tuple[str, dict[str, Any]]:
    """A new member of staff who has chosen a password: the `MFA_SETUP` challenge, with its key."""
    username = new_staff_member(system)
    session = post_json(
        system, "/api/staff/login", {"username": username, "password": TEMPORARY_PASSWORD}
    ).json_body["session"]
    setup: dict[str, Any] = post_json(
        system,
        "/api/staff/login/new-password",
        {"username": username, "session": session, "new_password": NEW_PASSWORD},
    ).json_body
    assert setup["challenge"] == "MFA_SETUP", setup
    return username, setup


def at_a_later_sign_in(system: Deployment) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A member of staff with an authenticator app, signing in again: at the code step."""
    username, setup = at_authenticator_setup(system)
    post_json(
        system,
        "/api/staff/login/mfa-setup",
        {"username": username, "session": setup["session"], "code": totp_code(setup["secret"])},
    )
    again: dict[str, Any] = post_json(
        system, "/api/staff/login", {"username": username, "password": NEW_PASSWORD}
    ).json_body
    return username, setup, again


def events(username: str) -> list[tuple[str, str]]:
    return [
        (event.action, event.outcome)
        for event in AuditEvent.query(f"staff#{username}", consistent_read=True)
    ]


def user_status(system: Deployment, username: str) -> str:
    found = system.cognito.admin_get_user(UserPoolId=system.pool_id, Username=username)
    return str(found["UserStatus"])


# -- the JSON API ------------------------------------------------------------------------------


def test_a_new_member_of_staff_signs_in_for_the_first_time_over_the_api(
    deployment: Deployment,
) -> None:
    username = new_staff_member(deployment)

    first = post_json(
        deployment, "/api/staff/login", {"username": username, "password": TEMPORARY_PASSWORD}
    )
    assert first.status_code == 200, first.body
    assert first.json_body["challenge"] == "NEW_PASSWORD_REQUIRED"
    assert "token" not in first.json_body and "secret" not in first.json_body

    chosen = post_json(
        deployment,
        "/api/staff/login/new-password",
        {"username": username, "session": first.json_body["session"], "new_password": NEW_PASSWORD},
    )
    assert chosen.status_code == 200, chosen.body
    setup = chosen.json_body
    assert setup["challenge"] == "MFA_SETUP"
    assert set(setup) == {"challenge", "session", "secret", "otpauth_uri"}
    uri = urlsplit(setup["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert uri.path == f"/Riverton%20Police%20Department:{username}"
    assert parse_qs(uri.query) == {"secret": [setup["secret"]], "issuer": [ISSUER]}

    signed_in = post_json(
        deployment,
        "/api/staff/login/mfa-setup",
        {"username": username, "session": setup["session"], "code": totp_code(setup["secret"])},
    )
    assert signed_in.status_code == 200, signed_in.body
    token = signed_in.json_body["token"]
    member = deployment.services.staff_tokens.verify(token)
    assert (member.username, member.groups) == (username, frozenset({"reviewers"}))
    assert signed_in.json_body["expires_at"] == member.expires_at.isoformat()
    queue = deployment.client.http.get(
        "/api/staff/reports", headers={"Authorization": f"Bearer {token}"}
    )
    assert queue.status_code == 200, queue.body
    assert user_status(deployment, username) == "CONFIRMED"

    # Every later sign-in: the new password, then a code from the app.
    again = post_json(
        deployment, "/api/staff/login", {"username": username, "password": NEW_PASSWORD}
    )
    assert again.json_body["challenge"] == "SOFTWARE_TOKEN_MFA"
    assert set(again.json_body) == {"challenge", "session"}
    code = post_json(
        deployment,
        "/api/staff/login/mfa",
        {
            "username": username,
            "session": again.json_body["session"],
            "code": totp_code(setup["secret"]),
        },
    )
    assert code.status_code == 200, code.body
    assert deployment.services.staff_tokens.verify(code.json_body["token"]).username == username

    # one fixed clock: the events' order is their ids' random part, so they are compared as a whole
    assert sorted(events(username)) == sorted(
        [
            ("sign_in", "challenged"),
            ("sign_in_new_password", "succeeded"),
            ("sign_in", "challenged"),
            ("sign_in_mfa_setup", "succeeded"),
            ("sign_in", "succeeded"),
            ("sign_in", "challenged"),
            ("sign_in", "succeeded"),
        ]
    )


def test_a_password_cognito_refuses_is_named_with_the_rules(deployment: Deployment) -> None:
    username = new_staff_member(deployment)
    session = post_json(
        deployment, "/api/staff/login", {"username": username, "password": TEMPORARY_PASSWORD}
    ).json_body["session"]

    weak = post_json(
        deployment,
        "/api/staff/login/new-password",
        {"username": username, "session": session, "new_password": WEAK_PASSWORD},
    )

    assert weak.status_code == 422, weak.body
    error = weak.json_body["error"]
    assert error["code"] == "invalid_input"
    assert set(error["fields"]) == {"new_password"}
    assert f"at least {PASSWORD_MIN_LENGTH} characters" in error["fields"]["new_password"]
    assert "conform" not in error["message"], "Cognito's own wording is not shown"
    assert user_status(deployment, username) == "FORCE_CHANGE_PASSWORD"
    assert ("sign_in_new_password", "refused") in events(username)

    better = post_json(
        deployment,
        "/api/staff/login/new-password",
        {"username": username, "session": session, "new_password": NEW_PASSWORD},
    )
    assert better.status_code == 200, better.body
    assert better.json_body["challenge"] == "MFA_SETUP"


def test_a_wrong_authenticator_code_is_refused_and_the_right_one_then_accepted(
    deployment: Deployment,
) -> None:
    username, setup = at_authenticator_setup(deployment)

    wrong = post_json(
        deployment,
        "/api/staff/login/mfa-setup",
        {
            "username": username,
            "session": setup["session"],
            "code": another_code(totp_code(setup["secret"])),
        },
    )

    assert wrong.status_code == 401, wrong.body
    assert wrong.json_body["error"] == {"code": "not_authenticated", "message": WRONG_CODE}
    assert ("sign_in_mfa_setup", "refused") in events(username)
    right = post_json(
        deployment,
        "/api/staff/login/mfa-setup",
        {"username": username, "session": setup["session"], "code": totp_code(setup["secret"])},
    )
    assert right.status_code == 200, right.body
    assert right.json_body["token"]


def test_a_wrong_code_at_a_later_sign_in_is_refused(deployment: Deployment) -> None:
    username, setup, again = at_a_later_sign_in(deployment)

    wrong = post_json(
        deployment,
        "/api/staff/login/mfa",
        {
            "username": username,
            "session": again["session"],
            "code": another_code(totp_code(setup["secret"])),
        },
    )

    assert wrong.status_code == 401, wrong.body
    assert wrong.json_body["error"]["message"] == WRONG_CODE


def test_wrong_codes_count_towards_the_lockout_as_wrong_passwords_do(
    deployment: Deployment,
) -> None:
    username, setup, again = at_a_later_sign_in(deployment)
    allowed = deployment.services.agency.limits.staff_sign_in_failures
    answer = {"username": username, "session": again["session"]}

    statuses = [
        post_json(
            deployment,
            "/api/staff/login/mfa",
            {**answer, "code": another_code(totp_code(setup["secret"]))},
        ).status_code
        for _ in range(allowed)
    ]
    right_code = post_json(
        deployment, "/api/staff/login/mfa", {**answer, "code": totp_code(setup["secret"])}
    )
    right_password = post_json(
        deployment, "/api/staff/login", {"username": username, "password": NEW_PASSWORD}
    )

    assert statuses == [401] * (allowed - 1) + [429]
    assert right_code.status_code == right_password.status_code == 429
    assert right_code.json_body == right_password.json_body
    assert right_code.json_body["error"]["code"] == "rate_limited"
    assert ("sign_in_lockout", "started") in events(username)


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("/api/staff/login/new-password", {"new_password": NEW_PASSWORD}),
        ("/api/staff/login/mfa-setup", {"code": "123456"}),
        ("/api/staff/login/mfa", {"code": "123456"}),
    ],
)
@pytest.mark.parametrize("session", ["forged-" + "x" * 40, "3f1c2a9e-6d4b-4f8a-9c0e-5b7d1e2f3a4b"])
def test_a_forged_or_expired_session_means_starting_again(
    deployment: Deployment, path: str, answer: dict[str, str], session: str
) -> None:
    username = new_staff_member(deployment)

    response = post_json(deployment, path, {"username": username, "session": session, **answer})

    assert response.status_code == 401, response.body
    assert response.json_body["error"] == {"code": "not_authenticated", "message": EXPIRED}
    assert user_status(deployment, username) == "FORCE_CHANGE_PASSWORD"


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        ("/api/staff/login/new-password", {}, {"username", "session", "new_password"}),
        (
            "/api/staff/login/new-password",
            {"username": "clerk", "session": "s" * 40},
            {"new_password"},
        ),
        (
            "/api/staff/login/new-password",
            {"username": "clerk", "session": "s" * 40, "new_password": ""},
            {"new_password"},
        ),
        (
            "/api/staff/login/new-password",
            {"username": "clerk", "session": "short", "new_password": NEW_PASSWORD},
            {"session"},
        ),
        ("/api/staff/login/mfa-setup", {}, {"username", "session", "code"}),
        ("/api/staff/login/mfa-setup", {"username": "clerk", "session": "s" * 40}, {"code"}),
        (
            "/api/staff/login/mfa-setup",
            {"username": "clerk", "session": "s" * 40, "code": "12345"},
            {"code"},
        ),
        (
            "/api/staff/login/mfa-setup",
            {"username": "clerk", "session": "s" * 40, "code": "abcdef"},
            {"code"},
        ),
        (
            "/api/staff/login/mfa-setup",
            {"username": 7, "session": "s" * 40, "code": "123456"},
            {"username"},
        ),
    ],
)
def test_missing_or_invalid_fields_are_named(
    deployment: Deployment, path: str, body: dict[str, object], fields: set[str]
) -> None:
    response = post_json(deployment, path, body)

    assert response.status_code == 422, response.body
    assert response.json_body["error"]["code"] == "invalid_input"
    assert set(response.json_body["error"]["fields"]) == fields


@pytest.mark.parametrize("path", ["/api/staff/login/new-password", "/api/staff/login/mfa-setup"])
@pytest.mark.parametrize("body", ["", "not json", "[]"])
def test_a_malformed_body_is_refused(deployment: Deployment, path: str, body: str) -> None:
    response = post_json(deployment, path, body)

    assert response.status_code == 400, response.body
    assert response.json_body["error"]["code"] == "malformed_request"


def test_the_stated_password_rules_are_the_staff_pools(deployment: Deployment) -> None:
    """`PASSWORD_RULES` describe the pool `infra/provision.py` creates for every stack."""
    pool_id, _ = provision.create_staff_pool(deployment.cognito, "test-rules", None)
    policy = deployment.cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Policies"][
        "PasswordPolicy"
    ]

    assert (
        policy["MinimumLength"]
        == PASSWORD_MIN_LENGTH
        == provision.STAFF_PASSWORD_POLICY["MinimumLength"]
    )
    assert all(policy[rule] for rule in ("RequireUppercase", "RequireLowercase"))
    assert all(policy[rule] for rule in ("RequireNumbers", "RequireSymbols"))
    rules = " ".join(PASSWORD_RULES)
    for word in ("capital", "lowercase", "number", "symbol"):
        assert word in rules


# -- the pages ---------------------------------------------------------------------------------


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
    assert match, f"no hidden {name} field"
    return html.unescape(match.group(1))


def text(response: Any) -> str:
    body = response.body
    return body.decode() if isinstance(body, bytes) else str(body)


def test_a_new_member_of_staff_signs_in_for_the_first_time_on_the_pages(
    deployment: Deployment,
) -> None:
    username = new_staff_member(deployment)

    signed = post_form(deployment, "/staff", {"username": username, "password": TEMPORARY_PASSWORD})
    assert signed.status_code == 200, signed.body
    page = text(signed)
    assert "<h1>Choose a new password</h1>" in page
    assert 'autocomplete="new-password"' in page
    for rule in PASSWORD_RULES:
        assert html.escape(rule) in page
    fields = {"username": hidden(page, "username"), "session": hidden(page, "session")}
    assert fields["username"] == username

    mismatch = post_form(
        deployment,
        "/staff/new-password",
        {**fields, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "x"},
    )
    assert mismatch.status_code == 422
    assert 'href="#confirm_password"' in text(mismatch)
    assert 'id="confirm_password-error"' in text(mismatch)

    weak = post_form(
        deployment,
        "/staff/new-password",
        {**fields, "new_password": WEAK_PASSWORD, "confirm_password": WEAK_PASSWORD},
    )
    assert weak.status_code == 422
    assert 'id="new_password-error"' in text(weak)
    assert "<title>Error: Choose a new password" in text(weak)
    assert WEAK_PASSWORD not in text(weak), "a password is never shown back"

    chosen = post_form(
        deployment,
        "/staff/new-password",
        {**fields, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert chosen.status_code == 200, chosen.body
    setup = text(chosen)
    assert "<h1>Set up your authenticator app</h1>" in setup
    secret = hidden(setup, "secret")
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert f'<code id="setup-key">{grouped}</code>' in setup
    assert '<svg role="img"' in setup and "<title>QR code" in setup
    link = re.search(r'href="(otpauth://[^"]+)"', setup)
    assert link and f"secret={secret}" in html.unescape(link.group(1))
    assert "style=" not in setup and "<style" not in setup and "<script" not in setup
    assert chosen.headers["Content-Security-Policy"] == PAGE_POLICY
    assert chosen.headers["Cache-Control"] == "no-store"
    fields = {
        "username": hidden(setup, "username"),
        "session": hidden(setup, "session"),
        "secret": secret,
    }

    wrong = post_form(
        deployment,
        "/staff/mfa-setup",
        {**fields, "code": another_code(totp_code(secret))},
    )
    assert wrong.status_code == 401
    assert WRONG_CODE in text(wrong)
    assert 'id="code-error"' in text(wrong)
    assert f'<code id="setup-key">{grouped}</code>' in text(wrong), "the same key, shown again"

    done = post_form(deployment, "/staff/mfa-setup", {**fields, "code": totp_code(secret)})
    assert done.status_code == 303, done.body
    assert done.headers["Location"].endswith("/staff/queue")
    cookie = done.headers["Set-Cookie"]
    assert cookie.startswith(f"{STAFF_COOKIE}=") and "HttpOnly" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    queue = deployment.client.http.get(
        "/staff/queue", headers={"Cookie": f"{STAFF_COOKIE}={token}"}
    )
    assert queue.status_code == 200, queue.body

    # A later sign-in on the pages asks for the code.
    later = post_form(deployment, "/staff", {"username": username, "password": NEW_PASSWORD})
    assert "<h1>Enter your security code</h1>" in text(later)
    fields = {
        "username": hidden(text(later), "username"),
        "session": hidden(text(later), "session"),
    }
    blank = post_form(deployment, "/staff/mfa", {**fields, "code": ""})
    assert blank.status_code == 422
    assert 'id="code-error"' in text(blank)
    entered = post_form(deployment, "/staff/mfa", {**fields, "code": totp_code(secret)})
    assert entered.status_code == 303, entered.body
    assert entered.headers["Location"].endswith("/staff/queue")


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("/staff/new-password", {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}),
        ("/staff/mfa-setup", {"code": "123456", "secret": "ASDFASDFASDF"}),
        ("/staff/mfa", {"code": "123456"}),
    ],
)
@pytest.mark.parametrize("session", ["forged-" + "x" * 40, "", "short"])
def test_a_page_with_an_expired_sign_in_starts_again(
    deployment: Deployment, path: str, answer: dict[str, str], session: str
) -> None:
    username = new_staff_member(deployment)

    response = post_form(deployment, path, {"username": username, "session": session, **answer})

    assert response.status_code == 401, response.body
    page = text(response)
    assert "<h1>Staff sign-in</h1>" in page
    assert EXPIRED in page
    assert f'value="{username}"' in page


def test_an_altered_setup_key_field_means_starting_again(deployment: Deployment) -> None:
    username, setup = at_authenticator_setup(deployment)

    response = post_form(
        deployment,
        "/staff/mfa-setup",
        {
            "username": username,
            "session": setup["session"],
            "secret": '"><script>alert(1)</script>',
            "code": another_code(totp_code(setup["secret"])),
        },
    )

    assert response.status_code == 401
    assert "<script>" not in text(response)
    assert "<h1>Staff sign-in</h1>" in text(response)


class ChallengingCognito:
    """Cognito answering the password with a challenge this service does not offer."""

    def __init__(self, challenge: str) -> None:
        self.challenge = challenge

    def initiate_auth(self, **request: Any) -> dict[str, Any]:
        return {"ChallengeName": self.challenge, "Session": "s" * 40, "ChallengeParameters": {}}


@pytest.mark.parametrize("challenge", ["SMS_MFA", "SELECT_MFA_TYPE", "CUSTOM_CHALLENGE", ""])
def test_a_challenge_this_service_does_not_answer_is_refused_clearly(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch, challenge: str
) -> None:
    username = new_staff_member(deployment)
    monkeypatch.setattr(
        deployment.services.staff_sign_in, "_cognito", ChallengingCognito(challenge)
    )
    credentials = {"username": username, "password": TEMPORARY_PASSWORD}

    page = post_form(deployment, "/staff", credentials)
    api = post_json(deployment, "/api/staff/login", credentials)

    assert page.status_code == 403, page.body
    assert "does not offer" in text(page) and "administrator" in text(page)
    assert api.status_code == 403, api.body
    assert api.json_body["error"]["code"] == "forbidden"
    assert "session" not in api.json_body
    assert ("sign_in", "refused") in events(username)


# -- what reaches the logs and the audit trail ---------------------------------------------------


def test_passwords_codes_and_the_secret_reach_neither_logs_nor_audit_trail(
    deployment: Deployment, app_log: io.StringIO
) -> None:
    username = new_staff_member(deployment)
    first = post_json(
        deployment, "/api/staff/login", {"username": username, "password": TEMPORARY_PASSWORD}
    ).json_body
    post_json(
        deployment,
        "/api/staff/login/new-password",
        {"username": username, "session": first["session"], "new_password": WEAK_PASSWORD},
    )
    setup = post_json(
        deployment,
        "/api/staff/login/new-password",
        {"username": username, "session": first["session"], "new_password": NEW_PASSWORD},
    ).json_body
    wrong_code = another_code(totp_code(setup["secret"]))
    post_json(
        deployment,
        "/api/staff/login/mfa-setup",
        {"username": username, "session": setup["session"], "code": wrong_code},
    )
    post_form(
        deployment,
        "/staff/mfa-setup",
        {
            "username": username,
            "session": "forged-" + "x" * 40,
            "secret": setup["secret"],
            "code": wrong_code,
        },
    )
    right_code = totp_code(setup["secret"])
    signed_in = post_json(
        deployment,
        "/api/staff/login/mfa-setup",
        {"username": username, "session": setup["session"], "code": right_code},
    )
    assert signed_in.status_code == 200, signed_in.body

    audited = json.dumps(
        [
            {**event.attribute_values, "at": str(event.at)}
            for event in AuditEvent.query(f"staff#{username}", consistent_read=True)
        ],
        default=str,
    )
    logged = app_log.getvalue()
    assert "staff sign-in step expired" in logged, "the log is being captured"
    secrets = (
        TEMPORARY_PASSWORD,
        WEAK_PASSWORD,
        NEW_PASSWORD,
        setup["secret"],
        setup["otpauth_uri"],
        first["session"],
        setup["session"],
        wrong_code,
        right_code,
        signed_in.json_body["token"],
    )
    for secret in secrets:
        assert secret not in logged
        assert secret not in audited
