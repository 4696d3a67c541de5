"""The promised review time, shortened to seconds: a waiting report reminds staff and is flagged."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from tests.support import local_stack
from tests.support.answers import theft_answers

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def impatient_stack() -> Iterator[local_stack.RunningStack]:
    stack = local_stack.start({"REVIEW_SLA_SECONDS": "2", "VERIFICATIONS_PER_CLIENT": "1000"})
    yield stack
    local_stack.stop(stack)


def test_a_report_waiting_past_the_promise_reminds_staff_and_is_flagged(
    impatient_stack: local_stack.RunningStack,
) -> None:
    base = impatient_stack.app_url
    address = f"late-{uuid.uuid4().hex[:8]}@example.com"
    requests.post(f"{base}/api/verifications", json={"email": address}, timeout=10)
    token = impatient_stack.latest_link(address).split("token=")[1]
    session = requests.post(f"{base}/api/sessions", json={"token": token}, timeout=10).json()
    auth = {"Authorization": f"Bearer {session['session']}"}
    report = requests.post(
        f"{base}/api/reports", json={"incident_type": "theft"}, headers=auth, timeout=10
    ).json()
    answers = theft_answers()
    for step in report["steps"]:
        requests.patch(
            f"{base}/api/reports/{report['id']}",
            json={"answers": {question: answers[question] for question in step["questions"]}},
            headers=auth,
            timeout=10,
        )
    requests.post(f"{base}/api/reports/{report['id']}/submit", headers=auth, timeout=10)
    staff_token = requests.post(
        f"{base}/api/staff/login",
        json={"username": "supervisor", "password": "Demo-Passw0rd!"},
        timeout=10,
    ).json()["token"]
    staff = {"Authorization": f"Bearer {staff_token}"}

    deadline = time.monotonic() + 30
    reminders: list[dict[str, str]] = []
    while not reminders and time.monotonic() < deadline:
        reminders = [
            email
            for email in impatient_stack.emails_to("records@police.riverton.example")
            if report["id"] in email["subject"]
        ]
        time.sleep(0.2)

    assert reminders, "the staff mailbox was reminded"
    assert f"/staff/reports/{report['id']}" in reminders[0]["text"]
    full = requests.get(f"{base}/api/staff/reports/{report['id']}", headers=staff, timeout=10)
    assert full.json()["past_sla"] is True
    assert "staff_reminded" in [event["action"] for event in full.json()["audit"]]

    decided = requests.post(
        f"{base}/api/staff/reports/{report['id']}/decision",
        json={"decision": "approve"},
        headers=staff,
        timeout=10,
    )
    for _ in range(50):  # the workflow may be between reminders: the token is written again
        if decided.status_code != 409:
            break
        time.sleep(0.2)
        decided = requests.post(
            f"{base}/api/staff/reports/{report['id']}/decision",
            json={"decision": "approve"},
            headers=staff,
            timeout=10,
        )
    assert decided.status_code == 202
