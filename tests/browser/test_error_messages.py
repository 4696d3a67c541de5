"""Each error message names its question (GOV.UK's error messages do): an error summary never
shows the same words twice, in English or Spanish, and axe finds no violation on it. Outside
the area, the stopped page's advice agrees with its reason."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.test_report_wizard import (
    choose_no,
    continue_es,
    days_ago,
    fill_named,
    walk_theft,
)
from tests.support.local_stack import RunningStack

from .conftest import Screenshot

PEOPLE = {
    "en": {
        "anyone_injured": "Select yes if anyone was hurt",
        "weapon_involved": "Select yes if a weapon was used or shown",
        "suspect_known": "Select yes if you know who did it or could name them",
    },
    "es": {
        "anyone_injured": "Seleccione «Sí» si alguien resultó herido",
        "weapon_involved": "Seleccione «Sí» si se usó o se mostró un arma",
        "suspect_known": "Seleccione «Sí» si sabe quién lo hizo o podría nombrar a esa persona",
    },
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_error_summary_names_each_question_it_lists(
    language: str, phone: Page, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    reference = walk_theft(phone, running_stack, until="urgency")
    if language == "es":
        phone.goto(f"/report/{reference}/step/urgency?lang=es")
    choose_no(phone, "happening_now")  # the other three safety questions left unanswered
    continue_es(phone)  # "Save and continue", in either language

    summary = phone.get_by_role("alert")
    expect(summary.get_by_role("link")).to_have_count(3)
    links = summary.get_by_role("link")
    shown = [links.nth(index).inner_text() for index in range(3)]
    assert shown == list(PEOPLE[language].values())
    assert len(set(shown)) == len(shown)
    for question, message in PEOPLE[language].items():
        expect(summary.get_by_role("link", name=message)).to_have_attribute("href", f"#{question}")
        expect(phone.locator(f"#{question}-error")).to_contain_text(message)
    screenshot(phone, f"error-summary-people-{language}")

    violations = Axe().run(phone).response["violations"]
    assert not violations, "\n".join(
        f"- {violation['id']} ({violation['impact']}): {violation['help']}"
        for violation in violations
    )


OUTSIDE = {
    "en": (
        "the police department where it happened needs to take your report",
        "Contact the police department for the place where it happened.",
    ),
    "es": (
        "el departamento de policía del lugar donde ocurrió debe tomar su reporte",
        "Comuníquese con el departamento de policía del lugar donde ocurrió.",
    ),
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_outside_the_area_the_advice_agrees_with_the_reason(
    language: str, phone: Page, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    reference = walk_theft(phone, running_stack, until="when")
    if language == "es":
        phone.goto(f"/report/{reference}/step/when?lang=es")
    fill_named(phone, "incident_date.from", days_ago(3).isoformat())
    fill_named(phone, "incident_location.line1", "1 Broad Street")
    fill_named(phone, "incident_location.city", "New York")
    fill_named(phone, "incident_location.zip", "10004")
    continue_es(phone)
    # The report has answers: the page asks first, with the same advice, before it ends it.
    asked = phone.get_by_role("main")
    expect(asked).to_contain_text(OUTSIDE[language][1])
    phone.locator("button[name=screening][value=confirmed]").click()

    main = phone.get_by_role("main")
    reason, advice = OUTSIDE[language]
    expect(main).to_contain_text(reason)
    expect(main).to_contain_text(advice)
    expect(main.get_by_role("link", name="(555) 010-4400")).to_be_visible()
    expect(main).not_to_contain_text("an officer will take your report")
    expect(main).not_to_contain_text("un agente tomará su reporte")
    screenshot(phone, f"stopped-outside-the-area-{language}")

    violations = Axe().run(phone).response["violations"]
    assert not violations, "\n".join(
        f"- {violation['id']} ({violation['impact']}): {violation['help']}"
        for violation in violations
    )
