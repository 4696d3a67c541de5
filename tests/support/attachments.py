"""A report with real attached files, through the resident's JSON API on moto in-process: the
upload form offered, the bytes put where the browser's POST would leave them (moto's presigned
POST is not served over HTTP in-process), and the list that checks and stores them."""

from __future__ import annotations

import io
from typing import Any

from tests.support.in_process_api import InProcessApi


def photo(width: int = 640, height: int = 480, colour: str = "steelblue") -> bytes:
    """A real JPEG, with a band of another colour so its thumbnail is not one flat tone."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), colour)
    ImageDraw.Draw(image).rectangle(
        (width // 4, height // 3, width * 3 // 4, height * 2 // 3), fill="darkorange"
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def upload(api: InProcessApi, form: dict[str, Any], data: bytes, content_type: str) -> None:
    """What the browser's POST of the form leaves in the bucket."""
    api.services.aws.s3.put_object(
        Bucket=api.services.settings.bucket_name,
        Key=form["fields"]["key"],
        Body=data,
        ContentType=content_type,
    )


def attach(
    api: InProcessApi,
    who: dict[str, str],
    report_id: str,
    data: bytes,
    name: str = "window.jpg",
    media_type: str = "image/jpeg",
) -> dict[str, Any]:
    """One file attached and checked: its entry as the resident's list shows it."""
    path = f"/api/reports/{report_id}/attachments"
    offered = api.request("POST", path, who, {"name": name, "type": media_type})
    assert offered.status_code == 201, offered.body
    form = offered.json_body
    upload(api, form, data, media_type)
    listed = api.request("GET", path, who)
    assert listed.status_code == 200, listed.body
    entry = next(item for item in listed.json_body["items"] if item["id"] == form["id"])
    assert entry["state"] == "accepted", entry
    return dict(entry)
