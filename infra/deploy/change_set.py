"""Deploying a package: its code and template uploaded to the account's artifacts bucket, and the
template applied through a CloudFormation change set."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .. import provision
from .. import template as stack_template
from .errors import DeployError
from .packaging import Package

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


def artifacts_bucket(s3: Any, account: str, region: str) -> str:
    """A private bucket for the packages this account deploys, created on first use."""
    name = f"selfreport-artifacts-{account}-{region}"
    try:
        s3.head_bucket(Bucket=name, ExpectedBucketOwner=account)
        return name
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] not in {"404", "NoSuchBucket"}:
            raise
    provision.create_private_bucket(s3, name, region)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            stack_template.tls_only("s3", [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"])
        ],
    }
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return name


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def upload(s3: Any, bucket: str, built: Package) -> str:
    """Upload the code and return the template's URL, with CodeUri pointing at the code."""
    code_key = f"{built.stack_name}/{_digest(built.code)}.zip"
    s3.upload_file(str(built.code), bucket, code_key)
    template = json.loads(built.template.read_text(encoding="utf-8"))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": code_key}
    body = json.dumps(template).encode("utf-8")
    template_key = f"{built.stack_name}/{hashlib.sha256(body).hexdigest()}.json"
    s3.put_object(Bucket=bucket, Key=template_key, Body=body)
    return f"https://{bucket}.s3.{built.region}.amazonaws.com/{template_key}"


def _stack_exists(cloudformation: Any, name: str) -> bool:
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return False
        raise
    return bool(stacks) and stacks[0]["StackStatus"] != "REVIEW_IN_PROGRESS"


def apply(cloudformation: Any, built: Package, template_url: str) -> dict[str, str]:
    """Create or update the stack through a change set; the stack's outputs."""
    exists = _stack_exists(cloudformation, built.stack_name)
    change_set = cloudformation.create_change_set(
        StackName=built.stack_name,
        ChangeSetName=f"deploy-{_digest(built.template)[:12]}-{os.getpid()}",
        ChangeSetType="UPDATE" if exists else "CREATE",
        TemplateURL=template_url,
        Capabilities=CAPABILITIES,
        Tags=[{"Key": "agency", "Value": built.agency_id}],
    )["Id"]
    try:
        cloudformation.get_waiter("change_set_create_complete").wait(
            ChangeSetName=change_set, WaiterConfig={"Delay": 5, "MaxAttempts": 120}
        )
    except Exception as error:  # noqa: BLE001 - the waiter's error says little; the set says why
        reason = cloudformation.describe_change_set(ChangeSetName=change_set).get(
            "StatusReason", ""
        )
        if "didn't contain changes" in reason or "No updates" in reason:
            cloudformation.delete_change_set(ChangeSetName=change_set)
            return stack_outputs(cloudformation, built.stack_name)
        raise DeployError(f"CloudFormation refused the change: {reason or error}") from None
    cloudformation.execute_change_set(ChangeSetName=change_set)
    waiter = "stack_update_complete" if exists else "stack_create_complete"
    try:
        cloudformation.get_waiter(waiter).wait(
            StackName=built.stack_name, WaiterConfig={"Delay": 10, "MaxAttempts": 360}
        )
    except Exception as error:  # noqa: BLE001
        raise DeployError(
            f"The stack did not finish ({error}). Its events in the CloudFormation console say "
            "which resource failed; the stack rolls back by itself."
        ) from None
    return stack_outputs(cloudformation, built.stack_name)


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except cloudformation.exceptions.ClientError as error:
        raise DeployError(error.response["Error"]["Message"]) from None
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def deploy(built: Package, session: Any) -> dict[str, str]:
    account = session.client("sts").get_caller_identity()["Account"]
    s3 = session.client("s3")
    bucket = artifacts_bucket(s3, account, built.region)
    template_url = upload(s3, bucket, built)
    return apply(session.client("cloudformation"), built, template_url)
