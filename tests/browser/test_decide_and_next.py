"""A records clerk works through the queue in Chromium: "Decide and open the next", counted.

A routine approval must be two clicks from the previous decision: the Approve choice, then
"Decide and open the next", landing on the next report of the same queue; after the last, the
queue says so. On the first report the clerk also claims it and leaves a note (axe-core checks
the page with both).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.flows import aws_client, poll, resident, submitted_theft
from tests.support.local_stack import RunningStack

from .conftest import NewPhone, Screenshot
from .test_staff_pages import DESKTOP, no_serious_violations, sign_in

pytestmark = pytest.mark.browser
TABLE = "selfreport-local-reports"
CLICKS_PER_APPROVAL = 2


def waiting_for_a_decision(stack: RunningStack, report_ids: list[str]) -> None:
    """Each report's workflow has reached the wait for a decision (its task token is there)."""
    dynamodb = aws_client(stack, "dynamodb")

    def read(report_id: str) -> Callable[[], dict[str, Any]]:
        key = {"report_id": {"S": report_id}}
        return lambda: dict(
            dynamodb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
        )

    for report_id in report_ids:
        item = poll(read(report_id), lambda item: "review_token" in item)
        assert "review_token" in item, f"{report_id}: the workflow never waited for a decision"


def opened_report(page: Page) -> str:
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Report RPD-"))
    return heading.inner_text().removeprefix("Report ")


def test_three_routine_approvals_take_two_clicks_each(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    auth, _ = resident(running_stack, "queue")
    mine = [submitted_theft(running_stack, auth)["id"] for _ in range(3)]
    waiting_for_a_decision(running_stack, mine)
    page = new_phone(**DESKTOP)
    sign_in(page, running_stack, "reviewer")
    clicks = 0

    def click(target: Locator) -> None:
        nonlocal clicks
        clicks += 1
        target.click()

    # Other tests share the stack: the unclaimed queue holds reports anyone may take on.
    page.get_by_label("Held by").select_option("unclaimed")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name=re.compile(r"^RPD-")).first.click()
    first = opened_report(page)
    page.get_by_role("button", name="I'm on it").click()
    expect(page.get_by_role("status")).to_contain_text("You hold this report now.")
    expect(page.get_by_text("Held by you")).to_be_visible()
    page.get_by_label("Add a note").fill("<b>Called the resident</b>: she has the receipt.")
    page.get_by_role("button", name="Add the note").click()
    note = "<b>Called the resident</b>: she has the receipt."
    expect(page.get_by_text(note).first).to_be_visible()
    no_serious_violations(page, "staff report with a claim and a note")
    screenshot(page, "staff-report-claimed-with-a-note")

    approved: list[str] = []
    current = first
    while True:
        before = clicks
        click(page.get_by_label("Approve: give a case number"))
        click(page.get_by_role("button", name="Decide and open the next"))
        assert clicks - before <= CLICKS_PER_APPROVAL
        approved.append(current)
        if "/staff/queue" in page.url:
            break
        expect(page.get_by_role("status").first).to_contain_text(
            f"Decision recorded on {current}: approve"
        )
        current = opened_report(page)
        assert current not in approved, "the next report is another one"
        assert len(approved) < 50, "the queue never ended"

    expect(page).to_have_url(re.compile(r"/staff/queue\?(.*&)?done=last$"))
    expect(page.get_by_role("status").first).to_contain_text("That was the last report")
    assert set(mine) <= set(approved)
    assert clicks == CLICKS_PER_APPROVAL * len(approved)
    screenshot(page, "staff-queue-after-the-last")
