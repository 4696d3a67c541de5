from __future__ import annotations

import json

import pytest

from chalicelib.services import Services
from chalicelib.workflow import STEPS, UnknownStep, run_step
from infra.provision import REVIEW_STATE_MACHINE, state_machine_definition


def test_the_definition_is_valid_json_once_arns_are_substituted() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:self-report-local-review_step"

    definition = json.loads(
        state_machine_definition(
            REVIEW_STATE_MACHINE,
            {
                "ReviewStepFunctionArn": arn,
                "ReportsTableName": "reports",
                "AuditTableName": "audit",
            },
        )
    )

    task = definition["States"][definition["StartAt"]]
    assert task["Parameters"]["FunctionName"] == arn
    for name, state in definition["States"].items():
        if state["Type"] == "Task":
            assert state.get("Retry"), f"{name} retries with backoff"
            assert state.get("Catch") or name == "NeedsAttention", f"{name} is caught"


def test_a_missing_substitution_is_named() -> None:
    with pytest.raises(KeyError, match="ReviewStepFunctionArn"):
        state_machine_definition(REVIEW_STATE_MACHINE, {})


def test_every_step_the_state_machine_names_exists_in_the_code() -> None:
    text = REVIEW_STATE_MACHINE.read_text()
    named = {
        task["Parameters"]["Payload"]["step"]
        for task in json.loads(text)["States"].values()
        if task.get("Type") == "Task" and "step" in task.get("Parameters", {}).get("Payload", {})
    }
    assert named <= set(STEPS)


def test_an_unknown_step_is_a_deployment_error() -> None:
    with pytest.raises(UnknownStep):
        run_step(Services(environ={}), {"step": "teleport"})
