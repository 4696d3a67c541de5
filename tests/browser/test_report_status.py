"""The status page on a phone, in English and Spanish: an approved report and its copy;
withdrawing a report (asked first, then confirmed); answering staff's question (an error summary,
a confirmation, and the question and answer kept in the timeline)."""

from __future__ import annotations

import re
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


def no_violations(page: Page, name: str) -> None:
    """axe-core finds nothing at all, whatever its impact (the pages this issue adds or changes)."""
    violations = Axe().run(page).response["violations"]
    assert not violations, f"axe-core on {name}: " + "; ".join(
        f"{v['id']} ({v['impact']}) at {v['nodes'][0]['target'][0]}: {v['help']}"
        for v in violations
    )


def sign_in(page: Page, stack: RunningStack, address: str | None = None) -> dict[str, str]:
    """Sign the phone in through /start and the emailed link; its session, as a bearer header."""
    address = address or f"status-{uuid4().hex[:8]}@example.com"
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


def switch_to(page: Page, language: str) -> None:
    """The language switch, whose own name is in the page's language."""
    switch = page.locator("nav.language-switch")
    switch.get_by_role("link", name=language).click()


def test_a_resident_withdraws_a_report_after_confirming_in_english_and_spanish(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    page = new_phone()
    address = f"withdraw-{uuid4().hex[:8]}@example.com"
    report_id = submitted_theft(running_stack, sign_in(page, running_stack, address))["id"]

    page.goto(f"/report/{report_id}")
    main = page.get_by_role("main")
    no_violations(page, "status page, submitted (en)")
    main.get_by_role("link", name="Withdraw this report").click()
    expect(page).to_have_url(f"{running_stack.app_url}/report/{report_id}/withdraw")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Are you sure you want to withdraw your report?"
    )
    expect(main.get_by_role("link", name="No, keep my report")).to_have_attribute(
        "href", f"/report/{report_id}"
    )
    no_violations(page, "withdraw confirmation (en)")
    switch_to(page, "Español")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "¿Está seguro de que quiere retirar su reporte?"
    )
    no_violations(page, "withdraw confirmation (es)")
    screenshot(page, "withdraw-confirm-es")

    main.get_by_role("button", name="Sí, retirar mi reporte").click()

    expect(page).to_have_url(re.compile(rf"/report/{report_id}\?done=withdrawn$"))
    expect(page.get_by_role("alert")).to_contain_text("Su reporte fue retirado")
    expect(main).to_contain_text("Usted retiró este reporte el")
    expect(main.locator("ol.timeline")).to_contain_text("Retirado")
    expect(main.get_by_role("link", name="Retirar este reporte")).to_have_count(0)
    no_violations(page, "status page, withdrawn (es)")
    screenshot(page, "withdrawn-es")
    switch_to(page, "English")
    expect(page.get_by_role("alert")).to_contain_text("Your report was withdrawn")
    expect(main).to_contain_text("You withdrew this report on")
    expect(main.locator("ol.timeline li").last).to_contain_text("Withdrawn")
    no_violations(page, "status page, withdrawn (en)")
    sent = poll(
        lambda: [m for m in running_stack.emails_to(address) if m["kind"] == "withdrawn"], bool
    )
    assert len(sent) == 1 and report_id in sent[0]["subject"], sent


def ask(stack: RunningStack, report_id: str, question: str) -> None:
    reviewer = staff(stack)
    asked = poll(
        lambda: requests.post(
            f"{stack.app_url}/api/staff/reports/{report_id}/decision",
            json={"decision": "request_info", "reason": question},
            headers=reviewer,
            timeout=10,
        ),
        lambda response: (
            not (response.status_code == 409 and "still being prepared" in response.text)
        ),
        interval=0.2,
    )
    assert asked.status_code == 202, asked.text


@pytest.mark.parametrize("language", ["en", "es"])
def test_answering_a_question_summarises_errors_confirms_and_keeps_both(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot, language: str
) -> None:
    """Defect 11: no error summary, no confirmation after sending, and the question and the
    answer could not be seen afterwards."""
    words = {
        "en": {
            "send": "Answer the question",
            "problem": "There is a problem",
            "enter": "Enter your answer",
            "sent": "Your answer was sent",
        },
        "es": {
            "send": "Responder la pregunta",
            "problem": "Hay un problema",
            "enter": "Escriba su respuesta",
            "sent": "Su respuesta se envió",
        },
    }[language]
    page = new_phone()
    report_id = submitted_theft(running_stack, sign_in(page, running_stack))["id"]
    question = "What colour is the bicycle? Is there a sticker?"
    ask(running_stack, report_id, question)
    main = page.get_by_role("main")

    # an empty answer, sent as soon as the workflow waits for one (its email goes out first)
    def empty_answer_refused() -> bool:
        page.goto(f"/report/{report_id}?lang={language}")
        if not main.get_by_role("button", name=words["send"]).count():
            return False
        main.get_by_role("button", name=words["send"]).click()
        return page.locator(".error-summary").count() == 1

    assert poll(empty_answer_refused, bool, interval=0.3)
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text(words["problem"])
    expect(summary.get_by_role("link", name=words["enter"])).to_have_attribute("href", "#text")
    expect(page).to_have_title(re.compile("^Error"))
    no_violations(page, f"answer refused ({language})")
    screenshot(page, f"answer-refused-{language}")

    answer = "Black, with a red sticker."
    page.locator("#text").fill(answer)
    main.get_by_role("button", name=words["send"]).click()

    expect(page).to_have_url(re.compile(rf"/report/{report_id}\?done=answered$"))
    expect(page.get_by_role("alert")).to_contain_text(words["sent"])
    timeline = main.locator("ol.timeline")
    expect(timeline).to_contain_text(question)
    expect(timeline).to_contain_text(answer)
    no_violations(page, f"answer sent ({language})")
    screenshot(page, f"answer-sent-{language}")
