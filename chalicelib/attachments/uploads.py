"""A report's attachments: the upload form, the processing of what arrived, and removal.

Files never pass through Lambda: `offer` records a waiting entry and answers an S3 presigned
POST for `quarantine/{report_id}/{attachment_id}`. The browser (or API client) posts the file
to S3; `entries` then checks what arrived and moves what passes to `attachments/{report_id}/`.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from ..agency import AgencyProfile
from ..agency import Attachments as AttachmentLimits
from ..errors import Conflict, DeliveryFailed, InvalidInput, NotFound
from ..i18n import Translate, translator
from ..models import Report
from ..report_store import ReportStore, StaleReport
from ..status import ReportStatus

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from ..intake.reports import Reports
    from ..intake.verification import Resident

log = logging.getLogger(__name__)

QUARANTINE_PREFIX = "quarantine/"
UNKNOWN_TYPE = "application/octet-stream"
"""What a plain HTML form declares: the page offers the upload before the file is chosen, so
its name and type are unknown; the processing finds the real type from the bytes."""
STORED_PREFIX = "attachments/"
FORM_SECONDS = 600
MAX_NAME = 120
KEPT_REFUSALS = 10
"""Refused entries kept to tell the resident why; older ones are dropped."""
OPEN = (ReportStatus.DRAFT, ReportStatus.SUBMITTED, ReportStatus.INFO_REQUESTED)
"""A report takes attachments until a decision is made."""
WRITE_ATTEMPTS = 4
DELETE_BATCH = 1000  # DeleteObjects takes at most this many keys a call
SCAN_TAG = "GuardDutyMalwareScanStatus"
CLEAN = "NO_THREATS_FOUND"
THREATS = "THREATS_FOUND"
SCAN_WAIT = timedelta(minutes=15)
UPLOAD_GRACE = timedelta(minutes=15)
"""S3 refuses a form posted after its expiry; an upload begun just before may end this much later
(20 MB on a slow phone). moto enforces nothing, so the processing checks again."""
"""How long after its form expired a file may wait for GuardDuty's verdict (usually seconds)."""


def quarantine_key(report_id: str, attachment_id: str) -> str:
    return f"{QUARANTINE_PREFIX}{report_id}/{attachment_id}"


def stored_keys(report_id: str, entry: dict[str, Any]) -> list[str]:
    """Every object an entry may have in the bucket (the quarantine one too: a file may
    arrive after its entry was refused as expired)."""
    keys = [entry[k] for k in ("key", "thumbnail_key") if entry.get(k)]
    return [*keys, quarantine_key(report_id, entry["id"])]


def clean_name(name: str) -> str:
    """The resident's file name, safe to show and to store: no folders, no control
    characters, one space between words, at most 120 characters (the extension kept)."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = " ".join(base.split()).strip(" .")
    if len(base) > MAX_NAME:
        stem, dot, extension = base.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            base = stem[: MAX_NAME - len(extension) - 1].rstrip() + "." + extension
        else:
            base = base[:MAX_NAME]
    return base or "file"


def reason(code: str, _: Translate, *, megabytes: int, max_files: int) -> str:
    """Why a file was refused, in words for the resident."""
    if code == "too_large":
        return _("This file is larger than %(megabytes)d MB.") % {"megabytes": megabytes}
    if code == "type_not_accepted":
        return _("Only photos (JPEG, PNG, HEIC, WebP) and PDF documents can be attached.")
    if code == "too_many_pixels":
        return _("This image is too large to open safely.")
    if code == "pdf_active_content":
        return _("PDF documents with scripts or active content cannot be attached.")
    if code == "pdf_embedded_files":
        return _("PDF documents containing other files cannot be attached.")
    if code == "pdf_encrypted":
        return _("Password-protected PDF documents cannot be attached.")
    if code == "expired":
        return _("The upload form expired. Try again.")
    if code == "too_many":
        return _("You can attach at most %(count)d files.") % {"count": max_files}
    if code == "empty":
        return _("This file is empty.")
    if code == "malware":
        return _("This file was refused because a virus check found a threat in it.")
    if code == "cannot_check":
        return _(
            "This file could not be checked just now. Try again later, or bring it to the "
            "records division."
        )
    return _("This file could not be read. It may be damaged.")


@dataclass(frozen=True)
class UploadForm:
    """Where and how to POST the file: `fields` first, then the file as `file`, until
    `expires_at`."""

    id: str
    url: str
    fields: dict[str, str]
    expires_at: datetime


@dataclass(frozen=True)
class AttachmentList:
    report: Report
    items: list[dict[str, Any]]
    """Each entry as stored, with `reason` in words for a refused one."""
    max_files: int
    max_bytes: int
    accepted_types: tuple[str, ...]


@dataclass(frozen=True)
class Arrived:
    data: bytes
    content_type: str
    age: timedelta = timedelta(0)
    """How long ago S3 stored it, by S3's own clock (its answer's Date less LastModified), so a
    late upload is seen whatever the clock that asks."""


@dataclass(frozen=True)
class Unscanned:
    """The file is there, not read: GuardDuty has given no verdict yet (None), or one other
    than clean (THREATS_FOUND, UNSUPPORTED, ACCESS_DENIED, FAILED)."""

    status: str | None


def _stored_ago(got: Any) -> timedelta:
    stored = got.get("LastModified")
    answered = got.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    if not isinstance(stored, datetime) or not answered:
        return timedelta(0)
    try:
        return max(parsedate_to_datetime(answered) - stored, timedelta(0))
    except (TypeError, ValueError):
        return timedelta(0)


class AttachmentFiles:
    """The bucket's side: upload forms, quarantine reads, stored copies, deletions. S3's
    errors become `DeliveryFailed` here."""

    def __init__(self, *, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def form(
        self, key: str, media_type: str, max_bytes: int, redirect: str | None = None
    ) -> tuple[str, dict[str, str]]:
        """The URL and fields of a presigned POST for `key`; with `redirect`, S3 answers the
        browser's plain form with a 303 to it, adding `bucket` and `key` (and `etag`; moto's
        server adds the first two)."""
        # Signed locally: no AWS call. S3 enforces the conditions (moto does not, hence the
        # checks again in `Attachments._verdict`).
        fields = {"Content-Type": media_type}
        conditions: list[Any] = [{"Content-Type": media_type}]
        if redirect is not None:
            fields["success_action_redirect"] = redirect
            conditions.append({"success_action_redirect": redirect})
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields=fields,
            Conditions=[*conditions, ["content-length-range", 1, max_bytes]],
            ExpiresIn=FORM_SECONDS,
        )
        return str(post["url"]), {str(k): str(v) for k, v in post["fields"].items()}

    @cached_property
    def origin(self) -> str:
        """Where upload forms post: the origin of a presigned POST's URL, so a page's policy
        names exactly the bucket's endpoint on AWS and on the local stack. Signed locally once
        per process (no AWS call): it never changes."""
        url, _fields = self.form(QUARANTINE_PREFIX, UNKNOWN_TYPE, 1)
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def arrived(
        self, key: str, max_bytes: int, *, scanned: bool = False
    ) -> Arrived | int | Unscanned | None:
        """The object at `key` (one GetObject): its bytes, or its size when over `max_bytes`
        (not read), or None while nothing is there. When `scanned`, GuardDuty's tag is read
        first (one GetObjectTagging) and the object only once it is tagged clean."""
        try:
            if scanned:
                tags = self._s3.get_object_tagging(Bucket=self._bucket, Key=key)["TagSet"]
                status = next((t["Value"] for t in tags if t["Key"] == SCAN_TAG), None)
                if status != CLEAN:
                    return Unscanned(status)
            got = self._s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in {"NoSuchKey", "404", "NotFound"}:
                return None
            raise DeliveryFailed("The file cannot be checked right now.") from error
        except BotoCoreError as error:
            raise DeliveryFailed("The file cannot be checked right now.") from error
        body = got["Body"]
        size = int(got.get("ContentLength", 0))
        try:
            if size > max_bytes:
                return size
            data = body.read(max_bytes + 1)
        finally:
            body.close()
        if len(data) > max_bytes:
            return len(data)
        return Arrived(data, str(got.get("ContentType", "")), _stored_ago(got))

    def put(self, key: str, data: bytes, media_type: str) -> None:
        try:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=media_type)
        except (ClientError, BotoCoreError) as error:
            raise DeliveryFailed("The file cannot be stored right now.") from error

    def delete(self, keys: Collection[str]) -> None:
        """One DeleteObjects call per thousand keys; a key not there is no error."""
        ordered = sorted(set(keys))
        for start in range(0, len(ordered), DELETE_BATCH):
            batch = ordered[start : start + DELETE_BATCH]
            try:
                answer = self._s3.delete_objects(
                    Bucket=self._bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )
            except (ClientError, BotoCoreError) as error:
                raise DeliveryFailed("The files cannot be removed right now.") from error
            if answer.get("Errors"):
                raise DeliveryFailed("The files cannot be removed right now.")

    def erase(self, report: Report) -> None:
        """Every object of the report's attachments (a screened-out report's, with its answers)."""
        keys = [
            key
            for entry in report.attachments or []
            for key in stored_keys(report.report_id, entry)
        ]
        if keys:
            self.delete(keys)
            log.info("attachments erased", extra={"report_id": report.report_id})


class Attachments:
    def __init__(
        self,
        *,
        agency: AgencyProfile,
        reports: Reports,
        store: ReportStore,
        files: AttachmentFiles,
        clock: Callable[[], datetime],
    ) -> None:
        self._agency = agency
        self._reports = reports
        self._store = store
        self._files = files
        self._clock = clock

    @property
    def _limits(self) -> AttachmentLimits:
        return self._agency.attachments

    def offer(
        self,
        resident: Resident,
        report_id: str,
        name: object,
        declared_type: object,
        *,
        redirect: str | None = None,
    ) -> UploadForm:
        """A waiting entry and the form to POST its file to S3. `name` and `declared_type`
        None: a plain HTML form's file, not chosen yet (named "File 3", its type found from
        its bytes); `redirect`: where S3 sends the browser once the file is stored."""
        report = self._reports.own(resident, report_id)
        _ = translator(report.language)
        limits = self._limits
        if limits.incident_types is not None and report.incident_type not in limits.incident_types:
            raise Conflict(_("Files cannot be attached to this kind of report."))
        unnamed = name is None and declared_type is None
        if unnamed:
            declared_type = UNKNOWN_TYPE
        elif not isinstance(declared_type, str) or declared_type not in limits.accepted_types:
            message = self._reason("type_not_accepted", _)
            raise InvalidInput(message, fields={"type": message})
        if not unnamed and (not isinstance(name, str) or not name.strip()):
            message = _("Give the file's name")
            raise InvalidInput(message, fields={"name": message})
        now = self._clock()
        attachment_id = secrets.token_hex(16)
        key = quarantine_key(report.report_id, attachment_id)
        expires_at = now + timedelta(seconds=FORM_SECONDS)
        entry = {
            "id": attachment_id,
            "name": clean_name(name) if isinstance(name, str) else "",
            "state": "waiting",
            "media_type": declared_type,
            "created_at": now.isoformat(),
            "form_expires_at": expires_at.isoformat(),
        }

        def add(entries: list[dict[str, Any]], current: Report) -> list[dict[str, Any]]:
            self._refuse_unless_open(current, _)
            if sum(1 for e in entries if e["state"] != "refused") >= limits.max_files:
                raise Conflict(self._reason("too_many", _))
            if unnamed:
                named = {**entry, "name": _("File %(number)d") % {"number": len(entries) + 1}}
                return [*entries, named]
            return [*entries, entry]

        self._change(report, add)
        assert isinstance(declared_type, str)
        url, fields = self._files.form(key, declared_type, limits.max_bytes, redirect)
        log.info("upload offered", extra={"report_id": report.report_id, "id": attachment_id})
        return UploadForm(attachment_id, url, fields, expires_at)

    def entries(self, resident: Resident, report_id: str) -> AttachmentList:
        """The report's attachments, after checking every file that has arrived since.

        Processing happens here, on the resident's next request, rather than on an S3 event:
        no extra function or event plumbing to deploy and grant, it runs the same on moto and
        on AWS, and the request that follows the upload is the one that sees the verdict. A
        Lambda on the bucket's ObjectCreated event can call `_verdict` later without change.
        """
        return self.entries_of(self._reports.own(resident, report_id))

    def entries_of(self, report: Report) -> AttachmentList:
        """`entries` for a report the caller already read through `Reports.own` (a page that
        shows the report too): one GetItem fewer."""
        _ = translator(report.language)
        if report.status in OPEN and any(e["state"] == "waiting" for e in report.attachments or []):
            report = self._process(report)
        items = []
        for entry in report.attachments or []:
            shown = dict(entry)
            if entry["state"] == "refused":
                shown["reason"] = self._reason(entry.get("reason_code", "unreadable"), _)
            items.append(shown)
        limits = self._limits
        return AttachmentList(
            report, items, limits.max_files, limits.max_bytes, tuple(limits.accepted_types)
        )

    def remove(self, resident: Resident, report_id: str, attachment_id: str) -> None:
        """Delete the file and its entry, only before the report is submitted."""
        report = self._reports.own(resident, report_id)
        _ = translator(report.language)
        self._refuse_unless_draft(report, _)
        entry = next((e for e in report.attachments or [] if e["id"] == attachment_id), None)
        if entry is None:
            raise NotFound(_("There is no attachment with that id."))
        # The objects first: a failure leaves the entry, so the resident's retry finishes it.
        self._files.delete(stored_keys(report.report_id, entry))

        def without(entries: list[dict[str, Any]], current: Report) -> list[dict[str, Any]]:
            self._refuse_unless_draft(current, _)
            return [e for e in entries if e["id"] != attachment_id]

        self._change(report, without, statuses=(ReportStatus.DRAFT,))
        log.info("attachment removed", extra={"report_id": report.report_id, "id": attachment_id})

    # -- processing -----------------------------------------------------------------------------

    def _process(self, report: Report) -> Report:
        now = self._clock()
        entries = report.attachments or []
        kept = sum(1 for e in entries if e["state"] == "accepted")
        verdicts: dict[str, dict[str, Any]] = {}
        for entry in entries:
            if entry["state"] != "waiting":
                continue
            verdict = self._verdict(report.report_id, entry, now, accepted_so_far=kept)
            if verdict is not None:
                verdicts[entry["id"]] = verdict
                kept += verdict["state"] == "accepted"
        if not verdicts:
            return report

        def apply(current: list[dict[str, Any]], _report: Report) -> list[dict[str, Any]]:
            return [
                verdicts[e["id"]] if e["id"] in verdicts and e["state"] == "waiting" else e
                for e in current
            ]

        return self._change(report, apply)

    def _verdict(
        self, report_id: str, entry: dict[str, Any], now: datetime, *, accepted_so_far: int
    ) -> dict[str, Any] | None:
        """The entry once its file is checked, or None while the file has not arrived. Every
        limit of the form is checked again: S3 enforces them, moto does not."""
        from .inspection import Refused, inspect

        limits = self._limits
        key = quarantine_key(report_id, entry["id"])
        arrived = self._files.arrived(key, limits.max_bytes, scanned=limits.malware_scan)
        done = dict(entry)
        form_expired = datetime.fromisoformat(entry["form_expires_at"])
        if arrived is None:
            if now < form_expired:
                return None
            return {**done, "state": "refused", "reason_code": "expired"}
        code: str | None = None
        if isinstance(arrived, Unscanned):
            if arrived.status is None and now < form_expired + SCAN_WAIT:
                return None
            # No verdict in time, or GuardDuty could not scan it: not taken unchecked.
            code = "malware" if arrived.status == THREATS else "cannot_check"
        elif isinstance(arrived, int):
            code = "too_large"
        elif now - arrived.age > form_expired + UPLOAD_GRACE:
            code = "expired"
        elif arrived.content_type != entry["media_type"]:
            code = "type_not_accepted"
        elif accepted_so_far >= limits.max_files:
            code = "too_many"
        if code is None:
            assert isinstance(arrived, Arrived)
            try:
                checked = inspect(
                    arrived.data,
                    accepted_types=limits.accepted_types,
                    max_bytes=limits.max_bytes,
                )
            except Refused as refused:
                code = refused.code
        if code is not None:
            self._files.delete([key])
            log.info(
                "attachment refused",
                extra={"report_id": report_id, "id": entry["id"], "code": code},
            )
            return {**done, "state": "refused", "reason_code": code}
        stored = f"{STORED_PREFIX}{report_id}/{entry['id']}.{checked.extension}"
        self._files.put(stored, checked.data, checked.media_type)
        accepted: dict[str, Any] = {
            **done,
            "state": "accepted",
            "media_type": checked.media_type,
            "size": checked.size,
            "sha256": checked.sha256,
            "key": stored,
        }
        for member in ("width", "height", "pages"):
            value = getattr(checked, member)
            if value is not None:
                accepted[member] = value
        if checked.thumbnail is not None:
            thumbnail = f"{STORED_PREFIX}{report_id}/{entry['id']}.thumb.jpg"
            self._files.put(thumbnail, checked.thumbnail, "image/jpeg")
            accepted["thumbnail_key"] = thumbnail
        self._files.delete([key])
        log.info("attachment accepted", extra={"report_id": report_id, "id": entry["id"]})
        return accepted

    # -- writes ---------------------------------------------------------------------------------

    def _change(
        self,
        report: Report,
        change: Callable[[list[dict[str, Any]], Report], list[dict[str, Any]]],
        statuses: tuple[ReportStatus, ...] = OPEN,
    ) -> Report:
        """Apply `change` to the entries and write them conditionally; when another write came
        first, read the report again and apply it to what is there now."""
        for _attempt in range(WRITE_ATTEMPTS):
            entries = change(list(report.attachments or []), report)
            try:
                self._store.save_attachments(report, _pruned(entries), statuses)
            except StaleReport:
                report = self._store.get(report.report_id)
                continue
            return report
        _ = translator(report.language)
        raise Conflict(_("This report was changed in another window. Reload it and try again."))

    def _refuse_unless_open(self, report: Report, _: Translate) -> None:
        if report.status == ReportStatus.SCREENED_OUT:
            raise Conflict(_("This report ended because the police need to take it directly."))
        if report.status not in OPEN:
            raise Conflict(_("A decision was made on this report: files can no longer be added."))

    def _refuse_unless_draft(self, report: Report, _: Translate) -> None:
        self._refuse_unless_open(report, _)
        if report.status != ReportStatus.DRAFT:
            raise Conflict(_("Files cannot be removed once the report is submitted."))

    def _reason(self, code: str, _: Translate) -> str:
        limits = self._limits
        return reason(code, _, megabytes=limits.max_megabytes, max_files=limits.max_files)


def _pruned(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most `KEPT_REFUSALS` refused entries (the newest), so the list cannot grow forever."""
    refused = [e["id"] for e in entries if e["state"] == "refused"]
    dropped = set(refused[:-KEPT_REFUSALS]) if len(refused) > KEPT_REFUSALS else set()
    return [e for e in entries if e["id"] not in dropped]
