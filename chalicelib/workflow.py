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

from .errors import DeliveryFailed
from .intake.notifications import ReportNotices
from .records import RecordsExport, ReportCopies
from .report_store import ReportStore
from .review.audit import AuditTrail
from .review.calendar import ReviewTimings
from .review.case_numbers import CaseNumbers
from .status import Decision

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


log = logging.getLogger(__name__)


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

    def resume(self, task_token: str, output: dict[str, Any]) -> None:
        try:
            self._stepfunctions.send_task_success(taskToken=task_token, output=json.dumps(output))
        except (ClientError, BotoCoreError) as error:
            raise DeliveryFailed("The review could not continue. Try again.") from error


class ReviewSteps:
    """The Lambda steps of the review state machine, each named by the `step` it is sent."""

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
        self._notices.submission_confirmed(report_id)
        self._audit.record(report_id, "workflow", "confirmation_emailed", "succeeded")
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
        self._notices.decision_made(report_id, decision)
        self._audit.record(
            report_id, "workflow", "resident_notified", "succeeded", {"decision": decision}
        )
        return {"notified": decision}

    def remind_staff(self, report_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        self._notices.review_late(report_id)
        self._audit.record(report_id, "workflow", "staff_reminded", "succeeded")
        return {"reminded": True}

    def render_copy(self, report_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        key = self._copies.store(self._store.get(report_id))
        self._audit.record(report_id, "workflow", "copy_stored", "succeeded")
        return {"key": key}

    def export_to_records(self, report_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        key = self._export.publish(self._store.get(report_id))
        self._audit.record(report_id, "workflow", "exported_to_records", "succeeded")
        return {"key": key}


STEPS: dict[str, Callable[[ReviewSteps, str, Mapping[str, Any]], dict[str, Any]]] = {
    "confirm_submission": ReviewSteps.confirm_submission,
    "assign_case_number": ReviewSteps.assign_case_number,
    "render_copy": ReviewSteps.render_copy,
    "export_to_records": ReviewSteps.export_to_records,
    "notify_decision": ReviewSteps.notify_decision,
    "remind_staff": ReviewSteps.remind_staff,
}
