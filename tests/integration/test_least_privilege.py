"""Each IAM policy of the stack allows what its principal does, and nothing it does not.

The whole system runs one busy day on the local stack (tests/support/aws_call_recorder.py): every
AWS call is recorded with the principal that made it. Each call must be allowed by that
principal's policy in the template, and each permission of the template must be used by a call,
but for the few listed below with the reason they are not seen locally.

The stack's data is under its KMS key, which the services use with the caller's rights: a call
to an encrypted table or object also needs the KMS permission the service asks for on the
caller's behalf, through that service only (`kms:ViaService`).
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
DATA_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/data-key"
ROLES = {
    "api_handler": "ApiHandlerRole",
    "review_step": "ReviewStepRole",
    "attachment_retention": "AttachmentRetentionRole",
    "state_machine": "ReviewStateMachineRole",
}
# Granted, and not seen on one machine: each with its reason.
UNSEEN = {
    ("*", "logs:"): "Lambda and Step Functions write their own logs, not through the SDK",
    ("ApiHandlerRole", "dynamodb:UpdateItem resident-sessions"): (
        "a session is extended only after half its lifetime (tests/integration covers it)"
    ),
    ("ReviewStateMachineRole", "dynamodb:PutItem audit"): "the failure path's audit event",
    ("ReviewStateMachineRole", "dynamodb:GetItem reports"): (
        "a report withdrawn between two steps of its review, while no task token waits "
        "(tests/integration/test_withdraw.py covers it)"
    ),
    ("*", "ses:SendEmail configuration-set"): "the local stack sends without a configuration set",
    **{
        (role, what): (
            "Lambda itself sends a failed asynchronous invocation to the dead-letter queue, which "
            "SQS encrypts with the role's rights; API Gateway and Step Functions invoke and wait"
        )
        for role in ("ApiHandlerRole", "ReviewStepRole", "AttachmentRetentionRole")
        for what in ("sqs:SendMessage failed-invocations", "kms: via sqs")
    },
    **{
        ("AttachmentRetentionRole", what): (
            "Lambda's poller reads the reports table's stream (records under the data key) and "
            "sends a batch that keeps failing to its queue with the function's role: moto has no "
            "streams, so the busy day hands the function its batch"
        )
        for what in ("dynamodb: stream", "kms:Decrypt via dynamodb", "attachment-retention-failed")
    },
}


@dataclass(frozen=True)
class Need:
    """One permission AWS checks for a call: an IAM action on a resource, and for a KMS action
    the service that asks for it on the caller's behalf."""

    action: str
    resource: str
    via: str = ""


@dataclass(frozen=True)
class Grant:
    role: str
    action: str
    resource: str
    via: str = ""  # the one service a KMS permission is used through (kms:ViaService)

    def allows(self, need: Need) -> bool:
        return (
            fnmatchcase(need.action.lower(), self.action.lower())
            and fnmatchcase(need.resource, self.resource)
            and self.via in {"", need.via}
        )

    @property
    def label(self) -> str:
        return f"{self.action} {self.resource}" + (f" via {self.via}" if self.via else "")


def local_names(names: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """What each logical id of the template is called on the local stack: (Ref, Arn)."""
    refs = {
        "AWS::AccountId": ACCOUNT,
        "AWS::Region": REGION,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
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
    arns["DataKey"] = DATA_KEY
    arns["FunctionsDeadLetterQueue"] = (
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:{names['prefix']}-failed-invocations"
    )
    arns["AttachmentRetentionFailures"] = (
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:{names['prefix']}-attachment-retention-failed"
    )
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
            services = statement.get("Condition", {}).get("StringEquals", {})
            vias = [
                resolve(service, refs, arns).split(".")[0]
                for service in services.get("kms:ViaService", [""])
            ]
            for action in statement["Action"]:
                for resource in statement["Resource"]:
                    for via in vias:
                        found.append(Grant(role, action, resolve(resource, refs, arns), via))
    return found


def under_s3_keys(calls: list[dict[str, Any]]) -> set[str]:
    """The objects written naming S3's own keys (SSE-S3): the others are under the data key,
    the bucket's default."""
    return {
        call["Key"]
        for call in calls
        if call["service"] == "s3"
        and call["operation"] == "PutObject"
        and call.get("ServerSideEncryption", "aws:kms") != "aws:kms"
    }


def needs(call: dict[str, Any], names: dict[str, str], s3_keys: set[str]) -> list[Need]:
    """The permissions AWS authorizes for one call."""
    service, operation = call["service"], call["operation"]
    if service == "dynamodb":
        # Every item of every table is under the data key: DynamoDB decrypts the table's own key
        # with the caller's rights, for reads and writes alike.
        table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"
        key = Need("kms:Decrypt", DATA_KEY, "dynamodb")
        if operation in {"BatchGetItem", "BatchWriteItem"}:
            return [
                need
                for name in call["TableNames"]
                for need in (Need(f"dynamodb:{operation}", table + name), key)
            ]
        if operation == "TransactWriteItems":
            verbs = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
            return [
                need
                for item in call["TransactItems"]
                for kind, body in item.items()
                for need in (
                    Need(
                        f"dynamodb:{verbs.get(kind, 'ConditionCheckItem')}",
                        table + body["TableName"],
                    ),
                    key,
                )
            ]
        resource = table + call["TableName"]
        if call.get("IndexName"):
            resource += f"/index/{call['IndexName']}"
        return [Need(f"dynamodb:{operation}", resource), key]
    if service == "s3" and operation == "ListObjectsV2":
        # Granted on the bucket for the prefixes the policy's condition names.
        assert call["Prefix"].startswith(("attachments/", "quarantine/")), call
        return [Need("s3:ListBucket", f"arn:aws:s3:::{call['Bucket']}")]
    if service == "s3" and operation == "DeleteObjects":
        bucket = f"arn:aws:s3:::{call['Bucket']}/"
        return [Need("s3:DeleteObject", bucket + key) for key in call["Keys"]]
    if service == "s3":
        action = "GetObject" if operation == "HeadObject" else operation
        found = [Need(f"s3:{action}", f"arn:aws:s3:::{call['Bucket']}/{call['Key']}")]
        under_data_key = call["Key"] not in s3_keys
        if operation == "PutObject" and call.get("ServerSideEncryption", "aws:kms") == "aws:kms":
            found.append(Need("kms:GenerateDataKey", DATA_KEY, "s3"))
        elif operation == "GetObject" and under_data_key:  # a HEAD reads no content
            found.append(Need("kms:Decrypt", DATA_KEY, "s3"))
        return found
    if service == "ses":
        domain = call["Source"].rstrip(">").rsplit("@", 1)[1]
        return [Need("ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}")]
    if service == "events":
        return [
            Need("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}")
            for bus in call["EventBusNames"]
        ]
    if service == "stepfunctions":
        # A task token belongs to an execution of the one state machine.
        return [Need(f"states:{operation}", call.get("stateMachineArn", names["state_machine"]))]
    if service == "lambda" and operation == "Invoke":
        # The function's settings are under the data key too, read through Lambda's own grant.
        return [Need("lambda:InvokeFunction", call["FunctionName"])]
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
    names, calls = busy_day["names"], busy_day["calls"]
    granted = grants(template, names)
    s3_keys = under_s3_keys(calls)
    refused = []
    for call in calls:
        role = ROLES[call["principal"]]
        for need in needs(call, names, s3_keys):
            if not any(g.role == role and g.allows(need) for g in granted):
                via = f" via {need.via}" if need.via else ""
                refused.append(f"{role}: {need.action} on {need.resource}{via}")
    assert not refused, "\n".join(sorted(set(refused)))


def test_every_permission_is_used(busy_day: dict[str, Any], template: dict[str, Any]) -> None:
    names, calls = busy_day["names"], busy_day["calls"]
    s3_keys = under_s3_keys(calls)
    used = {
        (ROLES[call["principal"]], need) for call in calls for need in needs(call, names, s3_keys)
    }
    unused = []
    for grant in grants(template, names):
        if any(grant.allows(need) for role, need in used if role == grant.role):
            continue
        label = grant.label
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
