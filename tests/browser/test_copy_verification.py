"""Checking a copy in the browser, as an insurer or a landlord would: the QR code's link from a
real copy, the form, a code that was never issued and one that cannot be a code, in English and
Spanish, each page checked with axe (no violation at all) and kept as a screenshot."""

from __future__ import annotations

import io
import re

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.test_report_status import approved_report, sign_in
from tests.support.answers import theft_answers
from tests.support.flows import resident_view
from tests.support.local_stack import RunningStack

from .conftest import NewPhone, Screenshot

pytestmark = pytest.mark.browser

CODE_ON_PAPER = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b")


def no_violations(page: Page, name: str) -> None:
    violations = Axe().run(page).response["violations"]
    assert not violations, f"axe-core on {name}: " + "; ".join(
        f"{v['id']} ({v['impact']}) at {v['nodes'][0]['target'][0]}: {v['help']}"
        for v in violations
    )


def printed_code(stack: RunningStack, auth: dict[str, str], report_id: str) -> str:
    """The code as printed on the resident's copy, read back from the PDF."""
    copy_url = resident_view(stack, auth, report_id)["copy_url"]
    pdf = requests.get(copy_url, headers=auth, timeout=10).content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert f"{stack.app_url}/copies/verify" in text, text
    found = CODE_ON_PAPER.search(text)
    assert found, text
    return found.group(1)


def test_a_copy_is_checked_from_its_code_and_shows_nothing_personal(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    resident = new_phone()
    auth = sign_in(resident, running_stack)
    report_id, case_number = approved_report(running_stack, auth)
    code = printed_code(running_stack, auth, report_id)
    answers = theft_answers()
    personal = [
        answers["reporter_name"],
        answers["reporter_phone"],
        answers["reporter_address"]["line1"],
        answers["narrative"],
        "Black Trek bicycle",
        "@example.com",
        report_id,
    ]

    # Someone else, not signed in, types the code from the paper.
    page = new_phone()
    page.goto("/copies/verify")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check a copy of a police report")
    no_violations(page, "the check form (en)")
    screenshot(page, "copy-verify-form-en")
    page.get_by_label("Verification code").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Check the code").click()

    main = page.get_by_role("main")
    expect(page.get_by_role("heading", level=1)).to_have_text("This copy is genuine")
    expect(main).to_contain_text(case_number)
    expect(main).to_contain_text("Something was stolen")
    expect(main).to_contain_text(code)
    body = page.content()
    for detail in personal:
        assert detail not in body, f"the check page shows {detail!r}"
    no_violations(page, "a genuine copy (en)")
    screenshot(page, "copy-verify-genuine-en")

    # The QR code's link, in Spanish.
    response = page.goto(f"/copies/verify?code={code.replace('-', '')}&lang=es")
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Esta copia es auténtica")
    expect(main).to_contain_text(case_number)
    expect(main).to_contain_text("Me robaron algo")
    no_violations(page, "a genuine copy (es)")
    screenshot(page, "copy-verify-genuine-es")


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_code_never_issued_and_one_that_cannot_be_a_code(
    phone: Page, language: str, screenshot: Screenshot
) -> None:
    unknown = phone.goto(f"/copies/verify?code=2222-3333-4444&lang={language}")

    assert unknown is not None and unknown.status == 404
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "No copy with this code" if language == "en" else "No hay ninguna copia con este código"
    )
    no_violations(phone, f"a code never issued ({language})")
    screenshot(phone, f"copy-verify-unknown-{language}")

    phone.get_by_label("Verification code" if language == "en" else "Código de verificación").fill(
        "not a code"
    )
    with phone.expect_response(lambda r: r.url.endswith("/copies/verify")) as sent:
        phone.get_by_role(
            "button", name="Check the code" if language == "en" else "Verificar el código"
        ).click()
    assert sent.value.status == 422
    summary = phone.get_by_role("alert")
    expect(summary).to_be_visible()
    summary.get_by_role("link").click()
    expect(phone.locator("#code")).to_be_focused()
    expect(phone.locator("#code")).to_have_attribute("aria-invalid", "true")
    no_violations(phone, f"a malformed code ({language})")
    screenshot(phone, f"copy-verify-malformed-{language}")
