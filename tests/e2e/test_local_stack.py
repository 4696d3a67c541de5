"""The real local stack (`make run`) driven over HTTP, as a newcomer or an outside check would."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from tests.support.flows import aws_client, poll
from tests.support.forms import BrowserSession, page_token
from tests.support.local_stack import RunningStack

pytestmark = pytest.mark.e2e


def unique_address() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}@example.com"


def test_the_home_page_is_served(running_stack: RunningStack) -> None:
    response = requests.get(f"{running_stack.app_url}/", timeout=10)

    assert response.status_code == 200
    assert "Riverton Police Department" in response.text
    assert "Start a report" in response.text


def test_the_whole_verification_flow_over_http(running_stack: RunningStack) -> None:
    base, address = running_stack.app_url, unique_address()

    requested = requests.post(f"{base}/api/verifications", json={"email": address}, timeout=10)
    assert requested.status_code == 202

    [email] = running_stack.emails_to(address)
    assert set(email) >= {"to", "subject", "text", "html", "sent_at"}
    link = running_stack.latest_link(address)
    assert link.startswith(f"{base}/verify?token=")
    token = link.split("token=")[1]

    opened = requests.post(f"{base}/api/sessions", json={"token": token}, timeout=10)
    assert opened.status_code == 201
    session = opened.json()["session"]
    assert opened.json()["expires_at"]

    me = requests.get(
        f"{base}/api/session", headers={"Authorization": f"Bearer {session}"}, timeout=10
    )
    assert me.status_code == 200
    assert me.json()["email"] == address

    reused = requests.post(f"{base}/api/sessions", json={"token": token}, timeout=10)
    assert reused.status_code == 410
    assert reused.json()["error"]["code"] == "token_used"


def test_the_emailed_link_signs_a_browser_in(running_stack: RunningStack) -> None:
    base, address = running_stack.app_url, unique_address()
    browser = BrowserSession()
    browser.post_form(f"{base}/start", {"email": address}, timeout=10)

    shown = browser.get(running_stack.latest_link(address), timeout=10)
    assert "Confirm your email address" in shown.text and not browser.cookies.get("sr_session")
    landed = browser.post(
        f"{base}/verify",
        data={
            "token": running_stack.latest_link(address).split("token=")[1],
            "form_token": page_token(shown.text),
        },
        timeout=10,
    )

    assert landed.url == f"{base}/report?confirmed=1"
    assert "Your email address is confirmed" in landed.text
    assert browser.cookies.get("sr_session")


def test_too_many_requests_for_one_address_get_429(running_stack: RunningStack) -> None:
    base, address = running_stack.app_url, unique_address()
    statuses = [
        requests.post(f"{base}/api/verifications", json={"email": address}, timeout=10)
        for _ in range(4)
    ]

    assert [response.status_code for response in statuses] == [202, 202, 202, 429]
    assert int(statuses[-1].headers["Retry-After"]) > 0
    assert len(running_stack.emails_to(address)) == 3


def test_no_log_line_holds_an_address_or_a_secret(running_stack: RunningStack) -> None:
    base, address = running_stack.app_url, unique_address()
    requests.post(f"{base}/api/verifications", json={"email": address}, timeout=10)
    link = running_stack.latest_link(address)
    token = link.split("token=")[1]
    session = requests.post(f"{base}/api/sessions", json={"token": token}, timeout=10).json()[
        "session"
    ]
    requests.get(link, timeout=10, allow_redirects=False)
    requests.get(f"{base}/api/session", headers={"Authorization": f"Bearer {session}"}, timeout=10)
    logs = poll(  # the reader thread takes the stack's output a moment later
        running_stack.log_lines,
        lambda lines: any('"message":"resident session opened"' in line for line in lines),
        seconds=10,
    )
    assert any('"message":"resident session opened"' in line for line in logs)
    leaks = [line for line in logs if address in line or token in line or session in line]
    assert leaks == []
    assert any(address in line for line in running_stack.output), "the console outbox shows it"


def test_a_failing_workflow_step_surfaces_as_a_failed_execution(
    running_stack: RunningStack,
) -> None:
    """The Chalice handler runs in-process; its exception reaches Step Functions as an error."""
    stepfunctions = aws_client(running_stack, "stepfunctions")
    [machine] = stepfunctions.list_state_machines()["stateMachines"]
    report_id = f"RPD-NONE-{uuid.uuid4().hex[:4].upper()}"

    execution = stepfunctions.start_execution(
        stateMachineArn=machine["stateMachineArn"],
        name=report_id,
        input=json.dumps({"report_id": report_id}),
    )
    deadline = time.monotonic() + 30
    while (status := stepfunctions.describe_execution(executionArn=execution["executionArn"]))[
        "status"
    ] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)

    assert status["status"] == "FAILED"
    history = stepfunctions.get_execution_history(executionArn=execution["executionArn"])
    assert "ReportGone" in json.dumps(history["events"], default=str)
    reports = aws_client(running_stack, "dynamodb").get_item(
        TableName="selfreport-local-reports", Key={"report_id": {"S": report_id}}
    )
    assert "Item" not in reports, "marking a missing report creates no record"


def test_the_staff_pool_has_its_groups_and_demo_users(running_stack: RunningStack) -> None:
    cognito = aws_client(running_stack, "cognito-idp")
    [pool] = cognito.list_user_pools(MaxResults=10)["UserPools"]
    groups = cognito.list_groups(UserPoolId=pool["Id"])["Groups"]
    [app_client] = cognito.list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"]

    assert {group["GroupName"] for group in groups} == {"reviewers", "supervisors", "admins"}
    signed_in = cognito.initiate_auth(
        ClientId=app_client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "reviewer", "PASSWORD": "Demo-Passw0rd!"},
    )
    assert signed_in["AuthenticationResult"]["IdToken"].count(".") == 2


def test_the_stack_stops_cleanly_on_ctrl_c() -> None:
    from tests.support import local_stack

    stack = local_stack.start()
    assert requests.get(f"{stack.app_url}/", timeout=10).status_code == 200

    assert local_stack.stop(stack) == 0
    assert any(line.startswith("Stopping") for line in stack.output)
