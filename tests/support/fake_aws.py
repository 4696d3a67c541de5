"""An environment in which boto3 can only ever reach moto: fake credentials, no endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from moto.dynamodb.models import DynamoDBBackend

from infra.moto_atomic import atomic_operations

REGION = "us-east-1"


@contextmanager
def fake_aws_environment(patch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "MOTO_PORT"):
        patch.delenv(name, raising=False)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", REGION)
    yield


@contextmanager
def atomic_moto_dynamodb() -> Iterator[None]:
    """moto's DynamoDB atomic per request (infra/moto_atomic.py), until the block ends."""
    with pytest.MonkeyPatch.context() as patch:
        for name, method in atomic_operations().items():
            patch.setattr(DynamoDBBackend, name, method)
        yield
