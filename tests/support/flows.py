"""What end-to-end and browser tests do again and again through the running local stack."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import boto3
import requests

from infra.local_stack import DEFAULT_STAFF_PASSWORD as STAFF_PASSWORD
from tests.support.answers import theft_answers
from tests.support.local_stack import RunningStack, Site

T = TypeVar("T")
# The local stack's services the tests reach directly (boto3's stubs type a client by its name).
Service = Literal["cognito-idp", "dynamodb", "events", "s3", "ses", "sqs", "stepfunctions"]
DEADLINE_SECONDS = 30


def poll(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    seconds: float = DEADLINE_SECONDS,
    interval: float = 0.1,
) -> T:
    """Call `fetch` until `done` holds for its value or the deadline passes; the last value."""
    deadline = time.monotonic() + seconds
    value = fetch()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(interval)
        value = fetch()
    return value


def aws_client(stack: RunningStack, service: Service) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack.aws_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def resident(stack: Site, prefix: str = "resident") -> tuple[dict[str, str], str]:
    """A resident signed in through the JSON API, with an address no other test uses."""
    address = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    requested = requests.post(
        f"{stack.app_url}/api/verifications", json={"email": address}, timeout=10
    )
    assert requested.status_code == 202, requested.text
    token = stack.latest_link(address).split("token=")[1]
    opened = requests.post(f"{stack.app_url}/api/sessions", json={"token": token}, timeout=10)
    assert opened.status_code == 201, opened.text
    return {"Authorization": f"Bearer {opened.json()['session']}"}, address


def submitted_theft(stack: Site, auth: dict[str, str]) -> dict[str, Any]:
    """A complete theft report, submitted; the resident's view of it."""
    base = stack.app_url
    created = requests.post(
        f"{base}/api/reports", json={"incident_type": "theft"}, headers=auth, timeout=10
    )
    assert created.status_code == 201, created.text
    report: dict[str, Any] = created.json()
    answers = theft_answers()
    for step in report["steps"]:
        answered = requests.patch(
            f"{base}/api/reports/{report['id']}",
            json={"answers": {question: answers[question] for question in step["questions"]}},
            headers=auth,
            timeout=10,
        )
        assert answered.status_code == 200, answered.text
    submitted = requests.post(f"{base}/api/reports/{report['id']}/submit", headers=auth, timeout=10)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    return submitted.json()  # type: ignore[no-any-return]


def resident_view(stack: Site, auth: dict[str, str], report_id: str) -> dict[str, Any]:
    response = requests.get(f"{stack.app_url}/api/reports/{report_id}", headers=auth, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def staff(stack: Site, username: str = "reviewer") -> dict[str, str]:
    signed_in = requests.post(
        f"{stack.app_url}/api/staff/login",
        json={"username": username, "password": STAFF_PASSWORD},
        timeout=10,
    )
    assert signed_in.status_code == 200, signed_in.text
    body = signed_in.json()
    assert body["token"] and body["expires_at"], body
    return {"Authorization": f"Bearer {body['token']}"}


def decide(
    stack: Site,
    headers: dict[str, str],
    report_id: str,
    decision: str,
    reason: str | None = None,
) -> requests.Response:
    """POST a decision, trying again while the workflow is not waiting for one: the report is
    still being prepared, or between two reminders (its task token is being written again)."""
    body = {"decision": decision} | ({"reason": reason} if reason is not None else {})

    def post() -> requests.Response:
        return requests.post(
            f"{stack.app_url}/api/staff/reports/{report_id}/decision",
            json=body,
            headers=headers,
            timeout=10,
        )

    return poll(
        post,
        lambda response: (
            not (response.status_code == 409 and "already decided" not in response.text)
        ),
        interval=0.2,
    )


def answer_info_request(
    stack: Site, auth: dict[str, str], report_id: str, text: str
) -> requests.Response:
    """The resident's answer to a request for information."""
    return poll(
        lambda: requests.post(
            f"{stack.app_url}/api/reports/{report_id}/supplements",
            json={"text": text},
            headers=auth,
            timeout=10,
        ),
        # The answer is refused until the workflow waits for it (the email goes out first).
        lambda response: response.status_code != 409,
        interval=0.2,
    )
