"""Every staff page refuses a missing or forged session: listed from the app, none forgotten."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from chalice.test import Client

from app import app
from chalicelib.services import Services, install
from tests.support.forms import signed

PUBLIC = {"/staff", "/staff/mfa", "/staff/new-password", "/staff/mfa-setup", "/staff/sign-out"}
STAFF_PAGES = sorted(
    (method, path)
    for path, methods in app.routes.items()
    if path.startswith("/staff") and path not in PUBLIC
    for method in methods
)


def test_the_staff_pages_are_known() -> None:
    assert {path for _, path in STAFF_PAGES} == {
        "/staff/queue",
        "/staff/reports/{report_id}",
        "/staff/reports/{report_id}/decision",
        "/staff/reports/{report_id}/export",
        "/staff/reports/{report_id}/retry",
        "/staff/reports/{report_id}/claim",
        "/staff/reports/{report_id}/release",
        "/staff/reports/{report_id}/assign",
        "/staff/reports/{report_id}/notes",
        "/staff/reports/{report_id}/corrections",
        "/staff/reports/{report_id}/print",
        "/staff/reports/{report_id}/attachments/{attachment_id}",
        "/staff/reports/{report_id}/attachments/{attachment_id}/thumbnail",
        "/staff/reports/{report_id}/nibrs.xml",
        "/staff/metrics",
        "/staff/search",
    }


@pytest.fixture(autouse=True)
def staff_pool(system: Services) -> None:
    install(system.with_settings(user_pool_id="us-east-1_pool", user_pool_client_id="client"))


@pytest.mark.parametrize(("method", "path"), STAFF_PAGES)
@pytest.mark.parametrize("cookie", [None, "sr_staff=", "sr_staff=forged.token.value"])
def test_a_stranger_is_sent_to_sign_in(
    client: Client, method: str, path: str, cookie: str | None
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {}
    url = path.replace("{report_id}", "RPD-2222-2222").replace("{attachment_id}", "a" * 32)
    jar = dict([cookie.split("=", 1)]) if cookie else {}
    # a genuine form token for these cookies: what is tested here is the sign-in, not the form
    body = urlencode(signed({"decision": "approve"}, jar, url)) if method == "POST" else None
    headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
    response = getattr(client.http, method.lower())(url, headers=headers, body=body)

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff?expired=1")
    assert "Max-Age=0" in response.headers["Set-Cookie"]
