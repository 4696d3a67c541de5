"""A resident withdraws a report before a decision, on the real state machine in-process.

`moto_deployment(execute_workflow=True)` runs review.asl.json on moto: the withdrawal hands the
waiting workflow its task token back (waiting for a decision, or for the resident's answer), or,
withdrawn between two steps, the next wait finds it withdrawn. Either way the resident gets one
"withdrawn" email and the execution ends Succeeded. Staff can no longer decide it; another
resident cannot withdraw it; a decided report cannot be withdrawn; a repeat changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import workflow
from chalicelib.errors import DeliveryFailed
from chalicelib.intake.notifications import ReportNotices
from chalicelib.intake.verification import Resident
from chalicelib.models import AuditEvent, Report
from chalicelib.status import ReportStatus
from tests.support.cognito_keys import moto_id_token
from tests.support.deployment import (
    START,
    WORKFLOW_MOVES,
    open_staff_session,
    workflow_deployment,
)
from tests.support.in_process_api import InProcessApi

JSON = {"Content-Type": "application/json"}
SETTLE_SECONDS = 30.0


@dataclass
class World(InProcessApi):
    reviewer: dict[str, str]

    def submitted(self, resident: dict[str, str]) -> str:
        report_id = self.answered_theft(resident)
        submitted = self.request("POST", f"/api/reports/{report_id}/submit", resident)
        assert submitted.status_code == 200, submitted.body
        return report_id

    def execution(self, report_id: str) -> dict[str, Any]:
        arn = self.deployment.state_machine_arn
        assert arn is not None
        execution = arn.replace(":stateMachine:", ":execution:") + f":{report_id}"
        described = self.services.aws.stepfunctions.describe_execution(executionArn=execution)
        return dict(described)

    def emails(self, address: str, kind: str) -> list[dict[str, str]]:
        return [
            message
            for message in self.deployment.outbox.as_json()
            if message["to"] == address and message["kind"] == kind
        ]


def until(check: Callable[[], Any], seconds: float = SETTLE_SECONDS) -> Any:
    """`check()` once it is truthy, looked at again whenever the workflow moves."""
    deadline = time.monotonic() + seconds
    while True:
        seen = WORKFLOW_MOVES.count
        value = check()
        if value or time.monotonic() > deadline:
            return value
        WORKFLOW_MOVES.wait_after(seen, 0.2)


def stored(report_id: str) -> Report:
    return Report.get(report_id, consistent_read=True)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with (
        workflow_deployment("withdraw") as built,
        Client(app) as client,
    ):
        assert built.pool is not None
        token = moto_id_token(built.pool.issuer, built.pool.client_id, "reviewer", ["reviewers"])
        yield World(built, client, {"Authorization": f"Bearer {open_staff_session(token)}"})


def waiting_for_decision(world: World, report_id: str) -> Report:
    report = until(lambda: (found := stored(report_id)).review_token and found)
    assert report, "the workflow waits for a decision"
    return report  # type: ignore[no-any-return]


def ended(world: World, report_id: str) -> dict[str, Any]:
    execution = until(
        lambda: (found := world.execution(report_id))["status"] != "RUNNING" and found
    )
    assert execution, "the review ended"
    return execution  # type: ignore[no-any-return]


def test_a_report_waiting_for_a_decision_is_withdrawn_and_its_review_ends(world: World) -> None:
    address = "waiting@example.com"
    resident = world.resident(address)
    report_id = world.submitted(resident)
    waiting_for_decision(world, report_id)
    world.deployment.clock.advance(seconds=1)  # the trail orders events by when they happened

    withdrawn = world.request("POST", f"/api/reports/{report_id}/withdraw", resident)

    assert withdrawn.status_code == 200, withdrawn.body
    assert withdrawn.json_body["status"] == "withdrawn"
    assert ended(world, report_id)["status"] == "SUCCEEDED"
    sent = until(lambda: world.emails(address, "withdrawn"))
    assert len(sent) == 1
    assert report_id in sent[0]["subject"] and report_id in sent[0]["text"]
    report = stored(report_id)
    assert report.status == ReportStatus.WITHDRAWN and not report.review_token
    assert report.withdrawn_at is not None
    # the resident's timeline shows it; staff's queue no longer lists it, the withdrawn list does
    view = world.request("GET", f"/api/reports/{report_id}", resident).json_body
    assert [event["event"] for event in view["timeline"]] == ["submitted", "withdrawn"]
    queue = world.request("GET", "/api/staff/reports", world.reviewer).json_body
    assert report_id not in [item["id"] for item in queue["items"]]
    listed = world.request("GET", "/api/staff/reports?status=withdrawn", world.reviewer)
    assert report_id in [item["id"] for item in listed.json_body["items"]]
    # a staff decision now is refused, and says why
    decided = world.request(
        "POST", f"/api/staff/reports/{report_id}/decision", world.reviewer, {"decision": "approve"}
    )
    assert decided.status_code == 409, decided.body
    assert "withdrew" in decided.json_body["error"]["message"]
    assert stored(report_id).status == ReportStatus.WITHDRAWN
    # a repeat answers the same and sends nothing more
    again = world.request("POST", f"/api/reports/{report_id}/withdraw", resident)
    assert again.status_code == 200 and again.json_body["status"] == "withdrawn"
    events = [e.action for e in AuditEvent.query(report_id) if e.action == "withdrawn"]
    assert events == ["withdrawn"]
    assert len(world.emails(address, "withdrawn")) == 1


def test_a_report_waiting_for_the_residents_answer_is_withdrawn(world: World) -> None:
    address = "asked@example.com"
    resident = world.resident(address)
    report_id = world.submitted(resident)
    waiting_for_decision(world, report_id)
    asked = world.request(
        "POST",
        f"/api/staff/reports/{report_id}/decision",
        world.reviewer,
        {"decision": "request_info", "reason": "What colour is the bicycle?"},
    )
    assert asked.status_code == 202, asked.body
    assert until(lambda: stored(report_id).resident_token)

    withdrawn = world.request("POST", f"/api/reports/{report_id}/withdraw", resident)

    assert withdrawn.status_code == 200, withdrawn.body
    assert ended(world, report_id)["status"] == "SUCCEEDED"
    assert len(until(lambda: world.emails(address, "withdrawn"))) == 1
    report = stored(report_id)
    assert report.status == ReportStatus.WITHDRAWN and not report.resident_token


@pytest.mark.parametrize("step", ["confirm_submission", "notify_decision"])
def test_a_report_withdrawn_between_two_steps_ends_its_review_at_the_next_wait(
    world: World, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """No task token waits while a step runs: the withdrawal hands nothing back, and the wait
    after the step, refused, finds the report withdrawn (ReadStatus)."""
    address = f"between-{step}@example.com"
    resident = world.resident(address)
    original = workflow.STEPS[step]
    withdrawn_during: list[str] = []

    def withdrawing(steps: Any, report_id: str, event: Any) -> dict[str, Any]:
        result = original(steps, report_id, event)
        if report_id.startswith("RPD") and not withdrawn_during:
            withdrawn_during.append(report_id)
            world.services.reports.withdraw(Resident("-", address, "en", START), report_id)
        return result

    monkeypatch.setitem(workflow.STEPS, step, withdrawing)
    report_id = world.submitted(resident)
    if step == "notify_decision":
        waiting_for_decision(world, report_id)
        asked = world.request(
            "POST",
            f"/api/staff/reports/{report_id}/decision",
            world.reviewer,
            {"decision": "request_info", "reason": "Where was it parked?"},
        )
        assert asked.status_code == 202, asked.body

    assert ended(world, report_id)["status"] == "SUCCEEDED"
    assert withdrawn_during == [report_id]
    assert len(until(lambda: world.emails(address, "withdrawn"))) == 1
    report = stored(report_id)
    assert report.status == ReportStatus.WITHDRAWN
    assert not report.review_token and not report.resident_token


def test_only_the_residents_own_undecided_report_can_be_withdrawn(world: World) -> None:
    owner, stranger = world.resident("owner@example.com"), world.resident("stranger@example.com")
    report_id = world.submitted(owner)
    waiting_for_decision(world, report_id)

    assert world.request("POST", f"/api/reports/{report_id}/withdraw", stranger).status_code == 404
    assert world.request("POST", f"/api/reports/{report_id}/withdraw", {}).status_code == 401
    assert world.request("POST", "/api/reports/RPD-0000-NONE/withdraw", owner).status_code == 404
    rejected = world.request(
        "POST",
        f"/api/staff/reports/{report_id}/decision",
        world.reviewer,
        {"decision": "reject", "reason": "Outside Riverton."},
    )
    assert rejected.status_code == 202, rejected.body
    refused = world.request("POST", f"/api/reports/{report_id}/withdraw", owner)
    assert refused.status_code == 409, refused.body
    assert "decision" in refused.json_body["error"]["message"]
    assert stored(report_id).status == ReportStatus.REJECTED
    draft = world.request("POST", "/api/reports", owner, {"incident_type": "theft"}).json_body
    not_submitted = world.request("POST", f"/api/reports/{draft['id']}/withdraw", owner)
    assert not_submitted.status_code == 409, not_submitted.body


@pytest.mark.parametrize("fault", ["transient", "permanent"])
def test_a_withdrawal_email_that_fails_never_undoes_the_withdrawal(
    world: World, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    """The email is retried; one that keeps failing is recorded in the audit trail, and the
    review still ends Succeeded with the report withdrawn (not needing attention)."""
    address = f"mail-{fault}@example.com"
    resident = world.resident(address)
    report_id = world.submitted(resident)
    waiting_for_decision(world, report_id)
    original = ReportNotices.withdrawn
    failures: list[str] = []

    def failing(notices: ReportNotices, report: Report) -> None:
        if report.report_id == report_id and (fault == "permanent" or not failures):
            failures.append(report.report_id)
            raise DeliveryFailed("SES is not answering.")
        original(notices, report)

    monkeypatch.setattr(ReportNotices, "withdrawn", failing)

    assert world.request("POST", f"/api/reports/{report_id}/withdraw", resident).status_code == 200

    assert ended(world, report_id)["status"] == "SUCCEEDED"
    assert stored(report_id).status == ReportStatus.WITHDRAWN
    notified = [
        (event.actor, event.outcome)
        for event in AuditEvent.query(report_id)
        if event.action == "resident_notified"
    ]
    if fault == "transient":
        assert len(world.emails(address, "withdrawn")) == 1
        assert notified == [("workflow", "succeeded")]
    else:
        assert world.emails(address, "withdrawn") == []
        assert len(failures) == 4  # the first try and three retries
        assert notified == [("workflow", "DeliveryFailed")]
