"""The promised review time, shortened to seconds: a waiting report reminds staff and is flagged."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests.support import local_stack
from tests.support.flows import decide, resident, staff, submitted_theft

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
    auth, _ = resident(impatient_stack, "late")
    report = submitted_theft(impatient_stack, auth)
    staff_headers = staff(impatient_stack, "supervisor")

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
    full = requests.get(
        f"{base}/api/staff/reports/{report['id']}", headers=staff_headers, timeout=10
    )
    assert full.json()["past_sla"] is True
    assert "staff_reminded" in [event["action"] for event in full.json()["audit"]]

    decided = decide(impatient_stack, staff_headers, report["id"], "approve")
    assert decided.status_code == 202
