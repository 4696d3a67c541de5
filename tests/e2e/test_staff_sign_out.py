"""Signing out over HTTP on the running local stack: the same ID token is refused at once."""

from __future__ import annotations

import pytest
import requests

from chalicelib.routes.staff_pages import STAFF_COOKIE
from tests.support.flows import staff
from tests.support.local_stack import RunningStack

pytestmark = pytest.mark.e2e


def test_a_token_is_refused_by_the_api_and_the_pages_once_its_member_signs_out(
    running_stack: RunningStack,
) -> None:
    base = running_stack.app_url
    headers = staff(running_stack, "supervisor")  # POST /api/staff/login, the demo password
    token = headers["Authorization"].removeprefix("Bearer ")
    cookie = {"Cookie": f"{STAFF_COOKIE}={token}"}
    assert requests.get(f"{base}/api/staff/metrics", headers=headers, timeout=10).status_code == 200
    page = requests.get(f"{base}/staff/queue", headers=cookie, allow_redirects=False, timeout=10)
    assert page.status_code == 200

    signed_out = requests.post(f"{base}/api/staff/logout", headers=headers, timeout=10)

    assert signed_out.status_code == 204, signed_out.text
    for path in ("/api/staff/reports", "/api/staff/metrics"):
        refused = requests.get(f"{base}{path}", headers=headers, timeout=10)
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["code"] == "not_authenticated"
    page = requests.get(f"{base}/staff/queue", headers=cookie, allow_redirects=False, timeout=10)
    assert page.status_code == 303
    assert page.headers["Location"].endswith("/staff?expired=1")
    again = requests.post(f"{base}/api/staff/logout", headers=headers, timeout=10)
    assert again.status_code == 401, "nothing is left to sign out"
