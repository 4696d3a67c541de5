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


def send_submission_confirmation(services: Services, report_id: str) -> None:
    try:
        report = Report.get(report_id, consistent_read=True)
    except DoesNotExist:
        raise ReportGone(report_id) from None
    if not report.contact_email:
        raise ReportGone(report_id)
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
