"""Forms sent as a browser sends them: with the form cookie and the token the page carries.

The token is bound to the form cookie and to the session of the area (a resident's session, or
a member of staff's), as the pages compute it; a test that plays a browser gives itself a form
cookie and sends the matching token. Chromium, in tests/browser, sends the pages' own fields.
"""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from chalice.test import Client

from chalicelib.routes.edge import FORM_COOKIE, FORM_FIELD, SESSION_COOKIE, form_token
from chalicelib.routes.staff_pages import STAFF_COOKIE

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TEST_FORM_SECRET = "form-cookie-of-this-test-browser-0123456789"


def session_cookie_for(path: str) -> str:
    return STAFF_COOKIE if urlsplit(path).path.startswith("/staff") else SESSION_COOKIE


def signed(fields: dict[str, str], cookies: dict[str, str], path: str) -> dict[str, str]:
    """`fields` with the token a page on `path` would carry for these cookies."""
    secret = cookies.setdefault(FORM_COOKIE, TEST_FORM_SECRET)
    token = form_token(secret, cookies.get(session_cookie_for(path)) or None)
    return {**fields, FORM_FIELD: token}


def set_cookies(response_headers: Any) -> dict[str, str]:
    """name → value of every cookie a response sets (an empty value: the cookie is deleted)."""
    values = response_headers.get("Set-Cookie") or response_headers.get("set-cookie") or []
    jar: dict[str, str] = {}
    for value in [values] if isinstance(values, str) else values:
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(value)
        jar.update({name: morsel.value for name, morsel in parsed.items()})
    return jar


def page_token(html: str) -> str:
    """The form token a rendered page carries."""
    match = re.search(rf'name="{FORM_FIELD}" value="([0-9a-f]+)"', html)
    assert match, "the page has no form token"
    return match.group(1)


class PageClient:
    """Chalice's test client as a browser: keeps cookies, sends forms with their token."""

    def __init__(self, client: Client, cookies: dict[str, str] | None = None) -> None:
        self.client = client
        self.cookies: dict[str, str] = dict(cookies or {})

    def header(self) -> dict[str, str]:
        jar = {name: value for name, value in self.cookies.items() if value}
        return (
            {"Cookie": "; ".join(f"{name}={value}" for name, value in jar.items())} if jar else {}
        )

    def remember(self, response: Any) -> Any:
        for name, value in set_cookies(response.headers).items():
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response

    def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.remember(
            self.client.http.get(path, headers={**self.header(), **(headers or {})})
        )

    def post_form(
        self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None
    ) -> Any:
        body = urlencode(signed(fields, self.cookies, path))
        response = self.client.http.post(
            path, body=body, headers={**FORM, **self.header(), **(headers or {})}
        )
        return self.remember(response)

    def sign_in(self, link_path: str) -> Any:
        """Open an emailed link and press its button, as a resident does."""
        token = link_path.split("token=", 1)[1]
        self.get(link_path)
        return self.post_form("/verify", {"token": token})


class BrowserSession(requests.Session):
    """A requests session that sends forms as the pages would, for the running local stack."""

    def post_form(self, url: str, fields: dict[str, str], **options: Any) -> requests.Response:
        cookies = {name: value for name, value in self.cookies.items() if value is not None}
        if FORM_COOKIE not in cookies:
            self.cookies.set(FORM_COOKIE, TEST_FORM_SECRET)
            cookies[FORM_COOKIE] = TEST_FORM_SECRET
        return self.post(url, data=signed(fields, cookies, url), **options)

    def sign_in(self, link: str, **options: Any) -> requests.Response:
        """Open an emailed link and press its button, as a resident does."""
        self.get(link, **options)
        base = link.split("/verify?", 1)[0]
        return self.post_form(f"{base}/verify", {"token": link.split("token=", 1)[1]}, **options)


def post_staff_form(
    client: Client, path: str, fields: dict[str, str], staff_token: str | None = None
) -> Any:
    """POST a staff page's form as a browser holding `staff_token` in the staff cookie would."""
    cookies = {STAFF_COOKIE: staff_token} if staff_token else {}
    return PageClient(client, cookies).post_form(path, fields)
