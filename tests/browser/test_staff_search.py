"""A records clerk in Chromium finds a report from the header of any staff page, without
JavaScript, by the resident's name typed without its accents."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.local_stack import RunningStack

from .conftest import NewPhone, Screenshot
from .test_staff_pages import DESKTOP, no_serious_violations, submitted_report

pytestmark = pytest.mark.browser


def test_a_clerk_finds_a_report_by_name_from_the_queue(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    report_id, _ = submitted_report(running_stack)  # the resident is "Zoë Łukasz-Muñoz"
    page = new_phone(**DESKTOP, java_script_enabled=False)

    page.goto("/staff")
    page.get_by_label("Username").fill("reviewer")
    page.get_by_label("Password").fill("Demo-Passw0rd!")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{running_stack.app_url}/staff/queue")

    search = page.get_by_role("searchbox", name="Find a report")
    expect(search).to_be_visible()
    search.fill("lukasz munoz")
    page.get_by_role("button", name="Search").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Find a report")
    expect(page.get_by_text("Searched for a name with the words")).to_be_visible()
    expect(page.get_by_role("link", name=report_id)).to_be_visible()  # newest first
    expect(page.get_by_role("searchbox", name="Find a report")).to_have_value("lukasz munoz")
    screenshot(page, "staff-search")

    page.get_by_role("searchbox", name="Find a report").fill(report_id.lower())
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=report_id)).to_have_count(1)

    page.get_by_role("searchbox", name="Find a report").fill("nobody@example.com")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No reports match")).to_be_visible()

    page.get_by_role("searchbox", name="Find a report").fill("x")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("Type a whole word of the name")


def test_the_search_page_has_no_serious_accessibility_problem(
    new_phone: NewPhone, running_stack: RunningStack
) -> None:
    report_id, _ = submitted_report(running_stack)
    page = new_phone(**DESKTOP)  # axe-core runs in the page: this one has JavaScript

    page.goto("/staff")
    page.get_by_label("Username").fill("reviewer")
    page.get_by_label("Password").fill("Demo-Passw0rd!")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{running_stack.app_url}/staff/queue")
    no_serious_violations(page, "staff queue with the search form")

    page.goto("/staff/search?q=Zo%C3%AB")
    expect(page.get_by_role("link", name=report_id)).to_be_visible()
    no_serious_violations(page, "staff search results")
    page.goto("/staff/search?q=%20")
    expect(page.get_by_role("alert")).to_be_visible()
    no_serious_violations(page, "staff search error")
