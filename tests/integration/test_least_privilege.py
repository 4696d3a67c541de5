"""Each IAM policy of the stack allows what its principal does, and nothing it does not.

The whole system runs one busy day on the local stack (tests/support/aws_call_recorder.py): every
AWS call is recorded with the principal that made it. Each call must be allowed by that
principal's policy in the template, and each permission of the template must be used by a call,
but for the few listed below with the reason they are not seen locally.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from chalicelib.agency import load_profile
from chalicelib.models import ALL_MODELS, table_name
from infra import deploy, provision
from infra.template import merge_template, table_logical_id

PROJECT_DIR = Path(__file__).resolve().parents[2]
ACCOUNT, REGION = "123456789012", "us-east-1"
ROLES = {
    "api_handler": "ApiHandlerRole",
    "review_step": "ReviewStepRole",
    "state_machine": "ReviewStateMachineRole",
}
# Granted, and not seen on one machine: each with its reason.
UNSEEN = {
    ("*", "logs:"): "Lambda and Step Functions write their own logs, not through the SDK",
    ("ApiHandlerRole", "dynamodb:UpdateItem resident-sessions"): (
        "a session is extended only after half its lifetime (tests/integration covers it)"
    ),
    ("ReviewStateMachineRole", "dynamodb:PutItem audit"): "the failure path's audit event",
    ("*", "ses:SendEmail configuration-set"): "the local stack sends without a configuration set",
}


@dataclass(frozen=True)
class Grant:
    role: str
    action: str
    resource: str

    def allows(self, action: str, resource: str) -> bool:
        return fnmatchcase(action.lower(), self.action.lower()) and fnmatchcase(
            resource, self.resource
        )


def local_names(names: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """What each logical id of the template is called on the local stack: (Ref, Arn)."""
    refs = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": "aws"}
    arns = {}
    for model in ALL_MODELS:
        name = table_name(names["prefix"], model)
        refs[table_logical_id(model)] = name
        arns[table_logical_id(model)] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    refs["ReportsBucket"] = names["bucket"]
    arns["ReportsBucket"] = f"arn:aws:s3:::{names['bucket']}"
    refs["ReviewStateMachine"] = names["state_machine"]
    function = provision.lambda_function_name("self-report", "local", "review_step")
    arns["ReviewStep"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"
    arns["RecordsEventBus"] = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{names['event_bus']}"
    refs["EmailConfigurationSet"] = "configuration-set"
    return refs, arns


def resolve(node: Any, refs: dict[str, str], arns: dict[str, str]) -> str:
    if isinstance(node, str):
        return node
    if "Ref" in node:
        return refs[node["Ref"]]
    if "Fn::GetAtt" in node:
        return arns[node["Fn::GetAtt"][0]]
    text: str = node["Fn::Sub"]
    text = re.sub(r"\$\{([\w:]+)\.Arn\}", lambda m: arns[m.group(1)], text)
    return re.sub(r"\$\{([\w:]+)\}", lambda m: refs[m.group(1)], text)


def grants(template: dict[str, Any], names: dict[str, str]) -> list[Grant]:
    refs, arns = local_names(names)
    found = []
    for role in ROLES.values():
        policy = template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]
        for statement in policy["Statement"]:
            for action in statement["Action"]:
                for resource in statement["Resource"]:
                    found.append(Grant(role, action, resolve(resource, refs, arns)))
    return found


def needs(call: dict[str, Any], names: dict[str, str]) -> list[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs AWS authorizes for one call."""
    service, operation = call["service"], call["operation"]
    if service == "dynamodb":
        table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"
        if operation == "TransactWriteItems":
            verbs = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
            return [
                (f"dynamodb:{verbs.get(kind, 'ConditionCheckItem')}", table + body["TableName"])
                for item in call["TransactItems"]
                for kind, body in item.items()
            ]
        resource = table + call["TableName"]
        if call.get("IndexName"):
            resource += f"/index/{call['IndexName']}"
        return [(f"dynamodb:{operation}", resource)]
    if service == "s3":
        action = "GetObject" if operation == "HeadObject" else operation
        return [(f"s3:{action}", f"arn:aws:s3:::{call['Bucket']}/{call['Key']}")]
    if service == "ses":
        domain = call["Source"].rstrip(">").rsplit("@", 1)[1]
        return [("ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}")]
    if service == "events":
        return [
            ("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}")
            for bus in call["EventBusNames"]
        ]
    if service == "stepfunctions":
        # A task token belongs to an execution of the one state machine.
        return [(f"states:{operation}", call.get("stateMachineArn", names["state_machine"]))]
    if service == "lambda" and operation == "Invoke":
        return [("lambda:InvokeFunction", call["FunctionName"])]
    raise AssertionError(f"no IAM mapping for {service}:{operation}: add one")


@pytest.fixture(scope="module")
def busy_day(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("calls") / "calls.json"
    job = subprocess.run(
        [sys.executable, "-m", "tests.support.aws_call_recorder", str(output)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-3000:]
    recorded: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return recorded


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return merge_template(load_profile("demo"))


def test_every_call_is_allowed_by_its_principals_policy(
    busy_day: dict[str, Any], template: dict[str, Any]
) -> None:
    names = busy_day["names"]
    granted = grants(template, names)
    refused = []
    for call in busy_day["calls"]:
        role = ROLES[call["principal"]]
        for action, resource in needs(call, names):
            if not any(g.role == role and g.allows(action, resource) for g in granted):
                refused.append(f"{role}: {action} on {resource}")
    assert not refused, "\n".join(sorted(set(refused)))


def test_every_permission_is_used(busy_day: dict[str, Any], template: dict[str, Any]) -> None:
    names = busy_day["names"]
    used = {
        (ROLES[call["principal"]], action, resource)
        for call in busy_day["calls"]
        for action, resource in needs(call, names)
    }
    unused = []
    for grant in grants(template, names):
        if any(
            grant.allows(action, resource) for role, action, resource in used if role == grant.role
        ):
            continue
        label = f"{grant.action} {grant.resource}"
        if not any(
            role in {"*", grant.role} and all(part in label for part in what.split(" "))
            for role, what in UNSEEN
        ):
            unused.append(f"{grant.role}: {label}")
    assert not unused, "granted and never used:\n" + "\n".join(sorted(unused))


def test_the_package_keeps_the_models_of_every_service_the_code_calls(
    busy_day: dict[str, Any],
) -> None:
    called = {call["service"] for call in busy_day["calls"]} - {"lambda"}  # Step Functions' own
    assert called <= deploy.BOTOCORE_SERVICES
    assert "cognito-idp" in deploy.BOTOCORE_SERVICES  # staff sign-in: unsigned, so unrecorded
