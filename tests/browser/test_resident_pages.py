"""The resident's pages in headless Chromium on a phone: journey, errors, layout, accessibility."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from chalicelib.routes.edge import SESSION_COOKIE
from tests.browser.links import press_continue
from tests.support.local_stack import RunningStack

from .conftest import NewPhone, Screenshot

pytestmark = pytest.mark.browser

AGENCY_NAME = "Riverton Police Department"  # the demo profile the local stack runs
MALFORMED_ADDRESS = "not-an-email"
INVALID_EMAIL = "Enter an email address in the correct format"
SERIOUS_IMPACTS = {"serious", "critical"}


def unique_address() -> str:
    return f"browser-{uuid4().hex[:8]}@example.com"


def heading(page: Page) -> Any:
    return page.get_by_role("heading", level=1)


def ask_for_link(page: Page, address: str) -> None:
    page.goto("/start")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send me a link").click()


def session_cookies(page: Page) -> list[Any]:
    return [cookie for cookie in page.context.cookies() if cookie["name"] == SESSION_COOKIE]


# How to reach each page the resident can see, starting from a fresh phone.


def open_home(page: Page, stack: RunningStack) -> None:
    page.goto("/")
    expect(heading(page)).to_have_text("Report a minor incident online")


def open_start(page: Page, stack: RunningStack) -> None:
    page.goto("/start")
    expect(heading(page)).to_have_text("Confirm your email address")


def open_start_with_error(page: Page, stack: RunningStack) -> None:
    ask_for_link(page, MALFORMED_ADDRESS)
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


def open_check_email(page: Page, stack: RunningStack) -> None:
    ask_for_link(page, unique_address())
    expect(heading(page)).to_have_text("Check your email")


def open_signed_in(page: Page, stack: RunningStack) -> None:
    address = unique_address()
    ask_for_link(page, address)
    expect(heading(page)).to_have_text("Check your email")
    page.goto(stack.latest_link(address))
    press_continue(page)
    expect(page.get_by_role("status")).to_contain_text("Your email address is confirmed.")


def open_link_refused(page: Page, stack: RunningStack) -> None:
    address = unique_address()
    ask_for_link(page, address)
    expect(heading(page)).to_have_text("Check your email")
    link = stack.latest_link(address)
    page.goto(link)
    press_continue(page)
    expect(page).to_have_url(re.compile(r"/report\?confirmed=1$"))
    page.context.clear_cookies()
    page.goto(link)
    press_continue(page)
    expect(heading(page)).to_have_text("This link has already been used")


def open_link_while_signed_in(page: Page, stack: RunningStack) -> None:
    """Someone else's link in a signed-in browser: the page says so and waits for the button."""
    open_signed_in(page, stack)
    other = unique_address()
    ask_for_link(page, other)
    page.goto(stack.latest_link(other))
    expect(heading(page)).to_have_text("Confirm your email address")
    expect(page.get_by_role("region")).to_contain_text("You are already signed in")


PAGES: dict[str, Callable[[Page, RunningStack], None]] = {
    "home": open_home,
    "start": open_start,
    "start-with-error": open_start_with_error,
    "check-email": open_check_email,
    "signed-in": open_signed_in,
    "link-refused": open_link_refused,
    "link-while-signed-in": open_link_while_signed_in,
}


def test_resident_confirms_their_email_and_signs_out_without_javascript(
    new_phone: NewPhone, running_stack: RunningStack
) -> None:
    page = new_phone(java_script_enabled=False)
    address = unique_address()

    page.goto("/")
    expect(heading(page)).to_have_text("Report a minor incident online")
    main = page.get_by_role("main")
    expect(main).to_contain_text(AGENCY_NAME)
    expect(main.get_by_role("heading", name="What you can report online")).to_be_visible()
    expect(main.get_by_role("heading", name="When to call us instead")).to_be_visible()

    page.get_by_role("link", name="Start a report").first.click()
    expect(page).to_have_url(f"{running_stack.app_url}/start")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send me a link").click()
    expect(heading(page)).to_have_text("Check your email")
    expect(main).to_contain_text(f"We have sent a link to {address}.")

    link = running_stack.latest_link(address)
    page.goto(link)
    press_continue(page)
    expect(page).to_have_url(f"{running_stack.app_url}/report?confirmed=1")
    expect(page.get_by_role("status")).to_contain_text("Your email address is confirmed.")
    expect(main).to_contain_text(f"You are signed in as {address}.")
    [session] = session_cookies(page)
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{running_stack.app_url}/")
    expect(heading(page)).to_have_text("Report a minor incident online")
    assert session_cookies(page) == []

    page.goto(link)  # the link's page again: pressing it is what is refused
    with page.expect_response(lambda response: response.url.endswith("/verify")) as reopened:
        press_continue(page)
    assert reopened.value.status == 410
    expect(heading(page)).to_have_text("This link has already been used")


def test_malformed_address_is_explained_in_a_summary_and_at_the_field(phone: Page) -> None:
    with phone.expect_response(lambda r: r.request.method == "POST") as submitted:
        ask_for_link(phone, MALFORMED_ADDRESS)
    assert submitted.value.status == 422

    summary = phone.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(phone).to_have_title(re.compile(r"^Error: "))
    field = phone.get_by_label("Email address")
    expect(field).to_have_value(MALFORMED_ADDRESS)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("#email-error")).to_contain_text(INVALID_EMAIL)
    expect(field).to_have_accessible_description(re.compile(INVALID_EMAIL))

    summary_link = summary.get_by_role("link", name=re.compile(INVALID_EMAIL))
    expect(summary_link).to_have_attribute("href", "#email")
    summary_link.click()
    expect(field).to_be_focused()


@pytest.mark.parametrize("name", ["home", "start"])
def test_page_fits_a_320_pixel_wide_phone_without_scrolling_sideways(
    name: str, new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    page = new_phone(viewport={"width": 320, "height": 568})
    PAGES[name](page, running_stack)
    screenshot(page, f"{name}-320px")

    scroll_width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, (
        f"{name} is {scroll_width}px wide on a {client_width}px screen: it scrolls sideways"
    )


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_accessibility_violations(
    name: str, phone: Page, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    PAGES[name](phone, running_stack)
    screenshot(phone, name)

    violations = [
        violation
        for violation in Axe().run(phone).response["violations"]
        if violation["impact"] in SERIOUS_IMPACTS
    ]
    assert not violations, f"axe-core on {name}:\n" + "\n".join(
        f"- {violation['id']} ({violation['impact']}) at {violation['nodes'][0]['target'][0]}: "
        f"{violation['help']}"
        for violation in violations
    )
