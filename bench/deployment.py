"""The application on moto in-process, built by the tests' own factory (tests/support).

Tables come from the models, the sender is verified, the bucket and the review state machine
exist (moto records executions but does not run them in-process: the workflow's Lambda steps
are run with `Services.review_steps`), and staff ID tokens are signed with moto's own Cognito
key and checked with it, as the staff authorization tests do, each with its server-side session
opened as a sign-in opens it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from chalice.test import Client

from chalicelib import services
from chalicelib.logs import APP_LOGGER
from chalicelib.mail import RecordingOutbox
from tests.support.cognito_keys import moto_id_token
from tests.support.deployment import TEST_SETTINGS, moto_deployment, open_staff_session

from .results import HarnessFailure

PREFIX = "bench"
JSON = {"Content-Type": "application/json"}


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

    settings = TEST_SETTINGS.model_copy(
        update={
            "resource_prefix": PREFIX,
            "verifications_per_address": 1000,
            "verifications_per_client": 100000,
        }
    )
    with moto_deployment(
        settings=settings,
        clock=services.utc_now,
        review="step_functions",
        staff_pool="empty",
        state_machine=True,
        bucket=True,
    ) as built:
        assert built.pool is not None
        pool = built.pool
        reviewer = open_staff_session(
            moto_id_token(pool.issuer, pool.client_id, "reviewer", ["reviewers"])
        )
        supervisor = open_staff_session(
            moto_id_token(pool.issuer, pool.client_id, "supervisor", ["supervisors"])
        )
        app_logger = logging.getLogger(APP_LOGGER)
        level = app_logger.level
        app_logger.setLevel(logging.ERROR)  # the app's INFO lines would bury the table
        try:
            with Client(app) as client:
                yield Deployment(
                    built.services,
                    client,
                    built.outbox,
                    {"Authorization": f"Bearer {reviewer}"},
                    {"Authorization": f"Bearer {supervisor}"},
                )
        finally:
            app_logger.setLevel(level)
