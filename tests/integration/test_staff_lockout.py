"""Guessing staff passwords: a name, and an address, are locked out after a run of failures.

Staff sign in through moto's Cognito (the demo users; moto itself has no lockout). The profile
allows 5 failures for a name and locks it for 15 minutes; one address may fail 20 times, whatever
the names. Every test starts with the clock past any earlier lockout. The test client always
comes from one address (127.0.0.1); a second address is tried through the domain object.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import services
from chalicelib.errors import RateLimited
from chalicelib.models import AuditEvent
from chalicelib.review.staff import WRONG_PASSWORD, SignedIn
from tests.support.deployment import DEMO_PASSWORD, FakeClock, moto_deployment
from tests.support.forms import post_staff_form

JSON = {"Content-Type": "application/json"}
WRONG = "Not-The-Password-9!"
LOCKED_15 = "Too many attempts to sign in. Try again in 15 minutes."


@dataclass
class Deployment:
    services: services.Services
    client: Client
    clock: FakeClock

    @property
    def failures(self) -> int:
        return self.services.agency.limits.staff_sign_in_failures

    @property
    def lockout(self) -> timedelta:
        return timedelta(minutes=self.services.agency.limits.staff_lockout_minutes)


@pytest.fixture(scope="module")
def module_deployment() -> Iterator[Deployment]:
    with moto_deployment(staff_pool="demo", verify_sender=False) as built, Client(app) as client:
        yield Deployment(built.services, client, built.clock)


@pytest.fixture
def deployment(module_deployment: Deployment) -> Deployment:
    """The module's deployment, every earlier run of failures over."""
    module_deployment.clock.advance(seconds=module_deployment.lockout.total_seconds() + 1)
    return module_deployment


def sign_in(system: Deployment, username: str, password: str = WRONG) -> Any:
    return system.client.http.post(
        "/api/staff/login",
        body=json.dumps({"username": username, "password": password}),
        headers=JSON,
    )


def answer(response: Any) -> tuple[int, Any, str | None]:
    """Everything a client learns from a refusal."""
    return response.status_code, response.json_body, response.headers.get("Retry-After")


def refused(response: Any) -> None:
    assert answer(response) == (
        401,
        {"error": {"code": "not_authenticated", "message": WRONG_PASSWORD}},
        None,
    )


def locked(response: Any, seconds: int, message: str = LOCKED_15) -> None:
    assert answer(response) == (
        429,
        {"error": {"code": "rate_limited", "message": message}},
        str(seconds),
    )


def events(username: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        (event.action, event.outcome, event.details)
        for event in AuditEvent.query(f"staff#{username}", consistent_read=True)
    ]


def test_five_wrong_passwords_lock_the_name_even_against_the_right_one_until_the_period_ends(
    deployment: Deployment, aws_calls: list[str]
) -> None:
    lockout = int(deployment.lockout.total_seconds())
    for _ in range(deployment.failures - 1):
        refused(sign_in(deployment, "reviewer"))

    locked(sign_in(deployment, "reviewer"), lockout)  # the fifth: the lockout starts
    aws_calls.clear()
    locked(sign_in(deployment, "reviewer", DEMO_PASSWORD), lockout)
    assert "cognito-idp:InitiateAuth" not in aws_calls, "a locked name is not tried at all"

    deployment.clock.advance(seconds=lockout - 1)
    locked(
        sign_in(deployment, "reviewer", DEMO_PASSWORD),
        1,
        "Too many attempts to sign in. Try again in 1 minute.",
    )
    deployment.clock.advance(seconds=1)
    accepted = sign_in(deployment, "reviewer", DEMO_PASSWORD)
    assert accepted.status_code == 200, accepted.body
    assert accepted.json_body["token"]

    audited = events("reviewer")
    assert audited.count(("sign_in", "refused", None)) >= deployment.failures
    assert ("sign_in_lockout", "started", {"by": "username"}) in audited
    assert audited.count(("sign_in", "locked", {"by": "username"})) >= 2


def test_an_unknown_name_is_answered_exactly_as_a_known_one_locked_or_not(
    deployment: Deployment,
) -> None:
    known = [answer(sign_in(deployment, "admin")) for _ in range(deployment.failures + 1)]
    unknown = [answer(sign_in(deployment, "no-such-clerk")) for _ in range(deployment.failures + 1)]

    assert known == unknown
    assert [status for status, _, _ in known] == [401] * (deployment.failures - 1) + [429] * 2
    assert answer(sign_in(deployment, "admin", DEMO_PASSWORD)) == answer(
        sign_in(deployment, "no-such-clerk", DEMO_PASSWORD)
    )
    assert ("sign_in_lockout", "started", {"by": "username"}) in events("no-such-clerk")


def test_the_name_is_counted_whatever_its_case(deployment: Deployment) -> None:
    for name in ("REVIEWER", "Reviewer", " reviewer", "reviewer", "ReViewer"):
        sign_in(deployment, name)

    locked(sign_in(deployment, "reviewer", DEMO_PASSWORD), int(deployment.lockout.total_seconds()))


def test_a_completed_sign_in_forgets_the_names_failures(deployment: Deployment) -> None:
    for _ in range(2):
        for _ in range(deployment.failures - 1):
            refused(sign_in(deployment, "supervisor"))
        assert sign_in(deployment, "supervisor", DEMO_PASSWORD).status_code == 200

    refused(sign_in(deployment, "supervisor"))


def test_failures_far_apart_do_not_add_up(deployment: Deployment) -> None:
    for _ in range(deployment.failures):
        refused(sign_in(deployment, "admin"))
        deployment.clock.advance(seconds=deployment.lockout.total_seconds() + 1)

    assert sign_in(deployment, "admin", DEMO_PASSWORD).status_code == 200


def test_one_address_trying_many_names_is_locked_out_for_every_name(
    deployment: Deployment,
) -> None:
    bound = deployment.services.settings.staff_sign_in_failures_per_client
    assert bound == 20 > deployment.failures
    for number in range(bound - 1):
        refused(sign_in(deployment, f"guess-{number}"))

    locked(sign_in(deployment, f"guess-{bound}"), int(deployment.lockout.total_seconds()))
    locked(
        sign_in(deployment, "supervisor", DEMO_PASSWORD), int(deployment.lockout.total_seconds())
    )
    assert ("sign_in_lockout", "started", {"by": "client"}) in events(f"guess-{bound}")
    assert ("sign_in", "locked", {"by": "client"}) in events("supervisor")

    sign_in_elsewhere = deployment.services.staff_sign_in
    assert isinstance(
        sign_in_elsewhere.sign_in("supervisor", DEMO_PASSWORD, "198.51.100.7"), SignedIn
    )
    with pytest.raises(RateLimited):
        sign_in_elsewhere.sign_in("supervisor", DEMO_PASSWORD, "127.0.0.1")


def test_a_malformed_attempt_is_not_counted(deployment: Deployment) -> None:
    for _ in range(deployment.failures + 2):
        assert sign_in(deployment, "admin", "").status_code == 422

    assert sign_in(deployment, "admin", DEMO_PASSWORD).status_code == 200


def test_the_sign_in_page_locks_out_the_same_way(deployment: Deployment) -> None:
    def attempt(username: str, password: str = WRONG) -> Any:
        return post_staff_form(
            deployment.client, "/staff", {"username": username, "password": password}
        )

    for name in ("admin", "no-such-clerk"):
        answers = [attempt(name) for _ in range(deployment.failures)]
        assert [a.status_code for a in answers] == [401] * (deployment.failures - 1) + [429]
        assert WRONG_PASSWORD in answers[0].body.decode()
        assert LOCKED_15 in answers[-1].body.decode()
        assert answers[-1].headers["Retry-After"] == str(int(deployment.lockout.total_seconds()))

    right = attempt("admin", DEMO_PASSWORD)
    assert right.status_code == 429
    assert LOCKED_15 in right.body.decode()
    assert "Set-Cookie" not in right.headers or "sr_staff=" not in str(right.headers["Set-Cookie"])
