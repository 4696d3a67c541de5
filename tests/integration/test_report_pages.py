"""The wizard's pages as the app serves them on moto in-process (Chromium drives them elsewhere)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.mail import RecordingOutbox
from chalicelib.models import Report
from tests.support.answers import theft_answers
from tests.support.deployment import START
from tests.support.forms import PageClient


class Resident(PageClient):
    """A browser: keeps its cookies, sends forms with their token, follows redirects."""

    def post(self, path: str, form: dict[str, str]) -> Any:
        return self.post_form(path, form)

    def follow(self, response: Any) -> tuple[str, Any]:
        assert response.status_code == 303, response.body[:300]
        path = response.headers["Location"].removeprefix("http://127.0.0.1:8000")
        return path, self.get(path)


@pytest.fixture
def resident(client: Client, outbox: RecordingOutbox) -> Resident:
    browser = Resident(client)
    browser.post("/start", {"email": "ana@example.com"})
    browser.sign_in(re.findall(r"/verify\?token=[\w-]+", outbox.as_json()[-1]["text"])[0])
    return browser


def start_theft(resident: Resident) -> str:
    path, _ = resident.follow(resident.post("/report", {"incident_type": "theft"}))
    assert path.endswith("/step/urgency")
    return path.split("/")[2]


SAFE = {
    "happening_now": "no",
    "anyone_injured": "no",
    "weapon_involved": "no",
    "suspect_known": "no",
}
PLACE = {
    "incident_location.line1": "1 Main St",
    "incident_location.city": "Riverton",
    "incident_location.zip": "06600",
}


def no_to_safety(resident: Resident, report: str) -> None:
    resident.post(f"/report/{report}/step/urgency", SAFE)


def on_the_day(day: str) -> dict[str, str]:
    return {"incident_date.from": day, "incident_date.to": day}


def test_choosing_what_happened_starts_a_draft(resident: Resident) -> None:
    page = resident.get("/report?confirmed=1").body.decode()
    assert "Your email address is confirmed" in page
    assert "Something was stolen" in page

    report = start_theft(resident)

    step = resident.get(f"/report/{report}/step/urgency").body.decode()
    assert "Step 1 of 7" in step  # six steps, photos or documents, check
    assert 'name="happening_now"' in step
    assert Report.get(report).status == "draft"


def test_no_choice_is_an_error_on_the_same_page(resident: Resident) -> None:
    response = resident.post("/report", {})

    assert response.status_code == 422
    assert "Select what happened" in response.body.decode()


def test_a_step_error_keeps_what_was_typed(resident: Resident) -> None:
    report = start_theft(resident)
    no_to_safety(resident, report)

    response = resident.post(
        f"/report/{report}/step/when",
        {**on_the_day("2999-01-01"), "incident_time": "10:15", **PLACE},
    )
    html = response.body.decode()

    assert response.status_code == 422
    assert "The date it happened must be today or in the past" in html
    assert 'href="#incident_date.from"' in html and 'href="#incident_date.to"' in html
    assert 'value="10:15"' in html
    assert 'value="1 Main St"' in html


def test_steps_cannot_be_skipped(resident: Resident) -> None:
    report = start_theft(resident)

    path, _ = resident.follow(resident.get(f"/report/{report}/step/reporter"))

    assert path == f"/report/{report}/step/urgency"


def test_items_can_be_added_and_removed_without_javascript(resident: Resident) -> None:
    report = start_theft(resident)
    no_to_safety(resident, report)
    resident.post(f"/report/{report}/step/when", {**on_the_day(START.date().isoformat()), **PLACE})
    first = {"stolen_items.0.description": "Phone", "stolen_items.0.value": "200"}

    added = resident.post(f"/report/{report}/step/stolen_items", {**first, "action": "add"})
    assert 'name="stolen_items.1.description"' in added.body.decode()
    assert "$200.00" in added.body.decode()

    both = {**first, "stolen_items.1.description": "Case", "stolen_items.1.value": "25"}
    removed = resident.post(f"/report/{report}/step/stolen_items", {**both, "action": "remove-0"})
    assert 'value="Case"' in removed.body.decode()
    assert 'value="Phone"' not in removed.body.decode()

    path, _ = resident.follow(resident.post(f"/report/{report}/step/stolen_items", both))
    assert path.endswith("/step/narrative")
    assert [item["value"] for item in Report.get(report).answers["stolen_items"]] == [
        "200.00",
        "25.00",
    ]


def test_each_item_offers_its_kind_in_plain_words_for_the_nibrs_property_code(
    resident: Resident,
) -> None:
    report = start_theft(resident)
    no_to_safety(resident, report)
    resident.post(f"/report/{report}/step/when", {**on_the_day(START.date().isoformat()), **PLACE})

    page = resident.get(f"/report/{report}/step/stolen_items").body.decode()
    assert (
        '<select class="input select" id="stolen_items.0.kind" name="stolen_items.0.kind"' in page
    )
    assert '<option value="bicycle">A bicycle or scooter</option>' in page

    item = {"stolen_items.0.description": "Trek", "stolen_items.0.value": "450"}
    wrong = resident.post(
        f"/report/{report}/step/stolen_items", {**item, "stolen_items.0.kind": "castle"}
    )
    assert wrong.status_code == 422
    assert "Select what item 1 is from the list" in wrong.body.decode()
    resident.follow(
        resident.post(
            f"/report/{report}/step/stolen_items", {**item, "stolen_items.0.kind": "bicycle"}
        )
    )
    assert Report.get(report).answers["stolen_items"][0]["kind"] == "bicycle"


def test_an_answer_that_must_go_to_an_officer_stops_the_report(resident: Resident) -> None:
    report = start_theft(resident)

    path, page = resident.follow(
        resident.post(f"/report/{report}/step/urgency", {**SAFE, "anyone_injured": "yes"})
    )

    assert path == f"/report/{report}/stopped"
    html = page.body.decode()
    assert "We cannot take this report online" in html
    assert "Someone was hurt" in html
    assert "(555) 010-4400" in html
    assert resident.follow(resident.get(f"/report/{report}/step/urgency"))[0] == path


def the_where_step(resident: Resident) -> str:
    report = start_theft(resident)
    no_to_safety(resident, report)
    return report


def test_typed_markup_is_kept_as_text_and_never_echoed_as_markup(resident: Resident) -> None:
    report = the_where_step(resident)
    typed = "<img src=x onerror=alert(1)> I <3 it"

    response = resident.post(
        f"/report/{report}/step/when",
        {
            **on_the_day(START.date().isoformat()),
            "incident_location.line1": typed,
            "incident_location.city": "Riverton",
            "incident_location.zip": "06600",
        },
    )
    assert response.status_code == 303
    assert Report.get(report).answers["incident_location"]["line1"] == typed

    back = resident.get(f"/report/{report}/step/when").body.decode()
    assert "<img src=x" not in back
    assert "&lt;img src=x onerror=alert(1)&gt; I &lt;3 it" in back


def test_a_refused_character_is_named_and_what_was_typed_kept(resident: Resident) -> None:
    report = the_where_step(resident)

    response = resident.post(
        f"/report/{report}/step/when",
        {
            **on_the_day(START.date().isoformat()),
            "incident_location.line1": "12 Elm\u202eteertS",
            "incident_location.city": "Riverton",
            "incident_location.zip": "06600",
        },
    )

    html = response.body.decode()
    assert response.status_code == 422
    assert "The street address must not include a right-to-left override (U+202E)" in html
    assert "it comes after “12 Elm”" in html


@pytest.mark.parametrize(
    ("city", "zip_code", "field", "message"),
    [
        ("Riverton", "10004", "incident_location.zip", "ZIP code 10004 is not in Riverton"),
        ("New York", "06600", "incident_location.city", "ZIP code 06600 is in Riverton"),
    ],
)
def test_a_city_and_zip_code_that_disagree_are_asked_about_and_nothing_is_lost(
    resident: Resident, city: str, zip_code: str, field: str, message: str
) -> None:
    report = the_where_step(resident)
    before = Report.get(report).answers

    response = resident.post(
        f"/report/{report}/step/when",
        {
            **on_the_day(START.date().isoformat()),
            "incident_location.line1": "1 Main St",
            "incident_location.city": city,
            "incident_location.zip": zip_code,
        },
    )

    html = response.body.decode()
    assert response.status_code == 422
    assert message in html
    assert f'href="#{field}"' in html
    assert Report.get(report).status == "draft"
    assert Report.get(report).answers == before


def test_outside_the_area_the_page_gives_the_same_advice_as_the_api(resident: Resident) -> None:
    report = the_where_step(resident)
    outside = {
        **on_the_day(START.date().isoformat()),
        "incident_location.line1": "1 Broad St",
        "incident_location.city": "New York",
        "incident_location.zip": "10004",
    }
    advice = (
        "Contact the police department for the place where it happened. If you do not know"
        " which one it is, call our non-emergency line, (555) 010-4400, and we will tell you."
    )

    asked = resident.post(f"/report/{report}/step/when", outside)
    path, page = resident.follow(
        resident.post(f"/report/{report}/step/when", {**outside, "screening": "confirmed"})
    )

    for html in (asked.body.decode(), page.body.decode()):
        text = re.sub(r"<[^>]+>", "", html)
        assert "police department where it happened needs to take your report" in text
        assert advice in text
        assert "an officer will take your report" not in text
        assert "call the non-emergency line" not in text
    assert "Is that answer right?" in asked.body.decode()
    assert path == f"/report/{report}/stopped"


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        (
            "en",
            [
                "Select yes if anyone was hurt",
                "Select yes if a weapon was used or shown",
                "Select yes if you know who did it or could name them",
            ],
        ),
        (
            "es",
            [
                "Seleccione «Sí» si alguien resultó herido",
                "Seleccione «Sí» si se usó o se mostró un arma",
                "Seleccione «Sí» si sabe quién lo hizo o podría nombrar a esa persona",
            ],
        ),
    ],
)
def test_the_error_summary_names_each_question(
    resident: Resident, language: str, messages: list[str]
) -> None:
    report = start_theft(resident)
    resident.get(f"/report?lang={language}")

    html = resident.post(f"/report/{report}/step/urgency", {"happening_now": "no"}).body.decode()

    summary = html[
        html.index('class="error-summary"') : html.index(
            "</ul>", html.index('class="error-summary"')
        )
    ]
    assert [message for message in messages if message in summary] == messages


def test_another_residents_report_pages_are_not_found(
    resident: Resident, client: Client, outbox: RecordingOutbox
) -> None:
    report = start_theft(resident)
    eve = Resident(client)
    eve.post("/start", {"email": "eve@example.com"})
    eve.sign_in(re.findall(r"/verify\?token=[\w-]+", outbox.as_json()[-1]["text"])[0])

    for path in (f"/report/{report}", f"/report/{report}/step/urgency", f"/report/{report}/check"):
        assert eve.get(path).status_code == 404


def test_the_language_switch_remembers_the_choice(resident: Resident) -> None:
    switched = resident.get("/report?lang=es")

    assert 'lang="es"' in switched.body.decode()
    assert "¿Qué ocurrió?" in switched.body.decode() or "Me robaron algo" in switched.body.decode()
    assert "sr_lang=es" in switched.headers["Set-Cookie"]
    assert resident.cookies["sr_lang"] == "es"
    assert 'lang="es"' in resident.get("/").body.decode()


def test_the_status_page_shows_what_has_happened(
    resident: Resident, client: Client, outbox: RecordingOutbox
) -> None:
    session = resident.cookies["sr_session"]
    headers = {"Authorization": f"Bearer {session}", "Content-Type": "application/json"}
    created = client.http.post(
        "/api/reports", body=json.dumps({"incident_type": "theft"}), headers=headers
    ).json_body
    answers = theft_answers(START.date())
    for step in created["steps"]:
        client.http.patch(
            f"/api/reports/{created['id']}",
            body=json.dumps({"answers": {q: answers[q] for q in step["questions"]}}),
            headers=headers,
        )
    client.http.post(f"/api/reports/{created['id']}/submit", headers=headers)

    page = resident.get(f"/report/{created['id']}")
    spanish = resident.get(f"/report/{created['id']}?lang=es")

    assert page.status_code == 200
    assert "What has happened so far" in page.body.decode()
    assert "Submitted" in page.body.decode()
    assert spanish.status_code == 200
    assert "Lo que ha pasado hasta ahora" in spanish.body.decode()


def test_my_reports_lists_every_report_of_the_resident(resident: Resident) -> None:
    first = start_theft(resident)
    path, _ = resident.follow(resident.post("/report", {"incident_type": "graffiti"}))
    second = path.split("/")[2]

    page = resident.get("/reports").body.decode()

    assert first in page and second in page
    assert "Graffiti on my property" in page
    assert "Not submitted yet" in page
