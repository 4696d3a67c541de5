"""The application on moto in-process, set up as the tests' `system` fixture sets it up.

Tables come from `infra.provision.create_tables`, the sender is verified, the bucket and the
review state machine exist (moto records executions but does not run them in-process: the
workflow's Lambda steps are run with `chalicelib.workflow.run_step`), and staff ID tokens are
signed with moto's own Cognito key and checked by a `StaffTokens` given that key, as
tests/integration/test_staff_authorization.py does.
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import jwt
from chalice.test import Client
from moto import mock_aws

from chalicelib import services
from chalicelib.logs import APP_LOGGER
from chalicelib.mail import RecordingOutbox
from chalicelib.review.staff import StaffTokens
from chalicelib.settings import Settings
from infra import provision

from .results import HarnessFailure

REGION = "us-east-1"
PREFIX = "bench"
JSON = {"Content-Type": "application/json"}
FAKE_FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:self-report-local-review_step"

_MOTO_KEYS = importlib.resources.files("moto.cognitoidp") / "resources"


def _jwks(name: str) -> Any:
    return json.loads(gzip.decompress((_MOTO_KEYS / name).read_bytes()))


@contextmanager
def fake_aws_environment() -> Iterator[None]:
    """Fake credentials and no endpoint override, so boto3 can only reach moto; then restored."""
    saved = dict(os.environ)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "MOTO_PORT"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto accepts any credentials
        AWS_DEFAULT_REGION=REGION,
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class MotoCognitoKeys:
    """moto's Cognito key pair: tokens signed with the private key, checked with the public."""

    def __init__(self) -> None:
        private = _jwks("jwks-private.json.gz")
        self.kid = str(private["kid"])
        self.private_key: Any = jwt.algorithms.RSAAlgorithm.from_jwk(private)
        self.public_keys = {
            key["kid"]: jwt.PyJWK(key).key for key in _jwks("jwks-public.json.gz")["keys"]
        }

    def signing_key(self, token: str) -> Any:
        kid = jwt.get_unverified_header(token).get("kid")
        if kid not in self.public_keys:
            raise jwt.PyJWKClientError(f"no signing key {kid!r}")
        return self.public_keys[kid]

    def id_token(self, issuer: str, audience: str, username: str, groups: list[str]) -> str:
        now = int(time.time())
        claims = {
            "iss": issuer,
            "sub": str(uuid.uuid4()),
            "aud": audience,
            "token_use": "id",
            "iat": now,
            "auth_time": now,
            "exp": now + 3600,
            "cognito:username": username,
            "cognito:groups": groups,
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})


@dataclass
class Deployment:
    services: services.Services
    client: Client
    outbox: RecordingOutbox
    staff: dict[str, str]
    """Headers of a signed-in reviewer."""
    supervisor: dict[str, str]
    """Headers of a signed-in supervisor (who may see the metrics)."""

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        headers: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> Any:
        payload = None if body is None else json.dumps(body)
        response = getattr(self.client.http, method.lower())(
            path, body=payload, headers={**JSON, **(headers or {})}
        )
        if response.status_code not in expect:
            raise HarnessFailure(
                f"{method} {path} answered {response.status_code}, expected {expect}: "
                f"{response.body[:300]!r}"
            )
        return response

    def sign_in(self, address: str) -> dict[str, str]:
        """A resident's bearer header, through the emailed link (2 requests)."""
        self.request("POST", "/api/verifications", {"email": address}, expect=(202,))
        return self.open_session()

    def open_session(self) -> dict[str, str]:
        token = re.findall(r"token=([\w-]+)", self.outbox.as_json()[-1]["text"])[0]
        opened = self.request("POST", "/api/sessions", {"token": token}, expect=(201,))
        return {"Authorization": f"Bearer {opened.json_body['session']}"}


@contextmanager
def deployment() -> Iterator[Deployment]:
    """A fresh deployment on moto in-process; `services.current()` is it until the block ends."""
    from app import app

    keys = MotoCognitoKeys()
    with fake_aws_environment(), mock_aws():
        session = boto3.session.Session(region_name=REGION)
        pool_id, client_id = provision.create_staff_pool(
            session.client("cognito-idp"), f"{PREFIX}-staff", None
        )
        role_arn = provision.create_execution_role(session.client("iam"), f"{PREFIX}-execution")
        state_machine_arn = provision.create_state_machine(
            session.client("stepfunctions"),
            f"{PREFIX}-review",
            role_arn,
            provision.REVIEW_STATE_MACHINE,
            {
                "ReviewStepFunctionArn": FAKE_FUNCTION_ARN,
                "ReportsTableName": f"{PREFIX}-reports",
                "AuditTableName": f"{PREFIX}-audit",
            },
        )
        settings = Settings(
            stage="local",
            agency_profile="demo",
            resource_prefix=PREFIX,
            base_url="http://127.0.0.1:8000",
            region=REGION,
            state_machine_arn=state_machine_arn,
            user_pool_id=pool_id,
            user_pool_client_id=client_id,
            verifications_per_address=1000,
            verifications_per_client=100000,
        )
        assert settings.staff_issuer
        outbox = RecordingOutbox()
        current = services.install(
            services.Services(
                settings=settings,
                outbox=outbox,
                staff_tokens=StaffTokens(
                    issuer=settings.staff_issuer,
                    audience=client_id,
                    signing_keys=keys.signing_key,
                ),
            )
        )
        provision.create_tables(current.aws.client("dynamodb"))
        provision.create_bucket(current.aws.s3, settings.bucket_name, REGION)
        provision.verify_sender(current.aws.ses, current.agency.sender.address)
        reviewer = keys.id_token(settings.staff_issuer, client_id, "reviewer", ["reviewers"])
        supervisor = keys.id_token(settings.staff_issuer, client_id, "supervisor", ["supervisors"])
        app_logger = logging.getLogger(APP_LOGGER)
        level = app_logger.level
        app_logger.setLevel(logging.ERROR)  # the app's INFO lines would bury the table
        try:
            with Client(app) as client:
                yield Deployment(
                    current,
                    client,
                    outbox,
                    {"Authorization": f"Bearer {reviewer}"},
                    {"Authorization": f"Bearer {supervisor}"},
                )
        finally:
            app_logger.setLevel(level)
