"""Forms another site makes are refused, and the emailed link signs nobody in until pressed.

Every state-changing form carries a token bound to the browser's form cookie and to its session;
a request whose `Origin` (or `Referer`) names another site is refused with 403 and a page that
explains. The emailed link's GET only shows a button, so a mail scanner consumes nothing and a
resident already signed in is told before anything changes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.mail import RecordingOutbox
from chalicelib.models import VerificationLink
from chalicelib.routes.edge import FORM_COOKIE, FORM_FIELD
from chalicelib.tokens import digest
from tests.support.forms import FORM, PageClient, page_token, signed

TEMPLATES = Path(__file__).parents[2] / "chalicelib" / "templates"
EVIL = "https://evil.example"


def link_path(outbox: RecordingOutbox, address: str) -> str:
    text = [m for m in outbox.as_json() if m["to"] == address][-1]["text"]
    match = re.search(r"/verify\?token=[\w-]+", text)
    assert match
    return match.group(0)


def signed_in(client: Client, outbox: RecordingOutbox, address: str) -> PageClient:
    browser = PageClient(client)
    browser.post_form("/start", {"email": address})
    assert browser.sign_in(link_path(outbox, address)).status_code == 303
    return browser


def post_raw(client: Client, path: str, fields: dict[str, str], **headers: str) -> Any:
    return client.http.post(path, body=urlencode(fields), headers={**FORM, **headers})


# -- every form carries the token ----------------------------------------------------------------


def test_every_post_form_in_every_template_carries_the_form_token() -> None:
    forms = 0
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(r"<form\b[^>]*>", text):
            if 'method="post"' not in match.group(0):
                continue
            if 'action="{{ upload.url }}"' in match.group(0):
                continue  # posts the file to the bucket: our token is none of its business
            forms += 1
            following = text[match.end() : match.end() + 120]
            assert following.startswith(
                f'<input type="hidden" name="{FORM_FIELD}" value="{{{{ form_token }}}}">'
            ), f"{template.relative_to(TEMPLATES)}: a form without its token"
    assert forms >= 14


def test_a_page_gives_a_new_browser_its_form_cookie_and_the_matching_token(
    client: Client,
) -> None:
    response = client.http.get("/start")

    cookie = response.headers["Set-Cookie"]
    assert (
        cookie.startswith(f"{FORM_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    )
    secret = cookie.split(";")[0].split("=", 1)[1]
    assert page_token(response.body.decode()) == signed({}, {FORM_COOKIE: secret}, "/")[FORM_FIELD]


# -- forms from another site, or without their token ---------------------------------------------


def test_a_resident_form_sent_from_another_site_is_refused_and_explained(
    client: Client, outbox: RecordingOutbox
) -> None:
    browser = signed_in(client, outbox, "ana@example.com")
    fields = signed({"incident_type": "theft"}, browser.cookies, "/report")

    for headers in ({"Origin": EVIL}, {"Referer": f"{EVIL}/trap.html"}):
        refused = post_raw(client, "/report", fields, **browser.header(), **headers)
        assert refused.status_code == 403
        assert "It came from another website" in refused.body.decode()
    assert browser.get("/report").body.decode().count("Continue your report") == 0


@pytest.mark.parametrize(
    "spoil",
    ["missing", "wrong", "other_session", "no_cookie"],
)
def test_a_resident_form_without_its_own_token_is_refused(
    client: Client, outbox: RecordingOutbox, spoil: str
) -> None:
    ana = signed_in(client, outbox, "ana@example.com")
    eve = signed_in(client, outbox, "eve@example.com")
    fields = signed({"incident_type": "theft"}, ana.cookies, "/report")
    cookies = dict(ana.cookies)
    if spoil == "missing":
        del fields[FORM_FIELD]
    elif spoil == "wrong":
        fields[FORM_FIELD] = "0" * 64
    elif spoil == "other_session":  # eve's page token, sent with ana's cookies
        fields = signed({"incident_type": "theft"}, eve.cookies, "/report")
    else:
        del cookies[FORM_COOKIE]
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())

    refused = post_raw(client, "/report", fields, Cookie=header)

    assert refused.status_code == 403
    assert "The page was out of date" in refused.body.decode()


def test_a_form_from_the_sites_own_pages_is_taken_with_origin_null(
    client: Client, outbox: RecordingOutbox
) -> None:
    """`Referrer-Policy: no-referrer` makes browsers send `Origin: null` on our own forms."""
    browser = signed_in(client, outbox, "ana@example.com")

    for origin in ("null", "http://127.0.0.1:8000"):
        response = browser.post_form("/report", {"incident_type": "theft"}, {"Origin": origin})
        assert response.status_code == 303, response.body[:300]


def test_the_staff_decision_form_from_another_site_is_refused(client: Client) -> None:
    jar = {"sr_staff": "a.staff.token"}
    fields = signed({"decision": "approve"}, jar, "/staff/reports/RPD-2222-2222/decision")
    header = "; ".join(f"{name}={value}" for name, value in jar.items())

    refused = post_raw(
        client, "/staff/reports/RPD-2222-2222/decision", fields, Cookie=header, Origin=EVIL
    )
    stale = post_raw(client, "/staff/reports/RPD-2222-2222/decision", {"decision": "approve"})

    assert refused.status_code == stale.status_code == 403
    assert "sent from another site" in refused.body.decode()
    assert "out of date" in stale.body.decode()


def test_the_staff_sign_in_form_needs_its_token_too(client: Client) -> None:
    """Login CSRF: another site cannot sign a clerk's browser in to an account of its own."""
    refused = post_raw(client, "/staff", {"username": "reviewer", "password": "x"})

    assert refused.status_code == 403


# -- the emailed link ----------------------------------------------------------------------------


def test_opening_the_link_consumes_nothing_until_the_button_is_pressed(
    client: Client, outbox: RecordingOutbox, aws_calls: list[str]
) -> None:
    PageClient(client).post_form("/start", {"email": "ana@example.com"})
    path = link_path(outbox, "ana@example.com")
    aws_calls.clear()

    for _ in range(3):  # a mail scanner, a preview, the resident
        shown = client.http.get(path)
        assert shown.status_code == 200
        assert "Confirm your email address" in shown.body.decode()
        assert "sr_session" not in str(shown.headers.get("Set-Cookie"))
    # the page may read the link and the address's drafts (to offer the incident types), no more
    assert {call.split(":")[1] for call in aws_calls} <= {"GetItem", "Query"}
    token = path.split("token=")[1]
    assert VerificationLink.get(digest(token)).used_at is None

    pressed = PageClient(client).sign_in(path)
    assert pressed.status_code == 303
    assert "sr_session=" in str(pressed.headers["Set-Cookie"])


def test_someone_elses_link_in_a_signed_in_browser_asks_first_then_switches(
    client: Client, outbox: RecordingOutbox
) -> None:
    ana = signed_in(client, outbox, "ana@example.com")
    ana_session = ana.cookies["sr_session"]
    PageClient(client).post_form("/start", {"email": "attacker@example.com"})
    attackers_link = link_path(outbox, "attacker@example.com")

    shown = ana.get(attackers_link)
    page = shown.body.decode()

    assert shown.status_code == 200
    assert "You are already signed in" in page and "ana@example.com" in page
    assert ana.get("/report").status_code == 200  # nothing changed by opening it
    assert ana.cookies["sr_session"] == ana_session

    switched = ana.post_form("/verify", {"token": attackers_link.split("token=")[1]})

    assert switched.status_code == 303
    assert ana.cookies["sr_session"] != ana_session
    old = client.http.get("/report", headers={"Cookie": f"sr_session={ana_session}"})
    assert old.status_code == 401, "the session it replaced has ended"


def test_the_link_cannot_be_pressed_from_another_site(
    client: Client, outbox: RecordingOutbox
) -> None:
    browser = PageClient(client)
    browser.post_form("/start", {"email": "ana@example.com"})
    token = link_path(outbox, "ana@example.com").split("token=")[1]
    fields = signed({"token": token}, browser.cookies, "/verify")

    refused = post_raw(client, "/verify", fields, **browser.header(), Origin=EVIL)

    assert refused.status_code == 403
    assert VerificationLink.get(digest(token)).used_at is None
