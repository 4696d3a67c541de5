"""A records clerk corrects a report in Chromium without JavaScript, and the resident is told."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.flows import resident, resident_view, submitted_theft
from tests.support.local_stack import RunningStack

from .conftest import NewPhone, Screenshot
from .test_staff_pages import DESKTOP, no_serious_violations

pytestmark = pytest.mark.browser


def test_a_clerk_corrects_a_name_and_the_resident_sees_it(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    auth, _ = resident(running_stack, "corrected")
    report_id = submitted_theft(running_stack, auth)["id"]
    looking = new_phone(**DESKTOP)  # axe-core runs in the page: this one has JavaScript
    page = new_phone(**DESKTOP, java_script_enabled=False)
    for browser in (looking, page):
        browser.goto("/staff")
        browser.get_by_label("Username").fill("reviewer")
        browser.get_by_label("Password").fill("Demo-Passw0rd!")
        browser.get_by_role("button", name="Sign in").click()
        expect(browser).to_have_url(f"{running_stack.app_url}/staff/queue")

    page.goto(f"/staff/reports/{report_id}")
    page.get_by_role("link", name="Correct the answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Correct the answers")
    looking.goto(f"/staff/reports/{report_id}/corrections")
    no_serious_violations(looking, "correction form")
    page.get_by_label("Full name").fill("Zoë Łukasz-Muñoz Reyes")
    page.get_by_role("button", name="Save the corrections", exact=True).last.click()
    expect(page.get_by_role("alert")).to_contain_text("Give the reason for the correction")
    page.get_by_label("Why are you making these changes?").fill("The resident called")
    page.get_by_role("button", name="Save the corrections", exact=True).last.click()

    expect(page.get_by_role("status")).to_contain_text("Corrections saved")
    expect(page.get_by_role("heading", name="Corrections made by staff")).to_be_visible()
    screenshot(page, "staff-report-corrected")
    looking.goto(f"/staff/reports/{report_id}")
    no_serious_violations(looking, "staff report with corrections")
    corrections = resident_view(running_stack, auth, report_id)["corrections"]
    assert [(c["question"], c["new"], c["reason"]) for c in corrections] == [
        ("reporter_name", "Zoë Łukasz-Muñoz Reyes", "The resident called")
    ]
    assert "by" not in corrections[0]
