"""Headless Chromium for the browser tests: one browser per session, a fresh context per test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.support.local_stack import PROJECT_DIR, RunningStack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
SCREENSHOTS = PROJECT_DIR / "test-artifacts" / "screenshots"

NewPhone = Callable[..., Page]
Screenshot = Callable[[Page, str], Path]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("SKIP_BROWSER_TESTS") == "1":
            pytest.skip(f"{CHROMIUM} is missing and SKIP_BROWSER_TESTS=1")
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM}: run `apt-get install chromium`, "
            "or set SKIP_BROWSER_TESTS=1 to skip them.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_phone(browser: Browser, running_stack: RunningStack) -> Iterator[NewPhone]:
    """Open a page on a phone-sized context of its own; keyword arguments override the phone."""
    contexts: list[BrowserContext] = []

    def open_page(**options: Any) -> Page:
        context = browser.new_context(**{**PHONE, "base_url": running_stack.app_url, **options})
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def phone(new_phone: NewPhone) -> Page:
    return new_phone()


@pytest.fixture(scope="session")
def screenshot() -> Screenshot:
    """Save a full-page PNG under test-artifacts/screenshots/ for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
