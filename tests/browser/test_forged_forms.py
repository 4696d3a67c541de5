"""Another site's form in a real browser: Chromium sends its own `Origin`, and the service says no.

The other site is played by Playwright's request routing (no network): a page at
http://evil.example whose form posts to the running local stack, as a cross-site attack would.
(Plain http, like the local stack: from an https page to an http site, browsers send
`Origin: null`, which the form token alone then refuses.)
"""

from __future__ import annotations

from uuid import uuid4

import pytest
import requests
from playwright.sync_api import Page, Route, expect

from tests.browser.links import press_continue
from tests.support.local_stack import RunningStack

from .conftest import Screenshot

pytestmark = pytest.mark.browser

EVIL = "http://evil.example"


def sign_in(page: Page, stack: RunningStack) -> str:
    address = f"forged-{uuid4().hex[:8]}@example.com"
    page.goto("/start")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send me a link").click()
    page.goto(stack.latest_link(address))
    press_continue(page)
    expect(page.get_by_role("status")).to_contain_text("Your email address is confirmed.")
    return address


def serve_trap(page: Page, action: str, fields: dict[str, str]) -> None:
    inputs = "".join(f'<input name="{name}" value="{value}">' for name, value in fields.items())
    html = f'<html><body><form method="post" action="{action}">{inputs}<button>Win</button></form>'

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=html)

    page.route(f"{EVIL}/**", fulfil)


def test_a_form_on_another_site_cannot_start_a_report(
    phone: Page, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    sign_in(phone, running_stack)
    serve_trap(phone, f"{running_stack.app_url}/report", {"incident_type": "theft"})

    phone.goto(f"{EVIL}/trap")
    with phone.expect_response(lambda response: response.url.endswith("/report")) as answer:
        phone.get_by_role("button", name="Win").click()

    assert answer.value.status == 403
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your form was not sent")
    expect(phone.get_by_role("main")).to_contain_text("It came from another website")
    screenshot(phone, "forged-form-refused")
    phone.goto("/report")
    expect(phone.get_by_role("main")).not_to_contain_text("Continue a report you started")


def test_another_sites_form_cannot_press_an_emailed_link(
    phone: Page, running_stack: RunningStack
) -> None:
    """Login CSRF: a trap page posting the attacker's own link would sign the victim in to it."""
    attacker = f"attacker-{uuid4().hex[:8]}@example.com"
    requests.post(
        f"{running_stack.app_url}/api/verifications", json={"email": attacker}, timeout=10
    )
    token = running_stack.latest_link(attacker).split("token=", 1)[1]
    serve_trap(phone, f"{running_stack.app_url}/verify", {"token": token})

    phone.goto(f"{EVIL}/trap")
    with phone.expect_response(lambda response: response.url.endswith("/verify")) as answer:
        phone.get_by_role("button", name="Win").click()

    assert answer.value.status == 403
    assert not [c for c in phone.context.cookies() if c["name"] == "sr_session"]
    opened = requests.post(
        f"{running_stack.app_url}/api/sessions", json={"token": token}, timeout=10
    )
    assert opened.status_code == 201, "the link was not consumed by the refused form"
