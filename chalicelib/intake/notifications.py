"""Emails about a report: to the resident at each change, and to staff when a review is late."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from ..agency import AgencyProfile, localise
from ..documents import corrections_in_words
from ..errors import NotFound
from ..mail import Mailer, compose
from ..models import Report
from ..report_store import ReportStore
from ..status import Decision

log = logging.getLogger(__name__)

DECISION_EMAILS = {
    Decision.APPROVE: "approved",
    Decision.REJECT: "rejected",
    Decision.REQUEST_INFO: "info_requested",
}


class ReportGone(LookupError):
    """The report no longer exists or has no address to write to."""


class ReportNotices:
    def __init__(
        self,
        *,
        agency: AgencyProfile,
        store: ReportStore,
        mailer: Mailer,
        url: Callable[[str], str],
    ) -> None:
        self._agency = agency
        self._store = store
        self._mailer = mailer
        self._url = url

    def submission_confirmed(self, report: Report) -> None:
        agency = self._agency
        self._mailer.send(
            compose(
                "submitted",
                to=report.contact_email,
                language=report.language,
                agency=agency,
                reference=report.report_id,
                incident_label=self._incident_label(report),
                days=agency.review_business_days,
                link=self._url(f"/report/{report.report_id}"),
                records_hours=localise(agency.contacts.records.hours, report.language),
            )
        )
        log.info("submission confirmed", extra={"report_id": report.report_id})

    def decision_made(self, report: Report, decision: Decision) -> None:
        """The case number, the reason for a rejection, or the question staff asked and the day
        to answer by (the profile's `review.info_request_days` after it was asked); and what
        staff corrected in the report, if anything."""
        if decision == Decision.APPROVE and not report.case_number:
            raise ReportGone(f"{report.report_id} has no case number yet")
        answer_by: datetime | None = None
        if decision == Decision.REQUEST_INFO and report.decided_at:
            answer_by = report.decided_at + timedelta(days=self._agency.review.info_request_days)
        self._mailer.send(
            compose(
                DECISION_EMAILS[decision],
                to=report.contact_email or "",
                language=report.language,
                agency=self._agency,
                reference=report.report_id,
                case_number=report.case_number,
                reason=report.decision_reason or "",
                answer_by=answer_by,
                incident_label=self._incident_label(report),
                link=self._url(f"/report/{report.report_id}"),
                records_hours=localise(self._agency.contacts.records.hours, report.language),
                corrections=corrections_in_words(
                    self._agency, report.corrections or [], report.language
                ),
            )
        )
        log.info("decision emailed", extra={"report_id": report.report_id, "decision": decision})

    def withdrawn(self, report: Report) -> None:
        """The resident withdrew the report: it will not be reviewed."""
        self._mailer.send(
            compose(
                "withdrawn",
                to=report.contact_email or "",
                language=report.language,
                agency=self._agency,
                reference=report.report_id,
                incident_label=self._incident_label(report),
                withdrawn_at=report.withdrawn_at or report.updated_at,
                link=self._url(f"/report/{report.report_id}"),
                new_report=self._url("/report"),
            )
        )
        log.info("withdrawal emailed", extra={"report_id": report.report_id})

    def review_late(self, report_id: str) -> bool:
        """The promised review time has passed: tell the staff mailbox, if the profile names
        one. Whether an email was sent."""
        agency = self._agency
        if not agency.review.staff_email:
            return False
        self._mailer.send(
            compose(
                "staff_reminder",
                to=agency.review.staff_email,
                language=agency.default_language,
                agency=agency,
                reference=report_id,
                days=agency.review.business_days,
                link=self._url(f"/staff/reports/{report_id}"),
            )
        )
        log.info("staff reminded", extra={"report_id": report_id})
        return True

    def report_to_write_about(self, report_id: str) -> Report:
        """The report, with the address to write to; `ReportGone` without either."""
        try:
            report = self._store.get(report_id)
        except NotFound:
            raise ReportGone(report_id) from None
        if not report.contact_email:
            raise ReportGone(report_id)
        return report

    def _incident_label(self, report: Report) -> str:
        incident_type = self._agency.incident_type(report.incident_type)
        return localise(incident_type.label, report.language) if incident_type else ""
