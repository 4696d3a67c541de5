"""Fixtures: moto in-process for unit and integration tests; the real local stack for e2e."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient
from chalice.test import Client

from chalicelib import services
from chalicelib.logs import APP_LOGGER
from chalicelib.mail import RecordingOutbox
from chalicelib.settings import Settings
from tests.support import local_stack
from tests.support.deployment import TEST_SETTINGS, FakeClock, InstantReview, moto_deployment
from tests.support.fake_aws import fake_aws_environment


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with fake_aws_environment(monkeypatch):
        yield


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> Settings:
    return TEST_SETTINGS.model_copy(
        update={"verifications_per_address": 3, "verifications_per_client": 10}
    )


@pytest.fixture
def outbox() -> RecordingOutbox:
    return RecordingOutbox()


@pytest.fixture
def review() -> InstantReview:
    return InstantReview()


@pytest.fixture
def system(
    settings: Settings,
    clock: FakeClock,
    outbox: RecordingOutbox,
    review: InstantReview,
) -> Iterator[services.Services]:
    """The application on moto in-process: tables from the models, the sender verified."""
    with moto_deployment(settings=settings, clock=clock, outbox=outbox, review=review) as built:
        yield built.services


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
    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # private: not in the stubs

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
