"""A resident's whole report through the running local stack, over the JSON API and the pages."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
import requests

from tests.support.answers import THEFT_PAGES, theft_answers
from tests.support.flows import resident
from tests.support.forms import BrowserSession, page_token
from tests.support.local_stack import RunningStack

pytestmark = pytest.mark.e2e


def signed_in(stack: RunningStack) -> tuple[dict[str, str], str]:
    return resident(stack, "journey")


def wait_for_email(stack: RunningStack, address: str, count: int) -> list[dict[str, str]]:
    deadline = time.monotonic() + 20
    while len(emails := stack.emails_to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return emails


def test_a_theft_report_from_start_to_submission(running_stack: RunningStack) -> None:
    base = running_stack.app_url
    auth, address = signed_in(running_stack)

    created = requests.post(
        f"{base}/api/reports", json={"incident_type": "theft"}, headers=auth, timeout=10
    )
    assert created.status_code == 201
    report = created.json()
    assert report["status"] == "draft"
    assert re.fullmatch(r"RPD-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", report["reference"])
    assert report["next_step"]["id"] == "urgency"

    answers = theft_answers()
    for step in report["steps"]:
        response = requests.patch(
            f"{base}/api/reports/{report['id']}",
            json={"answers": {question: answers[question] for question in step["questions"]}},
            headers=auth,
            timeout=10,
        )
        assert response.status_code == 200, response.text
    assert response.json()["complete"] is True

    submitted = requests.post(f"{base}/api/reports/{report['id']}/submit", headers=auth, timeout=10)
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"

    emails = wait_for_email(running_stack, address, 2)
    confirmation = emails[-1]
    assert report["reference"] in confirmation["subject"]
    assert "at least 5 business days" in confirmation["text"]
    assert f"{base}/report/{report['id']}" in confirmation["text"]

    again = requests.post(f"{base}/api/reports/{report['id']}/submit", headers=auth, timeout=10)
    assert again.status_code == 200
    time.sleep(0.5)
    assert len(running_stack.emails_to(address)) == 2, "a repeated submit sends nothing"
    listed = requests.get(f"{base}/api/reports", headers=auth, timeout=10).json()["items"]
    assert [item["reference"] for item in listed] == [report["reference"]]


def test_an_injury_ends_the_online_report(running_stack: RunningStack) -> None:
    base = running_stack.app_url
    auth, _ = signed_in(running_stack)
    report = requests.post(
        f"{base}/api/reports", json={"incident_type": "vandalism"}, headers=auth, timeout=10
    ).json()

    screened = requests.patch(
        f"{base}/api/reports/{report['id']}",
        json={"answers": {"happening_now": False}},
        headers=auth,
        timeout=10,
    )
    screened = requests.patch(
        f"{base}/api/reports/{report['id']}",
        json={
            "answers": {"anyone_injured": True, "weapon_involved": False, "suspect_known": False}
        },
        headers=auth,
        timeout=10,
    )

    assert screened.status_code == 200
    body: dict[str, Any] = screened.json()
    assert body["status"] == "screened_out"
    assert body["screening"]["rule"] == "injury"
    assert "(555) 010-4400" in body["screening"]["instructions"]
    assert "answers" not in body
    refused = requests.patch(
        f"{base}/api/reports/{report['id']}",
        json={"answers": {"anyone_injured": False}},
        headers=auth,
        timeout=10,
    )
    assert refused.status_code == 409


def test_a_report_is_invisible_to_another_resident(running_stack: RunningStack) -> None:
    base = running_stack.app_url
    owner, _ = signed_in(running_stack)
    stranger, _ = signed_in(running_stack)
    report = requests.post(
        f"{base}/api/reports", json={"incident_type": "graffiti"}, headers=owner, timeout=10
    ).json()

    assert (
        requests.get(f"{base}/api/reports/{report['id']}", headers=stranger, timeout=10).status_code
        == 404
    )
    patched = requests.patch(
        f"{base}/api/reports/{report['id']}",
        json={"answers": {"happening_now": False}},
        headers=stranger,
        timeout=10,
    )
    assert patched.status_code == 404


def form_fields(answers: dict[str, Any]) -> dict[str, str]:
    """The answers as a browser would post them."""
    fields: dict[str, str] = {}
    for name, value in answers.items():
        if value is None:  # an optional question left alone: a browser sends nothing for it
            continue
        if isinstance(value, bool):
            fields[name] = "yes" if value else "no"
        elif isinstance(value, dict):
            fields |= {f"{name}.{part}": str(text) for part, text in value.items()}
        elif isinstance(value, list):
            for index, row in enumerate(value):
                fields |= {f"{name}.{index}.{part}": str(text) for part, text in row.items()}
        else:
            fields[name] = str(value)
    return fields


def test_the_pages_take_a_resident_from_the_email_link_to_a_submitted_report(
    running_stack: RunningStack,
) -> None:
    base = running_stack.app_url
    address = f"pages-{uuid.uuid4().hex[:10]}@example.com"
    browser = BrowserSession()
    browser.post_form(f"{base}/start", {"email": address}, timeout=10)
    landed = browser.sign_in(running_stack.latest_link(address), timeout=10)
    assert "Your email address is confirmed" in landed.text

    page = browser.post_form(f"{base}/report", {"incident_type": "theft"}, timeout=10)
    theft = theft_answers()
    day = theft.pop("incident_date")  # one day: both ends of the range
    fields = form_fields(theft) | {"incident_date.from": day, "incident_date.to": day}
    visited = []
    while "/step/" in page.url:
        visited.append(page.url.rsplit("/", 1)[1])
        names = set(re.findall(r'name="([^"]+)"', page.text))
        answers = {k: v for k, v in fields.items() if k in names}
        page = browser.post(
            page.url, data={**answers, "form_token": page_token(page.text)}, timeout=10
        )
        problem = page.text[page.text.find("There is a problem") :][:800]
        assert page.status_code == 200 and "There is a problem" not in page.text, problem
    assert visited == THEFT_PAGES
    assert page.url.endswith("/check")
    assert "Zoë Łukasz-Muñoz" in page.text

    report_id = page.url.split("/report/")[1].split("/")[0]
    submit_url = f"{base}/report/{report_id}/submit"
    done = browser.post_form(submit_url, {"declaration": "yes"}, timeout=10)
    twice = browser.post_form(submit_url, {"declaration": "yes"}, timeout=10)

    assert done.url.endswith("/submitted") and twice.url.endswith("/submitted")
    assert report_id in done.text
    emails = wait_for_email(running_stack, address, 2)
    time.sleep(0.5)
    assert len(running_stack.emails_to(address)) == 2, "one link, one confirmation"
    assert report_id in emails[-1]["subject"]
