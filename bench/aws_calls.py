"""AWS calls per operation: one report's whole life, in-process on moto, each call counted.

The resident's and the staff's operations go through the Chalice app (`chalice.test.Client`);
the review workflow's Lambda steps are run with `Services.review_steps`, in the order the
state machine runs them for an approval; Step Functions' own DynamoDB write (the `AwaitDecision`
state storing its task token on the report) is made as the state machine makes it, and kept
apart: it is no Lambda's call, but it is billed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from chalicelib.models import Report
from tests.support.answers import theft_answers

from .deployment import Deployment
from .recorder import Call, CallRecorder
from .results import HarnessFailure, Record

APPROVAL_STEPS = (
    "confirm_submission",
    "assign_case_number",
    "render_copy",
    "export_to_records",
    "notify_decision",
)


@dataclass(frozen=True)
class Operation:
    key: str
    title: str
    floor: int
    why: str
    """Why no fewer calls could do the operation's job with the guarantees the README gives."""


OPERATIONS: dict[str, Operation] = {
    operation.key: operation
    for operation in (
        Operation(
            "verification",
            "request a verification",
            3,
            "one SendEmail, one TransactWriteItems for the address-and-client and client counters "
            "and the link's digest (conditions hits < allowed refuse an over-limit request; fewer "
            "calls, not fewer request units: a transaction bills double), and the address's own "
            "total apart: it is refused only to a client that asked before, which no condition "
            "on that item alone can say",
        ),
        Operation(
            "session",
            "open a session",
            2,
            "a conditional UpdateItem that uses the link once and returns its address, then the "
            "session's PutItem (a transaction cannot return the address)",
        ),
        Operation(
            "start",
            "start a report",
            3,
            "read the session, Query the resident's own drafts on the owner index (the cap on "
            "open drafts), write the draft",
        ),
        Operation(
            "step",
            "save a wizard step",
            2,
            "read the session, then one conditional UpdateItem (owner, draft) that sets only the "
            "answered questions and returns the merged answers (ReturnValues ALL_NEW) for "
            "screening and progress: the GetItem of the report before the PutItem is avoidable",
        ),
        Operation(
            "submit",
            "submit",
            4,
            "read the session and the report (completeness needs the answers), one "
            "TransactWriteItems for the day's submission count (condition: under the cap), "
            "draft→submitted and its audit event, StartExecution",
        ),
        Operation(
            "queue",
            "staff queue page",
            2,
            "GetItem the staff session (a sign-out or the idle limit must refuse the token at "
            "once, so the server asks on every request; its last_seen_at is written at most once "
            "a minute), then one Query on the by-status index; the ID token's signature is "
            "checked locally (JWKS cached)",
        ),
        Operation(
            "view",
            "view a report (staff)",
            4,
            "GetItem the staff session, GetItem the report, Query its audit trail, PutItem the "
            "audited view (3 only if the audit events shared the report's table and partition: "
            "one Query for both)",
        ),
        Operation(
            "decision",
            "decision",
            4,
            "GetItem the staff session, conditional UpdateItem returning the old task token, "
            "SendTaskSuccess, the audit PutItem; the closing GetItem re-reads what the update "
            "already knows",
        ),
        Operation(
            "workflow",
            "approval workflow (Lambda steps)",
            16,
            "per step: confirm 3 (read, email, audit); case number 3 (read the report once, read "
            "the counter, one transaction with counter, report and audit event); copy 3 (read, "
            "PutObject, audit); export 4 (read, PutObject, PutEvents, one transaction for "
            "exported_at and audit); email 3 (read, email, audit)",
        ),
        Operation(
            "copy",
            "download a copy",
            2,
            "read the session and the report; the HeadObject would go if the copy step recorded "
            "on the report that the copy is stored (in one transaction with its audit event)",
        ),
    )
}


@dataclass
class Measured:
    calls: list[Call]
    seconds: float


@dataclass
class Life:
    """What one approved report's life cost, operation by operation."""

    operations: dict[str, Measured] = field(default_factory=dict)
    steps: list[Measured] = field(default_factory=list)
    """Each wizard step save (the `step` operation is the first of them)."""
    workflow_steps: dict[str, Measured] = field(default_factory=dict)
    state_machine_writes: list[Call] = field(default_factory=list)
    """What Step Functions itself writes (AwaitDecision's task token)."""
    report_id: str = ""

    def all_calls(self) -> list[Call]:
        calls = [call for measured in self.operations.values() for call in measured.calls]
        calls += [call for measured in self.steps[1:] for call in measured.calls]
        return calls + self.state_machine_writes


def _measure(recorder: CallRecorder, action: Callable[[], Any]) -> tuple[Measured, Any]:
    started = time.perf_counter()
    with recorder.span() as calls:
        result = action()
    return Measured(calls, time.perf_counter() - started), result


def live_one_report(
    deployment: Deployment, recorder: CallRecorder, until: str | None = None
) -> Life:
    """Request a link, sign in, answer, submit, get reviewed and approved, download the copy.

    `until` stops after that operation (the harness's own test runs only the first ones).
    """
    life = Life()

    def measure(key: str, action: Callable[[], Any]) -> Any:
        life.operations[key], result = _measure(recorder, action)
        return result

    def done(key: str) -> bool:
        return until == key

    measure(
        "verification",
        lambda: deployment.request(
            "POST", "/api/verifications", {"email": "zoe@example.com"}, expect=(202,)
        ),
    )
    if done("verification"):
        return life
    resident = measure("session", deployment.open_session)
    if done("session"):
        return life
    report = measure(
        "start",
        lambda: deployment.request(
            "POST", "/api/reports", {"incident_type": "theft"}, resident, expect=(201,)
        ),
    ).json_body
    report_id = life.report_id = report["id"]
    answers = theft_answers()

    def save(questions: list[str]) -> Any:
        body = {"answers": {question: answers[question] for question in questions}}
        return deployment.request("PATCH", f"/api/reports/{report_id}", body, resident)

    for step in report["steps"]:
        measured, response = _measure(recorder, partial(save, step["questions"]))
        life.steps.append(measured)
    life.operations["step"] = life.steps[0]
    if not response.json_body["complete"]:
        raise HarnessFailure(f"the report is not complete after every step: {response.body!r}")
    measure(
        "submit",
        lambda: deployment.request("POST", f"/api/reports/{report_id}/submit", None, resident),
    )
    if done("submit"):
        return life

    def run(step: str, **extra: str) -> None:
        life.workflow_steps[step], _ = _measure(
            recorder,
            lambda: deployment.services.review_steps.run(
                {"step": step, "report_id": report_id, **extra}
            ),
        )

    run("confirm_submission")
    with recorder.span() as life.state_machine_writes:
        # AwaitDecision, as review.asl.json has Step Functions write it (a 1,000-odd byte token)
        deployment.services.aws.client("dynamodb").update_item(
            TableName=Report.Meta.table_name,
            Key={"report_id": {"S": report_id}},
            UpdateExpression="SET review_token = :token",
            ExpressionAttributeValues={":token": {"S": "T" * 1000}},
        )
    staff = deployment.staff
    measure("queue", lambda: deployment.request("GET", "/api/staff/reports", None, staff))
    measure(
        "view", lambda: deployment.request("GET", f"/api/staff/reports/{report_id}", None, staff)
    )
    measure(
        "decision",
        lambda: deployment.request(
            "POST",
            f"/api/staff/reports/{report_id}/decision",
            {"decision": "approve"},
            staff,
            expect=(202,),
        ),
    )
    run("assign_case_number")
    run("render_copy")
    run("export_to_records")
    run("notify_decision", decision="approve")
    life.operations["workflow"] = Measured(
        [call for step in APPROVAL_STEPS for call in life.workflow_steps[step].calls],
        sum(life.workflow_steps[step].seconds for step in APPROVAL_STEPS),
    )
    measure(
        "copy",
        lambda: deployment.request(
            "GET", f"/api/reports/{report_id}/copy", None, resident, expect=(302,)
        ),
    )
    return life


def call_list(calls: list[Call]) -> str:
    """`dynamodb:GetItem x2, ses:SendEmail`: each call once, counted, in order of first use."""
    counts = Counter(call.name + (f"({call.error})" if call.error else "") for call in calls)
    return ", ".join(f"{name} x{count}" if count > 1 else name for name, count in counts.items())


def scans(calls: list[Call]) -> list[str]:
    return [call.name for call in calls if call.operation == "Scan"]


def records(life: Life) -> list[Record]:
    found: list[Record] = []
    for key, operation in OPERATIONS.items():
        measured = life.operations.get(key)
        if measured is None:
            continue
        notes = f"{call_list(measured.calls)}. Floor {operation.floor}: {operation.why}"
        if key == "step":
            counts = sorted({len(step.calls) for step in life.steps})
            notes += f". All {len(life.steps)} steps of a theft: {counts} calls each"
        if key == "workflow":
            per_step = ", ".join(
                f"{step} {len(life.workflow_steps[step].calls)}" for step in APPROVAL_STEPS
            )
            notes += (
                f". Measured per step: {per_step}. Not counted (no Lambda makes it): Step "
                f"Functions' own {call_list(life.state_machine_writes)} in AwaitDecision"
            )
        found.append(
            Record(
                f"AWS calls: {operation.title}",
                len(measured.calls),
                "calls",
                operation.floor,
                notes,
            )
        )
    return found
