"""The copy of an approved report in S3, and the records-system export
(schemas/records-export.v1.json: version 1, and 1.1 once a report has attachments)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from . import nibrs
from .agency import AgencyProfile, localise
from .attachments.viewing import accepted
from .copy_codes import new_copy_code, verify_path
from .documents import (
    AttachmentInCopy,
    CopyContent,
    copy_key,
    corrections_in_words,
    render_copy,
)
from .errors import Conflict, DeliveryFailed
from .intake.answers import date_bounds, items_total
from .models import Report
from .report_store import ReportStore
from .status import Decision, ReportStatus

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client

    from .attachments.viewing import AttachmentViewer

log = logging.getLogger(__name__)

EXPORT_PREFIX = "exports/"
EVENT_SOURCE = "Self-Report"
EVENT_TYPE = "Report approved"
SCHEMA_VERSION = "1"
WITH_ATTACHMENTS = "1.1"
"""A report with accepted attachments is exported as 1.1, which adds `attachments`; any other
is exactly the 1.0 document it always was, so 1.0 consumers see no change until a report
carries files, which 1.0 could not describe."""
ATTACHMENT_MEMBERS = ("key", "media_type", "size", "sha256", "name")
CORRECTION_MEMBERS = ("question", "old", "new", "by", "at", "reason")


class ExportFailed(RuntimeError):
    """The export did not reach S3 or EventBridge; the workflow retries, then admins re-push."""


class NibrsRefused(ExportFailed):
    """The report's NIBRS document is not valid: it was not stored (the JSON export went out).
    Its own name, so the state machine does not retry it (nothing would change) but marks the
    export failed. The message names only the elements (it reaches the Lambda's log); the
    reasons in words are in `problems`, for the audit trail."""

    def __init__(self, problems: tuple[nibrs.NibrsProblem, ...]) -> None:
        elements = ", ".join(problem.element for problem in problems)
        super().__init__(f"The NIBRS document is not valid: {elements}")
        self.problems = problems

    @property
    def in_words(self) -> str:
        return "; ".join(f"{problem.element}: {problem.message}" for problem in self.problems)


def export_key(report_id: str) -> str:
    return f"{EXPORT_PREFIX}{report_id}.json"


def nibrs_key(report_id: str) -> str:
    return f"{EXPORT_PREFIX}{report_id}.nibrs.xml"


def _approved(report: Report) -> tuple[str, datetime]:
    if report.status != ReportStatus.APPROVED or not report.case_number or not report.decided_at:
        raise Conflict("Only an approved report with a case number has a copy.")
    return report.case_number, report.decided_at


class ReportCopies:
    """The resident's copy: a PDF rendered once on approval, with the code anyone it is shown to
    may check (`copy_codes.CopyChecks`), then fetched by a short link."""

    def __init__(
        self,
        *,
        agency: AgencyProfile,
        s3: S3Client,
        bucket: str,
        link_seconds: int,
        store: ReportStore,
        clock: Callable[[], datetime],
        url: Callable[[str], str],
        attachments: AttachmentViewer | None = None,
    ) -> None:
        self._attachments = attachments
        self._agency = agency
        self._s3 = s3
        self._bucket = bucket
        self._link_seconds = link_seconds
        self._store = store
        self._clock = clock
        self._url = url

    def verify_url(self, code: str) -> str:
        return self._url(verify_path(code))

    def store(self, report: Report) -> str:
        """Render the PDF and write it to the private bucket; a second run overwrites it with
        the same code (given once, before the first render)."""
        case_number, decided_at = _approved(report)
        report = self._with_code(report)
        code, issued_at = report.copy_code or "", report.copy_issued_at or decided_at
        pdf = render_copy(
            CopyContent(
                agency=self._agency,
                report_id=report.report_id,
                case_number=case_number,
                incident_type_id=report.incident_type,
                language=report.language,
                answers=report.answers or {},
                submitted_at=report.submitted_at or report.created_at,
                decided_at=decided_at,
                contact_email=report.contact_email or "",
                supplements=report.supplements or [],
                corrections=corrections_in_words(
                    self._agency, report.corrections or [], report.language
                ),
                verification_code=code,
                verify_url=self.verify_url(code),
                issued_at=issued_at,
                attachments=self._attached(report),
            )
        )
        key = copy_key(report.report_id)
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=pdf,
                ContentType="application/pdf",
            )
        except (ClientError, BotoCoreError) as error:
            raise DeliveryFailed("The copy could not be stored.") from error
        log.info("copy stored", extra={"report_id": report.report_id, "bytes": len(pdf)})
        return key

    def _attached(self, report: Report) -> list[AttachmentInCopy]:
        """The accepted files, each image with its thumbnail: one GetObject a thumbnail."""
        entries = accepted(report)
        pictures = self._attachments.thumbnails(entries) if self._attachments and entries else {}
        return [
            AttachmentInCopy(
                name=str(entry.get("name") or "file"),
                media_type=str(entry.get("media_type") or ""),
                size=int(entry.get("size") or 0),
                sha256=str(entry.get("sha256") or ""),
                pages=entry.get("pages"),
                thumbnail=pictures.get(str(entry["id"])),
            )
            for entry in entries
        ]

    def _with_code(self, report: Report) -> Report:
        if report.copy_code:
            return report
        given = self._store.give_copy_code(report.report_id, new_copy_code(), self._clock())
        if given is not None:
            return given
        again = self._store.get(report.report_id)  # a run a moment ago gave it one
        if not again.copy_code:
            raise Conflict("Only an approved report with a case number has a copy.")
        return again

    def link(self, report: Report) -> str:
        """A short-lived link to the copy, for its owner only (the caller has checked)."""
        case_number, _ = _approved(report)
        key = copy_key(report.report_id)
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in {"404", "NoSuchKey", "NotFound"}:
                raise Conflict("The copy is being prepared. Try again in a minute.") from None
            raise DeliveryFailed("The copy is not available right now.") from error
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{case_number}.pdf"',
                "ResponseContentType": "application/pdf",
            },
            ExpiresIn=self._link_seconds,
        )
        return url


def export_document(agency: AgencyProfile, report: Report) -> dict[str, Any]:
    case_number, decided_at = _approved(report)
    answers: dict[str, Any] = report.answers or {}
    incident_type = agency.incident_type(report.incident_type)
    questions = (
        [q for step in agency.steps_for(incident_type) for q in step.questions]
        if incident_type
        else []
    )
    by_role = {q.records_field: answers.get(q.id) for q in questions if q.records_field}
    items = [
        {
            "question": q.id,
            "description": str(item.get("description", "")),
            "serial": str(item.get("serial", "")),
            "value": f"{Decimal(str(item.get('value') or 0)):.2f}",
        }
        for q in questions
        if q.kind == "items"
        for item in answers.get(q.id) or []
    ]
    total = items_total([{"value": item["value"]} for item in items])
    attached = [
        {member: entry.get(member) for member in ATTACHMENT_MEMBERS} for entry in accepted(report)
    ]
    document = {
        "schema_version": WITH_ATTACHMENTS if attached else SCHEMA_VERSION,
        "agency": {"id": agency.id, "name": agency.name, "short_code": agency.short_code},
        "case_number": case_number,
        "reference": report.report_id,
        "offense": {
            "code": incident_type.offense_code if incident_type else "",
            "incident_type": report.incident_type,
            "label": localise(incident_type.label, agency.default_language)
            if incident_type
            else "",
        },
        "incident": incident_when(by_role.get("incident_date"))
        | {"time": by_role.get("incident_time"), "location": by_role.get("location")},
        "reported_at": (report.submitted_at or report.created_at).isoformat(),
        "approved_at": decided_at.isoformat(),
        "property": items,
        "property_total": str(total.quantize(Decimal("0.01"))),
        "narrative": by_role.get("narrative"),
        "reporter": {
            "name": by_role.get("reporter_name"),
            "phone": by_role.get("reporter_phone"),
            "email": report.contact_email,
            "address": by_role.get("reporter_address"),
        },
        "review": {
            "decision": Decision.APPROVE,
            "decided_by": report.decided_by or "",
            "decided_at": decided_at.isoformat(),
            "supplements": report.supplements or [],
        },
        "answers": answers,
        "language": report.language,
        "corrections": [
            {key: correction.get(key) for key in CORRECTION_MEMBERS}
            for correction in report.corrections or []
        ],
    }
    if attached:
        document["attachments"] = attached
    return document


def incident_when(answer: Any) -> dict[str, str | None]:
    """`date` is the one day, or the start of a range (null if only its end is known);
    `date_end` is added only for a range, so that a one-day report reads as before."""
    if not isinstance(answer, Mapping):
        return {"date": answer}
    start, end = date_bounds(answer)
    return {
        "date": start.isoformat() if start else None,
        "date_end": end.isoformat() if end else None,
    }


class RecordsExport:
    """An approved report for the records system: a document in S3 and an EventBridge event
    carrying it, so the records system takes either. The caller writes down that it was
    exported (`ReportStore.note_done`), with its own audit event."""

    def __init__(
        self,
        *,
        agency: AgencyProfile,
        s3: S3Client,
        bucket: str,
        events: EventBridgeClient,
        event_bus: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._agency = agency
        self._s3 = s3
        self._bucket = bucket
        self._events = events
        self._event_bus = event_bus
        self._clock = clock

    def publish(self, report: Report) -> str:
        """The JSON document, and beside it the NIBRS document when the profile has a `nibrs`
        section and the type is reportable: the event names both (a second `Resources` entry;
        its `Detail` is the JSON document, unchanged). An invalid NIBRS document is not
        stored: the JSON still goes out, then `NibrsRefused` says why."""
        document = export_document(self._agency, report)
        body = json.dumps(document, ensure_ascii=False, sort_keys=True)
        key = export_key(report.report_id)
        incident = self._nibrs(report)
        resources = [f"{self._bucket}/{key}"]
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body.encode("utf-8"),
                ContentType="application/json",
            )
            if incident is not None and incident.valid and incident.xml is not None:
                xml_key = nibrs_key(report.report_id)
                self._s3.put_object(
                    Bucket=self._bucket,
                    Key=xml_key,
                    Body=incident.xml,
                    ContentType="application/xml",
                )
                resources.append(f"{self._bucket}/{xml_key}")
            published = self._events.put_events(
                Entries=[
                    {
                        "Source": EVENT_SOURCE,
                        "DetailType": EVENT_TYPE,
                        "Detail": body,
                        "EventBusName": self._event_bus,
                        "Resources": resources,
                    }
                ]
            )
        except (ClientError, BotoCoreError) as error:
            raise ExportFailed(type(error).__name__) from error
        if published.get("FailedEntryCount"):
            raise ExportFailed("EventBridge refused the event")
        log.info(
            "report exported",
            extra={"report_id": report.report_id, "nibrs": len(resources) > 1},
        )
        if incident is not None and incident.reportable and not incident.valid:
            raise NibrsRefused(incident.problems)
        return key

    def _nibrs(self, report: Report) -> nibrs.NibrsDocument | None:
        """The report's NIBRS document, if the agency sends them (pure: no AWS call)."""
        if self._agency.nibrs is None:
            return None
        return nibrs.nibrs_document(
            report, self._agency, case_number=report.case_number, now=self._clock()
        )
