"""Limits that keep one resident, or one stranger, from flooding the service or locking others out.

- Links are counted per address and asking client: others asking for an address never lock its
  owner out (5 spoofed clients once did, for 14 minutes), while an address receives at most
  `verifications_per_address_total` links in a window, plus one per distinct client.
- A resident keeps at most `limits.open_drafts_per_resident` unsubmitted reports, and submits at
  most `limits.submissions_per_resident_per_day`: 429, with when to try again.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.errors import RateLimited
from chalicelib.mail import RecordingOutbox
from chalicelib.services import Services
from tests.support.answers import theft_answers
from tests.support.deployment import START, FakeClock

JSON = {"Content-Type": "application/json"}
OWNER = "ana@example.com"


def ask(system: Services, client: str, address: str = OWNER) -> bool:
    """One link asked for `address` from `client`; False when refused (429)."""
    try:
        system.verification.send_link(address, "en", client)
    except RateLimited:
        return False
    return True


def call(client: Client, method: str, path: str, auth: dict[str, str], body: Any = None) -> Any:
    payload = None if body is None else json.dumps(body)
    return getattr(client.http, method.lower())(path, body=payload, headers={**JSON, **auth})


def resident(client: Client, outbox: RecordingOutbox, address: str = OWNER) -> dict[str, str]:
    call(client, "POST", "/api/verifications", {}, {"email": address})
    token = re.findall(r"token=([\w-]+)", outbox.as_json()[-1]["text"])[0]
    opened = call(client, "POST", "/api/sessions", {}, {"token": token})
    return {"Authorization": f"Bearer {opened.json_body['session']}"}


# -- links --------------------------------------------------------------------------------------


def test_strangers_asking_for_an_address_do_not_lock_its_owner_out(system: Services) -> None:
    allowed = system.settings.verifications_per_address

    for stranger in range(5):  # five spoofed clients, each as often as it may
        for _ in range(allowed + 2):
            ask(system, f"203.0.113.{stranger}")
    assert ask(system, "198.51.100.7"), "the owner's own client still gets a link"


def test_one_client_asking_too_often_for_an_address_is_refused(system: Services) -> None:
    allowed = system.settings.verifications_per_address

    answers = [ask(system, "203.0.113.9") for _ in range(allowed + 1)]

    assert answers == [True] * allowed + [False]
    assert ask(system, "203.0.113.9", "someone-else@example.com"), "only that address"


def test_mail_to_one_address_is_bounded_however_many_clients_ask(
    system: Services, outbox: RecordingOutbox
) -> None:
    total = 6
    current = system.with_settings(
        verifications_per_address=3, verifications_per_address_total=total
    )
    clients = [f"203.0.113.{n}" for n in range(10)]

    for _ in range(3):
        for client in clients:
            ask(current, client)

    received = len([m for m in outbox.as_json() if m["to"] == OWNER])
    assert received <= total + len(clients), "the total, plus each client's first"
    assert received < 3 * len(clients), "repeats beyond the total were refused"


def test_a_refused_link_does_not_count_towards_the_address_total(system: Services) -> None:
    current = system.with_settings(verifications_per_address=1, verifications_per_address_total=2)

    for _ in range(20):  # one noisy client, refused after its first
        ask(current, "203.0.113.1")

    assert ask(current, "203.0.113.2") and ask(current, "203.0.113.2") is False
    assert ask(current, "198.51.100.7"), "a newcomer's first link is never refused for the total"


# -- drafts and submissions ---------------------------------------------------------------------


def test_open_drafts_per_resident_are_capped_with_when_to_try_again(
    client: Client, outbox: RecordingOutbox, system: Services
) -> None:
    auth = resident(client, outbox)
    allowed = system.agency.limits.open_drafts_per_resident

    created = [
        call(client, "POST", "/api/reports", auth, {"incident_type": "theft"})
        for _ in range(allowed)
    ]
    refused = call(client, "POST", "/api/reports", auth, {"incident_type": "theft"})

    assert [response.status_code for response in created] == [201] * allowed
    assert refused.status_code == 429
    assert "not submitted yet" in refused.json_body["error"]["message"]
    days = system.agency.retention.draft_days
    assert int(refused.headers["Retry-After"]) == pytest.approx(days * 86400, abs=5)
    other = resident(client, outbox, "eve@example.com")
    assert (
        call(client, "POST", "/api/reports", other, {"incident_type": "theft"}).status_code == 201
    )


def test_a_draft_that_expired_no_longer_counts(
    client: Client, outbox: RecordingOutbox, system: Services, clock: FakeClock
) -> None:
    auth = resident(client, outbox)
    for _ in range(system.agency.limits.open_drafts_per_resident):
        call(client, "POST", "/api/reports", auth, {"incident_type": "theft"})

    clock.now = START + timedelta(days=system.agency.retention.draft_days, seconds=1)
    auth = resident(client, outbox)  # the old session has expired too

    assert call(client, "POST", "/api/reports", auth, {"incident_type": "theft"}).status_code == 201


def test_submissions_per_resident_per_day_are_capped_and_the_report_is_kept(
    client: Client, outbox: RecordingOutbox, system: Services
) -> None:
    auth = resident(client, outbox)
    allowed = system.agency.limits.submissions_per_resident_per_day
    answers = theft_answers(START.date())

    statuses, last_id = [], ""
    for _ in range(allowed + 1):
        report = call(client, "POST", "/api/reports", auth, {"incident_type": "theft"}).json_body
        for step in report["steps"]:
            step_answers = {question: answers[question] for question in step["questions"]}
            call(client, "PATCH", f"/api/reports/{report['id']}", auth, {"answers": step_answers})
        submitted = call(client, "POST", f"/api/reports/{report['id']}/submit", auth)
        statuses.append(submitted.status_code)
        last_id = report["id"]

    assert statuses == [200] * allowed + [429]
    assert "submit it again" in submitted.json_body["error"]["message"]
    assert 0 < int(submitted.headers["Retry-After"]) <= 86400
    kept = call(client, "GET", f"/api/reports/{last_id}", auth).json_body
    assert kept["status"] == "draft" and kept["complete"] is True
