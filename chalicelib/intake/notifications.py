"""Emails to the resident about their report."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from ..agency import localise
from ..mail import compose
from ..models import Report

if TYPE_CHECKING:
    from ..services import Services

log = logging.getLogger(__name__)


class ReportGone(LookupError):
    """The report no longer exists or has no address to write to."""


def _report_to_write_about(report_id: str) -> Report:
    try:
        report = Report.get(report_id, consistent_read=True)
    except DoesNotExist:
        raise ReportGone(report_id) from None
    if not report.contact_email:
        raise ReportGone(report_id)
    return report


def send_submission_confirmation(services: Services, report_id: str) -> None:
    report = _report_to_write_about(report_id)
    agency = services.agency
    incident_type = agency.incident_type(report.incident_type)
    services.mailer.send(
        compose(
            "submitted",
            to=report.contact_email,
            language=report.language,
            agency=agency,
            reference=report.report_id,
            incident_label=localise(incident_type.label, report.language) if incident_type else "",
            days=agency.review_business_days,
            link=services.settings.url(f"/report/{report.report_id}"),
            records_hours=localise(agency.contacts.records.hours, report.language),
        )
    )
    log.info("submission confirmed", extra={"report_id": report_id})


DECISION_EMAILS = {"approve": "approved", "reject": "rejected", "request_info": "info_requested"}


def send_decision(services: Services, report_id: str, decision: str) -> None:
    """The case number, the reason for a rejection, or the question staff asked."""
    report = _report_to_write_about(report_id)
    agency = services.agency
    incident_type = agency.incident_type(report.incident_type)
    if decision == "approve" and not report.case_number:
        raise ReportGone(f"{report_id} has no case number yet")
    services.mailer.send(
        compose(
            DECISION_EMAILS[decision],
            to=report.contact_email or "",
            language=report.language,
            agency=agency,
            reference=report.report_id,
            case_number=report.case_number,
            reason=report.decision_reason or "",
            incident_label=localise(incident_type.label, report.language) if incident_type else "",
            link=services.settings.url(f"/report/{report.report_id}"),
            records_hours=localise(agency.contacts.records.hours, report.language),
        )
    )
    log.info("decision emailed", extra={"report_id": report_id, "decision": decision})


def send_staff_reminder(services: Services, report_id: str) -> None:
    # The old task token is dead once the wait timed out: a decision now waits for the new one.
    Report._get_connection().update_item(
        report_id, actions=[Report.past_sla.set(True), Report.review_token.remove()]
    )
    staff_email = services.agency.review.staff_email
    if staff_email:
        services.mailer.send(
            compose(
                "staff_reminder",
                to=staff_email,
                language=services.agency.default_language,
                agency=services.agency,
                reference=report_id,
                days=services.agency.review.business_days,
                link=services.settings.url(f"/staff/reports/{report_id}"),
            )
        )
    log.info("staff reminded", extra={"report_id": report_id})
