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

    def __init__(self, stepfunctions: Any, state_machine_arn: str | None) -> None:
        self._stepfunctions = stepfunctions
        self._state_machine_arn = state_machine_arn

    def start(self, report_id: str) -> None:
        if not self._state_machine_arn:
            raise DeliveryFailed("The review workflow is not configured.")
        try:
            self._stepfunctions.start_execution(
                stateMachineArn=self._state_machine_arn,
                name=report_id,
                input=json.dumps({"report_id": report_id}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
                return
            log.error("review not started", extra={"report_id": report_id})
            raise DeliveryFailed("The report could not be sent for review. Try again.") from error
        except BotoCoreError as error:
            raise DeliveryFailed("The report could not be sent for review. Try again.") from error
        log.info("review started", extra={"report_id": report_id})


def confirm_submission(services: Services, event: Mapping[str, Any]) -> dict[str, Any]:
    """Email the resident that the report was received, in their language."""
    from .intake.notifications import send_submission_confirmation

    report_id = str(event["report_id"])
    send_submission_confirmation(services, report_id)
    return {"report_id": report_id}


STEPS: dict[str, Callable[[Services, Mapping[str, Any]], dict[str, Any]]] = {
    "confirm_submission": confirm_submission,
}


def run_step(services: Services, event: Mapping[str, Any]) -> dict[str, Any]:
    step = STEPS.get(str(event.get("step")))
    if step is None:
        raise UnknownStep(f"unknown workflow step {event.get('step')!r}")
    return step(services, event)
