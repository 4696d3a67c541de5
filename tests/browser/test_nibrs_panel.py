"""The decision panel's NIBRS check in Chromium: a theft whose lock has no serial number is not
valid (the element, why, a link to correct it, the preview download); approval is refused; once
the serial is corrected through the workbench, it is valid. The pages are made in-process on
moto with a stand-in for the builder (the local stack runs the real one, in a subprocess this
test cannot reach into), then shown in Chromium with the site's stylesheet and checked by axe.

Screenshots: test-artifacts/screenshots/nibrs-panel-invalid.png and nibrs-panel-valid.png.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client
from playwright.sync_api import Browser, Page, expect

from app import app
from tests.integration.test_nibrs_staff import (
    STAFF,
    cookie,
    the_lock_with_its_serial,
    waiting_report,
)
from tests.support.deployment import RecordingStepFunctions, moto_deployment
from tests.support.in_process_api import InProcessApi
from tests.support.local_stack import PROJECT_DIR
from tests.support.nibrs import SERIAL_MISSING, StandIn, profile_of, stand_in, with_nibrs

from .conftest import Screenshot
from .test_staff_pages import no_serious_violations

pytestmark = pytest.mark.browser
STYLESHEET = PROJECT_DIR / "chalicelib" / "templates" / "assets" / "site.css"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessApi]:
    stand_in(monkeypatch, StandIn(serials=True))
    with (
        moto_deployment(
            bucket=True, staff_tokens=STAFF.tokens(), stepfunctions=RecordingStepFunctions()
        ) as built,
        Client(app) as client,
        profile_of(built.services, with_nibrs(built.services.agency)),
    ):
        yield InProcessApi(built, client)


def in_chromium(browser: Browser, html: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_content(html)
    page.add_style_tag(path=str(STYLESHEET))
    return page


def shown(browser: Browser, api: InProcessApi, path: str) -> Page:
    html = cookie(api).get(path)
    assert html.status_code == 200, html.body
    return in_chromium(browser, html.body.decode())


def test_the_panel_shows_the_problem_then_its_fix(
    browser: Browser, api: InProcessApi, screenshot: Screenshot
) -> None:
    report_id = waiting_report(api)

    page = shown(browser, api, f"/staff/reports/{report_id}")
    section = page.locator("section.nibrs")
    expect(section).to_contain_text("Not valid: correct it before approving.")
    expect(section).to_contain_text(SERIAL_MISSING.element)
    link = section.get_by_role("link", name="correct “Stolen items”")
    expect(link).to_have_attribute("href", f"/staff/reports/{report_id}/corrections#stolen_items")
    expect(section.get_by_role("link", name="Download the NIBRS XML preview")).to_be_visible()
    no_serious_violations(page, "the NIBRS panel, not valid")
    screenshot(page, "nibrs-panel-invalid")
    page.context.close()

    refused = cookie(api).post_form(f"/staff/reports/{report_id}/decision", {"decision": "approve"})
    assert refused.status_code == 409
    page = in_chromium(browser, refused.body.decode())
    expect(page.locator("#decision-error")).to_contain_text("cannot be approved yet")
    screenshot(page, "nibrs-approval-refused")
    page.context.close()

    assert the_lock_with_its_serial(api, report_id).status_code == 200
    page = shown(browser, api, f"/staff/reports/{report_id}")
    expect(page.locator("section.nibrs")).to_contain_text("Valid: approving it sends a NIBRS")
    no_serious_violations(page, "the NIBRS panel, valid")
    screenshot(page, "nibrs-panel-valid")
    page.context.close()
