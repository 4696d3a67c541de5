"""The review under faults: every step of it, every AWS service the step calls, each failing
for a moment (transient) or for good (permanent).

The state machine (infra/statemachines/review.asl.json) really runs, on moto in-process
(`moto_deployment(execute_workflow=True)`): its Lambda steps are the app's own entry point and
its retries do not wait. Each cell of the matrix has its own resident and report. The fault is
injected where botocore makes the call (`BaseClient._make_api_call`, as the call budgets count
them), before it reaches moto, for the one report and the one step making the call: for a
Lambda step, the event it was sent; for the submit and the staff decision, the request; for the
state machine's own waits, their DynamoDB write. A transient fault fails each operation of the
service the first time the step asks for it (so also after the step's email went out, or its
object was stored), then lets it through; a permanent one fails every call.

Each cell drives its report through the submit and a staff decision (approval, or rejection or
a question for the steps only those reach) and checks what it came to: a transient fault, the
normal outcome with exactly one email of each kind; a permanent one, the report left needing
attention (a failed export: approved, the export owed) with nothing lost, and then, the fault
gone, an admin's retry (or re-push) completes it, still with one email of each kind and one
case number. The matrix is printed and written to test-artifacts/fault-matrix.md.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from botocore.client import BaseClient
from chalice.test import Client

from app import app
from chalicelib.intake.references import new_reference
from chalicelib.intake.reports import owner_key
from chalicelib.models import AuditEvent, Report, ResidentSession
from chalicelib.records import export_key
from chalicelib.status import ReportStatus
from chalicelib.tokens import digest, new_token
from tests.support.cognito_keys import moto_id_token
from tests.support.deployment import (
    REVIEW_STEP_EVENT,
    WORKFLOW_MOVES,
    open_staff_session,
    workflow_deployment,
)
from tests.support.in_process_api import InProcessApi

JSON = {"Content-Type": "application/json"}
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "fault-matrix.md"
SETTLE_SECONDS = 30.0
Path_ = Literal["approve", "reject", "request_info", "remind"]
Fault = Literal["transient", "permanent"]

MATRIX: dict[str, tuple[Path_, tuple[str, ...]]] = {
    "Submit": ("approve", ("dynamodb", "stepfunctions")),
    "ConfirmSubmission": ("approve", ("dynamodb", "ses")),
    "AwaitDecision": ("approve", ("dynamodb",)),
    "RemindStaff": ("remind", ("dynamodb", "ses")),
    "Decide": ("approve", ("dynamodb", "stepfunctions")),
    "AssignCaseNumber": ("approve", ("dynamodb",)),
    "RenderCopy": ("approve", ("dynamodb", "s3")),
    "ExportToRecords": ("approve", ("dynamodb", "events", "s3")),
    "EmailCaseNumber": ("approve", ("dynamodb", "ses")),
    "EmailRejection": ("reject", ("dynamodb", "ses")),
    "EmailInformationRequest": ("request_info", ("dynamodb", "ses")),
    "AwaitResident": ("request_info", ("dynamodb",)),
}
"""Each step (a state of the state machine, or the request that starts or resumes it), the
path that reaches it, and every AWS service it calls (checked against a clean run of each path:
`test_the_matrix_names_every_service_each_step_calls`)."""

STATE_OF_STEP = {
    ("confirm_submission", None): "ConfirmSubmission",
    ("remind_staff", None): "RemindStaff",
    ("assign_case_number", None): "AssignCaseNumber",
    ("render_copy", None): "RenderCopy",
    ("export_to_records", None): "ExportToRecords",
    ("notify_decision", "approve"): "EmailCaseNumber",
    ("notify_decision", "reject"): "EmailRejection",
    ("notify_decision", "request_info"): "EmailInformationRequest",
}
"""The Lambda Task state that sends each event (review.asl.json)."""
WAITS = {
    "SET review_token = :token": "AwaitDecision",
    "SET resident_token = :token": "AwaitResident",
}
"""The state machine's own DynamoDB writes of its task tokens, by their UpdateExpression."""
ERRORS = {
    "dynamodb": ("InternalServerError", 500),
    "ses": ("ServiceUnavailable", 503),
    "s3": ("ServiceUnavailable", 503),
    "events": ("InternalException", 500),
    "stepfunctions": ("ServiceUnavailable", 503),
}
"""What each service answers while it fails: the error its API documents for an outage."""
DECISION_EMAIL = {"approve": "approved", "reject": "rejected", "request_info": "info_requested"}
TIMELINE = {"approve": "approved", "reject": "rejected", "request_info": "information_requested"}
RIGHTFUL = {
    "approve": ReportStatus.APPROVED,
    "reject": ReportStatus.REJECTED,
    "request_info": ReportStatus.INFO_REQUESTED,
    "remind": ReportStatus.APPROVED,
}
DECISION_OF_PATH = {
    "approve": "approve",
    "reject": "reject",
    "request_info": "request_info",
    "remind": "approve",
}

WRITES = frozenset({"PutItem", "UpdateItem", "TransactWriteItems"})
ACTING: ContextVar[tuple[str, str] | None] = ContextVar("acting", default=None)
"""(step, report) while the test makes a request on the report's behalf: the submit, the
decision."""


@dataclass(frozen=True)
class Cell:
    step: str
    service: str
    fault: Fault

    @property
    def path(self) -> Path_:
        return MATRIX[self.step][0]

    @property
    def id(self) -> str:
        return f"{self.step}-{self.service}-{self.fault}"


CELLS = [
    Cell(step, service, fault)
    for step, (_, calls) in MATRIX.items()
    for service in calls
    for fault in ("transient", "permanent")
]


# -- the faults ----------------------------------------------------------------------------------


@dataclass
class ArmedFault:
    report_id: str
    cell: Cell
    failed: set[str] = field(default_factory=set)
    injected: int = 0

    def fails(self, operation: str) -> bool:
        if self.cell.fault == "permanent":
            return True
        if operation in self.failed:
            return False
        self.failed.add(operation)
        return True


class Faults:
    """Every AWS call the system makes passes here first: the call is placed (which report,
    which step), the armed fault for that report and step is injected as the service's error,
    and what got through is counted (records events published, copies stored)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, ArmedFault] = {}
        self.calls: defaultdict[str, set[str]] = defaultdict(set)
        """Step → the services it was seen calling."""
        self.delivered: Counter[tuple[str, str]] = Counter()
        """(report, "event" | "copy") → how many went through."""

    def arm(self, report_id: str, cell: Cell) -> None:
        with self._lock:
            self._armed[report_id] = ArmedFault(report_id, cell)

    def disarm(self, report_id: str) -> ArmedFault | None:
        with self._lock:
            return self._armed.pop(report_id, None)

    def install(self, patch: pytest.MonkeyPatch) -> None:
        original = BaseClient._make_api_call  # type: ignore[attr-defined]  # private: no stubs
        faults = self
        main = threading.current_thread()

        def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            placed = place(service, operation, params)
            if placed is not None:
                faults.before(client, service, operation, placed)
            try:
                result = original(client, operation, params)
            finally:
                # the state machine's own writes (a task token, needing attention): the
                # workflow moved without a step returning
                own = REVIEW_STEP_EVENT.get() is None and threading.current_thread() is not main
                if own and operation in WRITES:
                    WORKFLOW_MOVES.moved()
            faults.after(service, operation, params, result)
            return result

        patch.setattr(BaseClient, "_make_api_call", call)

    def before(
        self, client: BaseClient, service: str, operation: str, placed: tuple[str, str]
    ) -> None:
        step, report_id = placed
        with self._lock:
            self.calls[step].add(service)
            armed = self._armed.get(report_id)
            if armed is None or (armed.cell.step, armed.cell.service) != (step, service):
                return
            if not armed.fails(operation):
                return
            armed.injected += 1
        code, status = ERRORS[service]
        response = {
            "Error": {"Code": code, "Message": f"injected: {step} {service} {operation}"},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "fault-matrix"},
        }
        modelled: Any = client.exceptions.from_code(code)  # the service's own exception class
        raise modelled(response, operation)

    def after(
        self, service: str, operation: str, params: dict[str, Any], result: dict[str, Any]
    ) -> None:
        if service == "events" and operation == "PutEvents" and not result.get("FailedEntryCount"):
            for entry in params["Entries"]:  # one event names the JSON, then the NIBRS XML
                resource = entry["Resources"][0]
                with self._lock:
                    self.delivered[(resource.rsplit("/", 1)[1].split(".")[0], "event")] += 1
        if service == "s3" and operation == "PutObject" and params["Key"].startswith("copies/"):
            with self._lock:
                self.delivered[(params["Key"].rsplit("/", 1)[1].split(".")[0], "copy")] += 1


def place(service: str, operation: str, params: dict[str, Any]) -> tuple[str, str] | None:
    """Which step of which report makes this call, if any does (the test's own calls: none)."""
    event = REVIEW_STEP_EVENT.get()
    if event is not None:
        state = STATE_OF_STEP[(str(event["step"]), event.get("decision"))]
        return state, str(event["report_id"])
    acting = ACTING.get()
    if acting is not None:
        return acting
    if service == "dynamodb" and operation == "UpdateItem":
        wait = WAITS.get(str(params.get("UpdateExpression", "")))
        if wait is not None and str(params.get("TableName", "")).endswith("-reports"):
            return wait, str(params["Key"]["report_id"]["S"])
    return None


@contextmanager
def acting(step: str, report_id: str) -> Iterator[None]:
    token = ACTING.set((step, report_id))
    try:
        yield
    finally:
        ACTING.reset(token)


# -- the deployment ------------------------------------------------------------------------------


@dataclass
class World(InProcessApi):
    faults: Faults
    reviewer: dict[str, str]
    admin: dict[str, str]
    results: dict[str, Outcome] = field(default_factory=dict)
    drafted: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each report's answers as the resident left them, before any fault."""
    template: dict[str, Any] = field(default_factory=dict)
    """A complete theft's answers, as the API stores them."""

    def draft(self, resident: dict[str, str]) -> str:
        """A complete theft report, every step answered through the API, not yet submitted."""
        report_id = self.answered_theft(resident)
        self.drafted[report_id] = report_of(report_id).answers
        return report_id

    def signed_in(self, address: str) -> dict[str, str]:
        """A resident's bearer header: the session their emailed link opens, written as
        `EmailVerification.open_session` writes it (the cells need not walk the link each)."""
        token, now = new_token(), self.services.clock()
        ResidentSession(
            session_digest=digest(token),
            email=address,
            language="en",
            created_at=now,
            expires_at=now + self.services.settings.session_ttl,
        ).save()
        return {"Authorization": f"Bearer {token}"}

    def complete_draft(self, address: str) -> str:
        """A theft report of `address` with every step answered, as the wizard leaves it: the
        answers of the draft answered through the API at set-up (`template`), not submitted."""
        agency, now = self.services.agency, self.services.clock()
        report = Report(
            report_id=new_reference(agency.short_code),
            owner_key=owner_key(address),
            contact_email=address,
            language="en",
            incident_type="theft",
            status=ReportStatus.DRAFT,
            answers=dict(self.template),
            created_at=now,
            updated_at=now,
            expires_at=now + timedelta(days=agency.retention.draft_days),
        )
        assert self.services.store.insert(report)
        self.drafted[report.report_id] = dict(self.template)
        return report.report_id

    def execution_arn(self, name: str) -> str:
        arn = self.deployment.state_machine_arn
        assert arn is not None
        return arn.replace(":stateMachine:", ":execution:") + f":{name}"


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with (
        pytest.MonkeyPatch.context() as patch,
        workflow_deployment("faults", verifications_per_address_total=1000) as built,
        Client(app) as client,
    ):
        assert built.pool is not None
        pool = built.pool

        def staff(name: str, group: str) -> dict[str, str]:
            token = moto_id_token(pool.issuer, pool.client_id, name, [group])
            return {"Authorization": f"Bearer {open_staff_session(token)}"}

        faults = Faults()
        faults.install(patch)
        built_world = World(
            built, client, faults, staff("reviewer", "reviewers"), staff("admin", "admins")
        )
        answered = built_world.draft(built_world.resident("template@example.com"))
        built_world.template = dict(built_world.drafted[answered])
        yield built_world


# -- driving one report --------------------------------------------------------------------------


@dataclass
class Snapshot:
    """What a report came to, at a moment."""

    status: str
    case_number: str | None
    copy_stored: bool
    copy_in_s3: bool
    export_owed: bool
    events: int
    copies: int
    emails: dict[str, int]
    answers_intact: bool
    failure: str | None

    def label(self) -> str:
        text = self.status.replace("_", " ")
        if self.status == ReportStatus.NEEDS_ATTENTION and self.failure:
            text += f" ({self.failure})"
        if self.export_owed:
            text += ", export owed"
        return text


@dataclass
class Outcome:
    cell: Cell
    report_id: str
    injected: int
    after_fault: Snapshot
    final: Snapshot
    action: str
    """What was done once the fault was gone: nothing, an admin's retry, a re-push, ..."""
    answers: list[int]
    """Every HTTP status the report's own requests got."""


def report_of(report_id: str) -> Report:
    return Report.get(report_id, consistent_read=True)


def wait_for(
    world: World, report_id: str, done: Callable[[Report], bool], seconds: float = SETTLE_SECONDS
) -> Report:
    """The report once `done` holds for it (or at the deadline), looked at again whenever the
    workflow moves (`WORKFLOW_MOVES`: a step returned, an execution ended, the state machine
    wrote), and every half second in case."""
    deadline = time.monotonic() + seconds
    while True:
        seen = WORKFLOW_MOVES.count
        report = report_of(report_id)
        if done(report) or time.monotonic() > deadline:
            return report
        WORKFLOW_MOVES.wait_after(seen, 0.5)


def running(world: World, report: Report) -> bool:
    """Whether one of the report's executions is still running: the first (named after the
    report) or an admin's retry."""
    retries = int(report.retries or 0)
    names = [report.report_id] + [f"{report.report_id}-retry-{n}" for n in range(1, retries + 1)]
    stepfunctions = world.services.aws.stepfunctions
    for name in reversed(names):
        try:
            described = stepfunctions.describe_execution(executionArn=world.execution_arn(name))
        except stepfunctions.exceptions.ExecutionDoesNotExist:
            continue
        if described["status"] == "RUNNING":
            return True
    return False


def at_rest(world: World, report: Report) -> bool:
    """The report's workflow waits on someone, or has ended."""
    if report.status == ReportStatus.SUBMITTED and report.review_token:
        return True
    if report.status == ReportStatus.INFO_REQUESTED and report.resident_token:
        return True
    return not running(world, report)


def settle(world: World, report_id: str) -> Report:
    return wait_for(world, report_id, lambda report: at_rest(world, report))


def reminded(world: World, report_id: str) -> Report:
    """A report whose promised time passed: once its reminder step is done and a decision is
    waited for again, or its workflow stopped."""
    return wait_for(
        world,
        report_id,
        lambda report: bool(report.past_sla and report.review_token) or not running(world, report),
    )


def emails_about(world: World, address: str, report_id: str) -> dict[str, int]:
    kinds = Counter(
        message["kind"]
        for message in world.deployment.outbox.as_json()
        if message["to"] == address and message["kind"] != "verification"
    )
    mailbox = world.services.agency.review.staff_email
    kinds["staff_reminder"] = sum(
        1
        for message in world.deployment.outbox.as_json()
        if message["to"] == mailbox and report_id in message["subject"]
    )
    return {kind: count for kind, count in sorted(kinds.items()) if count}


def snapshot(world: World, report_id: str, address: str) -> Snapshot:
    report = report_of(report_id)
    listed = world.services.aws.s3.list_objects_v2(
        Bucket=world.services.settings.bucket_name, Prefix=f"copies/{report_id}."
    )
    in_s3 = bool(listed.get("KeyCount"))
    return Snapshot(
        status=str(report.status),
        case_number=report.case_number,
        copy_stored=report.copy_stored_at is not None,
        copy_in_s3=in_s3,
        export_owed=report.export_state == "failed",
        events=world.faults.delivered[(report_id, "event")],
        copies=world.faults.delivered[(report_id, "copy")],
        emails=emails_about(world, address, report_id),
        answers_intact=report.answers == world.drafted[report_id],
        failure=report.failure,
    )


def with_retries(answers: list[int], send: Callable[[], Any], attempts: int = 6) -> Any:
    """Send the request again while it is refused for a moment (503), as a person would."""
    for _ in range(attempts):
        response = send()
        answers.append(response.status_code)
        if response.status_code != 503:
            return response
    return response


def submit(
    world: World, cell: Cell, report_id: str, resident: dict[str, str], answers: list[int]
) -> int:
    """The resident submits (again while refused for a moment); the last answer's status."""
    if cell.path == "remind":
        # This review's promised time passes in a second: the same submit, by a deployment
        # whose waits are that short (installing it instead would rebind every model).
        late = world.services.with_settings(review_sla_seconds=1)
        session = resident["Authorization"].removeprefix("Bearer ")
        late.reports.submit(world.services.verification.resident(session), report_id)
        answers.append(200)
        return 200

    def send() -> Any:
        with acting("Submit", report_id):
            return world.request("POST", f"/api/reports/{report_id}/submit", resident)

    response = with_retries(answers, send)
    assert response.status_code in (200, 503), response.body
    return int(response.status_code)


def decide(world: World, report_id: str, path: Path_, answers: list[int]) -> Any:
    decision = DECISION_OF_PATH[path]
    body: dict[str, str] = {"decision": decision}
    if decision == "reject":
        body["reason"] = "This happened outside Riverton."
    elif decision == "request_info":
        body["reason"] = "What colour was the bicycle?"

    def send() -> Any:
        with acting("Decide", report_id):
            return world.request(
                "POST", f"/api/staff/reports/{report_id}/decision", world.reviewer, body
            )

    return with_retries(answers, send, attempts=3)


def review(
    world: World, cell: Cell, report_id: str, answers: list[int], *, late: bool = True
) -> Report:
    """From a submitted report, as far as the review goes: the reminder if the path has one
    (and the review is `late`), the decision, and the steps after it."""
    report = settle(world, report_id)
    if cell.path == "remind" and late and report.status == ReportStatus.SUBMITTED:
        report = reminded(world, report_id)
    for _ in range(3):  # a reminder may end the token a decision was about to use: wait again
        if not (report.status == ReportStatus.SUBMITTED and report.review_token):
            break
        decided = decide(world, report_id, cell.path, answers)
        report = settle(world, report_id)
        if decided.status_code != 409:
            break
    return report


def complete(world: World, cell: Cell, report_id: str, resident: dict[str, str]) -> str:
    """With the fault gone: what it takes to finish the report, done; its name."""
    report = report_of(report_id)
    answers: list[int] = []
    if report.status == ReportStatus.NEEDS_ATTENTION:
        retried = world.request("POST", f"/api/staff/reports/{report_id}/retry", world.admin)
        assert retried.status_code == 202, retried.body
        assert retried.json_body["id"] == report_id
        action = f"admin retry → {retried.json_body['status'].replace('_', ' ')}"
        if retried.json_body["status"] == ReportStatus.SUBMITTED:
            review(world, cell, report_id, answers, late=False)  # a retry waits anew
        else:
            settle(world, report_id)
    elif report.export_state == "failed":
        pushed = world.request("POST", f"/api/staff/reports/{report_id}/export", world.admin)
        assert pushed.status_code == 202, pushed.body
        action = "admin re-push"
    elif report.status == ReportStatus.DRAFT:
        assert submit(world, cell, report_id, resident, answers) == 200
        review(world, cell, report_id, answers)
        action = "resident submits again"
    elif report.status == ReportStatus.SUBMITTED and report.review_token:
        review(world, cell, report_id, answers, late=False)
        action = "staff decide again"
    else:
        action = "—"
    assert all(status < 500 for status in answers), answers
    return action


def play(world: World, cell: Cell) -> Outcome:
    address = f"{cell.id.lower()}@example.com"
    resident = world.signed_in(address)
    report_id = world.complete_draft(address)
    world.faults.arm(report_id, cell)
    answers: list[int] = []
    try:
        if submit(world, cell, report_id, resident, answers) == 200:
            review(world, cell, report_id, answers)
        settle(world, report_id)
    finally:
        armed = world.faults.disarm(report_id)
    after_fault = snapshot(world, report_id, address)
    action = complete(world, cell, report_id, resident)
    outcome = Outcome(
        cell,
        report_id,
        armed.injected if armed else 0,
        after_fault,
        snapshot(world, report_id, address),
        action,
        answers,
    )
    world.results[cell.id] = outcome
    return outcome


# -- the matrix ----------------------------------------------------------------------------------


def expected_emails(path: Path_) -> dict[str, int]:
    return {"submitted": 1, DECISION_EMAIL[DECISION_OF_PATH[path]]: 1}


@pytest.mark.parametrize("cell", CELLS, ids=[cell.id for cell in CELLS])
def test_a_fault_loses_nothing_and_sends_nothing_twice(world: World, cell: Cell) -> None:
    outcome = play(world, cell)
    first, final = outcome.after_fault, outcome.final
    rightful = RIGHTFUL[cell.path]
    approved = rightful == ReportStatus.APPROVED

    assert outcome.injected > 0, "the fault was never met: the matrix names a call not made"
    assert all(status < 500 or status == 503 for status in outcome.answers), outcome.answers
    assert first.answers_intact and final.answers_intact, "the answers are intact"
    if cell.fault == "transient":
        assert first.status == rightful, first
        assert not first.export_owed, first
    elif cell.step == "ExportToRecords":
        assert (first.status, first.export_owed) == (ReportStatus.APPROVED, True), first
    elif cell.step in ("Submit", "Decide") and cell.service == "dynamodb":
        assert first.status in (ReportStatus.DRAFT, ReportStatus.SUBMITTED), first
    elif cell.step == "Decide":
        assert first.status == ReportStatus.SUBMITTED, "the decision is undone, not lost"
    else:
        assert first.status == ReportStatus.NEEDS_ATTENTION, first
    if first.case_number:
        assert final.case_number == first.case_number, "the case number is kept"
    if first.copy_stored:
        assert first.copy_in_s3, "a copy recorded as stored is in S3"

    assert final.status == rightful, final
    assert not final.export_owed, final
    reminders = final.emails.get("staff_reminder", 0)
    assert {k: v for k, v in final.emails.items() if k != "staff_reminder"} == expected_emails(
        cell.path
    ), final.emails
    report = report_of(outcome.report_id)
    assert reminders == len([n for n in report.notices or () if n.startswith("staff_reminder@")])
    if cell.path == "remind" and cell.fault == "transient":
        assert reminders >= 1, "the late review was reminded"
    if approved:
        assert final.case_number and final.copy_in_s3 and final.copy_stored, final
        assert final.events == 1, "one records event"
        assert final.copies == 1, "the copy was rendered and stored once"
        numbers = {
            event.details["case_number"]
            for event in AuditEvent.query(outcome.report_id)
            if event.action == "case_number_assigned" and event.details
        }
        assert numbers == {final.case_number}, "one case number"
        stored = world.services.aws.s3.head_object(
            Bucket=world.services.settings.bucket_name, Key=export_key(outcome.report_id)
        )
        assert stored["ContentType"] == "application/json"
    else:
        assert final.case_number is None and final.events == 0
    timeline = [
        event["event"] for event in world.services.audit.resident_timeline(outcome.report_id)
    ]
    assert sorted(timeline) == sorted(["submitted", TIMELINE[DECISION_OF_PATH[cell.path]]]), (
        "the resident's timeline has each event once"
    )
    if cell.fault == "permanent" and outcome.action.startswith("admin retry"):
        trail = [(e.actor, e.action, e.outcome) for e in AuditEvent.query(outcome.report_id)]
        assert ("admin", "retried", "succeeded") in trail


def test_the_matrix_names_every_service_each_step_calls(world: World) -> None:
    """After the cells (each path ran, faults or not): the services each step was seen calling
    are the ones the matrix tries, no more, no fewer."""
    seen = {step: tuple(sorted(calls)) for step, calls in world.faults.calls.items()}
    assert seen == {step: calls for step, (_, calls) in MATRIX.items()}


def test_an_admin_retry_is_refused_for_a_report_that_does_not_need_attention(
    world: World,
) -> None:
    resident = world.resident("not-stuck@example.com")
    report_id = world.draft(resident)

    refused = world.request("POST", f"/api/staff/reports/{report_id}/retry", world.admin)
    reviewer = world.request("POST", f"/api/staff/reports/{report_id}/retry", world.reviewer)
    unknown = world.request("POST", "/api/staff/reports/RPD-ZZZZ-ZZZZ/retry", world.admin)

    assert refused.status_code == 409, refused.body
    assert "needs attention" in refused.json_body["error"]["message"]
    assert reviewer.status_code == 403, reviewer.body
    assert unknown.status_code == 404, unknown.body


# -- the table -----------------------------------------------------------------------------------


def emails_text(emails: dict[str, int]) -> str:
    return ", ".join(f"{kind} ({count})" if count > 1 else kind for kind, count in emails.items())


def matrix_table(results: dict[str, Outcome]) -> str:
    lines = [
        "| step | service | fault | calls failed | after the fault | then | final state | "
        "emails sent | case number | copy stored | records events |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for cell in CELLS:
        outcome = results.get(cell.id)
        if outcome is None:
            lines.append(f"| {cell.step} | {cell.service} | {cell.fault} | not run |" + " |" * 7)
            continue
        final = outcome.final
        refused = outcome.answers.count(503)
        then = outcome.action
        if refused and then == "—":
            then = f"asked again after {refused} × 503"  # noqa: RUF001 - a multiplication sign
        lines.append(
            f"| {cell.step} | {cell.service} | {cell.fault} | {outcome.injected} | "
            f"{outcome.after_fault.label()} | {then} | {final.label()} | "
            f"{emails_text(final.emails)} | {'one' if final.case_number else '—'} | "
            f"{f'{final.copies}' if final.copies else '—'} | {final.events or '—'} |"
        )
    return "\n".join(lines) + "\n"


def test_the_matrix_is_printed_and_written(world: World) -> None:
    """Last in the file: the table of every cell that ran (pytest -s shows it)."""
    table = matrix_table(world.results)
    print("\n" + table)
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(
        "# Fault matrix\n\nWritten by tests/integration/test_fault_matrix.py.\n\n" + table,
        encoding="utf-8",
    )
    assert ARTIFACT.read_text(encoding="utf-8").count("\n| ") == len(CELLS) + 2
