"""Staff review through the running local stack: decisions, case numbers, emails, failures.

Every test has its own resident (a unique address) and its own reports. The review workflow runs
for real on moto's Step Functions, so everything it does is asynchronous: the tests poll with a
deadline and never sleep a fixed time.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import yaml

from tests.support.answers import theft_answers
from tests.support.flows import (
    answer_info_request,
    aws_client,
    decide,
    poll,
    resident,
    resident_view,
    staff,
    submitted_theft,
)
from tests.support.local_stack import PROJECT_DIR, RunningStack

pytestmark = pytest.mark.e2e

CASE_NUMBER = re.compile(r"RPD-(\d{4})-(\d{6})")
DEMO_AGENCY = yaml.safe_load((PROJECT_DIR / "chalicelib/agencies/demo.yaml").read_text())
SENDER = DEMO_AGENCY["sender"]["address"]

# Step Functions bills one state transition per state entered: the `*StateEntered` events of an
# execution's history. Measured on the local stack for review.asl.json as it stands.
TRANSITIONS_APPROVE = 7  # ConfirmSubmission, AwaitDecision, Decision, AssignCaseNumber,
# RenderCopy, ExportToRecords, EmailCaseNumber
TRANSITIONS_REJECT = 4  # ConfirmSubmission, AwaitDecision, Decision, EmailRejection
TRANSITIONS_REQUEST_INFO_THEN_APPROVE = 12  # ... EmailInformationRequest, AwaitResident,
# Answered (the resident's answer, or a withdrawal), then AwaitDecision, Decision and the
# approval's three states
TRANSITIONS_WITHDRAW = 5  # ConfirmSubmission, AwaitDecision, Decision, EmailWithdrawal,
# ReviewEnded


def queue(stack: RunningStack, headers: dict[str, str], status: str) -> list[dict[str, Any]]:
    """Every entry of one status, all pages followed."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"status": status} | ({"cursor": cursor} if cursor else {})
        page = requests.get(
            f"{stack.app_url}/api/staff/reports", params=params, headers=headers, timeout=10
        )
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return items


def queue_entry(
    stack: RunningStack, headers: dict[str, str], status: str, report_id: str
) -> dict[str, Any] | None:
    """The report's entry in the `status` queue, once it is there (None at the deadline)."""
    entries = poll(
        lambda: [entry for entry in queue(stack, headers, status) if entry["id"] == report_id],
        bool,
        interval=0.2,
    )
    return entries[0] if entries else None


def emails(stack: RunningStack, address: str, count: int) -> list[dict[str, str]]:
    """The emails to `address`, once there are at least `count` of them (or at the deadline)."""
    return poll(lambda: stack.emails_to(address), lambda sent: len(sent) >= count)


def execution(stack: RunningStack, report_id: str) -> dict[str, Any]:
    """The report's review execution (named after the report), once it is no longer running."""
    stepfunctions = aws_client(stack, "stepfunctions")
    [machine] = stepfunctions.list_state_machines()["stateMachines"]
    arn = machine["stateMachineArn"].replace(":stateMachine:", ":execution:") + f":{report_id}"
    described: dict[str, Any] = poll(
        lambda: stepfunctions.describe_execution(executionArn=arn),
        lambda found: found["status"] != "RUNNING",
    )
    return described


def state_transitions(stack: RunningStack, report_id: str) -> tuple[int, list[str]]:
    """Billed transitions of the report's finished execution: its `*StateEntered` events."""
    arn = execution(stack, report_id)["executionArn"]
    stepfunctions = aws_client(stack, "stepfunctions")
    events: list[dict[str, Any]] = []
    for page in stepfunctions.get_paginator("get_execution_history").paginate(executionArn=arn):
        events += page["events"]
    entered = [event for event in events if event["type"].endswith("StateEntered")]
    names = [event.get("stateEnteredEventDetails", {}).get("name", "?") for event in entered]
    return len(entered), names


def review_token_of(stack: RunningStack, report_id: str) -> str | None:
    """The task token the workflow waits for a decision with, read from the reports table."""
    dynamodb = aws_client(stack, "dynamodb")
    [table] = [name for name in dynamodb.list_tables()["TableNames"] if name.endswith("-reports")]
    item = dynamodb.get_item(TableName=table, Key={"report_id": {"S": report_id}}).get("Item")
    return str(item["review_token"]["S"]) if item and "review_token" in item else None


def case_number_of(stack: RunningStack, auth: dict[str, str], report_id: str) -> str:
    view = poll(lambda: resident_view(stack, auth, report_id), lambda seen: seen["case_number"])
    assert view["case_number"], f"no case number for {report_id}: {view}"
    return str(view["case_number"])


def assert_no_personal_data_logged(stack: RunningStack, address: str) -> None:
    time.sleep(0.2)  # let the reader thread take the last lines
    answers = theft_answers()
    personal = [address, answers["reporter_name"], answers["reporter_phone"]]
    leaks = [line for line in stack.log_lines() if any(value in line for value in personal)]
    assert leaks == []


# ---------------------------------------------------------------------------------------------
# Tests


def test_an_approved_report_gets_a_case_number_an_email_and_an_audit_trail(
    running_stack: RunningStack,
) -> None:
    auth, address = resident(running_stack)
    report = submitted_theft(running_stack, auth)
    reviewer = staff(running_stack)

    entry = queue_entry(running_stack, reviewer, "submitted", report["id"])
    assert entry is not None, "the submitted report never appeared in the queue"
    assert entry["incident_type"] == "theft" and entry["case_number"] is None

    approved = decide(running_stack, reviewer, report["id"], "approve")
    assert approved.status_code == 202, approved.text
    assert approved.json() == {"id": report["id"], "status": "approved"}

    case_number = case_number_of(running_stack, auth, report["id"])
    assert CASE_NUMBER.fullmatch(case_number), case_number
    assert resident_view(running_stack, auth, report["id"])["status"] == "approved"
    sent = emails(running_stack, address, 3)  # the link, the confirmation, the case number
    assert len(sent) == 3, [message["subject"] for message in sent]
    accepted = sent[-1]
    assert accepted["kind"] == "approved"
    assert case_number in accepted["subject"]
    assert report["reference"] in accepted["text"]
    assert case_number in accepted["text"] and case_number in accepted["html"]

    again = requests.post(
        f"{running_stack.app_url}/api/staff/reports/{report['id']}/decision",
        json={"decision": "reject", "reason": "Changed my mind"},
        headers=reviewer,
        timeout=10,
    )
    assert again.status_code == 409, again.text
    assert "already decided" in again.json()["error"]["message"]
    assert resident_view(running_stack, auth, report["id"])["case_number"] == case_number

    full = requests.get(
        f"{running_stack.app_url}/api/staff/reports/{report['id']}", headers=reviewer, timeout=10
    )
    assert full.status_code == 200, full.text
    body = full.json()
    assert body["status"] == "approved" and body["case_number"] == case_number
    assert body["decided_by"] == "reviewer" and body["decision"] == "approve"
    trail = [(event["actor"], event["action"], event["outcome"]) for event in body["audit"]]
    assert ("reviewer", "decision:approve", "succeeded") in trail
    assert ("reviewer", "decision:reject", "refused") in trail
    assert ("reviewer", "view", "succeeded") in trail
    assert_no_personal_data_logged(running_stack, address)


def test_a_rejection_emails_the_reason_as_plain_text_and_escaped_html(
    running_stack: RunningStack,
) -> None:
    auth, address = resident(running_stack)
    report = submitted_theft(running_stack, auth)
    reviewer = staff(running_stack)
    assert queue_entry(running_stack, reviewer, "submitted", report["id"]) is not None

    # Staff may write anything: it is escaped wherever the resident reads it.
    reason = 'Outside Riverton & Lordship: "<b>A</b>" isn\'t ours'
    rejected = decide(running_stack, reviewer, report["id"], "reject", reason)
    assert rejected.status_code == 202, rejected.text

    view = resident_view(running_stack, auth, report["id"])
    assert view["status"] == "rejected"
    assert view["rejection_reason"] == reason
    assert view["case_number"] is None and view["info_request"] is None
    sent = emails(running_stack, address, 3)
    assert len(sent) == 3, [message["subject"] for message in sent]
    email = sent[-1]
    assert email["kind"] == "rejected"
    assert report["reference"] in email["subject"]
    assert reason in email["text"]
    assert reason not in email["html"]
    assert "Riverton &amp; Lordship: &#34;&lt;b&gt;A&lt;/b&gt;&#34; isn&#39;t ours" in email["html"]

    count, entered = state_transitions(running_stack, report["id"])
    print(f"\nstate transitions, reject: {count} {entered}")
    assert execution(running_stack, report["id"])["status"] == "SUCCEEDED"
    assert count == TRANSITIONS_REJECT


def test_a_request_for_information_is_answered_and_the_report_returns_to_the_queue(
    running_stack: RunningStack,
) -> None:
    auth, address = resident(running_stack)
    report = submitted_theft(running_stack, auth)
    reviewer = staff(running_stack)
    assert queue_entry(running_stack, reviewer, "submitted", report["id"]) is not None
    question = "What colour was the bicycle?"

    asked = decide(running_stack, reviewer, report["id"], "request_info", question)
    assert asked.status_code == 202, asked.text
    view = resident_view(running_stack, auth, report["id"])
    assert view["status"] == "info_requested"
    assert view["info_request"] == question
    sent = emails(running_stack, address, 3)
    assert len(sent) == 3 and sent[-1]["kind"] == "info_requested", sent
    assert question in sent[-1]["text"]
    assert f"{running_stack.app_url}/report/{report['id']}" in sent[-1]["text"]
    assert queue_entry(running_stack, reviewer, "info_requested", report["id"]) is not None

    answered = answer_info_request(
        running_stack, auth, report["id"], "It was black, with a red saddle."
    )
    assert answered.status_code == 201, answered.text
    assert answered.json()["status"] == "submitted"
    entry = queue_entry(running_stack, reviewer, "submitted", report["id"])
    assert entry is not None
    assert (entry["came_back"], entry["answer"]) == (True, "It was black, with a red saddle.")
    full = requests.get(
        f"{running_stack.app_url}/api/staff/reports/{report['id']}", headers=reviewer, timeout=10
    ).json()
    assert [supplement["text"] for supplement in full["supplements"]] == [
        "It was black, with a red saddle."
    ]

    approved = decide(running_stack, reviewer, report["id"], "approve")
    assert approved.status_code == 202, approved.text
    case_number = case_number_of(running_stack, auth, report["id"])
    assert CASE_NUMBER.fullmatch(case_number)
    sent = emails(running_stack, address, 4)
    assert len(sent) == 4 and case_number in sent[-1]["subject"], sent

    count, entered = state_transitions(running_stack, report["id"])
    print(f"\nstate transitions, request_info then approve: {count} {entered}")
    assert execution(running_stack, report["id"])["status"] == "SUCCEEDED"
    assert count == TRANSITIONS_REQUEST_INFO_THEN_APPROVE


def test_a_withdrawn_report_ends_its_review_with_an_email(running_stack: RunningStack) -> None:
    auth, address = resident(running_stack)
    report = submitted_theft(running_stack, auth)
    reviewer = staff(running_stack)
    assert queue_entry(running_stack, reviewer, "submitted", report["id"]) is not None
    assert poll(lambda: review_token_of(running_stack, report["id"]), bool), "no wait"

    withdrawn = requests.post(
        f"{running_stack.app_url}/api/reports/{report['id']}/withdraw", headers=auth, timeout=10
    )

    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    ended = poll(
        lambda: execution(running_stack, report["id"]), lambda run: run["status"] != "RUNNING"
    )
    assert ended["status"] == "SUCCEEDED"
    sent = poll(
        lambda: [m for m in running_stack.emails_to(address) if m["kind"] == "withdrawn"], bool
    )
    assert len(sent) == 1 and report["id"] in sent[0]["subject"], sent
    decided = requests.post(
        f"{running_stack.app_url}/api/staff/reports/{report['id']}/decision",
        json={"decision": "approve"},
        headers=reviewer,
        timeout=10,
    )
    assert decided.status_code == 409, decided.text
    timeline = resident_view(running_stack, auth, report["id"])["timeline"]
    assert [event["event"] for event in timeline] == ["submitted", "withdrawn"]
    count, entered = state_transitions(running_stack, report["id"])
    print(f"\nstate transitions, withdrawn while waiting for a decision: {count} {entered}")
    assert count == TRANSITIONS_WITHDRAW


def test_two_approvals_get_consecutive_case_numbers(running_stack: RunningStack) -> None:
    auth, _ = resident(running_stack)
    first, second = submitted_theft(running_stack, auth), submitted_theft(running_stack, auth)
    reviewer = staff(running_stack)

    numbers = []
    for report in (first, second):
        assert queue_entry(running_stack, reviewer, "submitted", report["id"]) is not None
        assert decide(running_stack, reviewer, report["id"], "approve").status_code == 202
        numbers.append(case_number_of(running_stack, auth, report["id"]))

    [(year_1, number_1), (year_2, number_2)] = [
        CASE_NUMBER.fullmatch(number).groups()  # type: ignore[union-attr]
        for number in numbers
    ]
    assert year_1 == year_2 == str(datetime.now(ZoneInfo(DEMO_AGENCY["timezone"])).year)
    assert int(number_2) == int(number_1) + 1, numbers


def test_a_failing_email_step_leaves_the_report_needing_attention(
    running_stack: RunningStack,
) -> None:
    auth, address = resident(running_stack)
    report = submitted_theft(running_stack, auth)
    reviewer = staff(running_stack)
    assert queue_entry(running_stack, reviewer, "submitted", report["id"]) is not None
    assert len(emails(running_stack, address, 2)) == 2
    ses = aws_client(running_stack, "ses")

    ses.delete_identity(Identity=SENDER)
    try:
        approved = decide(running_stack, reviewer, report["id"], "approve")
        assert approved.status_code == 202, approved.text
        case_number = case_number_of(running_stack, auth, report["id"])
        # The email step retries (1 + 2 + 4 + 8 s), then the workflow flags the report.
        entry = queue_entry(running_stack, reviewer, "needs_attention", report["id"])
    finally:
        ses.verify_email_identity(EmailAddress=SENDER)

    assert CASE_NUMBER.fullmatch(case_number), "the case number is kept"
    assert entry is not None, "the report never reached needs_attention"
    assert entry["failure"] == "DeliveryFailed" and entry["case_number"] == case_number, entry
    finished = execution(running_stack, report["id"])
    assert finished["status"] == "FAILED"
    assert "ReviewNeedsAttention" in json.dumps(finished, default=str)
    assert len(running_stack.emails_to(address)) == 2, "no case-number email went out"
    assert SENDER in ses.list_identities()["Identities"]
    assert_no_personal_data_logged(running_stack, address)


def test_an_approval_takes_a_fixed_number_of_state_transitions(
    running_stack: RunningStack,
) -> None:
    auth, _ = resident(running_stack)
    report = submitted_theft(running_stack, auth)
    reviewer = staff(running_stack)
    assert queue_entry(running_stack, reviewer, "submitted", report["id"]) is not None
    assert decide(running_stack, reviewer, report["id"], "approve").status_code == 202

    count, entered = state_transitions(running_stack, report["id"])
    print(f"\nstate transitions, approve: {count} {entered}")

    assert execution(running_stack, report["id"])["status"] == "SUCCEEDED"
    assert entered == [
        "ConfirmSubmission",
        "AwaitDecision",
        "Decision",
        "AssignCaseNumber",
        "RenderCopy",
        "ExportToRecords",
        "EmailCaseNumber",
    ]
    assert count == TRANSITIONS_APPROVE


def test_only_supervisors_and_admins_read_the_metrics(running_stack: RunningStack) -> None:
    url = f"{running_stack.app_url}/api/staff/metrics"
    reviewer, supervisor = staff(running_stack), staff(running_stack, "supervisor")
    auth, _ = resident(running_stack)
    report = submitted_theft(running_stack, auth)
    assert queue_entry(running_stack, reviewer, "submitted", report["id"]) is not None
    before = requests.get(url, headers=supervisor, timeout=10).json()

    assert decide(running_stack, reviewer, report["id"], "approve").status_code == 202

    refused = requests.get(url, headers=reviewer, timeout=10)
    assert refused.status_code == 403, refused.text
    assert requests.get(url, timeout=10).status_code == 401
    for username in ("supervisor", "admin"):
        shown = requests.get(url, headers=staff(running_stack, username), timeout=10)
        assert shown.status_code == 200, shown.text
    after = shown.json()
    assert after["by_status"]["approved"] >= 1
    assert after["by_status"]["approved"] == before["by_status"]["approved"] + 1
    approved_thefts = [
        counts.get("theft", {}).get("approved", 0)
        for counts in (before["by_type"], after["by_type"])
    ]
    assert approved_thefts[1] == approved_thefts[0] + 1
    assert after["median_days_to_decision"] is not None
    assert after["promised_business_days"] == 5
