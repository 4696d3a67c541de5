"""Step Functions state transitions per approved, rejected and info-requested report.

Real executions of `infra/statemachines/review.asl.json` on the running local stack (moto's
Step Functions interpreter, the Lambda steps dispatched to the Chalice handlers): a resident
submits a theft report, a reviewer decides, and the execution's history is read once it has
finished. Step Functions bills one transition per state entered: the `*StateEntered` events.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.support.flows import aws_client, poll, resident, staff, submitted_theft
from tests.support.local_stack import RunningStack

from .results import HarnessFailure, Record

FLOORS: dict[str, tuple[int, str]] = {
    "approve": (
        3,
        "ConfirmSubmission, AwaitDecision (a human wait needs a callback state), one Task that "
        "acts on the decision (branching in the Lambda instead of a Choice, and doing case "
        "number, copy, export and email in one step)",
    ),
    "reject": (3, "ConfirmSubmission, AwaitDecision, one Task that acts on the decision"),
    "request_info then approve": (
        6,
        "ConfirmSubmission, AwaitDecision, a Task (email the question), AwaitResident, "
        "AwaitDecision, a Task (approve)",
    ),
}


@dataclass(frozen=True)
class Execution:
    path: str
    report_id: str
    status: str
    entered: list[str]
    lambda_tasks: int
    """Lambda invocations the execution made (Task states scheduled on Lambda)."""
    service_tasks: list[str]
    """The other Task states' integrations, e.g. `dynamodb:updateItem.waitForTaskToken`."""


def _decide(
    stack: RunningStack, headers: dict[str, str], report_id: str, body: dict[str, str]
) -> None:
    """POST a decision, again while the workflow has not yet reached the waiting step."""
    response = poll(
        lambda: requests.post(
            f"{stack.app_url}/api/staff/reports/{report_id}/decision",
            json=body,
            headers=headers,
            timeout=10,
        ),
        lambda answer: not (answer.status_code == 409 and "still being prepared" in answer.text),
        interval=0.2,
    )
    if response.status_code != 202:
        raise HarnessFailure(
            f"decision {body} on {report_id}: {response.status_code} {response.text}"
        )


def _finished(stack: RunningStack, report_id: str) -> Execution:
    stepfunctions = aws_client(stack, "stepfunctions")
    [machine] = stepfunctions.list_state_machines()["stateMachines"]
    arn = machine["stateMachineArn"].replace(":stateMachine:", ":execution:") + f":{report_id}"
    described: dict[str, Any] = poll(
        lambda: stepfunctions.describe_execution(executionArn=arn),
        lambda found: found["status"] != "RUNNING",
        seconds=60,
    )
    events: list[dict[str, Any]] = []
    for page in stepfunctions.get_paginator("get_execution_history").paginate(executionArn=arn):
        events += page["events"]
    entered = [
        event.get("stateEnteredEventDetails", {}).get("name", "?")
        for event in events
        if event["type"].endswith("StateEntered")
    ]
    scheduled = [
        event.get("taskScheduledEventDetails", {})
        for event in events
        if event["type"] == "TaskScheduled"
    ]
    return Execution(
        "",
        report_id,
        str(described["status"]),
        entered,
        sum(1 for task in scheduled if task.get("resourceType") == "lambda"),
        [
            f"{task.get('resourceType')}:{task.get('resource')}"
            for task in scheduled
            if task.get("resourceType") != "lambda"
        ],
    )


def run_paths(stack: RunningStack) -> list[Execution]:
    reviewer = staff(stack)
    executions = []

    def path(name: str, review: Callable[[str, dict[str, str]], None]) -> None:
        auth, _ = resident(stack, prefix="bench")
        report_id = str(submitted_theft(stack, auth)["id"])
        review(report_id, auth)
        finished = _finished(stack, report_id)
        executions.append(
            Execution(
                name,
                report_id,
                finished.status,
                finished.entered,
                finished.lambda_tasks,
                finished.service_tasks,
            )
        )

    def ask_then_approve(report_id: str, auth: dict[str, str]) -> None:
        _decide(stack, reviewer, report_id, {"decision": "request_info", "reason": "Colour?"})
        answered = poll(
            lambda: requests.post(
                f"{stack.app_url}/api/reports/{report_id}/supplements",
                json={"text": "Black, with a red saddle."},
                headers=auth,
                timeout=10,
            ),
            lambda response: response.status_code != 409,  # until the workflow waits for it
            interval=0.2,
        )
        if answered.status_code != 201:
            raise HarnessFailure(f"the answer was refused: {answered.status_code} {answered.text}")
        _decide(stack, reviewer, report_id, {"decision": "approve"})

    path(
        "approve", lambda report_id, _: _decide(stack, reviewer, report_id, {"decision": "approve"})
    )
    path(
        "reject",
        lambda report_id, _: _decide(
            stack, reviewer, report_id, {"decision": "reject", "reason": "Not in Riverton."}
        ),
    )
    path("request_info then approve", ask_then_approve)
    for execution in executions:
        if execution.status != "SUCCEEDED":
            raise HarnessFailure(
                f"{execution.path}: execution {execution.status}: {execution.entered}"
            )
    return executions


class StackRecording:
    """moto's request recorder on the stack's moto server, on only while `record` runs.

    It writes each request moto serves (the app's, the workflow's and the harness's) to `path`,
    which the stack is started with (MOTO_RECORDER_FILEPATH).
    """

    def __init__(self, stack: RunningStack, path: Path) -> None:
        self.stack = stack
        self.path = path

    def _control(self, action: str) -> None:
        response = requests.post(f"{self.stack.aws_url}/moto-api/recorder/{action}", timeout=10)
        response.raise_for_status()

    def record(self, action: Callable[[], list[Execution]]) -> tuple[list[Execution], list[str]]:
        self._control("reset-recording")
        self._control("start-recording")
        try:
            result = action()
        finally:
            self._control("stop-recording")
        return result, self.operations()

    def operations(self) -> list[str]:
        """`Target` of each JSON-protocol request (`DynamoDB_20120810.Query`, ...), else method."""
        found = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            headers = {name.lower(): value for name, value in entry.get("headers", {}).items()}
            found.append(str(headers.get("x-amz-target") or entry.get("method")))
        return found


def scans(operations: list[str]) -> list[str]:
    return [operation for operation in operations if operation.endswith(".Scan")]


def _counted(names: list[str]) -> str:
    return ", ".join(
        f"{name} x{count}" if count > 1 else name for name, count in Counter(names).items()
    )


def records(executions: list[Execution], operations: list[str] | None = None) -> list[Record]:
    found = []
    if operations is not None:
        dynamodb = [name.split(".")[-1] for name in operations if name.startswith("DynamoDB_")]
        found.append(
            Record(
                "Scans on the local stack (the three executions)",
                len(scans(operations)),
                "calls",
                0,
                f"moto's recorder saw {len(operations)} AWS requests while the three reports were "
                f"submitted and reviewed, DynamoDB: {_counted(dynamodb)}",
            )
        )
    for execution in executions:
        floor, why = FLOORS[execution.path]
        found.append(
            Record(
                f"Step Functions transitions: {execution.path}",
                len(execution.entered),
                "transitions",
                floor,
                f"{' → '.join(execution.entered)}; {execution.lambda_tasks} Lambda invocations, "
                f"other tasks: {_counted(execution.service_tasks) or 'none'}. Floor {floor}: {why}",
            )
        )
    return found
