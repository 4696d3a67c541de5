"""Fixtures: moto in-process for unit and integration tests; the real local stack for e2e."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.client import BaseClient
from chalice.test import Client
from moto import mock_aws

from chalicelib import services, workflow
from chalicelib.logs import APP_LOGGER
from chalicelib.mail import RecordingOutbox
from chalicelib.settings import Settings
from infra import provision
from tests.support import local_stack
from tests.support.fake_aws import fake_aws_environment

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with fake_aws_environment(monkeypatch):
        yield


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> Settings:
    return Settings(
        stage="local",
        agency_profile="demo",
        resource_prefix="test",
        base_url="http://127.0.0.1:8000",
        region="us-east-1",
        verifications_per_address=3,
        verifications_per_client=10,
    )


@pytest.fixture
def outbox() -> RecordingOutbox:
    return RecordingOutbox()


class InstantReview:
    """Stands in for Step Functions: runs the workflow's steps at once, one execution per report."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.resumed: list[tuple[str, dict[str, object]]] = []
        self.services: services.Services | None = None

    def start(self, report_id: str) -> None:
        if report_id in self.started:
            return
        self.started.append(report_id)
        assert self.services is not None
        workflow.run_step(self.services, {"step": "confirm_submission", "report_id": report_id})

    def resume(self, task_token: str, output: dict[str, object]) -> None:
        self.resumed.append((task_token, output))


@pytest.fixture
def review() -> InstantReview:
    return InstantReview()


@pytest.fixture
def system(
    aws_credentials: None,
    settings: Settings,
    clock: FakeClock,
    outbox: RecordingOutbox,
    review: InstantReview,
) -> Iterator[services.Services]:
    """The application on moto in-process: tables from the models, the sender verified."""
    with mock_aws():
        current = services.install(
            services.Services(settings=settings, clock=clock, outbox=outbox, review=review)
        )
        review.services = current
        provision.create_tables(current.aws.client("dynamodb"))
        provision.verify_sender(current.aws.ses, current.agency.sender.address)
        yield current


@pytest.fixture
def client(system: services.Services) -> Iterator[Client]:
    from app import app

    with Client(app) as test_client:
        yield test_client


class EveryField(logging.Formatter):
    """The whole record, extras and exception text included, less the numbers every record has
    (times, thread and process ids), in which a six-digit code could turn up by chance."""

    NUMBERS = frozenset({"created", "msecs", "relativeCreated", "thread", "process", "lineno"})

    def format(self, record: logging.LogRecord) -> str:
        fields = {name: value for name, value in vars(record).items() if name not in self.NUMBERS}
        return json.dumps({**fields, "formatted": record.getMessage()}, default=str)


@pytest.fixture
def app_log() -> Iterator[io.StringIO]:
    """Everything the application logs from now on, every field of every record."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(EveryField())
    logger = logging.getLogger(APP_LOGGER)
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(previous)


@pytest.fixture
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS call made from now on, as `service:Operation`, in order."""
    calls: list[str] = []
    original = BaseClient._make_api_call

    def counted(self: BaseClient, operation: str, params: Any) -> Any:
        calls.append(f"{self.meta.service_model.service_name}:{operation}")
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counted)
    return calls


@pytest.fixture(scope="session")
def running_stack() -> Iterator[local_stack.RunningStack]:
    """One real local stack for the session's end-to-end and browser tests."""
    stack = local_stack.start(
        {"VERIFICATIONS_PER_ADDRESS": "3", "VERIFICATIONS_PER_CLIENT": "1000"}
    )
    yield stack
    local_stack.stop(stack)
