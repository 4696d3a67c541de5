"""A records clerk in Chromium sees the photo a resident attached: its thumbnail on the report's
page (served by the app after the session check), and the photo itself through a short link."""

from __future__ import annotations

import io

import pytest
import requests
from playwright.sync_api import expect

from chalicelib.routes.staff_pages import STAFF_COOKIE
from tests.support.flows import resident, staff, submitted_theft
from tests.support.local_stack import RunningStack

from .conftest import NewPhone, Screenshot
from .test_staff_pages import DESKTOP, no_serious_violations

pytestmark = pytest.mark.browser


def street_photo() -> bytes:
    """A 1600 by 1200 JPEG with the look of a photo (a sky, a wall, a broken window), as a phone
    sends one: big enough that the thumbnail is a real reduction."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 1200))
    draw = ImageDraw.Draw(image)
    for y in range(1200):
        shade = int(140 + 90 * y / 1200)
        draw.line([(0, y), (1600, y)], fill=(shade // 2, shade // 2 + 30, shade))
    draw.rectangle((200, 300, 1400, 1200), fill=(150, 75, 50))
    draw.rectangle((500, 500, 1100, 950), fill=(40, 60, 80), outline=(230, 230, 230), width=24)
    for start, end in (
        ((520, 520), (900, 930)),
        ((1080, 520), (700, 800)),
        ((800, 520), (760, 930)),
    ):
        draw.line([start, end], fill=(235, 235, 235), width=6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def attach_photo(stack: RunningStack, auth: dict[str, str], report_id: str) -> dict[str, str]:
    """The resident's upload as a browser makes it: the presigned POST to the bucket, then the
    list that checks and stores the file."""
    attachments = f"{stack.app_url}/api/reports/{report_id}/attachments"
    offered = requests.post(
        attachments,
        json={"name": "broken window.jpg", "type": "image/jpeg"},
        headers=auth,
        timeout=10,
    )
    assert offered.status_code == 201, offered.text
    form = offered.json()
    posted = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("broken window.jpg", street_photo(), "image/jpeg")},
        timeout=30,
    )
    assert posted.status_code in {200, 201, 204}, posted.text
    listed = requests.get(attachments, headers=auth, timeout=30)
    [entry] = listed.json()["items"]
    assert entry["state"] == "accepted", entry
    return dict(entry)


def test_the_clerk_sees_the_thumbnail_and_opens_the_photo(
    new_phone: NewPhone, running_stack: RunningStack, screenshot: Screenshot
) -> None:
    auth, _ = resident(running_stack, "evidence")
    report_id = submitted_theft(running_stack, auth)["id"]
    entry = attach_photo(running_stack, auth, report_id)
    token = staff(running_stack)["Authorization"].removeprefix("Bearer ")
    page = new_phone(**DESKTOP)
    page.context.add_cookies(
        [{"name": STAFF_COOKIE, "value": token, "url": f"{running_stack.app_url}/staff"}]
    )

    page.goto(f"/staff/reports/{report_id}")
    thumbnail = page.get_by_role("img", name="Photo: broken window.jpg")
    expect(thumbnail).to_be_visible()
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function(
        "image => image.complete && image.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert thumbnail.evaluate("image => image.naturalWidth") == 320
    expect(page.get_by_text(entry["sha256"])).to_be_visible()
    no_serious_violations(page, "staff report with a photo")
    screenshot(page, "staff-report-attachment")

    with page.expect_response(
        lambda response: "/attachments/" in response.url and response.url.find("X-Amz") > 0
    ) as opened:
        page.get_by_role("link", name="broken window.jpg").click()
    answer = opened.value
    assert answer.status == 200
    assert answer.headers["content-type"] == "image/jpeg"
    assert len(answer.body()) == int(entry["size"])
