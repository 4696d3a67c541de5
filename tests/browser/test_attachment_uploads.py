"""Photos on the wizard's "Photos or documents" step, in headless Chromium on a phone, through the
running local stack: the file goes from the browser straight to the local S3 (moto's server),
with JavaScript off (S3's presigned POST as a plain form, `success_action_redirect` back) and on
(several files, each with its progress bar); what is stored has no EXIF and no GPS."""

from __future__ import annotations

import io
import re
from typing import Any

import boto3
import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.test_report_wizard import (
    heading,
    serious_violations,
    walk_theft,
)
from tests.support.local_stack import RunningStack
from tests.unit.test_attachment_inspection import photo_with_gps

from .conftest import NewPhone, Screenshot

pytestmark = pytest.mark.browser

WAIT_MS = 30_000  # a busy machine checks the photo on the request after the upload


def local_s3(stack: RunningStack) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=stack.aws_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # moto accepts any credentials
    )


def stored_images(stack: RunningStack, report_id: str) -> list[bytes]:
    """The report's stored photos (not their thumbnails), read back from the local S3."""
    s3 = local_s3(stack)
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].endswith("-reports")]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"attachments/{report_id}/")
    keys = [o["Key"] for o in listed.get("Contents", []) if not o["Key"].endswith(".thumb.jpg")]
    return [s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys]


def assert_no_exif(data: bytes) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif(), "EXIF left in the stored photo"
    assert "exif" not in image.info and "xmp" not in image.info


def photo(name: str) -> FilePayload:
    return {"name": name, "mimeType": "image/jpeg", "buffer": photo_with_gps()}


def at_the_photos_step(page: Page, stack: RunningStack) -> str:
    reference = walk_theft(page, stack, until="attachments")
    expect(page).to_have_url(re.compile(rf"/report/{reference}/step/attachments$"))
    expect(heading(page)).to_have_text("Photos or documents")
    return reference


def test_a_photo_with_gps_sent_without_javascript_is_stored_without_it(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    page = new_phone(java_script_enabled=False)
    report_id = at_the_photos_step(page, running_stack)
    expect(page.get_by_text("No files attached yet.")).to_be_visible()

    page.get_by_role("button", name="Add a photo or document").click()
    expect(heading(page)).to_have_text("Add a photo or document")
    page.get_by_label("Choose a photo or document").set_input_files(photo("window.jpg"))
    page.get_by_role("button", name="Upload the file").click()

    expect(page).to_have_url(re.compile(rf"/report/{report_id}/step/attachments\?"))
    listed = page.locator(".attachment")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Checked and attached", timeout=WAIT_MS)
    expect(page.get_by_role("alert")).to_have_count(0)
    screenshot(page, "attachments-step-one-photo")

    (stored,) = stored_images(running_stack, report_id)
    assert_no_exif(stored)

    page.get_by_role("button", name="Remove File 1").click()
    expect(page.get_by_text("No files attached yet.")).to_be_visible()
    assert stored_images(running_stack, report_id) == []
    page.locator("button[value=continue]:not(.visually-hidden)").click()
    expect(heading(page)).to_have_text("Your details")


def test_several_photos_sent_with_javascript_show_progress_and_are_stored_without_gps(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    page = new_phone()
    report_id = at_the_photos_step(page, running_stack)
    picker = page.get_by_label("Choose photos or documents")
    expect(picker).to_be_visible()
    expect(page.get_by_role("button", name="Add a photo or document")).to_be_hidden()

    picker.set_input_files([photo("window.jpg"), photo("receipt.jpg")])

    listed = page.locator(".attachment")
    expect(listed).to_have_count(2, timeout=WAIT_MS)
    expect(listed.filter(has_text="Checked and attached")).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator(".attachment__name")).to_have_text(["window.jpg", "receipt.jpg"])
    screenshot(page, "attachments-step-two-photos")

    stored = stored_images(running_stack, report_id)
    assert len(stored) == 2
    for data in stored:
        assert_no_exif(data)


def test_the_progress_bars_are_labelled(new_phone: NewPhone, running_stack: RunningStack) -> None:
    page = new_phone()
    at_the_photos_step(page, running_stack)
    # Hold the bucket's answer, so the bars can be read before the page reloads.
    page.route(re.compile(r"^http://127\.0\.0\.1:\d+/[^/]+-reports/?$"), lambda route: None)

    page.get_by_label("Choose photos or documents").set_input_files(photo("window.jpg"))

    expect(page.get_by_role("progressbar", name="window.jpg")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".uploads__result")).to_have_attribute("aria-live", "polite")


def test_the_photos_step_has_no_serious_accessibility_violations(
    new_phone: NewPhone, running_stack: RunningStack
) -> None:
    page = new_phone()
    at_the_photos_step(page, running_stack)
    assert not serious_violations(page)

    page.get_by_label("Choose photos or documents").set_input_files(photo("window.jpg"))
    expect(page.locator(".attachment")).to_contain_text("Checked and attached", timeout=WAIT_MS)

    violations = serious_violations(page)
    assert not violations, "\n".join(f"- {v['id']}: {v['help']}" for v in violations)
