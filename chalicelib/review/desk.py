"""The review desk: the queue, a report in full, decisions, and the resident's answers."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DoesNotExist, GetError, QueryError, UpdateError

from ..agency import AgencyProfile
from ..errors import Conflict, DeliveryFailed, InvalidInput, NotFound
from ..intake.answers import FieldProblems, clean_text
from ..intake.references import normalise_reference
from ..models import AuditEvent, Report
from .audit import AuditTrail
from .calendar import ReviewCalendar
from .staff import StaffMember

log = logging.getLogger(__name__)

QUEUE_STATUSES = ("submitted", "info_requested", "approved", "rejected", "needs_attention")
COUNTED_STATUSES = (*QUEUE_STATUSES, "screened_out")
DEAD_TOKEN_ERRORS = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})
DECISIONS = {"approve": "approved", "reject": "rejected", "request_info": "info_requested"}
PAGE_SIZE = 25
MAX_REASON = 1000
BUSY = "The service is busy. Please try again shortly."


@dataclass(frozen=True)
class QueueEntry:
    report_id: str
    status: str
    incident_type: str
    submitted_at: datetime
    due: datetime
    past_due: bool
    case_number: str | None
    failure: str | None


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueEntry]
    next_cursor: str | None


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode()


CURSOR_KEYS = frozenset({"report_id", "status", "listed_at"})


def decode_cursor(cursor: str | None, status: str) -> dict[str, Any] | None:
    """The key a queue page stopped at, exactly as `encode_cursor` wrote it for this status."""
    if not cursor:
        return None
    refused = InvalidInput("The cursor is not valid.", fields={"cursor": "not valid"})
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise refused from None
    if (
        not isinstance(key, dict)
        or set(key) != CURSOR_KEYS
        or not all(
            isinstance(value, dict) and set(value) == {"S"} and isinstance(value["S"], str)
            for value in key.values()
        )
        or key["status"]["S"] != status
    ):
        raise refused
    return key


class ReviewDesk:
    def __init__(
        self,
        *,
        agency: AgencyProfile,
        stepfunctions: Any,
        audit: AuditTrail,
        clock: Callable[[], datetime],
    ) -> None:
        self._agency = agency
        self._stepfunctions = stepfunctions
        self._audit = audit
        self._clock = clock
        self.calendar = ReviewCalendar(agency)

    def queue(
        self, status: str = "submitted", incident_type: str | None = None, cursor: str | None = None
    ) -> QueuePage:
        """One page of a status's reports, oldest first: one `Query` on the status index."""
        if status not in QUEUE_STATUSES:
            raise InvalidInput(
                f"Status must be one of: {', '.join(QUEUE_STATUSES)}.", fields={"status": status}
            )
        if incident_type is not None and self._agency.incident_type(incident_type) is None:
            raise InvalidInput("Unknown incident type.", fields={"incident_type": incident_type})
        condition = Report.incident_type == incident_type if incident_type else None
        results = Report.by_status.query(
            status,
            filter_condition=condition,
            page_size=PAGE_SIZE,
            last_evaluated_key=decode_cursor(cursor, status),
            scan_index_forward=True,
        )
        try:
            # Exactly one page, so exactly one Query: a filtered page may hold fewer reports.
            page: dict[str, Any] = next(results.page_iter, {})
        except QueryError as error:
            if "ValidationException" in str(error):
                raise InvalidInput(
                    "The cursor is not valid.", fields={"cursor": "not valid"}
                ) from None
            raise DeliveryFailed(BUSY) from error
        reports = [Report.from_raw_data(item) for item in page.get("Items", [])]
        now = self._clock()
        entries = [
            QueueEntry(
                report_id=report.report_id,
                status=status,
                incident_type=report.incident_type,
                submitted_at=report.listed_at,
                due=self.calendar.due(report.listed_at),
                past_due=status in ("submitted", "info_requested")
                and self.calendar.is_past_due(report.listed_at, now),
                case_number=report.case_number,
                failure=report.failure,
            )
            for report in reports
            if report.listed_at is not None
        ]
        return QueuePage(entries, encode_cursor(results.page_iter.last_evaluated_key))

    def report(self, member: StaffMember, report_id: str) -> tuple[Report, list[AuditEvent]]:
        report = self._get(report_id)
        if report.status in ("draft",):
            raise NotFound("There is no submitted report with that reference.")
        self._audit.record(report.report_id, member.username, "view", "succeeded")
        return report, self._audit.history(report.report_id)

    def decide(
        self, member: StaffMember, report_id: str, decision: object, reason: object
    ) -> Report:
        """Record one decision and hand it to the waiting workflow. Only one decision wins."""
        if decision not in DECISIONS:
            message = "Choose approve, reject or request_info."
            raise InvalidInput(message, fields={"decision": message})
        assert isinstance(decision, str)
        text = self._reason(decision, reason)
        report_id = normalise_reference(report_id)
        now = self._clock()
        actions = [
            Report.status.set(DECISIONS[decision]),
            Report.decision.set(decision),
            Report.decided_by.set(member.username),
            Report.decided_at.set(now),
            Report.updated_at.set(now),
            Report.review_token.remove(),
        ]
        if text is not None:
            actions.append(Report.decision_reason.set(text))
        if decision == "reject":
            days = self._agency.retention.rejected_days
            actions.append(Report.expires_at.set(now + timedelta(days=days)))
        try:
            old = Report._get_connection().update_item(
                report_id,
                actions=actions,
                condition=(Report.status == "submitted") & Report.review_token.exists(),
                return_values="ALL_OLD",
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise DeliveryFailed(BUSY) from error
            self._explain_refused_decision(report_id, member, decision)
        token = old["Attributes"]["review_token"]["S"]
        output = {"decision": decision, "reason": text, "reviewer": member.username}
        try:
            self._stepfunctions.send_task_success(taskToken=token, output=json.dumps(output))
        except (ClientError, BotoCoreError) as error:
            dead_token = isinstance(error, ClientError) and error.response["Error"]["Code"] in (
                DEAD_TOKEN_ERRORS
            )
            self._undo_decision(report_id, member, None if dead_token else token)
            self._audit.record(report_id, member.username, f"decision:{decision}", "failed")
            if dead_token:
                raise Conflict("The report changed while you were deciding. Reload it.") from error
            raise DeliveryFailed(BUSY) from error
        self._audit.record(
            report_id,
            member.username,
            f"decision:{decision}",
            "succeeded",
            {"status": DECISIONS[decision]},
        )
        log.info("decision recorded", extra={"report_id": report_id, "decision": decision})
        # The report as it now stands, from what the update returned: no second read.
        decided = Report.from_raw_data(old["Attributes"])
        decided.status = DECISIONS[decision]
        decided.decision, decided.decided_by, decided.decided_at = decision, member.username, now
        decided.decision_reason = text if text is not None else decided.decision_reason
        decided.review_token = None
        return decided

    def _reason(self, decision: str, reason: object) -> str | None:
        if decision == "approve" and (reason is None or reason == ""):
            return None
        try:
            text = clean_text(
                reason if reason is not None else "",
                "reason",
                MAX_REASON,
                str,
                multiline=True,
                markup_allowed=True,  # staff text: escaped wherever it is shown
            )
        except FieldProblems as problems:
            raise InvalidInput("The reason is not valid.", fields=problems.problems) from None
        if decision != "approve" and not text:
            message = (
                "Give the reason: the resident will read it."
                if decision == "reject"
                else "Write the question for the resident."
            )
            raise InvalidInput(message, fields={"reason": message})
        return text or None

    def _explain_refused_decision(self, report_id: str, member: StaffMember, decision: str) -> None:
        report = self._get(report_id)
        self._audit.record(report_id, member.username, f"decision:{decision}", "refused")
        if report.status != "submitted":
            raise Conflict(f"This report was already decided ({report.status}).")
        raise Conflict("This report is still being prepared for review. Try again in a moment.")

    def _undo_decision(self, report_id: str, member: StaffMember, token: str | None) -> None:
        """Back to the queue as it was; a token that still works is kept for the next decision."""
        actions = [
            Report.status.set("submitted"),
            Report.decision.remove(),
            Report.decided_by.remove(),
            Report.decided_at.remove(),
            Report.decision_reason.remove(),
            Report.expires_at.remove(),
        ]
        if token is not None:
            actions.append(Report.review_token.set(token))
        try:
            Report._get_connection().update_item(
                report_id,
                actions=actions,
                condition=Report.decided_by == member.username,
            )
        except UpdateError:
            log.error("decision not undone", extra={"report_id": report_id})

    def _get(self, report_id: str) -> Report:
        try:
            return Report.get(normalise_reference(report_id), consistent_read=True)
        except DoesNotExist:
            raise NotFound("There is no report with that reference.") from None
        except GetError as error:
            raise DeliveryFailed(BUSY) from error

    def failed_exports(self) -> list[Report]:
        """Approved reports whose records export failed: one `Query` on a sparse index."""
        try:
            return list(Report.by_export_state.query("failed", limit=100))
        except QueryError as error:
            raise DeliveryFailed(BUSY) from error

    def repush_export(self, member: StaffMember, report_id: str, services: Any) -> str:
        from ..records import ExportFailed, export_report

        report = self._get(report_id)
        try:
            key = export_report(services, report)
        except ExportFailed as error:
            self._audit.record(report.report_id, member.username, "export_repushed", "failed")
            raise DeliveryFailed(
                "The records system did not take the report. Try again later."
            ) from error
        self._audit.record(report.report_id, member.username, "export_repushed", "succeeded")
        return key

    def metrics(self) -> dict[str, Any]:
        """Counts by status and type, median days to decision, reports past the promised time.

        One paged `Query` per status on the status index; never a `Scan`.
        """
        now = self._clock()
        by_status: dict[str, int] = {}
        by_type: dict[str, dict[str, int]] = {}
        waits: list[float] = []
        past_due = 0
        for status in COUNTED_STATUSES:
            try:
                reports = list(Report.by_status.query(status))
            except QueryError as error:
                raise DeliveryFailed(BUSY) from error
            by_status[status] = len(reports)
            for report in reports:
                counts = by_type.setdefault(report.incident_type, {})
                counts[status] = counts.get(status, 0) + 1
                if report.decided_at and report.listed_at and status in ("approved", "rejected"):
                    waits.append((report.decided_at - report.listed_at).total_seconds() / 86400)
                if status in ("submitted", "info_requested") and report.listed_at:
                    past_due += self.calendar.is_past_due(report.listed_at, now)
        return {
            "by_status": by_status,
            "by_type": by_type,
            "median_days_to_decision": round(statistics.median(waits), 2) if waits else None,
            "past_due": past_due,
            "promised_business_days": self._agency.review.business_days,
        }
