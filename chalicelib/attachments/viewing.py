"""What staff, the copy and the export see of a report's attachments: accepted files only,
each opened through a short-lived link signed after the authorization check.

Links are signed locally (no AWS call) for 60 seconds, with the type forced to the stored one
and images shown inline, PDFs downloaded: a file never opens as anything the checks did not
make it. Thumbnails (JPEGs of at most 320 pixels a side, ~20 KB) are read from S3 and served by
the staff page route itself, so the staff pages' CSP needs no bucket origin.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import DeliveryFailed, NotFound
from ..intake.references import normalise_reference
from ..models import Report
from ..report_store import ReportStore
from ..review.audit import AuditTrail
from ..review.staff import StaffMember
from ..status import ReportStatus

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

LINK_SECONDS = 60
MAX_THUMBNAIL_BYTES = 256 * 1024
"""More than a thumbnail is ever made (320 px, quality 80): a larger object is not ours."""
OPENED = "attachment_opened"
_MISSING = {"NoSuchKey", "404", "NotFound"}


def accepted(report: Report) -> list[dict[str, Any]]:
    """The entries whose files passed the checks and are stored, in the order attached."""
    return [e for e in report.attachments or [] if e.get("state") == "accepted" and e.get("key")]


def is_image(entry: Mapping[str, Any]) -> bool:
    return str(entry.get("media_type", "")).startswith("image/")


def disposition(entry: Mapping[str, Any]) -> str:
    """Images open in the browser; documents are downloaded. The resident's name is given in
    ASCII and in full (RFC 6266), never able to close the header's quotes."""
    name = str(entry.get("name") or "file")
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", name) or "file"
    kind = "inline" if is_image(entry) else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@dataclass(frozen=True)
class Link:
    url: str
    expires_at: datetime


class AttachmentViewer:
    """The bucket's read side: signed links and thumbnails. S3's errors become
    `DeliveryFailed` here."""

    def __init__(
        self,
        *,
        s3: S3Client,
        bucket: str,
        clock: Callable[[], datetime],
        link_seconds: int = LINK_SECONDS,
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._clock = clock
        self._link_seconds = link_seconds

    def link(self, entry: Mapping[str, Any]) -> Link:
        """A GET of the stored file for `link_seconds`, signed locally: no AWS call."""
        expires_at = self._clock() + timedelta(seconds=self._link_seconds)
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": str(entry["key"]),
                "ResponseContentDisposition": disposition(entry),
                "ResponseContentType": str(entry["media_type"]),
            },
            ExpiresIn=self._link_seconds,
        )
        return Link(url, expires_at)

    def thumbnail(self, entry: Mapping[str, Any]) -> bytes | None:
        """The entry's thumbnail (one GetObject), or None when it has none or it is gone."""
        key = entry.get("thumbnail_key")
        if not key:
            return None
        try:
            got = self._s3.get_object(Bucket=self._bucket, Key=str(key))
        except ClientError as error:
            if error.response["Error"]["Code"] in _MISSING:
                log.warning("thumbnail missing", extra={"id": entry.get("id")})
                return None
            raise DeliveryFailed("The picture cannot be shown right now.") from error
        except BotoCoreError as error:
            raise DeliveryFailed("The picture cannot be shown right now.") from error
        body = got["Body"]
        try:
            data = body.read(MAX_THUMBNAIL_BYTES + 1)
        finally:
            body.close()
        if len(data) > MAX_THUMBNAIL_BYTES:
            log.warning("thumbnail too large", extra={"id": entry.get("id")})
            return None
        return bytes(data)

    def thumbnails(self, entries: Iterable[Mapping[str, Any]]) -> dict[str, bytes]:
        """The thumbnail of each image entry that has one: one GetObject each."""
        found = {}
        for entry in entries:
            data = self.thumbnail(entry)
            if data is not None:
                found[str(entry["id"])] = data
        return found


class StaffAttachments:
    """A member of staff opening a file of a report they may view: found in the report (another
    report's id, a draft's, or a file not accepted is 404), opening it recorded in the trail."""

    def __init__(self, *, store: ReportStore, audit: AuditTrail, viewer: AttachmentViewer) -> None:
        self._store = store
        self._audit = audit
        self._viewer = viewer

    def open(self, member: StaffMember, report_id: str, attachment_id: str) -> Link:
        report, entry = self._find(report_id, attachment_id)
        link = self._viewer.link(entry)
        self._audit.record(
            report.report_id, member.username, OPENED, "succeeded", {"attachment": entry["id"]}
        )
        log.info("attachment opened", extra={"report_id": report.report_id, "id": entry["id"]})
        return link

    def thumbnail(self, member: StaffMember, report_id: str, attachment_id: str) -> bytes:
        """The thumbnail the report's page shows: part of viewing the report (recorded once,
        as its view), not an opening of the file."""
        _, entry = self._find(report_id, attachment_id)
        data = self._viewer.thumbnail(entry)
        if data is None:
            raise NotFound("This attachment has no picture.")
        return data

    def _find(self, report_id: str, attachment_id: str) -> tuple[Report, dict[str, Any]]:
        report = self._store.get(normalise_reference(report_id))
        if report.status == ReportStatus.DRAFT:
            raise NotFound("There is no submitted report with that reference.")
        entry = next((e for e in accepted(report) if e.get("id") == attachment_id), None)
        if entry is None:
            raise NotFound("This report has no attachment with that id.")
        return report, entry


def size_words(size: object, language: str = "en") -> str:
    """A file's size as people read it: "840 bytes", "18 KB", "2.4 MB" ("2,4 MB" in Spanish)."""
    from babel.numbers import format_decimal  # large: imported on first use

    count = int(size) if isinstance(size, int | float | str) and str(size).isdigit() else 0
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{format_decimal(round(count / 1024), locale=language)} KB"
    return f"{format_decimal(round(count / 1024 / 1024, 1), format='#,##0.0', locale=language)} MB"


KINDS = {
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/webp": "WebP image",
    "image/heic": "HEIC image",
    "image/heif": "HEIF image",
    "application/pdf": "PDF document",
}
"""Each stored type in words (staff's English; the copy translates the same words)."""


def for_staff(report: Report) -> list[dict[str, Any]]:
    """The report's entries as the staff pages list them: accepted ones with their type and
    size in words and whether a thumbnail can be shown; the others as they are."""
    shown = []
    for entry in report.attachments or []:
        media_type = str(entry.get("media_type") or "")
        shown.append(
            {
                "id": str(entry["id"]),
                "name": str(entry.get("name") or "file"),
                "state": str(entry.get("state") or "waiting"),
                "media_type": media_type,
                "kind": KINDS.get(media_type, media_type or "Unknown type"),
                "size": size_words(entry.get("size")) if entry.get("size") is not None else "",
                "sha256": str(entry.get("sha256") or ""),
                "pages": entry.get("pages"),
                "width": entry.get("width"),
                "height": entry.get("height"),
                "thumbnail": bool(entry.get("thumbnail_key")) and entry.get("state") == "accepted",
                "reason_code": str(entry.get("reason_code") or ""),
            }
        )
    return shown
