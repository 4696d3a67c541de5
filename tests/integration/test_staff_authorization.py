"""Who may call each staff API route: every route the app registers, every kind of credential.

The tokens are signed with moto's own Cognito key pair (the one moto's user pools sign with), so
the app's verifier is given exactly the key a pool's JWKS would publish. moto's JWKS URL cannot be
fetched in-process, so `StaffTokens` gets the key through `signing_keys`, as `jwks_signing_keys`
would hand it over. A genuine token is honoured only while its server-side session is open: the
valid ones here have theirs opened as a sign-in would (`open_staff_session`); a genuine token
with no session, one signed out and one idle past the limit are refused like a forged one.

One deployment (moto, a Cognito pool with the demo staff, one submitted report) serves the whole
module: every request here is read-only or may be answered either way (202, then 409).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client
from cryptography.hazmat.primitives.asymmetric import rsa

from app import app
from chalicelib import services
from chalicelib.mail import RecordingOutbox
from chalicelib.models import AuditEvent, Report
from chalicelib.review.staff import PERMISSIONS
from chalicelib.routes.staff_api import PROTECTED
from tests.support.cognito_keys import moto_id_token
from tests.support.deployment import (
    DEMO_PASSWORD,
    FakeClock,
    RecordingStepFunctions,
    StaffPool,
    moto_deployment,
    open_staff_session,
)
from tests.support.forms import post_staff_form
from tests.support.reports import submitted_report

REGION = "us-east-1"
JSON = {"Content-Type": "application/json"}

PUBLIC_ROUTES = frozenset(
    {
        ("POST", "/api/staff/login"),
        ("POST", "/api/staff/login/mfa"),
        ("POST", "/api/staff/login/new-password"),
        ("POST", "/api/staff/login/mfa-setup"),
    }
)
POLICY: dict[tuple[str, str], str] = {
    ("GET", "/api/staff/reports"): "review",
    ("GET", "/api/staff/reports/{report_id}"): "review",
    ("POST", "/api/staff/reports/{report_id}/decision"): "review",
    ("GET", "/api/staff/metrics"): "metrics",
    ("POST", "/api/staff/logout"): "review",
    ("GET", "/api/staff/search"): "review",
    ("POST", "/api/staff/reports/{report_id}/claim"): "review",
    ("PUT", "/api/staff/reports/{report_id}/claim"): "assign",
    ("DELETE", "/api/staff/reports/{report_id}/claim"): "review",
    ("POST", "/api/staff/reports/{report_id}/notes"): "review",
    ("GET", "/api/staff/reports/{report_id}/corrections"): "review",
    ("POST", "/api/staff/reports/{report_id}/corrections"): "review",
    ("GET", "/api/staff/reports/{report_id}/nibrs.xml"): "review",
}
"""The intended permission of each staff route, written out apart from the app's `PROTECTED`."""
GROUPS_WITH: dict[str, frozenset[str]] = {
    "review": frozenset({"reviewers", "supervisors", "admins"}),
    "metrics": frozenset({"supervisors", "admins"}),
    "assign": frozenset({"supervisors", "admins"}),
}
"""The groups meant to hold each permission (the app's own table only for one not listed)."""
ANSWERED = {200, 201, 202, 204, 404, 409, 422}
BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", "/api/staff/reports/{report_id}/decision"): {"decision": "approve"},
    ("PUT", "/api/staff/reports/{report_id}/claim"): {"username": "pat"},
    ("POST", "/api/staff/reports/{report_id}/notes"): {"text": "Called the resident."},
    ("POST", "/api/staff/reports/{report_id}/corrections"): {
        "answers": {"narrative": "Corrected."},
        "reason": "A typo",
    },
}


# -- tokens made with moto's Cognito signing key ------------------------------------------------

FORGER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def id_token(
    pool: StaffPool,
    groups: list[str] | None,
    *,
    audience: str | None = None,
    issuer: str | None = None,
    **spoiled: Any,
) -> str:
    """A Cognito-shaped ID token; each keyword spoils one thing the verifier must check."""
    return moto_id_token(
        issuer or pool.issuer, audience or pool.client_id, "pat", groups, **spoiled
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def valid(groups: list[str] | None) -> Callable[[Deployment], dict[str, str]]:
    return lambda system: bearer(open_staff_session(id_token(system.pool, groups)))


def signed_out(system: Deployment) -> dict[str, str]:
    """A genuine token, signed in, then signed out through the API."""
    headers = bearer(open_staff_session(id_token(system.pool, ["admins"])))
    assert request(system, "POST", "/api/staff/logout", headers).status_code == 204
    return headers


def idle(system: Deployment) -> dict[str, str]:
    """A genuine token whose session was last used longer ago than the profile's idle limit."""
    limit = timedelta(minutes=system.services.agency.limits.staff_idle_minutes)
    now = system.clock.now
    system.clock.now = now - limit - timedelta(seconds=1)
    try:
        token = open_staff_session(id_token(system.pool, ["admins"]))
    finally:
        system.clock.now = now
    return bearer(token)


def refused(make: Callable[[StaffPool], str]) -> Callable[[Deployment], dict[str, str]]:
    return lambda system: bearer(make(system.pool))


ANOTHER_POOL = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_SomeoneElse"

INVALID: dict[str, Callable[[Deployment], dict[str, str]]] = {
    "no_token": lambda system: {},
    "malformed": lambda system: bearer("abc"),
    "forged_signature": refused(lambda pool: id_token(pool, ["admins"], key=FORGER_KEY)),
    "unsigned_alg_none": refused(
        lambda pool: id_token(pool, ["admins"], key=None, algorithm="none")
    ),
    "expired": refused(
        lambda pool: id_token(pool, ["admins"], issued=int(time.time()) - 7200, lifetime=3600)
    ),
    "other_audience": refused(lambda pool: id_token(pool, ["admins"], audience="other-app")),
    "other_issuer": refused(lambda pool: id_token(pool, ["admins"], issuer=ANOTHER_POOL)),
    "access_token": refused(lambda pool: id_token(pool, ["admins"], token_use="access")),
    "not_bearer": lambda system: {"Authorization": f"Basic {id_token(system.pool, ['admins'])}"},
    "resident_session": lambda system: system.resident,
    "no_session": lambda system: bearer(id_token(system.pool, ["admins"])),
    "signed_out": signed_out,
    "idle": idle,
}
"""Credentials that prove nothing: 401 on every protected route."""
MEMBERS: dict[str, tuple[Callable[[Deployment], dict[str, str]], frozenset[str]]] = {
    "reviewer": (valid(["reviewers"]), frozenset({"reviewers"})),
    "supervisor": (valid(["supervisors"]), frozenset({"supervisors"})),
    "admin": (valid(["admins"]), frozenset({"admins"})),
    "no_group": (valid(None), frozenset()),
    "unknown_group": (valid(["detectives"]), frozenset()),
}
"""Valid ID tokens and the staff groups they hold: 403 unless a group has the permission."""


# -- the deployment ------------------------------------------------------------------------------


@dataclass
class Deployment:
    services: services.Services
    client: Client
    pool: StaffPool
    report_id: str
    resident: dict[str, str]
    stepfunctions: RecordingStepFunctions
    clock: FakeClock


def resident_session(client: Client, outbox: RecordingOutbox, address: str) -> dict[str, str]:
    """A resident signs in through the emailed link: their session is a bearer token too."""
    client.http.post("/api/verifications", body=json.dumps({"email": address}), headers=JSON)
    link = re.findall(r"token=([\w-]+)", outbox.as_json()[-1]["text"])[0]
    answer = client.http.post("/api/sessions", body=json.dumps({"token": link}), headers=JSON)
    assert answer.status_code in (200, 201), answer.json_body
    return bearer(answer.json_body["session"])


def saved_submitted_report(report_id: str) -> Report:
    report = submitted_report(report_id)
    report.save()
    return report


@pytest.fixture(scope="module")
def system() -> Iterator[Deployment]:
    """The app on moto with a staff pool (demo users) and the moto-key verifier injected."""
    with moto_deployment(staff_pool="demo", stepfunctions=RecordingStepFunctions()) as built:
        assert built.pool is not None and built.stepfunctions is not None
        report = saved_submitted_report("RPD-AAAA-2222")
        with Client(app) as client:
            yield Deployment(
                services=built.services,
                client=client,
                pool=built.pool,
                report_id=report.report_id,
                resident=resident_session(client, built.outbox, "ana@example.com"),
                stepfunctions=built.stepfunctions,
                clock=built.clock,
            )


def request(
    system: Deployment, method: str, path: str, headers: dict[str, str], body: object = None
) -> Any:
    payload = None if body is None else body if isinstance(body, str) else json.dumps(body)
    return getattr(system.client.http, method.lower())(
        path, body=payload, headers={**JSON, **headers}
    )


# -- which routes there are ----------------------------------------------------------------------


def staff_api_routes() -> list[tuple[str, str]]:
    """Every (method, path) the app itself serves under /api/staff/."""
    return sorted(
        (method, path)
        for path, entries in app.routes.items()
        if path == "/api/staff" or path.startswith("/api/staff/")
        for method in entries
    )


PROTECTED_ROUTES = [route for route in staff_api_routes() if route not in PUBLIC_ROUTES]


def required_permission(route: tuple[str, str]) -> str:
    return POLICY.get(route) or PROTECTED[route]


def allowed_groups(permission: str) -> frozenset[str]:
    return GROUPS_WITH.get(permission) or PERMISSIONS[permission]


def concrete(system: Deployment, path: str) -> str:
    """The path with an existing report's reference wherever it takes one."""
    path = path.replace("{report_id}", system.report_id)
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_staff_route_is_either_protected_or_a_sign_in_route() -> None:
    routes = staff_api_routes()

    assert set(PUBLIC_ROUTES) <= set(routes), "the sign-in routes are served"
    forgotten = [route for route in routes if route not in PROTECTED and route not in PUBLIC_ROUTES]
    assert forgotten == [], "a staff route neither checks a permission nor is a sign-in route"
    assert set(PROTECTED) <= set(routes), "PROTECTED lists a route the app does not serve"
    assert not set(PROTECTED) & PUBLIC_ROUTES


def test_each_route_requires_the_intended_permission() -> None:
    assert {route: PROTECTED[route] for route in POLICY if route in PROTECTED} == POLICY
    for permission, groups in GROUPS_WITH.items():
        assert PERMISSIONS[permission] == groups, permission


@pytest.mark.parametrize("credential", list(INVALID))
@pytest.mark.parametrize("route", PROTECTED_ROUTES, ids=" ".join)
def test_a_credential_that_proves_nothing_is_refused_with_401(
    system: Deployment, route: tuple[str, str], credential: str
) -> None:
    method, path = route

    response = request(
        system, method, concrete(system, path), INVALID[credential](system), BODIES.get(route, {})
    )

    assert response.status_code == 401, response.body
    assert response.json_body["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("member", list(MEMBERS))
@pytest.mark.parametrize("route", PROTECTED_ROUTES, ids=" ".join)
def test_a_member_of_staff_may_use_a_route_only_with_the_permission(
    system: Deployment, route: tuple[str, str], member: str
) -> None:
    method, path = route
    make, groups = MEMBERS[member]
    permitted = bool(groups & allowed_groups(required_permission(route)))

    response = request(system, method, concrete(system, path), make(system), BODIES.get(route, {}))

    if permitted:
        assert response.status_code in ANSWERED, response.body
    else:
        assert response.status_code == 403, response.body
        assert response.json_body["error"]["code"] == "forbidden"


# -- the pages: the same session behind the cookie ----------------------------------------------

PAGE_SIGN_IN = {
    "/staff",
    "/staff/mfa",
    "/staff/new-password",
    "/staff/mfa-setup",
    "/staff/sign-out",
}
STAFF_PAGES = sorted(
    (method, path)
    for path, methods in app.routes.items()
    if path.startswith("/staff") and path not in PAGE_SIGN_IN
    for method in methods
)
SESSIONLESS = ("no_session", "signed_out", "idle")


def page(system: Deployment, method: str, path: str, token: str) -> Any:
    """A staff page as a browser holding `token` in the staff cookie asks for it; a form is
    sent as the browser's page would send it (so only the session can refuse it)."""
    if method == "POST":
        return post_staff_form(
            system.client, concrete(system, path), {"decision": "approve"}, token
        )
    return system.client.http.get(concrete(system, path), headers={"Cookie": f"sr_staff={token}"})


@pytest.mark.parametrize("credential", SESSIONLESS)
@pytest.mark.parametrize("route", STAFF_PAGES, ids=" ".join)
def test_a_page_sends_a_genuine_token_without_an_open_session_to_sign_in(
    system: Deployment, route: tuple[str, str], credential: str
) -> None:
    method, path = route
    token = INVALID[credential](system)["Authorization"].removeprefix("Bearer ")

    response = page(system, method, path, token)

    assert response.status_code == 303, response.body
    assert response.headers["Location"].endswith("/staff?expired=1")
    assert "Max-Age=0" in response.headers["Set-Cookie"]


def test_a_page_opens_for_a_token_whose_session_is_open(system: Deployment) -> None:
    token = valid(["admins"])(system)["Authorization"].removeprefix("Bearer ")

    assert page(system, "GET", "/staff/queue", token).status_code == 200
    assert page(system, "GET", "/staff/metrics", token).status_code == 200


def test_a_refused_decision_changes_nothing(system: Deployment) -> None:
    before = Report.get(system.report_id, consistent_read=True)
    path = f"/api/staff/reports/{system.report_id}/decision"

    for headers in (INVALID["forged_signature"](system), MEMBERS["no_group"][0](system)):
        assert request(system, "POST", path, headers, {"decision": "reject"}).status_code in (
            401,
            403,
        )

    after = Report.get(system.report_id, consistent_read=True)
    assert (after.status, after.decision, after.decided_by) == (
        before.status,
        before.decision,
        before.decided_by,
    )


# -- staff sign-in through moto's Cognito --------------------------------------------------------


def sign_in(system: Deployment, username: str, password: str) -> Any:
    return request(
        system, "POST", "/api/staff/login", {}, {"username": username, "password": password}
    )


def sign_in_events(username: str) -> list[tuple[str, str]]:
    return [
        (event.action, event.outcome)
        for event in AuditEvent.query(f"staff#{username}", consistent_read=True)
    ]


def test_a_wrong_password_is_refused_and_audited(system: Deployment) -> None:
    response = sign_in(system, "supervisor", "Not-The-Password-9!")

    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert response.json_body["error"]["code"] == "not_authenticated"
    assert "token" not in response.json_body
    assert ("sign_in", "refused") in sign_in_events("supervisor")


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(
    system: Deployment,
) -> None:
    unknown = sign_in(system, "nobody", "Not-The-Password-9!")
    wrong = sign_in(system, "admin", "Not-The-Password-9!")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json_body == wrong.json_body


@pytest.mark.parametrize(
    ("username", "groups", "metrics_status"),
    [("reviewer", frozenset({"reviewers"}), 403), ("supervisor", frozenset({"supervisors"}), 200)],
)
def test_the_right_password_gives_a_token_the_verifier_accepts(
    system: Deployment, username: str, groups: frozenset[str], metrics_status: int
) -> None:
    response = sign_in(system, username, DEMO_PASSWORD)

    assert response.status_code == 200, response.body
    token = response.json_body["token"]
    member = system.services.staff_tokens.verify(token)
    assert (member.username, member.groups) == (username, groups)
    assert response.json_body["expires_at"] == member.expires_at.isoformat()
    assert ("sign_in", "succeeded") in sign_in_events(username)
    assert request(system, "GET", "/api/staff/reports", bearer(token)).status_code == 200
    assert request(system, "GET", "/api/staff/metrics", bearer(token)).status_code == (
        metrics_status
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("", 400),
        ("not json", 400),
        ("[]", 400),
        ('"reviewer"', 400),
        ({}, 422),
        ({"username": "reviewer"}, 422),
        ({"username": 5, "password": DEMO_PASSWORD}, 422),
        ({"username": "   ", "password": DEMO_PASSWORD}, 422),
        ({"username": "reviewer", "password": ""}, 422),
        ({"username": "r" * 129, "password": DEMO_PASSWORD}, 422),
    ],
)
def test_a_malformed_sign_in_is_refused(system: Deployment, body: object, status: int) -> None:
    response = request(system, "POST", "/api/staff/login", {}, body)

    assert response.status_code == status, response.body
    assert response.json_body["error"]["code"] in ("malformed_request", "invalid_input")


@pytest.mark.parametrize(
    "body",
    [
        "",
        "[]",
        {"username": "reviewer", "session": "s" * 40},
        {"username": "reviewer", "session": "s" * 40, "code": "12345"},
        {"username": "reviewer", "session": "s" * 40, "code": "abcdef"},
    ],
)
def test_a_malformed_second_factor_is_refused(system: Deployment, body: object) -> None:
    response = request(system, "POST", "/api/staff/login/mfa", {}, body)

    assert response.status_code in (400, 422), response.body


@pytest.mark.parametrize("session", ["too-short", "s" * 3000])
def test_a_second_factor_with_an_impossible_session_is_refused_not_an_error(
    system: Deployment, session: str
) -> None:
    body = {"username": "reviewer", "session": session, "code": "123456"}

    response = request(system, "POST", "/api/staff/login/mfa", {}, body)

    assert response.status_code in (401, 422), response.body
