"""The review workflow: starting it for a submitted report, and the Lambda steps it calls.

The state machine is `infra/statemachines/review.asl.json`; each of its Lambda Task states calls
`review_step` with `{"step": <name>, "report_id": ...}`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from .errors import DeliveryFailed

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger(__name__)


class UnknownStep(ValueError):
    """The state machine named a step this code does not have: a deployment mismatch."""


class StepFunctionsReview:
    """Starts one execution per report, named after it, so a repeated start is harmless."""

    def __init__(
        self,
        stepfunctions: Any,
        state_machine_arn: str | None,
        durations: Callable[[str], dict[str, int]],
    ) -> None:
        self._stepfunctions = stepfunctions
        self._state_machine_arn = state_machine_arn
        self._durations = durations

    def start(self, report_id: str) -> None:
        if not self._state_machine_arn:
            raise DeliveryFailed("The review workflow is not configured.")
        try:
            self._stepfunctions.start_execution(
                stateMachineArn=self._state_machine_arn,
                name=report_id,
                input=json.dumps({"report_id": report_id, **self._durations(report_id)}),
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


def confirm_submission(services: Services, event: Mapping[str, Any]) -> dict[str, Any]:
    """Email the resident that the report was received, in their language."""
    from .intake.notifications import send_submission_confirmation

    report_id = str(event["report_id"])
    send_submission_confirmation(services, report_id)
    services.audit.record(report_id, "workflow", "confirmation_emailed", "succeeded")
    return {"report_id": report_id}


def assign_case_number(services: Services, event: Mapping[str, Any]) -> dict[str, Any]:
    from .models import Report
    from .review.case_numbers import assign_case_number as assign

    report_id = str(event["report_id"])
    decided_at = Report.get(report_id, consistent_read=True).decided_at or services.clock()
    number = assign(services.agency, report_id, decided_at)
    services.audit.record(
        report_id, "workflow", "case_number_assigned", "succeeded", {"case_number": number}
    )
    return {"case_number": number}


def notify_decision(services: Services, event: Mapping[str, Any]) -> dict[str, Any]:
    """Email the resident the decision: the case number, the reason, or the question."""
    from .intake.notifications import send_decision

    report_id, decision = str(event["report_id"]), str(event["decision"])
    send_decision(services, report_id, decision)
    services.audit.record(
        report_id, "workflow", "resident_notified", "succeeded", {"decision": decision}
    )
    return {"notified": decision}


def remind_staff(services: Services, event: Mapping[str, Any]) -> dict[str, Any]:
    """The promised review time has passed: flag the report and tell the staff mailbox."""
    from .intake.notifications import send_staff_reminder

    report_id = str(event["report_id"])
    send_staff_reminder(services, report_id)
    services.audit.record(report_id, "workflow", "staff_reminded", "succeeded")
    return {"reminded": True}


def render_copy(services: Services, event: Mapping[str, Any]) -> dict[str, Any]:
    from .models import Report
    from .records import store_copy

    report_id = str(event["report_id"])
    key = store_copy(services, Report.get(report_id, consistent_read=True))
    services.audit.record(report_id, "workflow", "copy_stored", "succeeded")
    return {"key": key}


def export_to_records(services: Services, event: Mapping[str, Any]) -> dict[str, Any]:
    from .models import Report
    from .records import export_report

    report_id = str(event["report_id"])
    key = export_report(services, Report.get(report_id, consistent_read=True))
    services.audit.record(report_id, "workflow", "exported_to_records", "succeeded")
    return {"key": key}


STEPS: dict[str, Callable[[Services, Mapping[str, Any]], dict[str, Any]]] = {
    "render_copy": render_copy,
    "export_to_records": export_to_records,
    "confirm_submission": confirm_submission,
    "assign_case_number": assign_case_number,
    "notify_decision": notify_decision,
    "remind_staff": remind_staff,
}


def run_step(services: Services, event: Mapping[str, Any]) -> dict[str, Any]:
    step = STEPS.get(str(event.get("step")))
    if step is None:
        raise UnknownStep(f"unknown workflow step {event.get('step')!r}")
    return step(services, event)
