"""The status page of an approved report, on a phone: in English and Spanish, and the copy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from chalicelib.routes.edge import SESSION_COOKIE
from tests.browser.links import press_continue
from tests.support.flows import poll, resident_view, staff, submitted_theft
from tests.support.local_stack import RunningStack

from .conftest import NewPhone, Screenshot

pytestmark = pytest.mark.browser

SERIOUS = {"serious", "critical"}
RECORDS_ADDRESS = "100 Main Street, Riverton, CT 06600"


def no_serious_violations(page: Page, name: str) -> None:
    violations = [
        violation
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in SERIOUS
    ]
    assert not violations, f"axe-core on {name}: " + "; ".join(
        f"{v['id']} ({v['impact']}) at {v['nodes'][0]['target'][0]}: {v['help']}"
        for v in violations
    )


def sign_in(page: Page, stack: RunningStack) -> dict[str, str]:
    """Sign the phone in through /start and the emailed link; its session, as a bearer header."""
    address = f"status-{uuid4().hex[:8]}@example.com"
    page.goto("/start")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    page.goto(stack.latest_link(address))
    press_continue(page)
    expect(page.get_by_role("status")).to_contain_text("Your email address is confirmed.")
    [session] = [c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    return {"Authorization": f"Bearer {session}"}


def approved_report(stack: RunningStack, auth: dict[str, str]) -> tuple[str, str]:
    """Submit a theft report as the phone's resident, approve it; its id and case number, once
    the copy is stored."""
    report_id = submitted_theft(stack, auth)["id"]
    reviewer = staff(stack)
    decided = poll(
        lambda: requests.post(
            f"{stack.app_url}/api/staff/reports/{report_id}/decision",
            json={"decision": "approve"},
            headers=reviewer,
            timeout=10,
        ),
        lambda response: (
            not (response.status_code == 409 and "still being prepared" in response.text)
        ),
        interval=0.2,
    )
    assert decided.status_code == 202, decided.text
    view = poll(lambda: resident_view(stack, auth, report_id), lambda seen: seen["case_number"])
    assert view["case_number"], view
    copy = poll(
        lambda: requests.get(view["copy_url"], headers=auth, allow_redirects=False, timeout=10),
        lambda response: response.status_code != 409,
        interval=0.2,
    )
    assert copy.status_code == 302, f"the copy is not ready: {copy.status_code} {copy.text}"
    return report_id, str(view["case_number"])


def download_starts_with_pdf(page: Page, click: Callable[[], object]) -> str:
    """Start a download with `click`; its suggested file name, once it holds a PDF."""
    with page.expect_download() as started:
        click()
    download = started.value
    assert download.failure() is None, download.failure()
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF-"), content[:40]
    return download.suggested_filename


def test_the_status_page_of_an_approved_report_in_english_and_spanish(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    page = new_phone(accept_downloads=True)
    report_id, case_number = approved_report(running_stack, sign_in(page, running_stack))

    response = page.goto(f"/report/{report_id}")
    assert response is not None and response.status == 200, response and response.status
    main = page.get_by_role("main")
    expect(main).to_contain_text("Your report was accepted")
    expect(main).to_contain_text(case_number)
    expect(main).to_contain_text(RECORDS_ADDRESS)
    expect(main).to_contain_text("Monday to Friday, 8:30 a.m. to 4:30 p.m.")
    expect(main.get_by_role("heading", name="What has happened so far")).to_be_visible()
    expect(main.locator("ol.timeline li")).to_have_count(2)
    expect(main.locator("ol.timeline")).to_contain_text("Submitted")
    expect(main.locator("ol.timeline")).to_contain_text("Accepted")
    copy_link = main.get_by_role("link", name="Download the copy (PDF)")
    expect(copy_link).to_have_attribute("href", f"/report/{report_id}/copy")
    no_serious_violations(page, "status page (en)")
    screenshot(page, "status-approved-en")

    filename = download_starts_with_pdf(page, copy_link.click)
    assert filename == f"{case_number}.pdf"

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
    expect(page).to_have_url(f"{running_stack.app_url}/report/{report_id}?lang=es")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(main).to_contain_text("Su reporte fue aceptado")
    expect(main).to_contain_text(case_number)
    expect(main).to_contain_text("De lunes a viernes")
    expect(main.get_by_role("heading", name="Lo que ha pasado hasta ahora")).to_be_visible()
    expect(main.locator("ol.timeline")).to_contain_text("Aceptado")
    spanish_link = main.get_by_role("link", name="Descargar la copia (PDF)")
    expect(spanish_link).to_be_visible()
    no_serious_violations(page, "status page (es)")
    screenshot(page, "status-approved-es")

    download_starts_with_pdf(page, spanish_link.click)


def test_the_copy_link_downloads_the_pdf_in_the_browser(
    new_phone: NewPhone, running_stack: RunningStack
) -> None:
    """The download itself, without the status page: its link's target, opened directly."""
    page = new_phone(accept_downloads=True)
    report_id, case_number = approved_report(running_stack, sign_in(page, running_stack))

    filename = download_starts_with_pdf(
        page, lambda: page.evaluate(f"window.location.href = '/report/{report_id}/copy'")
    )

    assert filename == f"{case_number}.pdf"
