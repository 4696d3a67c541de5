"""The resident's pages as the app renders them on moto in-process."""

from __future__ import annotations

import re
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.mail import RecordingOutbox
from chalicelib.services import Services, install
from tests.support.forms import PageClient

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def submit_email(client: Client, email: str, **extra: str) -> Any:
    return PageClient(client).post_form("/start", {"email": email, **extra})


def verify_path(outbox: RecordingOutbox) -> str:
    match = re.search(r"/verify\?token=[\w-]+", outbox.as_json()[-1]["text"])
    assert match
    return match.group(0)


def test_the_home_page_tells_what_can_and_cannot_be_reported(client: Client) -> None:
    response = client.http.get("/")
    html = response.body.decode()

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Riverton Police Department" in html
    assert "Something was stolen" in html
    assert "My bicycle was stolen" in html
    assert "call 911" in html
    assert "(555) 010-4400" in html
    assert 'href="/start"' in html and "Start a report" in html
    assert "<script" not in html


def test_pages_send_protective_headers(client: Client) -> None:
    headers = client.http.get("/").headers

    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_stylesheet_carries_the_agency_colour(client: Client) -> None:
    response = client.http.get("/assets/site.css")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert "--brand: #1d4f91" in response.body.decode()


def test_asking_for_a_link_shows_check_your_email(client: Client, outbox: RecordingOutbox) -> None:
    response = submit_email(client, "ana@example.com")

    assert response.status_code == 200
    assert "Check your email" in response.body.decode()
    assert outbox.as_json()[-1]["to"] == "ana@example.com"


def test_a_malformed_address_is_shown_beside_the_field_and_in_a_summary(client: Client) -> None:
    response = submit_email(client, "<b>ana</b>@")
    html = response.body.decode()

    assert response.status_code == 422
    assert "There is a problem" in html
    assert 'href="#email"' in html
    assert 'aria-invalid="true"' in html
    assert "&lt;b&gt;ana&lt;/b&gt;@" in html
    assert "<b>ana</b>" not in html


def test_the_link_signs_the_resident_in_with_a_safe_cookie(
    client: Client, outbox: RecordingOutbox
) -> None:
    submit_email(client, "ana@example.com")
    browser = PageClient(client)

    shown = browser.get(verify_path(outbox))
    assert shown.status_code == 200
    assert 'action="/verify"' in shown.body.decode() and "sr_session" not in browser.cookies
    response = browser.sign_in(verify_path(outbox))

    assert response.status_code == 303
    assert response.headers["Location"] == "http://127.0.0.1:8000/report?confirmed=1"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("sr_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain-HTTP localhost only

    session = cookie.split(";")[0]
    landing = client.http.get("/report?confirmed=1", headers={"Cookie": session})
    assert landing.status_code == 200
    assert "Your email address is confirmed" in landing.body.decode()
    assert "ana@example.com" in landing.body.decode()


def test_cookies_are_secure_when_the_site_is_https(
    client: Client, system: Services, outbox: RecordingOutbox
) -> None:
    install(system.with_settings(base_url="https://report.police.riverton.example"))
    submit_email(client, "ana@example.com")

    shown = client.http.get(verify_path(outbox))
    response = PageClient(client).sign_in(verify_path(outbox))

    assert response.status_code == 303
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Secure" in shown.headers["Set-Cookie"]  # the form cookie too


def test_a_used_link_explains_itself_and_offers_a_new_one(
    client: Client, outbox: RecordingOutbox
) -> None:
    submit_email(client, "ana@example.com")
    path = verify_path(outbox)
    PageClient(client).sign_in(path)

    again = PageClient(client).sign_in(path)

    assert again.status_code == 410
    assert "This link has already been used" in again.body.decode()
    assert 'action="/start"' in again.body.decode()


def test_reopening_a_used_link_in_the_signed_in_browser_continues(
    client: Client, outbox: RecordingOutbox
) -> None:
    submit_email(client, "ana@example.com")
    path = verify_path(outbox)
    browser = PageClient(client)
    browser.sign_in(path)

    again = browser.sign_in(path)

    assert again.status_code == 303
    assert again.headers["Location"].endswith("/report")


@pytest.mark.parametrize("query", ["", "?token=", "?token=nonsense", "?token=%0D%0A" + "A" * 43])
def test_a_bad_link_is_refused_kindly(client: Client, query: str) -> None:
    response = client.http.get("/verify" + query)

    assert response.status_code == 401
    assert "This link is not valid" in response.body.decode()


def test_a_well_formed_link_nobody_sent_is_refused_when_pressed(client: Client) -> None:
    response = PageClient(client).sign_in("/verify?token=" + "A" * 43)

    assert response.status_code == 401
    assert "This link is not valid" in response.body.decode()


def test_the_report_page_needs_a_session(client: Client) -> None:
    for cookie in ({}, {"Cookie": "sr_session=forged-session-value-1234567890"}):
        response = client.http.get("/report", headers=cookie)
        assert response.status_code == 401
        assert "confirm your email address again" in response.body.decode()


def test_signing_out_clears_the_cookie(client: Client, outbox: RecordingOutbox) -> None:
    submit_email(client, "ana@example.com")
    browser = PageClient(client)
    browser.sign_in(verify_path(outbox))
    session = f"sr_session={browser.cookies['sr_session']}"

    response = browser.post_form("/sign-out", {})

    assert response.status_code == 303
    assert "Max-Age=0" in response.headers["Set-Cookie"]
    assert client.http.get("/report", headers={"Cookie": session}).status_code == 401


def test_too_many_requests_show_a_readable_page(client: Client) -> None:
    for _ in range(3):
        submit_email(client, "ana@example.com")

    response = submit_email(client, "ana@example.com")

    assert response.status_code == 429
    assert "Too many links were requested" in response.body.decode()
    assert int(response.headers["Retry-After"]) > 0
