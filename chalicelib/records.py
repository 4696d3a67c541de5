"""The copy in S3 and the records-system export (schemas/records-export.v1.json)."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from .agency import AgencyProfile, localise
from .documents import CopyContent, copy_key, render_copy
from .errors import Conflict, DeliveryFailed
from .intake.answers import items_total
from .models import Report

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger(__name__)

EXPORT_PREFIX = "exports/"
EVENT_SOURCE = "Self-Report"
EVENT_TYPE = "Report approved"
SCHEMA_VERSION = "1"


class ExportFailed(RuntimeError):
    """The export did not reach S3 or EventBridge; the workflow retries, then admins re-push."""


def export_key(report_id: str) -> str:
    return f"{EXPORT_PREFIX}{report_id}.json"


def _approved(report: Report) -> tuple[str, Any]:
    if report.status != "approved" or not report.case_number or not report.decided_at:
        raise Conflict("Only an approved report with a case number has a copy.")
    return report.case_number, report.decided_at


def store_copy(services: Services, report: Report) -> str:
    """Render the PDF and write it to the private bucket; a second run overwrites the same key."""
    case_number, decided_at = _approved(report)
    pdf = render_copy(
        CopyContent(
            agency=services.agency,
            report_id=report.report_id,
            case_number=case_number,
            incident_type_id=report.incident_type,
            language=report.language,
            answers=report.answers or {},
            submitted_at=report.submitted_at or report.created_at,
            decided_at=decided_at,
            contact_email=report.contact_email or "",
        )
    )
    key = copy_key(report.report_id)
    try:
        services.aws.s3.put_object(
            Bucket=services.settings.bucket_name,
            Key=key,
            Body=pdf,
            ContentType="application/pdf",
            ServerSideEncryption="AES256",
        )
    except (ClientError, BotoCoreError) as error:
        raise DeliveryFailed("The copy could not be stored.") from error
    log.info("copy stored", extra={"report_id": report.report_id, "bytes": len(pdf)})
    return key


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
    return {
        "schema_version": SCHEMA_VERSION,
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
        "incident": {
            "date": by_role.get("incident_date"),
            "time": by_role.get("incident_time"),
            "location": by_role.get("location"),
        },
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
            "decision": "approve",
            "decided_by": report.decided_by or "",
            "decided_at": decided_at.isoformat(),
            "supplements": report.supplements or [],
        },
        "answers": answers,
        "language": report.language,
    }


def export_report(services: Services, report: Report) -> str:
    """Write the export document to S3 and publish it on EventBridge: the RMS takes either."""
    document = export_document(services.agency, report)
    body = json.dumps(document, ensure_ascii=False, sort_keys=True)
    key = export_key(report.report_id)
    try:
        services.aws.s3.put_object(
            Bucket=services.settings.bucket_name,
            Key=key,
            Body=body.encode("utf-8"),
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )
        published = services.aws.events.put_events(
            Entries=[
                {
                    "Source": EVENT_SOURCE,
                    "DetailType": EVENT_TYPE,
                    "Detail": body,
                    "EventBusName": services.settings.records_event_bus,
                    "Resources": [f"{services.settings.bucket_name}/{key}"],
                }
            ]
        )
    except (ClientError, BotoCoreError) as error:
        raise ExportFailed(type(error).__name__) from error
    if published.get("FailedEntryCount"):
        raise ExportFailed("EventBridge refused the event")
    Report._get_connection().update_item(
        report.report_id,
        actions=[Report.export_state.remove(), Report.exported_at.set(services.clock())],
    )
    log.info("report exported", extra={"report_id": report.report_id})
    return key


def copy_link(services: Services, report: Report) -> str:
    """A short-lived link to the copy, for its owner only (the caller has checked)."""
    case_number, _ = _approved(report)
    key = copy_key(report.report_id)
    s3, bucket = services.aws.s3, services.settings.bucket_name
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in {"404", "NoSuchKey", "NotFound"}:
            raise Conflict("The copy is being prepared. Try again in a minute.") from None
        raise DeliveryFailed("The copy is not available right now.") from error
    url: str = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{case_number}.pdf"',
            "ResponseContentType": "application/pdf",
        },
        ExpiresIn=services.settings.copy_link_seconds,
    )
    return url


RESIDENT_EVENTS = {
    "submitted": "submitted",
    "decision:request_info": "information_requested",
    "information_supplied": "information_supplied",
    "decision:approve": "approved",
    "decision:reject": "rejected",
}


def timeline(services: Services, report: Report) -> list[dict[str, str]]:
    """What the resident may see of the audit trail: what happened and when, not who."""
    return [
        {"event": RESIDENT_EVENTS[event.action], "at": event.when.isoformat()}
        for event in services.audit.history(report.report_id)
        if event.action in RESIDENT_EVENTS and event.outcome == "succeeded"
    ]
