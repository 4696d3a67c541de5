"""What a browser sends with a staff form, for tests that post to the staff pages in-process."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from chalice.test import Client

from chalicelib.routes.staff_pages import STAFF_COOKIE

FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}
_HIDDEN = re.compile(r'<input type="hidden" name="(form_token)" value="([^"]*)"')
_FORM_COOKIE = re.compile(r"\b(sr_form)=([^;,\s]+)")


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def post_staff_form(
    client: Client, path: str, fields: dict[str, str], staff_token: str | None = None
) -> Any:
    """POST `fields` to a staff page as a browser that holds `staff_token` in the staff cookie
    would, with whatever the sign-in page hands that browser for its forms (a form token and its
    cookie, where the pages use them)."""
    cookies = {STAFF_COOKIE: staff_token} if staff_token else {}
    shown = client.http.get("/staff", headers={"Cookie": cookie_header(cookies)} if cookies else {})
    cookies.update(_FORM_COOKIE.findall(str(shown.headers.get("Set-Cookie", ""))))
    hidden = dict(_HIDDEN.findall(shown.body.decode()))
    headers = {**FORM_TYPE, **({"Cookie": cookie_header(cookies)} if cookies else {})}
    return client.http.post(path, headers=headers, body=urlencode({**hidden, **fields}))
