"""An environment in which boto3 can only ever reach moto: fake credentials, no endpoints."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend

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
    """Make each moto DynamoDB call atomic, as each DynamoDB request is.

    moto checks a condition, then writes, in separate steps, and undoes a cancelled transaction by
    restoring whole tables from a copy: with threads it loses writes DynamoDB never would. One
    lock per request makes moto as atomic as the service, so a race found here is the app's.
    """
    lock = threading.RLock()
    operations = (
        "get_item",
        "put_item",
        "update_item",
        "delete_item",
        "query",
        "scan",
        "transact_write_items",
    )
    with pytest.MonkeyPatch.context() as patch:
        for name in operations:
            original = getattr(DynamoDBBackend, name)

            def locked(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                with lock:
                    return _original(*args, **kwargs)

            patch.setattr(DynamoDBBackend, name, locked)
        yield
