"""The report wizard in headless Chromium on a phone: theft and bicycle journeys, errors, screening,
drafts and accessibility, from the emailed link to the confirmation email."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from axe_playwright_python.sync_playwright import Axe
from babel.dates import format_date
from playwright.sync_api import Locator, Page, expect

from tests.browser.links import press_continue
from tests.support.local_stack import RunningStack

from .conftest import NewPhone, Screenshot

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"RPD-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}")
NON_EMERGENCY = "(555) 010-4400"
SERIOUS_IMPACTS = {"serious", "critical"}
EMAIL_SECONDS = 20

# The theft flow of the demo profile, in order, with each step's title.
THEFT = "Something was stolen"
THEFT_STEPS = ["urgency", "when", "stolen_items", "narrative", "reporter"]
TITLES = {
    "urgency": "Can you report it online?",
    "when": "When and where did it happen?",
    "stolen_items": "What was stolen?",
    "narrative": "What happened?",
    "reporter": "Your details",
}
STEPS_AND_CHECK = len(THEFT_STEPS) + 2  # the steps, "Photos or documents", check your answers
PHOTOS = "Photos or documents"
POSITIONS = {"urgency": 1, "when": 2, "stolen_items": 3, "narrative": 4, "reporter": 6}
NARRATIVE = "My bicycle was taken from the rack outside my building overnight."
ITEMS = [
    ("Black Trek bicycle", "WTU123456", "450"),
    ("Bike lock", "", "35.50"),
]


def unique_address(kind: str = "wizard") -> str:
    return f"{kind}-{uuid4().hex[:8]}@example.com"


def days_ago(days: int) -> date:
    """A day safely in the past (or future) in the agency's time zone, whatever the hour in UTC."""
    return datetime.now(UTC).date() - timedelta(days=days)


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def html_lang(page: Page) -> Locator:
    return page.locator("html")


def wait_for_email(
    stack: RunningStack, address: str, containing: str, seconds: float = EMAIL_SECONDS
) -> dict[str, str]:
    """The first email to `address` whose subject or text holds `containing`, polled."""
    deadline = time.monotonic() + seconds
    while True:
        for message in stack.emails_to(address):
            if containing in message["subject"] or containing in message["text"]:
                return message
        if time.monotonic() > deadline:
            pytest.fail(f"no email to {address} mentions {containing} after {seconds} s")
        time.sleep(0.2)


def sign_in(page: Page, stack: RunningStack, address: str) -> None:
    """Ask for a link on /start, follow the emailed link, land on the incident types."""
    page.goto("/start")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send me a link").click()
    expect(heading(page)).to_have_text("Check your email")
    page.goto(stack.latest_link(address))
    press_continue(page)
    expect(page).to_have_url(f"{stack.app_url}/report?confirmed=1")
    expect(page.get_by_role("status")).to_contain_text("Your email address is confirmed.")


def report_id(page: Page) -> str:
    match = REFERENCE.search(page.url)
    assert match, f"no report reference in {page.url}"
    return match.group(0)


def expect_step(
    page: Page,
    step: str,
    position: int | None = None,
    total: int = STEPS_AND_CHECK,
    query: str = "",
) -> None:
    expect(page).to_have_url(
        re.compile(rf"/report/{REFERENCE.pattern}/step/{step}{re.escape(query)}$")
    )
    expect(heading(page)).to_have_text(TITLES[step])
    if position is not None:
        caption = f"Step {position} of {total} · {THEFT}"
        expect(page.locator(".caption")).to_have_text(caption)


def save_and_continue(page: Page) -> None:
    page.get_by_role("button", name="Save and continue").click()


def group(page: Page, name: str) -> Locator:
    return page.get_by_role("group", name=name, exact=True)


# Answers to each step of the theft flow, in English, through labels a resident sees.


def answer_yes_no(page: Page, question: str, answer: str) -> None:
    group(page, question).get_by_role("radio", name=answer, exact=True).check()


def fill_urgency(page: Page, hurt: str = "No", now: str = "No") -> None:
    """The four safety questions, on one page."""
    answer_yes_no(page, "Is it happening now, or is anyone in danger?", now)
    answer_yes_no(page, "Was anyone hurt?", hurt)
    answer_yes_no(page, "Was a weapon used or shown?", "No")
    answer_yes_no(page, "Do you know who did it, or could you name them?", "No")


def date_end(page: Page, end: str) -> Locator:
    return group(page, "Date").get_by_label(end, exact=True)


def fill_dates(page: Page, start: date | None, end: date | None) -> None:
    date_end(page, "From").fill(start.isoformat() if start else "")
    date_end(page, "To").fill(end.isoformat() if end else "")


def fill_when(page: Page, day: date | None = None, at: str = "21:30") -> None:
    """When (one day: the same in both boxes) and where."""
    fill_dates(page, day or days_ago(3), day or days_ago(3))
    page.get_by_label("Time (optional)").fill(at)
    fill_where(page)


def fill_address(page: Page, legend: str, line1: str, city: str, zip_code: str) -> None:
    fieldset = group(page, legend)
    fieldset.get_by_label("Street address").fill(line1)
    fieldset.get_by_label("Town or city").fill(city)
    fieldset.get_by_label("ZIP code").fill(zip_code)


def fill_where(page: Page) -> None:
    fill_address(page, "Address or nearest address", "12 Elm Street", "Riverton", "06600")


def item(page: Page, number: int) -> Locator:
    return page.locator(".item").filter(has=page.get_by_role("heading", name=f"Item {number}"))


def fill_item(page: Page, number: int, description: str, serial: str, value: str) -> None:
    row = item(page, number)
    row.get_by_label("What is it?").fill(description)
    row.get_by_label("Serial number (optional)").fill(serial)
    row.get_by_label("Value").fill(value)


def fill_two_items(page: Page) -> None:
    """One item, "Add another item" (a round trip that keeps what was typed), then the second."""
    fill_item(page, 1, *ITEMS[0])
    page.get_by_role("button", name="Add another item").click()
    expect(item(page, 2)).to_be_visible()
    fill_item(page, 2, *ITEMS[1])


def fill_narrative(page: Page, text: str = NARRATIVE) -> None:
    page.get_by_label("Describe what happened in your own words").fill(text)


def fill_reporter(page: Page) -> None:
    page.get_by_label("Full name").fill("Zoë Łukasz-Muñoz")
    page.get_by_label("Phone number").fill("(203) 555-0142")
    fill_address(page, "Home address", "12 Elm Street", "Riverton", "06600")


FILL: dict[str, Callable[[Page], None]] = {
    "urgency": fill_urgency,
    "when": fill_when,
    "stolen_items": fill_two_items,
    "narrative": fill_narrative,
    "reporter": fill_reporter,
}


def start_theft(page: Page, stack: RunningStack, address: str | None = None) -> str:
    sign_in(page, stack, address or unique_address())
    page.get_by_role("radio", name=THEFT, exact=True).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    expect_step(page, "urgency", 1)
    return report_id(page)


def pass_photos(page: Page, position: int = 5) -> None:
    """The optional "Photos or documents" step after the story: continue without a file."""
    expect(page).to_have_url(re.compile(rf"/report/{REFERENCE.pattern}/step/attachments$"))
    expect(heading(page)).to_have_text(PHOTOS)
    if position:
        expect(page.locator(".caption")).to_contain_text(f"Step {position} of {STEPS_AND_CHECK}")
    page.locator("button[value=continue]:not(.visually-hidden)").click()


def walk_theft(page: Page, stack: RunningStack, until: str = "check") -> str:
    """Start a theft report and answer every step before `until` (a step, or "check")."""
    reference = start_theft(page, stack)
    for step in THEFT_STEPS:
        expect_step(page, step, POSITIONS[step])
        if step == until:
            return reference
        FILL[step](page)
        save_and_continue(page)
        if step == "narrative":
            if until == "attachments":
                return reference
            pass_photos(page)
    expect(page).to_have_url(re.compile(rf"/report/{reference}/check$"))
    expect(heading(page)).to_have_text("Check your answers")
    return reference


# 1. The whole theft report in English, without JavaScript.


def test_theft_report_from_type_to_confirmation_email_without_javascript(
    new_phone: NewPhone, running_stack: RunningStack
) -> None:
    page = new_phone(java_script_enabled=False)
    address = unique_address("theft")
    incident_day = days_ago(3)

    sign_in(page, running_stack, address)
    expect(heading(page)).to_have_text("What happened?")
    page.get_by_role("radio", name=THEFT, exact=True).check()
    page.get_by_role("button", name="Continue", exact=True).click()

    expect_step(page, "urgency", 1)
    reference = report_id(page)
    base = f"/report/{reference}"
    expect(page.get_by_role("link", name="Back")).to_have_attribute(
        "href", f"/report?draft={reference}"
    )
    fill_urgency(page)
    save_and_continue(page)

    expect_step(page, "when", 2)
    expect(page.get_by_role("link", name="Back")).to_have_attribute("href", f"{base}/step/urgency")
    expect(group(page, "Date")).to_have_accessible_description(
        re.compile("^If you know the day, enter it in both boxes.")
    )
    fill_when(page, incident_day, "21:30")
    save_and_continue(page)

    expect_step(page, "stolen_items", 3)
    expect(page.get_by_role("button", name=re.compile(r"^Remove item"))).to_have_count(0)
    fill_item(page, 1, *ITEMS[0])
    page.get_by_role("button", name="Add another item").click()
    expect(item(page, 2)).to_be_visible()
    expect_step(page, "stolen_items", 3)
    expect(item(page, 1).get_by_label("What is it?")).to_have_value(ITEMS[0][0])
    expect(item(page, 1).get_by_label("Serial number (optional)")).to_have_value(ITEMS[0][1])
    expect(item(page, 1).get_by_label("Value")).to_have_value(ITEMS[0][2])
    expect(item(page, 2).get_by_label("What is it?")).to_have_value("")
    expect(page.locator(".total")).to_have_text("Total value: $450.00")
    expect(page.get_by_role("button", name="Remove item 1")).to_be_visible()
    expect(page.get_by_role("button", name="Remove item 2")).to_be_visible()
    fill_item(page, 2, *ITEMS[1])
    save_and_continue(page)

    expect_step(page, "narrative", 4)
    page.get_by_role("link", name="Back").click()
    expect_step(page, "stolen_items", 3)
    expect(page.locator(".item")).to_have_count(2)
    expect(item(page, 2).get_by_label("Value")).to_have_value("35.50")
    expect(page.locator(".total")).to_have_text("Total value: $485.50")
    save_and_continue(page)

    expect_step(page, "narrative", 4)
    fill_narrative(page)
    save_and_continue(page)

    pass_photos(page)
    expect_step(page, "reporter", 6)
    expect(page.get_by_role("link", name="Back")).to_have_attribute(
        "href", f"{base}/step/attachments"
    )
    fill_reporter(page)
    save_and_continue(page)

    expect(page).to_have_url(f"{running_stack.app_url}{base}/check")
    expect(heading(page)).to_have_text("Check your answers")
    expect(page.locator(".caption")).to_have_text(f"Step 7 of 7 · {THEFT}")
    main = page.get_by_role("main")
    for title in TITLES.values():
        expect(main.get_by_role("heading", level=2, name=title, exact=True)).to_be_visible()
    expect(main).to_contain_text(format_date(incident_day, format="long", locale="en"))
    expect(main).to_contain_text("Black Trek bicycle (serial WTU123456): $450.00")
    expect(main).to_contain_text("Bike lock: $35.50")
    expect(main).to_contain_text("Total value: $485.50")
    expect(main).to_contain_text(NARRATIVE)
    expect(main).to_contain_text("Zoë Łukasz-Muñoz")

    page.get_by_role("link", name="Change Describe what happened in your own words").click()
    expect_step(page, "narrative", 4, query="?change=1")
    expect(page.get_by_role("link", name="Back")).to_have_attribute("href", f"{base}/check")
    story = page.get_by_label("Describe what happened in your own words")
    expect(story).to_have_value(NARRATIVE)
    changed = "The bicycle and its lock were taken from the rack outside, between 9 and 11 p.m."
    story.fill(changed)
    save_and_continue(page)
    expect(page).to_have_url(f"{running_stack.app_url}{base}/check")
    expect(main).to_contain_text(changed)
    expect(main).not_to_contain_text(NARRATIVE)

    page.get_by_role("button", name="Submit report").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Confirm that your report is true to continue")
    expect(page).to_have_title(re.compile(r"^Error: Check your answers"))
    declaration = page.get_by_role("checkbox")
    expect(declaration).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#declaration-error")).to_contain_text(
        "Confirm that your report is true to continue"
    )
    declaration.check()
    page.get_by_role("button", name="Submit report").click()

    expect(page).to_have_url(f"{running_stack.app_url}{base}/submitted")
    expect(heading(page)).to_have_text("Report submitted")
    expect(page.locator(".reference")).to_have_text(reference)
    expect(page.get_by_role("main")).to_contain_text(
        re.compile(rf"Your reference is\s*{reference}")
    )

    confirmation = wait_for_email(running_stack, address, reference)
    assert reference in confirmation["subject"]
    assert reference in confirmation["text"]


# 2. The whole bicycle report in Spanish: profile texts in Spanish, UI located by role and value.

SPANISH_TITLES = [
    ("urgency", "¿Puede reportarlo en línea?"),
    ("when", "¿Cuándo y dónde ocurrió?"),
    ("bicycle", "Sobre la bicicleta"),
    ("narrative", "¿Qué ocurrió?"),
    ("attachments", "Fotos o documentos"),
    ("reporter", "Sus datos"),
]


def expect_spanish(page: Page) -> None:
    expect(html_lang(page)).to_have_attribute("lang", "es")


def choose_no(page: Page, question: str) -> None:
    page.locator(f'input[type=radio][name="{question}"][value="no"]').check()


def fill_named(page: Page, name: str, value: str) -> None:
    page.locator(f'[name="{name}"]').fill(value)


def continue_es(page: Page) -> None:
    page.locator("button[value=continue]:not(.visually-hidden)").click()


def test_bicycle_report_in_spanish(new_phone: NewPhone, running_stack: RunningStack) -> None:
    page = new_phone()
    address = unique_address("espanol")
    incident_day = days_ago(5)

    sign_in(page, running_stack, address)
    expect(html_lang(page)).to_have_attribute("lang", "en")
    page.get_by_role("navigation").get_by_role("link", name="Español").click()
    expect_spanish(page)
    expect(page.get_by_role("navigation").get_by_role("link", name="English")).to_be_visible()
    bicycle = page.get_by_role("radio", name="Me robaron la bicicleta", exact=True)
    expect(page.get_by_text("Se llevaron una bicicleta, una bicicleta eléctrica")).to_be_visible()
    bicycle.check()
    page.locator("form[action$='/report'] button[type=submit]").click()

    for position, (step, title) in enumerate(SPANISH_TITLES, start=1):
        expect(page).to_have_url(re.compile(rf"/report/{REFERENCE.pattern}/step/{step}$"))
        expect_spanish(page)
        expect(heading(page)).to_have_text(title)
        expect(page).to_have_title(re.compile("^" + re.escape(title)))
        expect(page.locator(".caption")).to_contain_text(re.compile(rf"\b{position}\b\D+\b7\b"))
        expect(page.locator(".caption")).to_contain_text("Me robaron la bicicleta")
        if step == "urgency":
            urgent = "¿Está ocurriendo ahora o hay alguien en peligro?"
            expect(page.get_by_role("group", name=urgent)).to_be_visible()
            expect(page.get_by_role("group", name="¿Resultó alguien herido?")).to_be_visible()
            for question in ("happening_now", "anyone_injured", "weapon_involved", "suspect_known"):
                choose_no(page, question)
        elif step == "when":
            dates = page.get_by_role("group", name="Fecha", exact=True)
            expect(dates).to_have_accessible_description(
                re.compile("^Si sabe el día, escríbalo en las dos casillas.")
            )
            dates.get_by_label("Desde", exact=True).fill(days_ago(7).isoformat())
            dates.get_by_label("Hasta", exact=True).fill(incident_day.isoformat())
            page.get_by_label("Hora (opcional)").fill("07:45")
            expect(
                page.get_by_role("group", name="Dirección o la dirección más cercana")
            ).to_be_visible()
            fill_named(page, "incident_location.line1", "40 Harbor Road")
            fill_named(page, "incident_location.city", "Lordship")
            fill_named(page, "incident_location.zip", "06615")
        elif step == "bicycle":
            page.get_by_label("Marca, modelo y color").fill("Trek FX 2, azul")
            serial = page.get_by_label("Número de serie del cuadro (opcional)")
            expect(serial).to_have_accessible_description(
                "Normalmente está grabado debajo de los pedales."
            )
            serial.fill("WTU998877")
            page.get_by_label("¿Cuánto vale?").fill("620")
        elif step == "narrative":
            page.get_by_label("Describa lo que ocurrió con sus propias palabras").fill(
                "Dejé la bicicleta con candado frente a la biblioteca y ya no estaba."
            )
        elif step == "reporter":
            page.get_by_label("Nombre completo").fill("María José Peña")
            page.get_by_label("Número de teléfono").fill("203-555-0199")
            fill_named(page, "reporter_address.line1", "7 Calle Mayor")
            fill_named(page, "reporter_address.city", "Riverton")
            fill_named(page, "reporter_address.zip", "06600")
        continue_es(page)

    expect(page).to_have_url(re.compile(rf"/report/{REFERENCE.pattern}/check$"))
    reference = report_id(page)
    expect_spanish(page)
    main = page.get_by_role("main")
    for _, title in SPANISH_TITLES:
        expect(main.get_by_role("heading", level=2, name=title, exact=True)).to_be_visible()
    expect(main).to_contain_text("Marca, modelo y color")
    expect(main).to_contain_text("Trek FX 2, azul")
    expect(main).to_contain_text("$620.00")
    expect(main).to_contain_text(
        "Entre el {} y el {}".format(
            format_date(days_ago(7), format="long", locale="es"),
            format_date(incident_day, format="long", locale="es"),
        )
    )
    expect(main).to_contain_text("María José Peña")

    page.locator("input[name=declaration]").check()
    page.locator("form[action$='/submit'] button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/report/{reference}/submitted$"))
    expect_spanish(page)
    expect(page.locator(".reference")).to_have_text(reference)
    expect(page.get_by_role("navigation").get_by_role("link", name="English")).to_be_visible()

    confirmation = wait_for_email(running_stack, address, reference)
    assert reference in confirmation["subject"] or reference in confirmation["text"]


def test_language_switch_after_a_refused_submit_stays_on_the_report(
    phone: Page, running_stack: RunningStack
) -> None:
    reference = walk_theft(phone, running_stack)
    phone.get_by_role("button", name="Submit report").click()
    expect(phone.get_by_role("alert")).to_contain_text("There is a problem")

    phone.get_by_role("navigation").get_by_role("link", name="Español").click()
    expect_spanish(phone)
    expect(phone).to_have_url(re.compile(rf"/report/{reference}/(check|submit)"))
    expect(phone.locator("input[name=declaration]")).to_be_visible()


# 3. A date in the future is explained, and what was typed is kept.


def test_future_date_is_explained_and_the_typed_values_are_kept(
    phone: Page, running_stack: RunningStack
) -> None:
    walk_theft(phone, running_stack, until="when")
    future = days_ago(-5)
    fill_when(phone, days_ago(3), "10:15")
    date_end(phone, "To").fill(future.isoformat())
    with phone.expect_response(lambda r: r.request.method == "POST") as posted:
        save_and_continue(phone)
    assert posted.value.status == 422

    message = "The date it happened must be today or in the past"
    summary = phone.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(phone).to_have_title(re.compile(r"^Error: When and where did it happen\?"))
    expect_step(phone, "when", 2)
    field = date_end(phone, "To")
    expect(field).to_have_value(future.isoformat())
    expect(date_end(phone, "From")).to_have_value(days_ago(3).isoformat())
    expect(date_end(phone, "From")).not_to_have_attribute("aria-invalid", "true")
    expect(phone.get_by_label("Time (optional)")).to_have_value("10:15")
    expect(group(phone, "Address or nearest address").get_by_label("ZIP code")).to_have_value(
        "06600"
    )
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(phone.locator('[id="incident_date.to-error"]')).to_contain_text(message)
    expect(field).to_have_accessible_description(re.compile(message))
    expect(phone.get_by_label("Time (optional)")).not_to_have_attribute("aria-invalid", "true")

    summary_link = summary.get_by_role("link", name=message)
    expect(summary_link).to_have_attribute("href", "#incident_date.to")
    summary_link.click()
    expect(field).to_be_focused()

    field.fill(days_ago(1).isoformat())
    save_and_continue(phone)
    expect_step(phone, "stolen_items", 3)
    phone.get_by_role("link", name="Back").click()
    expect_step(phone, "when", 2)
    expect(date_end(phone, "From")).to_have_value(days_ago(3).isoformat())
    expect(date_end(phone, "To")).to_have_value(days_ago(1).isoformat())
    expect(phone.get_by_label("Time (optional)")).to_have_value("10:15")


def test_a_range_with_one_end_is_shown_in_words(phone: Page, running_stack: RunningStack) -> None:
    walk_theft(phone, running_stack, until="when")
    fill_when(phone)
    fill_dates(phone, None, days_ago(10))
    save_and_continue(phone)
    for step in ("stolen_items", "narrative", "reporter"):
        FILL[step](phone)
        save_and_continue(phone)
        if step == "narrative":
            pass_photos(phone)

    expect(heading(phone)).to_have_text("Check your answers")
    latest = format_date(days_ago(10), format="long", locale="en")
    expect(phone.get_by_role("main")).to_contain_text(f"On or before {latest}")


# 4. Screening ends the report and tells the resident whom to call.


def test_someone_hurt_stops_the_report_for_good(phone: Page, running_stack: RunningStack) -> None:
    reference = walk_theft(phone, running_stack, until="urgency")
    fill_urgency(phone, hurt="Yes")
    save_and_continue(phone)

    stopped = f"{running_stack.app_url}/report/{reference}/stopped"
    expect(phone).to_have_url(stopped)
    expect(heading(phone)).to_have_text("We cannot take this report online")
    main = phone.get_by_role("main")
    expect(main).to_contain_text("Someone was hurt, so an officer needs to take your report.")
    number = main.get_by_role("link", name=NON_EMERGENCY)
    expect(number).to_have_attribute("href", "tel:5550104400")
    expect(main).to_contain_text("We have deleted the answers you gave online.")

    for step in ("urgency", "when", "people"):
        phone.goto(f"/report/{reference}/step/{step}")
        expect(phone).to_have_url(stopped)
        expect(heading(phone)).to_have_text("We cannot take this report online")
    phone.goto(f"/report/{reference}/check")
    expect(phone).to_have_url(stopped)


def test_happening_now_tells_the_resident_to_call_911(
    phone: Page, running_stack: RunningStack
) -> None:
    reference = walk_theft(phone, running_stack, until="urgency")
    fill_urgency(phone, now="Yes")
    save_and_continue(phone)

    expect(phone).to_have_url(f"{running_stack.app_url}/report/{reference}/stopped")
    expect(heading(phone)).to_have_text("We cannot take this report online")
    expect(phone.get_by_role("main")).to_contain_text(
        "The incident is happening now or someone is in danger."
    )
    alert = phone.get_by_role("alert")
    expect(alert).to_have_text("Call 911 now.")
    expect(alert.get_by_role("link", name="911")).to_have_attribute("href", "tel:911")


# Defect 4: a mis-tap on the check page no longer erases the report.


def change_hurt_to_yes(page: Page) -> None:
    page.get_by_role("link", name="Change Was anyone hurt?").click()
    expect_step(page, "urgency", 1, query="?change=1")
    answer_yes_no(page, "Was anyone hurt?", "Yes")
    save_and_continue(page)
    expect(heading(page)).to_have_text("Is that answer right?")


def test_a_mis_tap_on_the_check_page_asks_before_anything_is_erased(
    phone: Page, running_stack: RunningStack
) -> None:
    reference = walk_theft(phone, running_stack)
    change_hurt_to_yes(phone)
    main = phone.get_by_role("main")
    expect(main).to_contain_text("Someone was hurt, so an officer needs to take your report.")
    expect(main.get_by_role("link", name=NON_EMERGENCY)).to_have_attribute("href", "tel:5550104400")
    expect(main).to_contain_text("Nothing has changed in your report yet.")

    phone.get_by_role("button", name="Go back and change my answer").click()
    expect_step(phone, "urgency", 1)
    hurt = group(phone, "Was anyone hurt?")
    expect(hurt.get_by_role("radio", name="Yes")).to_be_checked()
    answer_yes_no(phone, "Was anyone hurt?", "No")
    save_and_continue(phone)
    expect(phone).to_have_url(f"{running_stack.app_url}/report/{reference}/check")
    expect(phone.get_by_role("main")).to_contain_text(NARRATIVE)

    change_hurt_to_yes(phone)
    phone.get_by_role("button", name="Yes, that is right").click()
    expect(phone).to_have_url(f"{running_stack.app_url}/report/{reference}/stopped")
    expect(phone.get_by_role("main")).to_contain_text(
        "We have deleted the answers you gave online."
    )


# Defect 3: the emailed link, opened while signed out, leads where it was going.


def test_a_link_opened_signed_out_lands_on_its_page_after_the_email_check(
    new_phone: NewPhone, running_stack: RunningStack
) -> None:
    address = unique_address("follow")
    first = new_phone()
    reference = start_theft(first, running_stack, address)

    second = new_phone()
    second.goto(f"/report/{reference}")
    expect(second.get_by_role("status")).to_contain_text("confirm your email address again")
    second.get_by_label("Email address").fill(address)
    second.get_by_role("button", name="Send me a link").click()
    expect(heading(second)).to_have_text("Check your email")
    link = re.search(
        r"https?://\S+/verify\?token=\S+", running_stack.emails_to(address)[-1]["text"]
    )
    assert link and "next=" in link.group(0)
    second.goto(link.group(0))
    expect(second.get_by_role("radio")).to_have_count(0)
    press_continue(second)

    expect(second).to_have_url(f"{running_stack.app_url}/report/{reference}")
    expect(heading(second)).not_to_have_text("What happened?")


# 5. A draft survives a new browser and a new link.


def test_draft_resumes_at_the_next_step_with_a_new_link_in_a_new_browser(
    new_phone: NewPhone, running_stack: RunningStack
) -> None:
    address = unique_address("draft")
    first = new_phone()
    reference = start_theft(first, running_stack, address)
    fill_urgency(first)
    save_and_continue(first)
    expect_step(first, "when", 2)

    second = new_phone()
    sign_in(second, running_stack, address)
    drafts = second.get_by_role("region", name="Continue a report you started")
    expect(drafts).to_be_visible()
    expect(drafts.get_by_role("heading", name="Continue a report you started")).to_be_visible()
    started = format_date(datetime.now(UTC).date(), format="long", locale="en")
    yesterday = format_date(days_ago(1), format="long", locale="en")
    expect(drafts).to_contain_text(re.compile(f"started ({started}|{yesterday})"))
    drafts.get_by_role("link", name=THEFT, exact=True).click()

    expect_step(second, "when", 2)
    assert report_id(second) == reference
    second.get_by_role("link", name="Back").click()
    expect_step(second, "urgency", 1)
    for question in (
        "Is it happening now, or is anyone in danger?",
        "Was anyone hurt?",
        "Was a weapon used or shown?",
        "Do you know who did it, or could you name them?",
    ):
        expect(group(second, question).get_by_role("radio", name="No")).to_be_checked()
        expect(group(second, question).get_by_role("radio", name="Yes")).not_to_be_checked()


# 6. axe-core on every page of the wizard, with a screenshot of each.


def fill_what_is_asked(page: Page) -> None:
    """Answer whatever the current step asks of a simple theft, by the fields' names."""
    # `count()` does not wait: the step's page must be loaded before it is asked what it holds
    # (on a busy machine the URL can be the step's while its form is still on its way).
    page.wait_for_load_state("load")
    expect(page.locator("form button[value=continue]").first).to_be_attached()
    for name in ("happening_now", "anyone_injured", "weapon_involved", "suspect_known"):
        radio = page.locator(f'input[type=radio][name="{name}"][value="no"]')
        if radio.count():
            radio.check()
    values = {
        "incident_date": days_ago(3).isoformat(),
        "incident_date.from": days_ago(4).isoformat(),
        "incident_date.to": days_ago(3).isoformat(),
        "incident_location.line1": "12 Elm Street",
        "incident_location.city": "Riverton",
        "incident_location.zip": "06600",
        "stolen_items.0.description": "Black Trek bicycle",
        "stolen_items.0.value": "450",
        "narrative": "My bicycle was taken from the rack outside my building overnight.",
        "reporter_name": "Zoë Łukasz-Muñoz",
        "reporter_phone": "(203) 555-0142",
        "reporter_address.line1": "12 Elm Street",
        "reporter_address.city": "Riverton",
        "reporter_address.zip": "06600",
    }
    for name, value in values.items():
        field = page.locator(f'[name="{name}"]')
        if field.count():
            field.fill(value)


def spanish_walk(page: Page, stack: RunningStack, until: str = "check") -> None:
    """A theft in Spanish (the language cookie set first), driven by the fields' names."""
    page.context.add_cookies([{"name": "sr_lang", "value": "es", "url": stack.app_url}])
    address = unique_address("es")
    page.goto("/start")
    page.locator('[name="email"]').fill(address)
    page.locator("form[action$='/start'] button[type=submit]").click()
    page.goto(stack.latest_link(address))
    expect(html_lang(page)).to_have_attribute("lang", "es")
    if until == "verify":
        return
    page.locator("form[action$='/verify'] button[type=submit]").click()
    if until == "choose":
        return
    page.locator('input[name="incident_type"][value="theft"]').check()
    page.locator("form[action$='/report'] button[type=submit]").click()
    while "/step/" in page.url and not page.url.endswith(f"/step/{until}"):
        step = page.url
        fill_what_is_asked(page)
        continue_es(page)
        expect(page).not_to_have_url(step)


def open_in_spanish(name: str, page: Page, stack: RunningStack) -> None:
    until = {
        "wizard-verify-with-choice": "verify",
        "wizard-choose": "choose",
        "wizard-step-urgency": "urgency",
        "wizard-step-when": "when",
        "wizard-step-when-with-error": "when",
    }.get(name, "check")
    spanish_walk(page, stack, until)
    if name == "wizard-step-when-with-error":
        fill_what_is_asked(page)
        fill_named(page, "incident_date.from", days_ago(1).isoformat())
        continue_es(page)
        expect(page.get_by_role("alert")).to_be_visible()
    elif name == "wizard-screening-question":
        page.goto(page.url.replace("/check", "/step/urgency?change=1"))
        page.locator('input[name="anyone_injured"][value="yes"]').check()
        continue_es(page)
        expect(heading(page)).to_have_text("¿Es correcta esa respuesta?")
    expect(html_lang(page)).to_have_attribute("lang", "es")


def open_choose(page: Page, stack: RunningStack) -> None:
    sign_in(page, stack, unique_address())
    expect(heading(page)).to_have_text("What happened?")


def open_choose_with_error(page: Page, stack: RunningStack) -> None:
    open_choose(page, stack)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


def open_verify_with_choice(page: Page, stack: RunningStack) -> None:
    address = unique_address()
    page.goto("/start")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send me a link").click()
    page.goto(stack.latest_link(address))
    expect(page.get_by_role("radio", name=THEFT, exact=True)).to_be_visible()


def open_step(step: str) -> Callable[[Page, RunningStack], None]:
    def open_page(page: Page, stack: RunningStack) -> None:
        walk_theft(page, stack, until=step)

    return open_page


def open_when_with_error(page: Page, stack: RunningStack) -> None:
    walk_theft(page, stack, until="when")
    fill_when(page)
    fill_dates(page, days_ago(1), days_ago(3))
    save_and_continue(page)
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


def open_two_items(page: Page, stack: RunningStack) -> None:
    walk_theft(page, stack, until="stolen_items")
    fill_two_items(page)
    expect(page.locator(".total")).to_have_text("Total value: $450.00")


def open_items_with_error(page: Page, stack: RunningStack) -> None:
    walk_theft(page, stack, until="stolen_items")
    fill_item(page, 1, "Black Trek bicycle", "", "lots")
    save_and_continue(page)
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


def open_check(page: Page, stack: RunningStack) -> None:
    walk_theft(page, stack)


def open_check_with_error(page: Page, stack: RunningStack) -> None:
    walk_theft(page, stack)
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


def open_screening_question(page: Page, stack: RunningStack) -> None:
    walk_theft(page, stack)
    change_hurt_to_yes(page)


def open_submitted(page: Page, stack: RunningStack) -> None:
    walk_theft(page, stack)
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Submit report").click()
    expect(heading(page)).to_have_text("Report submitted")


def open_stopped(page: Page, stack: RunningStack) -> None:
    walk_theft(page, stack, until="urgency")
    fill_urgency(page, hurt="Yes")
    save_and_continue(page)
    expect(heading(page)).to_have_text("We cannot take this report online")


def open_stopped_emergency(page: Page, stack: RunningStack) -> None:
    walk_theft(page, stack, until="urgency")
    fill_urgency(page, now="Yes")
    save_and_continue(page)
    expect(page.get_by_role("alert")).to_contain_text("911")


WIZARD_PAGES: dict[str, Callable[[Page, RunningStack], None]] = {
    "wizard-verify-with-choice": open_verify_with_choice,
    "wizard-choose": open_choose,
    "wizard-choose-with-error": open_choose_with_error,
    "wizard-step-urgency": open_step("urgency"),
    "wizard-step-when": open_step("when"),
    "wizard-step-when-with-error": open_when_with_error,
    "wizard-step-stolen-items": open_step("stolen_items"),
    "wizard-step-stolen-items-2": open_two_items,
    "wizard-step-stolen-items-with-error": open_items_with_error,
    "wizard-step-narrative": open_step("narrative"),
    "wizard-step-reporter": open_step("reporter"),
    "wizard-check": open_check,
    "wizard-check-with-error": open_check_with_error,
    "wizard-screening-question": open_screening_question,
    "wizard-submitted": open_submitted,
    "wizard-stopped": open_stopped,
    "wizard-stopped-emergency": open_stopped_emergency,
}
# The pages issue 14 changed or added, checked again in Spanish and for every axe violation.
CHANGED_PAGES = [
    "wizard-verify-with-choice",
    "wizard-choose",
    "wizard-step-urgency",
    "wizard-step-when",
    "wizard-step-when-with-error",
    "wizard-check",
    "wizard-screening-question",
]


def serious_violations(page: Page) -> list[dict[str, Any]]:
    return [
        violation
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in SERIOUS_IMPACTS
    ]


@pytest.mark.parametrize("name", list(WIZARD_PAGES))
def test_wizard_page_has_no_serious_accessibility_violations(
    name: str, phone: Page, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    WIZARD_PAGES[name](phone, running_stack)
    screenshot(phone, name)

    violations = serious_violations(phone)
    assert not violations, f"axe-core on {name}:\n" + "\n".join(
        f"- {violation['id']} ({violation['impact']}) at {violation['nodes'][0]['target'][0]}: "
        f"{violation['help']}"
        for violation in violations
    )


def every_violation(page: Page) -> list[dict[str, Any]]:
    return list(Axe().run(page).response["violations"])


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", CHANGED_PAGES)
def test_changed_wizard_page_has_no_accessibility_violation_in_either_language(
    name: str, language: str, phone: Page, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    if language == "en":
        WIZARD_PAGES[name](phone, running_stack)
    else:
        open_in_spanish(name, phone, running_stack)
    screenshot(phone, f"{name}-{language}")

    violations = every_violation(phone)
    assert not violations, f"axe-core on {name} ({language}):\n" + "\n".join(
        f"- {violation['id']} ({violation['impact']}) at {violation['nodes'][0]['target'][0]}: "
        f"{violation['help']}"
        for violation in violations
    )
