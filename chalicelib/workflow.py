"""The review workflow's Lambda steps, called by the state machine in infra/statemachines/."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)


class UnknownStep(ValueError):
    """The state machine named a step this code does not have: a deployment mismatch."""


def record_submission(event: Mapping[str, Any]) -> dict[str, Any]:
    report_id = str(event["report_id"])
    log.info("review workflow started", extra={"report_id": report_id})
    return {"report_id": report_id}


STEPS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "record_submission": record_submission,
}


def run_step(event: Mapping[str, Any]) -> dict[str, Any]:
    step = STEPS.get(str(event.get("step")))
    if step is None:
        raise UnknownStep(f"unknown workflow step {event.get('step')!r}")
    return step(event)
