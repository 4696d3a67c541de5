"""A records clerk in Chromium: sign in, open the queue, read a report, approve it."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from chalicelib.routes.staff_pages import STAFF_COOKIE
from tests.support.flows import aws_client, poll, resident, submitted_theft
from tests.support.local_stack import RunningStack

from .conftest import NewPhone, Screenshot

pytestmark = pytest.mark.browser
SERIOUS = {"serious", "critical"}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}


def submitted_report(stack: RunningStack) -> tuple[str, dict[str, str]]:
    auth, _ = resident(stack, "clerk")
    return submitted_theft(stack, auth)["id"], auth


def no_serious_violations(page: Page, name: str) -> None:
    violations = [
        violation
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in SERIOUS
    ]
    assert not violations, f"axe-core on {name}: " + "; ".join(
        f"{v['id']} at {v['nodes'][0]['target'][0]}" for v in violations
    )


def test_a_reviewer_signs_in_and_approves_a_report(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    report_id, resident = submitted_report(running_stack)
    page = new_phone(**DESKTOP)

    page.goto("/staff")
    no_serious_violations(page, "staff sign-in")
    screenshot(page, "staff-sign-in")
    page.get_by_label("Username").fill("reviewer")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The username or password is not right")
    page.get_by_label("Password").fill("Demo-Passw0rd!")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{running_stack.app_url}/staff/queue")
    [staff_cookie] = [c for c in page.context.cookies() if c["name"] == STAFF_COOKIE]
    assert staff_cookie["httpOnly"] and staff_cookie["sameSite"] == "Strict"
    assert staff_cookie["expires"] - time.time() <= 30 * 60 + 5, "30 idle minutes at most"
    expect(page.get_by_role("link", name=report_id)).to_be_visible()
    no_serious_violations(page, "staff queue")
    screenshot(page, "staff-queue")

    page.get_by_role("link", name=report_id).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Report {report_id}")
    expect(page.get_by_text("Black Trek bicycle")).to_be_visible()
    no_serious_violations(page, "staff report")
    screenshot(page, "staff-report")

    for _ in range(50):  # the workflow may still be confirming the submission: 409, try again
        page.get_by_label("Approve: give a case number").check()
        page.get_by_role("button", name="Record the decision").click()
        outcome = page.get_by_role("status").or_(page.get_by_role("alert"))
        expect(outcome.first).to_be_visible()
        if page.get_by_role("status").count():
            break
        time.sleep(0.3)
    expect(page.get_by_role("status")).to_contain_text("Decision recorded: approve")
    expect(page.get_by_role("button", name="Record the decision")).to_have_count(0)

    deadline = time.monotonic() + 20
    report: dict[str, Any] = {}
    while time.monotonic() < deadline and not report.get("case_number"):
        report = requests.get(
            f"{running_stack.app_url}/api/reports/{report_id}", headers=resident, timeout=10
        ).json()
        time.sleep(0.2)
    assert str(report.get("case_number", "")).startswith("RPD-")
    page.reload()
    expect(page.get_by_text(str(report["case_number"]))).to_be_visible()
    screenshot(page, "staff-report-approved")


def test_staff_pages_send_strangers_to_sign_in(
    new_phone: NewPhone, running_stack: RunningStack
) -> None:
    page = new_phone(**DESKTOP)
    page.context.add_cookies(
        [{"name": STAFF_COOKIE, "value": "forged.token.value", "url": running_stack.app_url}]
    )

    for path in ("/staff/queue", "/staff/reports/RPD-2222-2222", "/staff/metrics"):
        page.goto(path)
        expect(page).to_have_url(f"{running_stack.app_url}/staff?expired=1")
        expect(page.get_by_role("heading", level=1)).to_have_text("Staff sign-in")


def test_a_reviewer_cannot_open_the_numbers(
    new_phone: NewPhone, running_stack: RunningStack
) -> None:
    page: Any = new_phone(**DESKTOP)
    page.goto("/staff")
    page.get_by_label("Username").fill("reviewer")
    page.get_by_label("Password").fill("Demo-Passw0rd!")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{running_stack.app_url}/staff/queue")

    response = page.goto("/staff/metrics")

    assert response.status == 403
    expect(page.get_by_role("navigation", name="Staff").get_by_text("Numbers")).to_have_count(0)


def sign_in(page: Page, stack: RunningStack, username: str) -> None:
    page.goto("/staff")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("Demo-Passw0rd!")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{stack.app_url}/staff/queue")


def test_an_admin_retries_a_report_that_needs_attention_without_javascript(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    auth, address = resident(running_stack, "stuck")
    report_id = submitted_theft(running_stack, auth)["id"]
    dynamodb = aws_client(running_stack, "dynamodb")
    key = {"report_id": {"S": report_id}}
    table = "selfreport-local-reports"
    waiting = poll(
        lambda: dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"],
        lambda item: "review_token" in item,
    )
    assert "review_token" in waiting, "the workflow never waited for a decision"
    # Then its workflow stops, as the state machine's NeedsAttention leaves a report whose
    # reminder kept failing: the execution is over, the report keeps the status it had.
    stepfunctions = aws_client(running_stack, "stepfunctions")
    [machine] = stepfunctions.list_state_machines()["stateMachines"]
    execution = machine["stateMachineArn"].replace(":stateMachine:", ":execution:")
    stepfunctions.stop_execution(executionArn=f"{execution}:{report_id}")
    dynamodb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET interrupted_status = #status, #status = :attention, "
        "failure = :failure REMOVE review_token",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":attention": {"S": "needs_attention"},
            ":failure": {"S": "DeliveryFailed"},
        },
    )

    reviewer = new_phone(**DESKTOP, java_script_enabled=False)
    sign_in(reviewer, running_stack, "reviewer")
    reviewer.goto(f"/staff/reports/{report_id}")
    expect(reviewer.get_by_role("heading", name="The review stopped")).to_be_visible()
    expect(reviewer.get_by_text("An administrator can retry it.")).to_be_visible()
    expect(reviewer.get_by_role("button", name="Retry the review")).to_have_count(0)

    looking = new_phone(**DESKTOP)  # axe-core runs in the page: this one has JavaScript
    sign_in(looking, running_stack, "admin")
    looking.goto(f"/staff/reports/{report_id}")
    expect(looking.get_by_role("button", name="Retry the review")).to_be_visible()
    no_serious_violations(looking, "staff report needing attention")
    screenshot(looking, "staff-report-needs-attention")

    page = new_phone(**DESKTOP, java_script_enabled=False)
    sign_in(page, running_stack, "admin")
    page.goto("/staff/queue?status=needs_attention")
    page.get_by_role("link", name=report_id).click()
    expect(page.get_by_text("DeliveryFailed").first).to_be_visible()
    page.get_by_role("button", name="Retry the review").click()

    expect(page.get_by_role("status")).to_contain_text("Retried: the review continues")
    expect(page.get_by_role("button", name="Retry the review")).to_have_count(0)
    expect(page.get_by_role("cell", name="retried")).to_be_visible()
    waiting_again = poll(
        lambda: dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"],
        lambda item: "review_token" in item,
    )
    assert waiting_again["status"]["S"] == "submitted" and "review_token" in waiting_again
    confirmations = [m for m in running_stack.emails_to(address) if m["kind"] == "submitted"]
    assert len(confirmations) == 1, "the retry does not confirm the submission again"
