"""Every staff page in Chromium, on a desktop and on a phone, checked by axe-core (issue 15):
the queue in each status, a report (its decision panel kept in view beside it on a desktop),
its print view, the numbers and the refusal page. The sign-in challenge pages (a new password,
the authenticator app, the code) are checked in test_staff_first_sign_in.py.

Screenshots go to test-artifacts/screenshots/workbench-*.png, at 1280 and 375 pixels wide.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from chalicelib.review.desk import QUEUE_STATUSES
from chalicelib.review.words import status_words
from tests.support.flows import aws_client, decide, poll, resident, staff, submitted_theft
from tests.support.local_stack import RunningStack

from .conftest import SCREENSHOTS, NewPhone, Screenshot
from .test_staff_pages import DESKTOP, no_serious_violations, sign_in

pytestmark = pytest.mark.browser
PHONE_375 = {
    "viewport": {"width": 375, "height": 812},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
TABLE = "selfreport-local-reports"


def waiting_for_a_decision(stack: RunningStack, report_id: str) -> None:
    dynamodb = aws_client(stack, "dynamodb")
    item = poll(
        lambda: dynamodb.get_item(
            TableName=TABLE, Key={"report_id": {"S": report_id}}, ConsistentRead=True
        )["Item"],
        lambda item: "review_token" in item,
    )
    assert "review_token" in item, "the workflow never waited for a decision"


def claim(stack: RunningStack, report_id: str, username: str) -> None:
    """As the claim writes leave a report (another part of the workbench writes them)."""
    aws_client(stack, "dynamodb").update_item(
        TableName=TABLE,
        Key={"report_id": {"S": report_id}},
        UpdateExpression="SET claimed_by = :who, claimed_at = :at",
        ExpressionAttributeValues={
            ":who": {"S": username},
            ":at": {"S": "2026-12-01T14:05:00.000000+0000"},
        },
    )


@pytest.fixture(scope="module")
def reports(running_stack: RunningStack) -> dict[str, str]:
    """Three submitted thefts: one held by the supervisor, one asked a question, one free."""
    auth, _ = resident(running_stack, "workbench")
    ids = [submitted_theft(running_stack, auth)["id"] for _ in range(3)]
    for report_id in ids:
        waiting_for_a_decision(running_stack, report_id)
    claim(running_stack, ids[0], "supervisor")
    asked = decide(
        running_stack, staff(running_stack), ids[1], "request_info", "Which rack was it?"
    )
    assert asked.status_code == 202, asked.text
    return {"held": ids[0], "asked": ids[1], "free": ids[2]}


def no_horizontal_scroll(page: Page, name: str) -> None:
    """Nothing wider than the screen: a phone's browser would zoom out to show it (so its
    window grows past the screen's width) or scroll it sideways."""
    screen = page.viewport_size
    assert screen is not None
    widths: Any = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert max(widths) <= screen["width"], f"{name} is wider than the screen: {widths} px"


def test_the_queue_in_every_status_on_a_desktop(
    new_phone: NewPhone,
    running_stack: RunningStack,
    screenshot: Screenshot,
    reports: dict[str, str],
) -> None:
    page = new_phone(**DESKTOP)
    page.goto("/staff")
    no_serious_violations(page, "staff sign-in")
    sign_in(page, running_stack, "supervisor")

    for status in QUEUE_STATUSES:
        page.goto(f"/staff/queue?status={status}")
        expect(page.get_by_role("heading", level=1)).to_have_text(status_words(status))
        tabs = page.get_by_role("navigation", name="Reports by status")
        expect(tabs.locator("[aria-current=page]")).to_contain_text(status_words(status))
        no_serious_violations(page, f"the queue, {status}")
        screenshot(page, f"workbench-queue-{status}-1280")

    page.goto("/staff/queue")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reports["held"]))
    expect(row.get_by_role("cell", name="You", exact=True)).to_be_visible()  # the supervisor
    expect(page.get_by_role("link", name=reports["asked"])).to_have_count(0)
    expect(page.get_by_role("link", name="Waiting for the resident (")).to_be_visible()

    page.get_by_label("Held by").select_option(label="Mine")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("link", name=reports["held"])).to_be_visible()
    expect(page.get_by_role("link", name=reports["free"])).to_have_count(0)
    page.get_by_label("Held by").select_option(label="Unclaimed")
    page.get_by_label("Order").select_option(label="Newest first")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("link", name=reports["free"])).to_be_visible()
    expect(page.get_by_role("link", name=reports["held"])).to_have_count(0)
    link = page.get_by_role("link", name=reports["free"])
    assert "holder=unclaimed" in str(link.get_attribute("href"))
    assert "order=newest" in str(link.get_attribute("href"))
    no_serious_violations(page, "the queue, filtered")


def test_the_queue_on_a_phone_is_cards_without_sideways_scrolling(
    new_phone: NewPhone,
    running_stack: RunningStack,
    screenshot: Screenshot,
    reports: dict[str, str],
) -> None:
    page = new_phone(**PHONE_375)
    sign_in(page, running_stack, "reviewer")

    expect(page.get_by_role("link", name=reports["free"])).to_be_visible()
    no_horizontal_scroll(page, "the queue at 375 px")
    no_serious_violations(page, "the queue on a phone")
    screenshot(page, "workbench-queue-375")
    cell = page.get_by_role("cell", name=reports["free"])
    shown: Any = cell.evaluate("cell => getComputedStyle(cell.parentElement).display")
    assert shown == "block", "each report is a card, whose rows are labelled"
    label: Any = cell.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Reference"'

    page.goto("/staff/queue?status=info_requested")
    expect(page.get_by_role("link", name=reports["asked"])).to_be_visible()
    no_horizontal_scroll(page, "the queue of reports waiting for the resident at 375 px")


def test_a_report_keeps_its_decision_panel_in_view_on_a_desktop(
    new_phone: NewPhone,
    running_stack: RunningStack,
    screenshot: Screenshot,
    reports: dict[str, str],
) -> None:
    page = new_phone(**DESKTOP)
    sign_in(page, running_stack, "reviewer")
    page.goto("/staff/queue")
    page.get_by_role("link", name=reports["free"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Report {reports['free']}")
    no_serious_violations(page, "a report on a desktop")
    screenshot(page, "workbench-report-1280")

    panel = page.locator(".workbench__panel")
    report = page.locator(".workbench__report").bounding_box()
    beside = panel.bounding_box()
    assert report and beside and beside["x"] >= report["x"] + report["width"], "two columns"
    height: Any = page.evaluate("() => document.body.scrollHeight")
    assert height > 2 * 900, "the report is long enough to scroll past its panel"
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight / 2)")
    poll(lambda: page.evaluate("() => window.scrollY"), lambda y: y > 0)
    box = panel.bounding_box()
    assert box is not None and 0 <= box["y"] < 900, f"the panel left the screen: {box}"
    decision = page.get_by_role("button", name="Record the decision")
    expect(decision).to_be_in_viewport()
    page.screenshot(path=str(SCREENSHOTS / "workbench-report-1280-scrolled.png"))  # the screen

    page.get_by_role("link", name="Print this report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Report {reports['free']}")
    expect(page.get_by_text("Black Trek bicycle")).to_be_visible()
    no_serious_violations(page, "the print view")
    screenshot(page, "workbench-print-1280")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out reviewer")).to_be_hidden()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    screenshot(page, "workbench-print-paper")


def test_a_report_and_its_print_view_on_a_phone(
    new_phone: NewPhone,
    running_stack: RunningStack,
    screenshot: Screenshot,
    reports: dict[str, str],
) -> None:
    page = new_phone(**PHONE_375)
    sign_in(page, running_stack, "reviewer")
    page.goto(f"/staff/reports/{reports['held']}")
    expect(page.get_by_text("Held by")).to_be_visible()
    no_horizontal_scroll(page, "a report at 375 px")
    no_serious_violations(page, "a report on a phone")
    screenshot(page, "workbench-report-375")
    panel = page.locator(".workbench__panel").bounding_box()
    answers = page.locator(".workbench__report").bounding_box()
    assert panel and answers and panel["y"] >= answers["y"] + answers["height"], "one column"

    page.goto(f"/staff/reports/{reports['asked']}/print")
    expect(page.get_by_text("Which rack was it?")).to_be_visible()
    no_serious_violations(page, "the print view on a phone")
    screenshot(page, "workbench-print-375")


def test_the_numbers_and_the_refusal_page(
    new_phone: NewPhone,
    running_stack: RunningStack,
    screenshot: Screenshot,
    reports: dict[str, str],
) -> None:
    for width, options in (("1280", DESKTOP), ("375", PHONE_375)):
        page = new_phone(**options)
        sign_in(page, running_stack, "supervisor")
        page.goto("/staff/metrics")
        expect(page.get_by_role("cell", name="Waiting for review", exact=True)).to_be_visible()
        no_serious_violations(page, f"the numbers at {width} px")
        no_horizontal_scroll(page, f"the numbers at {width} px")
        screenshot(page, f"workbench-metrics-{width}")

    reviewer = new_phone(**DESKTOP)
    sign_in(reviewer, running_stack, "reviewer")
    response = reviewer.goto("/staff/metrics")
    assert response is not None and response.status == 403
    no_serious_violations(reviewer, "the refusal page")
    screenshot(reviewer, "workbench-refused-1280")
