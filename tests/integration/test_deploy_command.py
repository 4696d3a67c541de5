"""`make deploy` and `make staff-user` up to and including their AWS calls, on moto.

moto cannot run a SAM template, so CloudFormation's side is a stand-in that answers as the
service does; the artifacts bucket, the uploads and the staff pool are moto's.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import boto3
import pytest
from botocore.exceptions import ClientError, WaiterError
from moto import mock_aws

from infra import deploy, provision, staff_accounts
from infra.deploy import DeployError, Package

REGION = "us-east-1"


class FakeWaiter:
    def __init__(self, failure: str | None) -> None:
        self.failure = failure

    def wait(self, **options: Any) -> None:
        if self.failure:
            raise WaiterError(name="waiter", reason=self.failure, last_response={})


class FakeCloudFormation:
    """Answers like CloudFormation for one stack; remembers what it was asked."""

    exceptions = type("Exceptions", (), {"ClientError": ClientError})

    def __init__(self, *, exists: bool = False, change_set_reason: str = "") -> None:
        self.exists = exists
        self.change_set_reason = change_set_reason
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def describe_stacks(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("describe_stacks", request))
        if not self.exists:
            raise ClientError(
                {"Error": {"Code": "ValidationError", "Message": "Stack with id x does not exist"}},
                "DescribeStacks",
            )
        return {
            "Stacks": [
                {
                    "StackStatus": "CREATE_COMPLETE",
                    "Outputs": [{"OutputKey": "SiteUrl", "OutputValue": "https://site.example"}],
                }
            ]
        }

    def create_change_set(self, **request: Any) -> dict[str, str]:
        self.calls.append(("create_change_set", request))
        return {"Id": "change-set-1"}

    def get_waiter(self, name: str) -> FakeWaiter:
        if name == "change_set_create_complete" and self.change_set_reason:
            return FakeWaiter(self.change_set_reason)
        return FakeWaiter(None)

    def describe_change_set(self, **request: Any) -> dict[str, str]:
        return {"StatusReason": self.change_set_reason}

    def delete_change_set(self, **request: Any) -> None:
        self.calls.append(("delete_change_set", request))

    def execute_change_set(self, **request: Any) -> None:
        self.calls.append(("execute_change_set", request))
        self.exists = True


class Session:
    def __init__(self, cloudformation: Any) -> None:
        self.cloudformation = cloudformation

    def client(self, service: Literal["cloudformation", "s3", "sts"]) -> Any:
        if service == "cloudformation":
            return self.cloudformation
        return boto3.client(service, region_name=REGION)


ARTIFACTS = "selfreport-artifacts-123456789012-us-east-1"


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def artifacts(aws: None) -> None:
    """The account's artifacts bucket, from an earlier deploy (moto would apply the TLS-only
    policy of a new one to every request, condition or not)."""
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=ARTIFACTS)


def test_the_first_deploy_of_an_account_creates_a_private_artifacts_bucket(aws: None) -> None:
    s3 = boto3.client("s3", region_name=REGION)

    assert deploy.artifacts_bucket(s3, "123456789012", REGION) == ARTIFACTS
    assert deploy.artifacts_bucket(s3, "123456789012", REGION) == ARTIFACTS

    blocked = s3.get_public_access_block(Bucket=ARTIFACTS)["PublicAccessBlockConfiguration"]
    assert all(blocked.values())
    encryption = s3.get_bucket_encryption(Bucket=ARTIFACTS)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=ARTIFACTS)["Policy"])
    assert policy["Statement"][0]["Effect"] == "Deny"
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.fixture
def built(tmp_path: Path) -> Package:
    code = tmp_path / "deployment.zip"
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "app = None\n")
    template = tmp_path / "template.json"
    template.write_text(
        json.dumps(
            {
                "Resources": {
                    "APIHandler": {
                        "Type": "AWS::Serverless::Function",
                        "Properties": {"CodeUri": "./deployment.zip"},
                    }
                }
            }
        )
    )
    return Package("demo", tmp_path, template, code, "self-report-demo", REGION)


def test_a_first_deploy_creates_the_stack_from_uploaded_artifacts(
    artifacts: None, built: Package
) -> None:
    cloudformation = FakeCloudFormation()

    outputs = deploy.deploy(built, Session(cloudformation))

    assert outputs == {"SiteUrl": "https://site.example"}
    created = dict(cloudformation.calls)["create_change_set"]
    assert created["ChangeSetType"] == "CREATE"
    assert created["Capabilities"] == ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    assert "execute_change_set" in dict(cloudformation.calls)
    s3 = boto3.client("s3", region_name=REGION)
    bucket = ARTIFACTS
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 2 and created["TemplateURL"].endswith(
        next(k for k in keys if k.endswith(".json"))
    )
    uploaded = json.loads(
        s3.get_object(Bucket=bucket, Key=next(k for k in keys if k.endswith(".json")))[
            "Body"
        ].read()
    )
    code_uri = uploaded["Resources"]["APIHandler"]["Properties"]["CodeUri"]
    assert code_uri["Bucket"] == bucket and code_uri["Key"] in keys


def test_a_second_deploy_updates_and_an_unchanged_one_does_nothing(
    artifacts: None, built: Package
) -> None:
    changed = FakeCloudFormation(exists=True)
    deploy.deploy(built, Session(changed))
    assert dict(changed.calls)["create_change_set"]["ChangeSetType"] == "UPDATE"

    unchanged = FakeCloudFormation(
        exists=True,
        change_set_reason="The submitted information didn't contain changes.",
    )
    outputs = deploy.deploy(built, Session(unchanged))

    assert outputs == {"SiteUrl": "https://site.example"}
    names = [name for name, _ in unchanged.calls]
    assert "delete_change_set" in names and "execute_change_set" not in names


def test_a_refused_change_says_why(artifacts: None, built: Package) -> None:
    refused = FakeCloudFormation(change_set_reason="Template format error: bad resource")

    with pytest.raises(DeployError, match="Template format error"):
        deploy.deploy(built, Session(refused))


def test_the_deploy_command_prints_the_next_steps(built: Package) -> None:
    text = deploy.next_steps(
        built,
        {
            "SiteUrl": "https://site.example",
            "DkimRecord1": "a._domainkey.example CNAME a.dkim.amazonses.com",
        },
    )
    assert "https://site.example/staff" in text
    assert "a._domainkey.example CNAME a.dkim.amazonses.com" in text
    assert "make staff-user AGENCY=demo" in text


@pytest.fixture
def deployed_pool(aws: None) -> str:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_id, _ = provision.create_staff_pool(cognito, "selfreport-demo-staff", None)
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="self-report-demo",
        TemplateBody=json.dumps(
            {
                "Resources": {"Alarms": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {"StaffUserPoolId": {"Value": pool_id}},
            }
        ),
    )
    return pool_id


def test_a_staff_account_is_created_in_the_stacks_pool_and_group(
    deployed_pool: str, capsys: pytest.CaptureFixture[str]
) -> None:
    session = boto3.session.Session(region_name=REGION)

    code = staff_accounts.main(
        ["demo", "JDoe", "jdoe@police.riverton.example", "reviewers"], session
    )

    assert code == 0, capsys.readouterr().err
    cognito = boto3.client("cognito-idp", region_name=REGION)
    user = cognito.admin_get_user(UserPoolId=deployed_pool, Username="jdoe")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    groups = cognito.admin_list_groups_for_user(UserPoolId=deployed_pool, Username="jdoe")
    assert [group["GroupName"] for group in groups["Groups"]] == ["reviewers"]

    again = staff_accounts.main(["demo", "jdoe", "jdoe@police.riverton.example", "admins"], session)
    assert again == 1 and "already has an account" in capsys.readouterr().err


def test_a_staff_account_needs_a_deployed_stack_and_good_details(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    session = boto3.session.Session(region_name=REGION)
    assert staff_accounts.main(["demo", "jdoe", "jdoe@example.org", "reviewers"], session) == 1
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(DeployError, match="EMAIL"):
        staff_accounts.create_staff_member(None, "pool", "jdoe", "not-an-address", "reviewers")
    with pytest.raises(SystemExit):
        staff_accounts.main(["demo", "jdoe", "jdoe@example.org", "everyone"], session)
