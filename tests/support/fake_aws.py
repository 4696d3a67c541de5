"""An environment in which boto3 can only ever reach moto: fake credentials, no endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

REGION = "us-east-1"


@contextmanager
def fake_aws_environment(patch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "MOTO_PORT"):
        patch.delenv(name, raising=False)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", REGION)
    yield
