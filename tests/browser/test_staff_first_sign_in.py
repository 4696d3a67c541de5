"""A new records clerk's first sign-in in Chromium, on a pool that requires an authenticator app:
the emailed temporary password, a new password, the app set up from the QR code's key, the queue.

The local stack's pool has MFA optional, so this test requires it (TOTP only, as a deployed
pool does) for its own duration and puts it back after. The local stack's moto accepts any
code; the code typed here is computed from the key the page shows, as an app would.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from playwright.sync_api import Page, expect

from chalicelib.routes.staff_pages import STAFF_COOKIE
from tests.support.flows import aws_client
from tests.support.local_stack import RunningStack

from .conftest import NewPhone, Screenshot

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}
TEMPORARY_PASSWORD = "Temp-Passw0rd-From-Email!"
NEW_PASSWORD = "Kettle-Harbour-42-Lantern!"


def no_violations(page: Page, name: str) -> None:
    violations = Axe().run(page).response["violations"]
    assert not violations, f"axe-core on {name}: " + "; ".join(
        f"{v['id']} ({v['impact']}) at {v['nodes'][0]['target'][0]}" for v in violations
    )


def totp_code(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    totp = TOTP(key, 6, SHA1(), 30, enforce_key_length=False)  # noqa: S303 - as Cognito's TOTP
    return totp.generate(int(time.time())).decode()


@pytest.fixture
def new_clerk(running_stack: RunningStack) -> Iterator[str]:
    """A reviewer an administrator has just created, on a pool that now requires TOTP MFA."""
    cognito: Any = aws_client(running_stack, "cognito-idp")
    [pool] = [
        pool
        for pool in cognito.list_user_pools(MaxResults=60)["UserPools"]
        if pool["Name"].endswith("-staff")
    ]
    before = cognito.get_user_pool_mfa_config(UserPoolId=pool["Id"])["MfaConfiguration"]
    username = f"clerk-{uuid.uuid4().hex[:8]}"
    cognito.admin_create_user(
        UserPoolId=pool["Id"],
        Username=username,
        TemporaryPassword=TEMPORARY_PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{username}@staff.example"}],
    )
    cognito.admin_add_user_to_group(UserPoolId=pool["Id"], Username=username, GroupName="reviewers")
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool["Id"],
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="ON",
    )
    try:
        yield username
    finally:
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool["Id"],
            SoftwareTokenMfaConfiguration={"Enabled": False},
            MfaConfiguration=before,
        )


def test_a_new_clerk_chooses_a_password_sets_up_the_app_and_reaches_the_queue(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot, new_clerk: str
) -> None:
    page = new_phone(**DESKTOP)
    page.goto("/staff")
    page.get_by_label("Username").fill(new_clerk)
    page.get_by_label("Password").fill(TEMPORARY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    expect(page.get_by_text("at least 12 characters")).to_be_visible()
    no_violations(page, "choose a new password")
    screenshot(page, "staff-new-password")
    page.get_by_label("New password", exact=True).fill("Plain-2b!")
    page.get_by_label("Type the new password again").fill("Plain-2b!")
    page.get_by_role("button", name="Save the password and continue").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 12 characters")
    expect(page).to_have_title(re.compile(r"^Error: Choose a new password"))
    no_violations(page, "choose a new password, refused")
    page.get_by_role("alert").get_by_role("link").click()
    expect(page.get_by_label("New password", exact=True)).to_be_focused()

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the password and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    qr = page.get_by_role("img", name="QR code that adds your account to an authenticator app")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 150 and box["height"] >= 150, "big enough for a phone camera"
    link = page.get_by_role("link", name="Add the account to your authenticator app")
    assert str(link.get_attribute("href")).startswith("otpauth://totp/Riverton%20Police")
    no_violations(page, "set up your authenticator app")
    screenshot(page, "staff-authenticator-setup")
    key = page.locator("#setup-key").inner_text()
    assert all(len(block) <= 4 for block in key.split())

    page.get_by_label("The 6-digit code from your authenticator app").fill(
        totp_code(key.replace(" ", ""))
    )
    page.get_by_role("button", name="Turn on the app and sign in").click()

    expect(page).to_have_url(f"{running_stack.app_url}/staff/queue")
    expect(page.get_by_role("button", name=f"Sign out {new_clerk}")).to_be_visible()
    assert [c for c in page.context.cookies() if c["name"] == STAFF_COOKIE]

    # The next sign-in: the new password, then the app's code.
    page.get_by_role("button", name=f"Sign out {new_clerk}").click()
    page.get_by_label("Username").fill(new_clerk)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")
    no_violations(page, "enter your security code")
    page.get_by_label("The 6-digit code from your authenticator app").fill(
        totp_code(key.replace(" ", ""))
    )
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{running_stack.app_url}/staff/queue")
