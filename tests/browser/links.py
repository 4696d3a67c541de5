"""What a resident does with the emailed link in a browser: open it, then press its button."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

CONTINUE = re.compile(r"^Continue")


def press_continue(page: Page) -> None:
    """The link's page only offers a button: nothing happens until the resident presses it."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    page.get_by_role("button", name=CONTINUE).click()
