"""One way to build the application on moto in-process, for every fixture and the benchmarks.

`moto_deployment(...)` creates the tables from the models and whatever else is asked for (a staff
pool, with or without required MFA; the reports bucket; the review state machine, recorded or
executed), installs a `Services` built from the settings given (or `TEST_SETTINGS` with
`overrides`), and yields it with the stand-ins it was given. Until the block ends,
`services.current()` is that deployment.

A staff ID token minted without signing in (`cognito_keys.moto_id_token`, or a test's own key)
is refused until `open_staff_session` opens its session, as a sign-in would.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Literal

import jwt
import pytest
from botocore.exceptions import ClientError
from chalice.local import LambdaContext
from moto import mock_aws
from moto.awslambda.models import LambdaFunction
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk,
    state_task_service_dynamodb,
)
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

from chalicelib import services
from chalicelib.aws import AwsClients
from chalicelib.intake.reports import ReviewStarter
from chalicelib.mail import RecordingOutbox
from chalicelib.review.staff import GROUPS, SignedIn, StaffTokens
from chalicelib.routes import tasks
from chalicelib.settings import Settings
from chalicelib.status import Decision
from infra import provision
from tests.support.cognito_keys import moto_signing_keys
from tests.support.fake_aws import REGION, atomic_moto_dynamodb, fake_aws_environment

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
FAKE_FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:self-report-local-review_step"
DEMO_PASSWORD = "Demo-Passw0rd!"
MINTED_ACCESS_TOKEN = "minted-without-cognito"  # Cognito knows no such token
REVIEW_STEP_EVENT: ContextVar[Mapping[str, Any] | None] = ContextVar(
    "review_step_event", default=None
)
"""While the review's Lambda step runs (an executed state machine's): the event it was sent."""


class WorkflowMoves:
    """How many times an executed state machine has moved: a Lambda step returned, an execution
    ended, or a test said so (`moved`). A test waiting on the workflow notes `count`, looks,
    and if it must wait, waits for the count to change (`wait_after`), not on a timer."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.count = 0

    def moved(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def wait_after(self, seen: int, seconds: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self.count != seen, seconds)


WORKFLOW_MOVES = WorkflowMoves()
TEST_SETTINGS = Settings(
    stage="local",
    agency_profile="demo",
    resource_prefix="test",
    base_url="http://127.0.0.1:8000",
    region=REGION,
)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class InstantReview:
    """Stands in for Step Functions: runs the workflow's first step at once, one execution per
    report, with the steps of the deployment installed now."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.resumed: list[tuple[str, dict[str, object]]] = []
        self.restarted: list[tuple[str, str, Decision | None]] = []

    def start(self, report_id: str) -> None:
        if report_id in self.started:
            return
        self.started.append(report_id)
        services.current().review_steps.run({"step": "confirm_submission", "report_id": report_id})

    def resume(self, task_token: str, output: dict[str, object]) -> None:
        self.resumed.append((task_token, output))

    def restart(self, report_id: str, name: str, decision: Decision | None) -> None:
        self.restarted.append((report_id, name, decision))


class RecordingStepFunctions:
    """Takes the desk's `SendTaskSuccess` calls: records each, or fails the next as AWS would."""

    def __init__(self) -> None:
        self.successes: list[tuple[str, dict[str, Any]]] = []
        self.failures: list[ClientError] = []
        self._lock = threading.Lock()

    def send_task_success(self, *, taskToken: str, output: str) -> None:
        with self._lock:
            if self.failures:
                raise self.failures.pop(0)
            self.successes.append((taskToken, json.loads(output)))

    def reset(self) -> None:
        with self._lock:
            self.successes.clear()
            self.failures.clear()


class AwsWithStepFunctions(AwsClients):
    """moto's clients, except a stand-in for the Step Functions client."""

    def __init__(self, region: str, stepfunctions: RecordingStepFunctions) -> None:
        super().__init__(region)
        self._stand_in = stepfunctions

    @cached_property
    def stepfunctions(self) -> Any:
        return self._stand_in


@dataclass(frozen=True)
class StaffPool:
    pool_id: str
    client_id: str
    issuer: str


@dataclass
class Deployment:
    services: services.Services
    clock: Any
    outbox: RecordingOutbox
    stepfunctions: RecordingStepFunctions | None
    pool: StaffPool | None = None
    state_machine_arn: str | None = None

    @property
    def cognito(self) -> Any:
        return self.services.aws.cognito_idp


@contextmanager
def moto_deployment(
    *,
    settings: Settings = TEST_SETTINGS,
    overrides: Mapping[str, Any] | None = None,
    clock: Any = None,
    outbox: RecordingOutbox | None = None,
    review: ReviewStarter | Literal["step_functions"] | None = None,
    staff_pool: Literal["demo", "mfa", "empty"] | None = None,
    staff_tokens: StaffTokens | None = None,
    stepfunctions: RecordingStepFunctions | None = None,
    bucket: bool = False,
    state_machine: bool = False,
    verify_sender: bool = True,
    atomic_dynamodb: bool = False,
    execute_workflow: bool = False,
) -> Iterator[Deployment]:
    """The application on moto in-process.

    `review` is the workflow starter: an `InstantReview` by default, or the real Step Functions
    adapter with "step_functions" (moto records the executions). `staff_pool` makes a staff
    pool: "demo" with the demo users (password `DEMO_PASSWORD`), "mfa" requiring TOTP as a
    deployed pool does, "empty" with no users; its ID tokens are checked with moto's key unless
    `staff_tokens` is given. `stepfunctions` stands in for the desk's Step Functions client.

    `execute_workflow` makes the state machine and runs it, as the local stack does: moto's
    Step Functions executes review.asl.json, its Lambda Task states call the app's own
    `review_step` entry point in this process (`REVIEW_STEP_EVENT` holds the event meanwhile;
    `WORKFLOW_MOVES` counts each step's return and each execution's end),
    a Task's `Retry` does not wait its `IntervalSeconds`, the definition is parsed once and the
    clients of the state machine's own calls are made once.
    Executions still running when the block ends are stopped.
    """
    clock = clock if clock is not None else FakeClock()
    outbox = outbox if outbox is not None else RecordingOutbox()
    with ExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        stack.enter_context(fake_aws_environment(patch))
        if staff_pool == "mfa":
            patch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
        if execute_workflow:
            stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
            patch.setattr(LambdaFunction, "_invoke_lambda", _run_review_step)
            patch.setattr(retrier_decl, "time", _NoWaits)
            # moto parses the definition anew for every execution (a tenth of a second or
            # more); its parsed states keep no execution's state, so one parse serves them all
            parse = functools.lru_cache(maxsize=4)(AmazonStateLanguageParser.parse)
            patch.setattr(AmazonStateLanguageParser, "parse", staticmethod(parse))
            # and it builds a boto3 client for every Task it runs (tens of milliseconds each);
            # botocore's clients are safe to share between threads
            ended = BaseExecutionWorkerCommunication.terminated
            patch.setattr(BaseExecutionWorkerCommunication, "terminated", _moved(ended))
            shared = _SharedClients()
            for module in (
                lambda_eval_utils,
                state_task_service_aws_sdk,
                state_task_service_dynamodb,
            ):
                patch.setattr(module, "boto_client_for", shared)
            state_machine = True
        else:
            stack.enter_context(mock_aws())
        if atomic_dynamodb:
            stack.enter_context(atomic_moto_dynamodb())
        changes = dict(overrides or {})
        aws = (
            AwsWithStepFunctions(settings.region, stepfunctions)
            if stepfunctions is not None
            else AwsClients(settings.region)
        )
        pool = _staff_pool(aws, settings, staff_pool) if staff_pool else None
        if pool is not None:
            changes.update(user_pool_id=pool.pool_id, user_pool_client_id=pool.client_id)
        state_machine_arn = _state_machine(aws, settings) if state_machine else None
        if state_machine_arn:
            changes.update(state_machine_arn=state_machine_arn)
        if execute_workflow:
            assert state_machine_arn is not None
            _review_step_function(aws)
            stack.callback(_stop_executions, aws, state_machine_arn)
        final = settings.model_copy(update=changes)
        if staff_tokens is None and pool is not None:
            staff_tokens = StaffTokens(
                issuer=pool.issuer, audience=pool.client_id, signing_keys=moto_signing_keys
            )
        current = services.install(
            services.Services(
                settings=final,
                aws=aws,
                clock=clock,
                outbox=outbox,
                review=None if review == "step_functions" else review or InstantReview(),
                staff_tokens=staff_tokens,
            )
        )
        provision.create_tables(aws.client("dynamodb"))
        if bucket:
            provision.create_bucket(aws.s3, final.bucket_name, final.region)
        if verify_sender:
            provision.verify_sender(aws.ses, current.agency.sender.address)
        yield Deployment(current, clock, outbox, stepfunctions, pool, state_machine_arn)


def workflow_deployment(
    prefix: str, **limits: Any
) -> contextlib.AbstractContextManager[Deployment]:
    """A deployment whose review workflow really runs (Step Functions executes the state
    machine in-process), with an empty staff pool and the copies' bucket, its tables named by
    `prefix`, and limits a module's many residents fit in (or `limits`)."""
    settings = TEST_SETTINGS.model_copy(
        update={
            "resource_prefix": prefix,
            "verifications_per_address": 1000,
            "verifications_per_client": 100000,
            "review_sla_seconds": 3600,
            "info_request_seconds": 3600,
            **limits,
        }
    )
    return moto_deployment(
        settings=settings,
        review="step_functions",
        staff_pool="empty",
        bucket=True,
        execute_workflow=True,
    )


def open_staff_session(id_token: str) -> str:
    """Open the server-side session a sign-in would open for `id_token`, through the installed
    deployment's own `StaffSessions` (the real table, nothing bypassed); the token, for chaining.

    Cognito issued no access token for a minted ID token: the session holds a stand-in, which
    GlobalSignOut refuses at sign-out, as it refuses a sign-in already revoked."""
    claims = jwt.decode(id_token, options={"verify_signature": False})
    services.current().staff_sessions.open(
        SignedIn(
            token=id_token,
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
            username=str(claims.get("cognito:username") or claims["sub"]),
            groups=frozenset(claims.get("cognito:groups") or ()) & frozenset(GROUPS),
            access_token=MINTED_ACCESS_TOKEN,
        )
    )
    return id_token


def _staff_pool(
    aws: AwsClients, settings: Settings, kind: Literal["demo", "mfa", "empty"]
) -> StaffPool:
    pool_id, client_id = provision.create_staff_pool(
        aws.cognito_idp,
        f"{settings.resource_prefix}-staff{'-mfa' if kind == 'mfa' else ''}",
        DEMO_PASSWORD if kind == "demo" else None,
        mfa_required=kind == "mfa",
    )
    issuer = f"https://cognito-idp.{settings.region}.amazonaws.com/{pool_id}"
    return StaffPool(pool_id, client_id, issuer)


def _moved(ended: Any) -> Any:
    """An execution's end, as moto records it, then counted in `WORKFLOW_MOVES`."""

    def terminated(communication: Any) -> None:
        ended(communication)
        WORKFLOW_MOVES.moved()

    return terminated


class _SharedClients:
    """moto's Step Functions' `boto_client_for`, each client made once (for one deployment)."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def __call__(self, region: str, service: str, state_credentials: Any = None) -> Any:
        with self._lock:
            if (region, service) not in self._clients:
                self._clients[(region, service)] = boto_client_for(region, service)
            return self._clients[(region, service)]


class _NoWaits:
    """What the state machine's retrier sees as `time`: a retry's interval passes at once."""

    @staticmethod
    def sleep(seconds: float) -> None:
        return None


def _run_review_step(function: Any, event: Any = None) -> tuple[str, bool, str]:
    """moto's Lambda invocation, for the review step: the app's entry point in this process; an
    exception is a function error with its type, as Lambda reports one to Step Functions."""
    payload = event if isinstance(event, dict) else json.loads(event or "{}")
    running = REVIEW_STEP_EVENT.set(payload)
    try:
        result = tasks.review_step(payload, LambdaContext(function.function_name, 256))
    except Exception as error:  # noqa: BLE001 - reported as the function's error, like AWS
        return json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}), True, ""
    finally:
        REVIEW_STEP_EVENT.reset(running)
        WORKFLOW_MOVES.moved()
    return json.dumps(result), False, ""


def _review_step_function(aws: AwsClients) -> None:
    """The Lambda function the state machine names (`FAKE_FUNCTION_ARN`), with no code."""
    lambda_client = aws.client("lambda")
    role_arn = provision.create_execution_role(aws.client("iam"), "review-step-function")
    name = FAKE_FUNCTION_ARN.rsplit(":", 1)[1]
    provision.create_functions(lambda_client, role_arn, [name])


def _stop_executions(aws: AwsClients, state_machine_arn: str) -> None:
    for page in aws.stepfunctions.get_paginator("list_executions").paginate(
        stateMachineArn=state_machine_arn, statusFilter="RUNNING"
    ):
        for execution in page["executions"]:
            aws.stepfunctions.stop_execution(executionArn=execution["executionArn"])


def _state_machine(aws: AwsClients, settings: Settings) -> str:
    prefix = settings.resource_prefix
    role_arn = provision.create_execution_role(aws.client("iam"), f"{prefix}-execution")
    return provision.create_state_machine(
        aws.stepfunctions,
        f"{prefix}-review",
        role_arn,
        provision.REVIEW_STATE_MACHINE,
        {
            "ReviewStepFunctionArn": FAKE_FUNCTION_ARN,
            "ReportsTableName": f"{prefix}-reports",
            "AuditTableName": f"{prefix}-audit",
        },
    )
