from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib import report_store
from chalicelib.models import Report
from chalicelib.services import Services
from chalicelib.status import ReportStatus
from chalicelib.workflow import STEPS, UnknownStep
from infra.provision import REVIEW_STATE_MACHINE, state_machine_definition
from tests.support.deployment import TEST_SETTINGS


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
        Services(settings=TEST_SETTINGS).review_steps.run({"step": "teleport"})


def _written_attributes(parameters: dict[str, Any]) -> set[str]:
    """The attributes an UpdateExpression sets or removes, with `#name` placeholders resolved."""
    expression = parameters["UpdateExpression"]
    names = parameters.get("ExpressionAttributeNames", {})
    clauses = re.findall(r"(?:SET|REMOVE) (?:(?!SET |REMOVE ).)+", expression)
    assert "".join(clauses) == expression, f"only SET and REMOVE: {expression}"
    written = set()
    for clause in clauses:
        # commas inside a function's parentheses (if_not_exists(a, b)) separate no actions
        for part in re.split(r",(?![^(]*\))", clause.split(" ", 1)[1]):
            written.add(names.get(path := part.split("=")[0].strip(), path))
    return written


def _table_updates() -> list[tuple[str, dict[str, Any]]]:
    states = json.loads(REVIEW_STATE_MACHINE.read_text())["States"]
    return [
        (name, state["Parameters"])
        for name, state in states.items()
        if state.get("Resource", "").split(":")[-1].split(".")[0] == "updateItem"
    ]


def test_the_state_machine_writes_only_attributes_the_report_model_declares() -> None:
    declared = {attribute.attr_name for attribute in Report.get_attributes().values()}
    store_doc = report_store.__doc__ or ""

    updates = _table_updates()

    assert {parameters["TableName"] for _, parameters in updates} == {"${ReportsTableName}"}
    written = set().union(*(_written_attributes(parameters) for _, parameters in updates))
    assert written == {
        "review_token",
        "resident_token",
        "status",
        "failure",
        "interrupted_status",
        "export_state",
    }
    assert written <= declared
    for attribute in written:
        assert f"`{attribute}`" in store_doc, f"the report store's docstring names {attribute}"


def test_every_status_the_state_machine_writes_or_expects_is_a_report_status() -> None:
    for name, parameters in _table_updates():
        names = parameters.get("ExpressionAttributeNames", {})
        if "status" not in names.values():
            continue
        values = parameters["ExpressionAttributeValues"]
        for placeholder in re.findall(
            r"#status = (:\w+)",
            " ".join([parameters["UpdateExpression"], parameters.get("ConditionExpression", "")]),
        ):
            assert values[placeholder]["S"] in set(ReportStatus), name


def _states() -> dict[str, Any]:
    states: dict[str, Any] = json.loads(REVIEW_STATE_MACHINE.read_text())["States"]
    return states


def _ends(states: dict[str, Any], start: str) -> set[str]:
    """Every end state reachable from `start`: through Next, Choices, Default and Catch."""
    seen, ends, todo = set(), set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        if state["Type"] in ("Succeed", "Fail") or state.get("End"):
            ends.add(name)
        todo += [state[key] for key in ("Next", "Default") if key in state]
        todo += [choice["Next"] for choice in state.get("Choices", [])]
        todo += [catch["Next"] for catch in state.get("Catch", [])]
    return ends


def test_a_withdrawal_ends_the_review_succeeded_whatever_the_email_does() -> None:
    """The resident's withdrawal is never turned into a failure: its email step, caught,
    records the failure in the audit trail and still ends in a Succeed state."""
    states = _states()

    assert _ends(states, "EmailWithdrawal") == {"ReviewEnded"}
    assert states["ReviewEnded"]["Type"] == "Succeed"
    assert states["EmailWithdrawal"]["Parameters"]["Payload"]["step"] == "notify_withdrawal"


def test_every_wait_hands_a_withdrawal_to_the_withdrawal_email() -> None:
    """A task token handed back with `withdrawn` (waiting for staff, or for the resident), and a
    wait refused because the report was withdrawn between two steps, all lead to the email."""
    states = _states()

    def first_choice(name: str, variable: str) -> str:
        return str(next(c["Next"] for c in states[name]["Choices"] if c["Variable"] == variable))

    assert first_choice("Decision", "$.decision.withdrawn") == "EmailWithdrawal"
    assert states["Decision"]["Choices"][0]["Variable"] == "$.decision.withdrawn"
    assert states["AwaitResident"]["Next"] == "Answered"
    assert first_choice("Answered", "$.answer.withdrawn") == "EmailWithdrawal"
    for wait in ("AwaitResident", "BackToQueue"):
        refused = [
            catch["Next"]
            for catch in states[wait]["Catch"]
            if catch["ErrorEquals"] == ["DynamoDb.ConditionalCheckFailedException"]
        ]
        assert refused == ["ReadStatus"], wait
    assert states["ReadStatus"]["Resource"].endswith(":dynamodb:getItem")
    assert first_choice("Withdrawn", "$.current.status") == "EmailWithdrawal"
    assert states["Withdrawn"]["Choices"][0]["StringEquals"] == ReportStatus.WITHDRAWN
    assert states["Withdrawn"]["Default"] == "NeedsAttention"
