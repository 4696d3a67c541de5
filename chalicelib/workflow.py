"""The review workflow: starting it for a submitted report, and the Lambda steps it calls.

The state machine is `infra/statemachines/review.asl.json`; each of its Lambda Task states calls
`review_step` with `{"step": <name>, "report_id": ...}`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from .documents import copy_key
from .errors import DeliveryFailed
from .intake.notifications import DECISION_EMAILS, ReportGone, ReportNotices
from .models import Report
from .records import NibrsRefused, RecordsExport, ReportCopies, export_key
from .report_store import ReportStore
from .review.audit import AFTER_THE_FACT, AuditTrail
from .review.calendar import ReviewTimings
from .review.case_numbers import CaseNumbers
from .status import Decision, ReportStatus

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


log = logging.getLogger(__name__)

CONFIRMATION = "submitted"
WITHDRAWAL = "withdrawn"
STAFF_REMINDER = "staff_reminder"


def notice_key(kind: str, at: object = None) -> str:
    """The key an email is recorded under on its report: its kind, and for an email that may be
    sent more than once in a report's life (a question, a reminder) what it was sent for."""
    stamp = at.isoformat() if isinstance(at, datetime) else str(at) if at else ""
    return f"{kind}@{stamp}" if stamp else kind


class UnknownStep(ValueError):
    """The state machine named a step this code does not have: a deployment mismatch."""


class StepFunctionsReview:
    """Starts one execution per report, named after it, so a repeated start is harmless."""

    def __init__(
        self,
        stepfunctions: SFNClient,
        state_machine_arn: str | None,
        timings: ReviewTimings,
    ) -> None:
        self._stepfunctions = stepfunctions
        self._state_machine_arn = state_machine_arn
        self._timings = timings

    def start(self, report_id: str) -> None:
        if not self._state_machine_arn:
            raise DeliveryFailed("The review workflow is not configured.")
        try:
            self._stepfunctions.start_execution(
                stateMachineArn=self._state_machine_arn,
                name=report_id,
                input=json.dumps({"report_id": report_id, **self._timings.for_new_review()}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
                return
            log.error("review not started", extra={"report_id": report_id})
            raise DeliveryFailed("The report could not be sent for review. Try again.") from error
        except BotoCoreError as error:
            raise DeliveryFailed("The report could not be sent for review. Try again.") from error
        log.info("review started", extra={"report_id": report_id})

    def restart(self, report_id: str, name: str, decision: Decision | None) -> None:
        """A new execution, `name`d for the retry, for a report whose workflow stopped: with
        the decision already made, it goes straight to what follows it (AwaitDecision waits
        only on a submitted report); without one it waits for a decision again."""
        if not self._state_machine_arn:
            raise DeliveryFailed("The review workflow is not configured.")
        given: dict[str, Any] = {"report_id": report_id, **self._timings.for_new_review()}
        if decision is not None:
            given["decision"] = {"decision": decision}
        try:
            self._stepfunctions.start_execution(
                stateMachineArn=self._state_machine_arn, name=name, input=json.dumps(given)
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
                return
            log.error("review not restarted", extra={"report_id": report_id})
            raise DeliveryFailed("The review could not be started again. Try again.") from error
        except BotoCoreError as error:
            raise DeliveryFailed("The review could not be started again. Try again.") from error
        log.info("review restarted", extra={"report_id": report_id, "execution": name})

    def resume(self, task_token: str, output: dict[str, Any]) -> None:
        try:
            self._stepfunctions.send_task_success(taskToken=task_token, output=json.dumps(output))
        except (ClientError, BotoCoreError) as error:
            raise DeliveryFailed("The review could not continue. Try again.") from error


class ReviewSteps:
    """The Lambda steps of the review state machine, each named by the `step` it is sent.

    Each step may run again: Step Functions retries a failed one, and an admin's retry of a
    report that needs attention runs the rest of its review in a new execution. So each one
    first reads what the report says was already done and skips it (an email sent, the copy
    stored, the export published, a case number given), and writes down what it did in one
    transaction with its audit event.
    """

    def __init__(
        self,
        *,
        store: ReportStore,
        notices: ReportNotices,
        case_numbers: CaseNumbers,
        copies: ReportCopies,
        export: RecordsExport,
        audit: AuditTrail,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._notices = notices
        self._case_numbers = case_numbers
        self._copies = copies
        self._export = export
        self._audit = audit
        self._clock = clock

    def run(self, event: Mapping[str, Any]) -> dict[str, Any]:
        step = STEPS.get(str(event.get("step")))
        if step is None:
            raise UnknownStep(f"unknown workflow step {event.get('step')!r}")
        return step(self, str(event["report_id"]), event)

    def confirm_submission(self, report_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """Email the resident that the report was received, in their language."""
        report = self._notices.report_to_write_about(report_id)
        if CONFIRMATION in (report.notices or ()):
            return {"report_id": report_id, "already": True}
        self._notices.submission_confirmed(report)
        self._done(report, "confirmation_emailed", notice=CONFIRMATION)
        return {"report_id": report_id}

    def assign_case_number(self, report_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        decided_at = self._store.get(report_id).decided_at or self._clock()
        number = self._case_numbers.assign(report_id, decided_at)
        self._audit.record(
            report_id, "workflow", "case_number_assigned", "succeeded", {"case_number": number}
        )
        return {"case_number": number}

    def notify_decision(self, report_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """Email the resident the decision: the case number, the reason, or the question."""
        decision = Decision(str(event["decision"]))
        report = self._notices.report_to_write_about(report_id)
        notice = notice_key(DECISION_EMAILS[decision], report.decided_at)
        if notice in (report.notices or ()):
            return {"notified": decision, "already": True}
        self._notices.decision_made(report, decision)
        self._done(report, "resident_notified", {"decision": decision}, notice=notice)
        return {"notified": decision}

    def remind_staff(self, report_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """The promised time has passed: flag the report late and tell the staff mailbox, once
        for each time it passes (`visit`: when the state machine entered the reminder)."""
        report = self._store.mark_past_due(report_id)
        if report is None:
            raise ReportGone(report_id)
        if report.status == ReportStatus.WITHDRAWN:  # nobody needs to hurry: the review ends
            return {"reminded": False, "withdrawn": True}
        notice = notice_key(STAFF_REMINDER, event.get("visit") or self._clock())
        if notice in (report.notices or ()):
            return {"reminded": True, "already": True}
        if self._notices.review_late(report_id):
            self._done(report, "staff_reminded", notice=notice)
        else:
            self._audit.record(report_id, "workflow", "staff_reminded", "succeeded")
        return {"reminded": True}

    def notify_withdrawal(self, report_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """Email the resident that their report was withdrawn, once."""
        report = self._notices.report_to_write_about(report_id)
        if WITHDRAWAL in (report.notices or ()):
            return {"withdrawn": True, "already": True}
        self._notices.withdrawn(report)
        self._done(report, "resident_notified", {"withdrawn": True}, notice=WITHDRAWAL)
        return {"withdrawn": True}

    def render_copy(self, report_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        report = self._store.get(report_id)
        if report.copy_stored_at:
            return {"key": copy_key(report_id), "already": True}
        key = self._copies.store(report)
        self._done(report, "copy_stored", copy_stored=True)
        return {"key": key}

    def export_to_records(self, report_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        report = self._store.get(report_id)
        if report.exported_at and not report.export_state:
            return {"key": export_key(report_id), "already": True}
        try:
            key = self._export.publish(report)
        except NibrsRefused as refused:
            # The state machine marks the export failed (admins see it, and may re-push once
            # the profile is fixed); the trail keeps the schema's reasons in words.
            self._audit.record(
                report_id, "workflow", "nibrs_refused", "failed", {"problems": refused.in_words}
            )
            raise
        self._done(report, "exported_to_records", exported=True)
        return {"key": key}

    def _done(
        self,
        report: Report,
        action: str,
        details: Mapping[str, Any] | None = None,
        **done: Any,
    ) -> None:
        """Write down what was just done (`ReportStore.note_done`) with its audit event, in one
        transaction, given more than one attempt: it cannot be undone, and lost, the step's
        retry would do it again."""
        now = self._clock()
        recorded = self._audit.record_with(
            lambda writes: self._store.note_done(writes, report, now, **done),
            report.report_id,
            "workflow",
            action,
            "succeeded",
            details,
            attempts=AFTER_THE_FACT,
        )
        if not recorded:
            raise ReportGone(report.report_id)


STEPS: dict[str, Callable[[ReviewSteps, str, Mapping[str, Any]], dict[str, Any]]] = {
    "confirm_submission": ReviewSteps.confirm_submission,
    "assign_case_number": ReviewSteps.assign_case_number,
    "render_copy": ReviewSteps.render_copy,
    "export_to_records": ReviewSteps.export_to_records,
    "notify_decision": ReviewSteps.notify_decision,
    "remind_staff": ReviewSteps.remind_staff,
    "notify_withdrawal": ReviewSteps.notify_withdrawal,
}
