"""The resident's path through the wizard, as the app serves it on moto in-process: the emailed
link keeps its destination (defect 3), the link's page starts a new report, a screening answer
on a report with answers is confirmed before anything is erased (defect 4), and drafts saved
under the earlier steps still open."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from chalice.test import Client

from chalicelib.mail import RecordingOutbox
from chalicelib.models import Report
from chalicelib.routes.html import resident_destination
from tests.support.deployment import START
from tests.support.forms import PageClient

REPORT = "RPD-ABCD-2345"
SAFE = {
    "happening_now": "no",
    "anyone_injured": "no",
    "weapon_involved": "no",
    "suspect_known": "no",
}
WHEN_AND_WHERE = {
    "incident_date.from": START.date().isoformat(),
    "incident_date.to": START.date().isoformat(),
    "incident_location.line1": "1 Main St",
    "incident_location.city": "Riverton",
    "incident_location.zip": "06600",
}


class Browser(PageClient):
    def location(self, response: Any) -> str:
        assert response.status_code == 303, (response.status_code, response.body[:300])
        return str(response.headers["Location"]).removeprefix("http://127.0.0.1:8000")

    def ask_for_link(self, outbox: RecordingOutbox, email: str, **fields: str) -> str:
        sent = self.post_form("/start", {"email": email, **fields})
        assert sent.status_code == 200, sent.body[:300]
        match = re.search(r"/verify\?token=\S+", outbox.as_json()[-1]["text"])
        assert match
        return match.group(0)

    def press_continue(self, link: str, **fields: str) -> Any:
        """Open the link's page, then press its button with the page's hidden fields."""
        html = self.get(link).body.decode()
        hidden = dict(
            re.findall(r'<input type="hidden" name="(token|next)" value="([^"]*)">', html)
        )
        return self.post_form("/verify", {**hidden, **fields})

    def signed_in(self, outbox: RecordingOutbox, email: str) -> Browser:
        self.location(self.press_continue(self.ask_for_link(outbox, email)))
        return self


@pytest.fixture
def browser(client: Client) -> Browser:
    return Browser(client)


def new_theft(browser: Browser) -> str:
    path = browser.location(browser.post_form("/report", {"incident_type": "theft"}))
    return path.split("/")[2]


# Defect 3: the emailed link, opened while signed out, lands where it was going.


@pytest.mark.parametrize(
    "path",
    [
        "/reports",
        "/report",
        f"/report?draft={REPORT}",
        f"/report/{REPORT}",
        f"/report/{REPORT}/check",
        f"/report/{REPORT}/copy",
        f"/report/{REPORT}/step/when",
    ],
)
def test_the_residents_own_pages_are_destinations(path: str) -> None:
    assert resident_destination(path) == path


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example/report",
        "//evil.example/report",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/report/\\evil.example",
        "javascript:alert(1)",
        "/report\r\nSet-Cookie: x=1",
        "/report/%2F%2Fevil.example",
        "/report/../staff",
        "/staff",
        "/staff/reports",
        "/api/reports",
        "/verify?token=abc",
        "/sign-out",
        "report",
        f"/report/{REPORT}?next=//evil.example",
        f"/report/{REPORT}#x",
        "/report?draft=//evil.example",
        " /report",
        "/" + "r" * 200,
        "",
        None,
        ["/report"],
    ],
)
def test_anything_else_is_no_destination(hostile: object) -> None:
    assert resident_destination(hostile) is None


def test_an_emailed_link_opened_signed_out_lands_on_its_page_after_the_email_check(
    browser: Browser, outbox: RecordingOutbox, client: Client
) -> None:
    owner = Browser(client).signed_in(outbox, "ana@example.com")
    report = new_theft(owner)

    refused = browser.get(f"/report/{report}")
    html = refused.body.decode()
    assert refused.status_code == 401
    assert f'<input type="hidden" name="next" value="/report/{report}">' in html

    link = browser.ask_for_link(outbox, "ana@example.com", next=f"/report/{report}")
    assert parse_qs(urlsplit(link).query)["next"] == [f"/report/{report}"]
    page = browser.get(link).body.decode()
    assert 'name="incident_type"' not in page  # going somewhere: only the confirmation
    assert browser.location(browser.press_continue(link)) == f"/report/{report}"
    assert browser.get(f"/report/{report}").status_code == 200


def test_a_session_that_ended_mid_step_resumes_on_that_step(
    browser: Browser, outbox: RecordingOutbox, client: Client
) -> None:
    browser.signed_in(outbox, "ben@example.com")
    report = new_theft(browser)
    stranger = Browser(client, {"sr_form": browser.cookies["sr_form"]})

    refused = stranger.post_form(f"/report/{report}/step/urgency", SAFE)

    assert refused.status_code == 401
    assert f'name="next" value="/report/{report}/step/urgency"' in refused.body.decode()


@pytest.mark.parametrize("hostile", ["//evil.example/x", "https://evil.example", "/staff"])
def test_a_hostile_destination_is_dropped_at_every_hop(
    hostile: str, browser: Browser, outbox: RecordingOutbox
) -> None:
    link = browser.ask_for_link(outbox, "eve@example.com", next=hostile)
    assert "next" not in parse_qs(urlsplit(link).query)
    assert 'name="next"' not in browser.get(f"{link}&next={hostile}").body.decode()

    landed = browser.location(browser.press_continue(link, next=hostile))

    assert landed == "/report?confirmed=1"


def test_the_start_page_keeps_a_destination_through_a_typing_error(browser: Browser) -> None:
    shown = browser.get("/start?next=/reports").body.decode()
    assert '<input type="hidden" name="next" value="/reports">' in shown

    refused = browser.post_form("/start", {"email": "not an address", "next": "/reports"})

    assert refused.status_code == 422
    assert '<input type="hidden" name="next" value="/reports">' in refused.body.decode()


# Fewer pages: the link's page is where a new resident chooses what to report.


def test_a_new_resident_chooses_what_happened_on_the_links_page(
    browser: Browser, outbox: RecordingOutbox
) -> None:
    link = browser.ask_for_link(outbox, "cy@example.com")
    page = browser.get(link).body.decode()
    assert 'name="incident_type"' in page
    assert "Something was stolen" in page
    assert "Staff can change it later" not in page

    path = browser.location(browser.press_continue(link, incident_type="theft"))

    assert re.fullmatch(r"/report/RPD-[0-9A-Z-]+/step/urgency", path)
    report = Report.get(path.split("/")[2])
    assert report.status == "draft" and report.incident_type == "theft"
    assert report.contact_email == "cy@example.com"


def test_pressing_continue_without_a_choice_still_confirms_the_address(
    browser: Browser, outbox: RecordingOutbox
) -> None:
    link = browser.ask_for_link(outbox, "di@example.com")

    assert browser.location(browser.press_continue(link)) == "/report?confirmed=1"
    assert browser.location(browser.press_continue(link, incident_type="nonsense")) in {
        "/report",
        "/report?confirmed=1",
    }


def test_a_resident_with_a_draft_is_offered_it_before_anything_new(
    browser: Browser, outbox: RecordingOutbox
) -> None:
    browser.signed_in(outbox, "ed@example.com")
    draft = new_theft(browser)
    again = Browser(browser.client)
    link = again.ask_for_link(outbox, "ed@example.com")

    assert 'name="incident_type"' not in again.get(link).body.decode()
    assert again.location(again.press_continue(link)) == "/report?confirmed=1"
    assert draft in again.get("/report?confirmed=1").body.decode()


def test_opening_the_links_page_uses_nothing_up(browser: Browser, outbox: RecordingOutbox) -> None:
    link = browser.ask_for_link(outbox, "fay@example.com")
    for _ in range(3):  # a mail scanner, a preview, the resident
        assert browser.get(link).status_code == 200

    assert browser.location(browser.press_continue(link, incident_type="graffiti")).endswith(
        "/step/urgency"
    )


def test_the_incident_type_hint_promises_nothing_staff_cannot_do(
    browser: Browser, outbox: RecordingOutbox
) -> None:
    browser.signed_in(outbox, "gil@example.com")
    for language in ("en", "es"):
        html = browser.get(f"/report?lang={language}").body.decode()
        assert "Staff can change it later" not in html
        assert "El personal puede cambiarlo" not in html
        assert "Choose the one that fits best." in html or "Elija la opción" in html


# Defect 4: one tap no longer erases a whole report.


def answered_theft(browser: Browser) -> str:
    report = new_theft(browser)
    browser.location(browser.post_form(f"/report/{report}/step/urgency", SAFE))
    browser.location(browser.post_form(f"/report/{report}/step/when", WHEN_AND_WHERE))
    return report


def test_a_screening_answer_on_a_report_with_answers_is_asked_first_and_erases_nothing(
    browser: Browser, outbox: RecordingOutbox
) -> None:
    browser.signed_in(outbox, "hal@example.com")
    report = answered_theft(browser)
    before = Report.get(report)

    asked = browser.post_form(
        f"/report/{report}/step/urgency", {**SAFE, "anyone_injured": "yes", "change": "1"}
    )
    html = asked.body.decode()

    assert asked.status_code == 200
    assert "Is that answer right?" in html
    assert "Someone was hurt, so an officer needs to take your report." in html
    assert "(555) 010-4400" in html
    assert "Go back and change my answer" in html and "Yes, that is right" in html
    assert '<input type="hidden" name="anyone_injured" value="yes">' in html
    unchanged = Report.get(report)
    assert unchanged.status == "draft" and unchanged.answers == before.answers

    back = browser.post_form(
        f"/report/{report}/step/urgency",
        {**SAFE, "anyone_injured": "yes", "change": "1", "screening": "back"},
    )
    assert back.status_code == 200
    assert re.search(
        r'id="anyone_injured" name="anyone_injured" type="radio" value="yes" checked',
        back.body.decode(),
    )
    assert Report.get(report).answers == before.answers
    assert Report.get(report).status == "draft"

    confirmed = browser.post_form(
        f"/report/{report}/step/urgency",
        {**SAFE, "anyone_injured": "yes", "change": "1", "screening": "confirmed"},
    )
    assert browser.location(confirmed) == f"/report/{report}/stopped"
    ended = Report.get(report)
    assert ended.status == "screened_out" and ended.answers is None


def test_a_loss_over_the_limit_on_the_check_page_is_asked_first(
    browser: Browser, outbox: RecordingOutbox
) -> None:
    browser.signed_in(outbox, "ivy@example.com")
    report = answered_theft(browser)
    item = {"stolen_items.0.description": "Bicycle", "stolen_items.0.value": "2400"}
    browser.location(browser.post_form(f"/report/{report}/step/stolen_items", item))

    over = {**item, "stolen_items.0.value": "3000", "change": "1"}
    asked = browser.post_form(f"/report/{report}/step/stolen_items", over)

    assert "The loss is more than $2,500" in asked.body.decode()
    assert Report.get(report).answers["stolen_items"][0]["value"] == "2400.00"


def test_a_new_reports_first_answer_that_screens_it_out_stops_at_once(
    browser: Browser, outbox: RecordingOutbox
) -> None:
    browser.signed_in(outbox, "jo@example.com")
    report = new_theft(browser)

    stopped = browser.post_form(f"/report/{report}/step/urgency", {**SAFE, "happening_now": "yes"})

    assert browser.location(stopped) == f"/report/{report}/stopped"
    assert Report.get(report).status == "screened_out"


# Drafts saved when the safety questions, and when and where, were steps of their own.


def test_a_draft_saved_under_the_earlier_steps_opens_where_it_stopped(
    browser: Browser, outbox: RecordingOutbox
) -> None:
    browser.signed_in(outbox, "kim@example.com")
    report = new_theft(browser)
    draft = Report.get(report)
    draft.answers = {**dict.fromkeys(SAFE, False), "incident_date": "2026-03-03"}
    draft.save()

    for old_step in ("people", "where"):
        assert browser.location(browser.get(f"/report/{report}/step/{old_step}")) == (
            f"/report/{report}/step/when"
        )
    page = browser.get(f"/report/{report}/step/when").body.decode()
    assert page.count('value="2026-03-03"') == 2  # one day: both ends
    check = browser.get(f"/report/{report}/step/urgency").body.decode()
    assert 'name="suspect_known" type="radio" value="no" checked' in check
