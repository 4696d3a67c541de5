"""The agency's stack as CloudFormation: what it must hold, checked without AWS.

The packaged template (Chalice's output merged with infra/template/) is checked in
test_deployment_package.py; these checks need only the merge template and moto.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from app import app
from chalicelib.agency import AgencyProfile, CustomDomain, load_profile
from chalicelib.models import ALL_MODELS, bind_models, ttl_attribute_name
from chalicelib.settings import Settings
from infra import deploy, provision
from infra.template import (
    API_HANDLER,
    ATTACHMENT_RETENTION,
    REVIEW_STEP,
    Names,
    merge_template,
    state_machine_substitutions,
    table_logical_id,
)

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


@pytest.fixture(scope="module")
def demo() -> AgencyProfile:
    return load_profile("demo")


@pytest.fixture(scope="module")
def resources(demo: AgencyProfile) -> dict[str, Any]:
    resources: dict[str, Any] = merge_template(demo)["Resources"]
    return resources


@pytest.fixture
def moto_tables(aws_credentials: None) -> Iterator[dict[str, dict[str, Any]]]:
    """The tables the local stack creates from the models, as DynamoDB describes them."""
    with mock_aws():
        import boto3

        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        bind_models(Names("demo").prefix, "us-east-1")
        provision.create_tables(dynamodb)
        described = {}
        for model in ALL_MODELS:
            name = str(model.Meta.table_name)
            table = dynamodb.describe_table(TableName=name)["Table"]
            ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            described[name] = {**table, "ttl": ttl.get("AttributeName")}
        yield described


def key_schema(keys: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(key["AttributeName"], key["KeyType"]) for key in keys}


def test_tables_keys_indexes_and_ttl_match_the_models_exactly(
    resources: dict[str, Any], moto_tables: dict[str, dict[str, Any]]
) -> None:
    declared = [r for r in resources.values() if r.get("Type") == "AWS::DynamoDB::Table"]
    assert len(declared) == len(ALL_MODELS)
    for model in ALL_MODELS:
        properties = resources[table_logical_id(model)]["Properties"]
        created = moto_tables[properties["TableName"]]
        assert key_schema(properties["KeySchema"]) == key_schema(created["KeySchema"])
        assert {
            (a["AttributeName"], a["AttributeType"]) for a in properties["AttributeDefinitions"]
        } == {(a["AttributeName"], a["AttributeType"]) for a in created["AttributeDefinitions"]}
        assert indexes(properties) == indexes(created), model.__name__
        ttl = properties.get("TimeToLiveSpecification", {}).get("AttributeName")
        assert ttl == created["ttl"] == ttl_attribute_name(model), model.__name__
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }
        assert properties["SSESpecification"] == {
            "SSEEnabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": {"Fn::GetAtt": ["DataKey", "Arn"]},
        }


def indexes(table: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        index["IndexName"]: (
            key_schema(index["KeySchema"]),
            index["Projection"]["ProjectionType"],
            sorted(index["Projection"].get("NonKeyAttributes", [])),
        )
        for index in table.get("GlobalSecondaryIndexes", [])
    }


def test_records_survive_the_stack_and_ephemeral_tables_do_not(resources: dict[str, Any]) -> None:
    retained = {
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("DeletionPolicy") == "Retain"
    }
    assert retained == {
        "ReportTable",
        "CaseNumberCounterTable",
        "AuditEventTable",
        "SearchTermTable",  # it indexes the records: without it, they could not be found
        "ReportsBucket",
        "AccessLogsBucket",
        "StaffUserPool",
        "DataKey",  # without it, the retained tables and bucket could never be read again
        "ApiGatewayLogsRole",  # the account's setting: its other APIs log with it too
    }


def test_the_state_machine_is_the_file_the_local_stack_runs(resources: dict[str, Any]) -> None:
    machine = resources["ReviewStateMachine"]["Properties"]
    assert machine["DefinitionString"] == provision.REVIEW_STATE_MACHINE.read_text(encoding="utf-8")
    assert machine["StateMachineType"] == "STANDARD"
    placeholders = set(PLACEHOLDER.findall(machine["DefinitionString"]))
    assert placeholders == set(machine["DefinitionSubstitutions"])
    assert machine["LoggingConfiguration"]["IncludeExecutionData"] is False
    # The same substitutions produce the same text the local stack gives moto.
    local = provision.state_machine_definition(
        provision.REVIEW_STATE_MACHINE, {name: f"<{name}>" for name in placeholders}
    )
    assert json.loads(local)["StartAt"] == json.loads(machine["DefinitionString"])["StartAt"]


def test_every_lambda_the_state_machine_calls_is_a_function_of_the_chalice_app(
    resources: dict[str, Any],
) -> None:
    from chalice.utils import to_cfn_resource_name

    app_functions = {to_cfn_resource_name(function.name) for function in app.pure_lambda_functions}
    invoked = [
        value["Fn::GetAtt"][0]
        for value in state_machine_substitutions().values()
        if "Fn::GetAtt" in value
    ]
    assert invoked == [REVIEW_STEP]
    assert set(invoked) <= app_functions
    definition = json.loads(resources["ReviewStateMachine"]["Properties"]["DefinitionString"])
    functions = {
        state["Parameters"]["FunctionName"]
        for state in definition["States"].values()
        if state.get("Resource") == "arn:aws:states:::lambda:invoke"
    }
    assert functions == {"${ReviewStepFunctionArn}"}


def test_nothing_is_public(resources: dict[str, Any]) -> None:
    bucket = resources["ReportsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]
    assert resources["StaffUserPool"]["Properties"]["AdminCreateUserConfig"][
        "AllowAdminCreateUserOnly"
    ]
    assert resources["StaffUserPool"]["Properties"]["MfaConfiguration"] == "ON"
    assert resources["StaffUserPoolClient"]["Properties"]["GenerateSecret"] is False
    for logical_id, resource in resources.items():
        document = resource.get("Properties", {}).get("PolicyDocument")
        if not document:
            continue
        for statement in document["Statement"]:
            if statement["Effect"] == "Allow":
                assert statement["Principal"] != "*", logical_id
                assert "Condition" in statement, (
                    f"{logical_id}: a service may act only for its source"
                )
            else:
                assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    tls_only = set()
    for resource in resources.values():
        if resource.get("Type") in {"AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy"}:
            statements = resource["Properties"]["PolicyDocument"]["Statement"]
            (denial,) = [s for s in statements if s.get("Sid") == "TlsOnly"]
            tls_only |= {json.dumps(arn, sort_keys=True) for arn in denial["Resource"]}
    for logical_id, resource in resources.items():
        if resource.get("Type") in {"AWS::S3::Bucket", "AWS::SQS::Queue"}:
            assert json.dumps(arn_of(logical_id), sort_keys=True) in tls_only, logical_id


def test_function_policies_name_resources_of_the_stack_only(resources: dict[str, Any]) -> None:
    for role in ("ApiHandlerRole", "ReviewStepRole", "AttachmentRetentionRole"):
        statements = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        for statement in statements:
            assert statement["Effect"] == "Allow"
            for action in statement["Action"]:
                assert "*" not in action, f"{role}: {action}"
            if statement["Action"] == ["states:SendTaskSuccess"]:
                assert statement["Resource"] == ["*"]  # authorized by the task token alone
                continue
            for resource in statement["Resource"]:
                assert isinstance(resource, dict), f"{role}: {resource} is not one of the stack's"
    machine = resources["ReviewStateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    wildcards = [s for s in machine["Statement"] if s["Resource"] == ["*"]]
    assert [action.split(":")[0] for s in wildcards for action in s["Action"]] == ["logs"] * 8


SENSITIVE = re.compile(r"SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL|API_KEY", re.IGNORECASE)


def test_functions_get_no_secrets_and_only_settings_the_app_reads(
    resources: dict[str, Any], demo: AgencyProfile
) -> None:
    stage_variables = deploy.stage_config(demo)["environment_variables"]
    aliases = {field.alias for field in Settings.model_fields.values()}
    for logical_id in (API_HANDLER, REVIEW_STEP, ATTACHMENT_RETENTION):
        variables = {
            **stage_variables,
            **resources[logical_id]["Properties"]["Environment"]["Variables"],
        }
        for name, value in variables.items():
            assert not SENSITIVE.search(name), f"{logical_id}: {name}"
            assert name in aliases, f"{logical_id}: the app does not read {name}"
            if isinstance(value, str):
                assert not SENSITIVE.search(value), f"{logical_id}: {name}"
    settings = Settings.from_env(
        {
            **stage_variables,
            "BASE_URL": "https://example.org/api",
            "REPORTS_BUCKET": "bucket",
            "USER_POOL_ID": "us-east-1_x",
        }
    )
    assert not settings.is_local
    assert settings.staff_jwks_url.startswith("https://cognito-idp.us-east-1.amazonaws.com/")  # type: ignore[union-attr]


def test_the_committed_stage_is_the_one_packaging_writes(demo: AgencyProfile) -> None:
    config = json.loads(deploy.CHALICE_CONFIG.read_text(encoding="utf-8"))
    assert config["stages"]["demo"] == deploy.stage_config(demo)


def test_a_custom_domain_becomes_the_site_url_and_the_api_domain(demo: AgencyProfile) -> None:
    domain = CustomDomain(
        name="report.police.riverton.example",
        certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/"
        "0b5c4e2a-1f3d-4a6b-9c8d-7e6f5a4b3c2d",
    )
    profile = demo.model_copy(
        update={"deployment": demo.deployment.model_copy(update={"domain": domain})}
    )
    functions = merge_template(profile)["Resources"][API_HANDLER]["Properties"]
    assert (
        functions["Environment"]["Variables"]["BASE_URL"]
        == "https://report.police.riverton.example"
    )
    stage = deploy.stage_config(profile)
    assert stage["api_gateway_custom_domain"]["domain_name"] == domain.name


def test_the_profile_refuses_a_bad_deployment_section() -> None:
    from chalicelib.agency import Deployment

    with pytest.raises(ValueError, match="must be one of"):
        Deployment(log_retention_days=100)
    with pytest.raises(ValueError):
        Deployment(region="Mars-1")


def test_the_package_keeps_the_agencys_languages_and_the_services_the_code_calls() -> None:
    keep = deploy.kept_in_package
    assert keep("babel/locale-data/root.dat", ("en", "es"))
    assert keep("babel/locale-data/es_MX.dat", ("en", "es"))
    assert not keep("babel/locale-data/fr.dat", ("en", "es"))
    assert keep("botocore/data/endpoints.json", ("en",))
    assert keep("botocore/data/dynamodb/2012-08-10/service-2.json.gz", ("en",))
    assert not keep("botocore/data/ec2/2016-11-15/service-2.json.gz", ("en",))
    assert keep("chalicelib/app.py", ("en",))


def test_a_profile_must_number_cases_by_year_and_name_real_holidays(
    demo: AgencyProfile, tmp_path: Path
) -> None:
    from chalicelib.agency import Review, deployment_problems

    with pytest.raises(ValueError, match=re.escape("must contain {year}")):
        Review(case_number_format="{short_code}-{number:06d}")
    misnamed = tmp_path / "riverton.yaml"
    assert deployment_problems(demo, misnamed) == [
        f"{misnamed}: a deployment loads its profile by id: name the file demo.yaml"
    ]
    elsewhere = demo.model_copy(
        update={"review": demo.review.model_copy(update={"holiday_subdivision": "ZZ"})}
    )
    (problem,) = deployment_problems(elsewhere, tmp_path / "demo.yaml")
    assert "holiday_subdivision" in problem and "ZZ" in problem


def test_api_gateways_own_refusals_carry_the_apps_security_headers(
    resources: dict[str, Any],
) -> None:
    from chalicelib.routes.edge import SECURITY_HEADERS

    responses = resources["RestAPI"]["Properties"]["GatewayResponses"]

    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in responses.values():
        headers = response["ResponseParameters"]["Headers"]
        assert headers == {name: f"'{value}'" for name, value in SECURITY_HEADERS.items()}


DATA_KEY = arn_of("DataKey")


def test_everything_that_holds_peoples_data_is_under_the_data_key(
    resources: dict[str, Any],
) -> None:
    where_the_key_goes = {
        "AWS::DynamoDB::Table": lambda p: p["SSESpecification"]["KMSMasterKeyId"],
        "AWS::SQS::Queue": lambda p: p["KmsMasterKeyId"],
        "AWS::SNS::Topic": lambda p: p["KmsMasterKeyId"],
        "AWS::Logs::LogGroup": lambda p: p["KmsKeyId"],
    }
    kinds: dict[str, int] = {}
    for logical_id, resource in resources.items():
        # Chalice makes the functions' log groups: the merge template gives them no Type.
        kind = resource.get("Type") or ("AWS::Logs::LogGroup" if "LogGroup" in logical_id else "")
        if kind in where_the_key_goes:
            assert where_the_key_goes[kind](resource["Properties"]) == DATA_KEY, logical_id
            kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds == {
        "AWS::DynamoDB::Table": len(ALL_MODELS),
        "AWS::SQS::Queue": 4,
        "AWS::SNS::Topic": 1,
        "AWS::Logs::LogGroup": 5,
    }
    (rule,) = resources["ReportsBucket"]["Properties"]["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    assert rule == {
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": DATA_KEY},
        "BucketKeyEnabled": True,
    }
    for function in (API_HANDLER, REVIEW_STEP, ATTACHMENT_RETENTION):
        assert resources[function]["Properties"]["KmsKeyArn"] == DATA_KEY


def test_the_data_key_rotates_and_each_party_may_do_only_its_part(
    resources: dict[str, Any],
) -> None:
    key = resources["DataKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    assert resources["DataKeyAlias"]["Properties"] == {
        "AliasName": f"alias/{Names('demo').prefix}",
        "TargetKeyId": {"Ref": "DataKey"},
    }
    # Built from names: the key depends on nothing it encrypts (no cycle).
    assert '"Fn::GetAtt"' not in json.dumps(key) and '"Ref": "AWS::AccountId"' in json.dumps(key)
    statements = {statement["Sid"]: statement for statement in key["KeyPolicy"]["Statement"]}
    account = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}

    administration = statements.pop("AccountAdministersTheKey")
    assert administration["Principal"] == account
    assert all("*" not in action for action in administration["Action"])
    assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:CreateGrant"} & set(
        administration["Action"]
    )
    for sid, statement in statements.items():
        assert statement["Effect"] == "Allow" and statement["Principal"] != "*", sid
        assert statement["Condition"], f"{sid}: a use of the key is always conditioned"
        if statement["Principal"] == account:
            condition = statement["Condition"]["StringEquals"]
            assert condition["kms:CallerAccount"] == {"Ref": "AWS::AccountId"}, sid
            assert condition["kms:ViaService"], sid

    log_groups = {
        resource["Properties"]["LogGroupName"]
        for logical_id, resource in resources.items()
        if "LogGroup" in logical_id or resource.get("Type") == "AWS::Logs::LogGroup"
    }
    logs = statements["CloudWatchLogsEncryptsTheLogGroupsOfTheStack"]
    assert logs["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.${AWS::URLSuffix}"}}
    assert log_groups == {
        arn["Fn::Sub"].split(":log-group:")[1]
        for arn in logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    }
    alarms = statements["CloudWatchAlarmsPublishToTheAlarmTopic"]
    topic = alarms["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:sns:topicArn"]
    assert topic["Fn::Sub"].endswith(":" + resources["AlarmTopic"]["Properties"]["TopicName"])
    events = statements["EventBridgeSendsApprovedReportsToTheRecordsQueue"]
    queue = events["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:sqs:arn"]
    assert queue["Fn::Sub"].endswith(
        ":" + resources["RecordsExportQueue"]["Properties"]["QueueName"]
    )


def test_each_function_has_a_share_of_concurrency_that_follows_the_rate_limit(
    demo: AgencyProfile,
) -> None:
    for rate in (1, demo.deployment.api_rate_limit, 400):
        profile = demo.model_copy(
            update={"deployment": demo.deployment.model_copy(update={"api_rate_limit": rate})}
        )
        resources = merge_template(profile)["Resources"]
        (throttle,) = resources["RestAPI"]["Properties"]["MethodSettings"]
        site = resources[API_HANDLER]["Properties"]["ReservedConcurrentExecutions"]
        steps = resources[REVIEW_STEP]["Properties"]["ReservedConcurrentExecutions"]
        assert site == throttle["ThrottlingBurstLimit"]
        assert steps >= max(10, throttle["ThrottlingRateLimit"])


def test_a_failed_asynchronous_invocation_is_kept_and_raises_an_alarm(
    resources: dict[str, Any],
) -> None:
    queue = "FunctionsDeadLetterQueue"
    for function, role in (
        (API_HANDLER, "ApiHandlerRole"),
        (REVIEW_STEP, "ReviewStepRole"),
        (ATTACHMENT_RETENTION, "AttachmentRetentionRole"),
    ):
        assert resources[function]["Properties"]["DeadLetterQueue"] == {
            "Type": "SQS",
            "TargetArn": arn_of(queue),
        }
        statements = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        assert {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [arn_of(queue)]} in (
            statements
        )
    alarm = resources["FailedInvocationsAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": resources[queue]["Properties"]["QueueName"]}
    ]


def test_the_api_logs_every_request_without_tokens_and_traces(resources: dict[str, Any]) -> None:
    api = resources["RestAPI"]
    assert api["DependsOn"] == "ApiGatewayAccount"
    assert api["Properties"]["TracingEnabled"] is True
    access = api["Properties"]["AccessLogSetting"]
    assert access["DestinationArn"] == arn_of("ApiAccessLogGroup")
    fields = json.loads(access["Format"])
    assert {"requestId", "status", "resourcePath", "sourceIp"} <= set(fields)
    # The route's template only: an emailed link carries its token in the query string.
    assert "$context.path" not in access["Format"]
    assert "querystring" not in access["Format"].lower()
    assert resources["ApiGatewayAccount"]["Properties"]["CloudWatchRoleArn"] == arn_of(
        "ApiGatewayLogsRole"
    )
