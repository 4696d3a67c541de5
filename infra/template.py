"""The CloudFormation merged into `chalice package`: every resource of an agency's stack that is
not the Lambda code or the API itself, and the properties Chalice cannot express (function names,
roles, environment variables that point at those resources).

It is built from the project's own definitions, so nothing is said twice: tables from the PynamoDB
models, the state machine from the file the local stack runs, the staff pool from the settings the
local stack uses, names and limits from the agency profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.models import Model

from chalicelib.agency import AgencyProfile
from chalicelib.models import (
    ALL_MODELS,
    AuditEvent,
    CaseNumberCounter,
    RateLimitWindow,
    Report,
    ResidentSession,
    VerificationLink,
    table_name,
    ttl_attribute_name,
)
from chalicelib.records import EVENT_SOURCE, EVENT_TYPE

from . import provision

API_HANDLER = "APIHandler"
REVIEW_STEP = "ReviewStep"
API_STAGE = "api"
# Records: never deleted with the stack. Ephemeral tables (links, sessions, counters) are.
RETAINED_MODELS = (Report, CaseNumberCounter, AuditEvent)
RETAINED = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
DISPOSABLE = {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
Template = dict[str, Any]


@dataclass(frozen=True)
class Names:
    """Every name a deployment gives its resources, derived from the agency's id."""

    agency_id: str

    @property
    def slug(self) -> str:
        return self.agency_id.replace("_", "-")

    @property
    def stack(self) -> str:
        return f"self-report-{self.slug}"

    @property
    def prefix(self) -> str:
        return f"selfreport-{self.slug}"

    def function(self, logical_id: str) -> str:
        return {API_HANDLER: f"{self.prefix}-api", REVIEW_STEP: f"{self.prefix}-review-step"}[
            logical_id
        ]

    def table(self, model: type[Model]) -> str:
        return table_name(self.prefix, model)

    @property
    def state_machine(self) -> str:
        return f"{self.prefix}-review"

    @property
    def event_bus(self) -> str:
        return f"{self.prefix}-records"


def table_logical_id(model: type[Model]) -> str:
    return f"{model.__name__}Table"


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _arn(service: str, resource: str) -> dict[str, str]:
    return sub(f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}")


def tls_only(service: str, resources: list[Any]) -> Template:
    """A resource policy's statement refusing every request made without TLS."""
    return {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": f"{service}:*",
        "Resource": resources,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


# -- DynamoDB --------------------------------------------------------------------------------------


def table_resource(model: type[Model], names: Names) -> Template:
    schema: dict[str, Any] = dict(model._get_schema())
    indexes = [
        {
            "IndexName": index["index_name"],
            "KeySchema": sorted(index["key_schema"], key=lambda key: key["KeyType"]),
            "Projection": index["projection"],
        }
        for index in sorted(
            schema.get("global_secondary_indexes", []), key=lambda index: index["index_name"]
        )
    ]
    properties: Template = {
        "TableName": names.table(model),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(
            schema["attribute_definitions"], key=lambda attribute: attribute["AttributeName"]
        ),
        "KeySchema": sorted(schema["key_schema"], key=lambda key: key["KeyType"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    if indexes:
        properties["GlobalSecondaryIndexes"] = indexes
    ttl_attribute = ttl_attribute_name(model)
    if ttl_attribute:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl_attribute, "Enabled": True}
    resource: Template = {"Type": "AWS::DynamoDB::Table", "Properties": properties}
    if model in RETAINED_MODELS:
        properties["DeletionProtectionEnabled"] = True
    resource.update(RETAINED if model in RETAINED_MODELS else DISPOSABLE)
    return resource


def tables(names: Names) -> Template:
    return {table_logical_id(model): table_resource(model, names) for model in ALL_MODELS}


# -- S3: copies of approved reports, and the records exports -----------------------------------


def reports_bucket() -> Template:
    rules = provision.BUCKET_LIFECYCLE
    return {
        "ReportsBucket": {
            "Type": "AWS::S3::Bucket",
            **RETAINED,
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "exports-picked-up",
                            "Prefix": "exports/",
                            "Status": "Enabled",
                            "ExpirationInDays": rules.export_days,
                        },
                        {
                            "Id": "replaced-versions",
                            "Status": "Enabled",
                            "NoncurrentVersionExpiration": {
                                "NoncurrentDays": rules.noncurrent_version_days
                            },
                            "AbortIncompleteMultipartUpload": {
                                "DaysAfterInitiation": rules.abandoned_upload_days
                            },
                        },
                    ]
                },
            },
        },
        "ReportsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("ReportsBucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        tls_only("s3", [arn_of("ReportsBucket"), sub("${ReportsBucket.Arn}/*")])
                    ],
                },
            },
        },
    }


# -- Cognito: staff accounts -------------------------------------------------------------------


def staff_pool(names: Names, profile: AgencyProfile) -> Template:
    groups = {
        f"{group.title()}Group": {
            "Type": "AWS::Cognito::UserPoolGroup",
            "Properties": {
                "UserPoolId": ref("StaffUserPool"),
                "GroupName": group,
                "Description": description,
                "Precedence": precedence,
            },
        }
        for precedence, (group, description) in enumerate(
            provision.STAFF_GROUP_DESCRIPTIONS.items()
        )
    }
    invitation = (
        f"You have a staff account for {profile.name.replace('${', '${!')} online reports. "
        "Username: {username} "
        "Temporary password: {####} Sign in within 3 days at "
    )
    return {
        "StaffUserPool": {
            "Type": "AWS::Cognito::UserPool",
            **RETAINED,
            "Properties": {
                "UserPoolName": f"{names.prefix}-staff",
                "DeletionProtection": "ACTIVE",
                "MfaConfiguration": "ON",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                "Policies": {"PasswordPolicy": dict(provision.STAFF_PASSWORD_POLICY)},
                "AdminCreateUserConfig": {
                    "AllowAdminCreateUserOnly": True,
                    "InviteMessageTemplate": {
                        "EmailSubject": f"Your {profile.name} staff account",
                        "EmailMessage": sub(invitation + site_url_text(profile) + "/staff"),
                    },
                },
                "UsernameConfiguration": {"CaseSensitive": False},
                "AutoVerifiedAttributes": ["email"],
                "AccountRecoverySetting": {
                    "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
                },
                "Schema": [{"Name": "email", "AttributeDataType": "String", "Required": True}],
                "UserPoolTags": {"agency": names.agency_id},
            },
        },
        "StaffUserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": ref("StaffUserPool"),
                "ClientName": f"{names.prefix}-staff-web",
                "GenerateSecret": False,
                "ExplicitAuthFlows": list(provision.STAFF_AUTH_FLOWS),
                "PreventUserExistenceErrors": "ENABLED",
                "EnableTokenRevocation": True,
                # Time to install an authenticator app at the first sign-in (Cognito's most).
                "AuthSessionValidity": 15,
                "IdTokenValidity": 60,
                "AccessTokenValidity": 60,
                "RefreshTokenValidity": 12,
                "TokenValidityUnits": {
                    "IdToken": "minutes",
                    "AccessToken": "minutes",
                    "RefreshToken": "hours",
                },
            },
        },
        **groups,
    }


# -- SES ---------------------------------------------------------------------------------------


def email(names: Names, profile: AgencyProfile) -> Template:
    resources: Template = {
        "EmailConfigurationSet": {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {
                "Name": names.prefix,
                "DeliveryOptions": {"TlsPolicy": "REQUIRE"},
                "ReputationOptions": {"ReputationMetricsEnabled": True},
                "SendingOptions": {"SendingEnabled": True},
            },
        }
    }
    if profile.deployment.manage_sender_identity:
        resources["SenderIdentity"] = {
            "Type": "AWS::SES::EmailIdentity",
            "Properties": {
                "EmailIdentity": sender_domain(profile),
                "DkimSigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"},
                "ConfigurationSetAttributes": {
                    "ConfigurationSetName": ref("EmailConfigurationSet")
                },
            },
        }
    return resources


def sender_domain(profile: AgencyProfile) -> str:
    return profile.sender.address.rsplit("@", 1)[1]


# -- EventBridge: the records export -----------------------------------------------------------


def records_export(names: Names) -> Template:
    return {
        "RecordsEventBus": {
            "Type": "AWS::Events::EventBus",
            "Properties": {"Name": names.event_bus},
        },
        "RecordsExportRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "Approved reports, for the records system to pick up",
                "EventBusName": ref("RecordsEventBus"),
                "EventPattern": {"source": [EVENT_SOURCE], "detail-type": [EVENT_TYPE]},
                "State": "ENABLED",
                "Targets": [{"Id": "records-queue", "Arn": arn_of("RecordsExportQueue")}],
            },
        },
        "RecordsExportQueue": {
            "Type": "AWS::SQS::Queue",
            **DISPOSABLE,
            "Properties": {
                "QueueName": f"{names.prefix}-records-exports",
                "SqsManagedSseEnabled": True,
                "MessageRetentionPeriod": 14 * 24 * 3600,
                "VisibilityTimeout": 300,
                "RedrivePolicy": {
                    "deadLetterTargetArn": arn_of("RecordsExportDeadLetterQueue"),
                    "maxReceiveCount": 5,
                },
            },
        },
        "RecordsExportDeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            **DISPOSABLE,
            "Properties": {
                "QueueName": f"{names.prefix}-records-exports-failed",
                "SqsManagedSseEnabled": True,
                "MessageRetentionPeriod": 14 * 24 * 3600,
            },
        },
        "RecordsExportQueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [ref("RecordsExportQueue"), ref("RecordsExportDeadLetterQueue")],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "FromTheExportRule",
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": arn_of("RecordsExportQueue"),
                            "Condition": {
                                "ArnEquals": {"aws:SourceArn": arn_of("RecordsExportRule")}
                            },
                        },
                        tls_only(
                            "sqs",
                            [arn_of("RecordsExportQueue"), arn_of("RecordsExportDeadLetterQueue")],
                        ),
                    ],
                },
            },
        },
    }


# -- Step Functions ----------------------------------------------------------------------------


def state_machine_substitutions() -> dict[str, Any]:
    return {
        "ReviewStepFunctionArn": arn_of(REVIEW_STEP),
        "ReportsTableName": ref(table_logical_id(Report)),
        "AuditTableName": ref(table_logical_id(AuditEvent)),
    }


def review_state_machine(names: Names, log_days: int) -> Template:
    return {
        "ReviewStateMachine": {
            "Type": "AWS::StepFunctions::StateMachine",
            # The definition's ${...} are DefinitionSubstitutions, which cfn-lint takes for Fn::Sub.
            "Metadata": {"cfn-lint": {"config": {"ignore_checks": ["E1029"]}}},
            "Properties": {
                "StateMachineName": names.state_machine,
                "StateMachineType": "STANDARD",
                "DefinitionString": provision.REVIEW_STATE_MACHINE.read_text(encoding="utf-8"),
                "DefinitionSubstitutions": state_machine_substitutions(),
                "RoleArn": arn_of("ReviewStateMachineRole"),
                # Errors only, and never the execution's data: it holds report ids, not people.
                "LoggingConfiguration": {
                    "Level": "ERROR",
                    "IncludeExecutionData": False,
                    "Destinations": [
                        {
                            "CloudWatchLogsLogGroup": {
                                "LogGroupArn": arn_of("ReviewStateMachineLogs")
                            }
                        }
                    ],
                },
            },
        },
        "ReviewStateMachineLogs": {
            "Type": "AWS::Logs::LogGroup",
            **DISPOSABLE,
            "Properties": {
                "LogGroupName": f"/aws/vendedlogs/states/{names.state_machine}",
                "RetentionInDays": log_days,
            },
        },
        "ReviewStateMachineRole": role(
            "states.amazonaws.com",
            [
                allow(["lambda:InvokeFunction"], [arn_of(REVIEW_STEP)]),
                allow(["dynamodb:UpdateItem"], [arn_of(table_logical_id(Report))]),
                allow(["dynamodb:PutItem"], [arn_of(table_logical_id(AuditEvent))]),
                # Log delivery to CloudWatch has no resource-level permissions (AWS's own rule).
                allow(
                    [
                        "logs:CreateLogDelivery",
                        "logs:DeleteLogDelivery",
                        "logs:DescribeLogGroups",
                        "logs:DescribeResourcePolicies",
                        "logs:GetLogDelivery",
                        "logs:ListLogDeliveries",
                        "logs:PutResourcePolicy",
                        "logs:UpdateLogDelivery",
                    ],
                    ["*"],
                ),
            ],
            source_account=True,
        ),
    }


# -- IAM ---------------------------------------------------------------------------------------


def allow(actions: list[str], resources: list[Any]) -> Template:
    return {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def role(service: str, statements: list[Template], *, source_account: bool = False) -> Template:
    """A role one service assumes. Step Functions states its account, against a confused deputy;
    Lambda does not for an execution role, so requiring it there would lock the function out."""
    trust: Template = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account:
        trust["Condition"] = {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
            "Policies": [
                {
                    "PolicyName": "least-privilege",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }


def _table(model: type[Model]) -> Any:
    return arn_of(table_logical_id(model))


def _indexes(model: type[Model]) -> Any:
    return sub(f"${{{table_logical_id(model)}.Arn}}/index/*")


def _function_logs(names: Names, logical_id: str) -> Template:
    return allow(
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        [_arn("logs", f"log-group:/aws/lambda/{names.function(logical_id)}:*")],
    )


def _send_email(profile: AgencyProfile) -> Template:
    return allow(
        ["ses:SendEmail"],
        [
            _arn("ses", f"identity/{sender_domain(profile)}"),
            _arn("ses", "configuration-set/${EmailConfigurationSet}"),
        ],
    )


def api_handler_policy(names: Names, profile: AgencyProfile) -> list[Template]:
    """What residents' and staff's requests do: nothing the workflow alone does."""
    return [
        _function_logs(names, API_HANDLER),
        allow(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            [_table(VerificationLink)],
        ),
        allow(
            ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            [_table(ResidentSession)],
        ),
        allow(["dynamodb:UpdateItem"], [_table(RateLimitWindow)]),
        allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [_table(Report)]),
        allow(["dynamodb:Query"], [_indexes(Report)]),
        allow(["dynamodb:PutItem", "dynamodb:Query"], [_table(AuditEvent)]),
        _send_email(profile),
        allow(["states:StartExecution"], [ref("ReviewStateMachine")]),
        # A decision hands back the workflow's task token. SendTaskSuccess has no resource-level
        # permissions (AWS authorizes it by the token), so naming the state machine would deny it.
        allow(["states:SendTaskSuccess"], ["*"]),
        # Signs the residents' short-lived links to their copies; HeadObject needs it too.
        allow(["s3:GetObject"], [sub("${ReportsBucket.Arn}/copies/*")]),
        # An administrator's re-push of a failed export.
        allow(["s3:PutObject"], [sub("${ReportsBucket.Arn}/exports/*")]),
        allow(["events:PutEvents"], [arn_of("RecordsEventBus")]),
    ]


def review_step_policy(names: Names, profile: AgencyProfile) -> list[Template]:
    """The workflow's steps: confirm, number, render, export, notify, remind."""
    return [
        _function_logs(names, REVIEW_STEP),
        allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [_table(Report)]),
        allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [_table(CaseNumberCounter)]),
        allow(["dynamodb:PutItem"], [_table(AuditEvent)]),
        _send_email(profile),
        allow(
            ["s3:PutObject"],
            [sub("${ReportsBucket.Arn}/copies/*"), sub("${ReportsBucket.Arn}/exports/*")],
        ),
        allow(["events:PutEvents"], [arn_of("RecordsEventBus")]),
    ]


# -- the functions Chalice generates -----------------------------------------------------------


def site_url_text(profile: AgencyProfile) -> str:
    """The residents' site, in Fn::Sub's syntax."""
    if profile.deployment.domain:
        return f"https://{profile.deployment.domain.name}"
    return f"https://${{RestAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{API_STAGE}"


def site_url(profile: AgencyProfile) -> Any:
    text = site_url_text(profile)
    return sub(text) if "${" in text else text


def custom_domain(profile: AgencyProfile) -> Template:
    if not profile.deployment.domain:
        return {}
    # Chalice maps the domain to the stage by name; the stage must exist first.
    return {"ApiGatewayCustomDomainMapping": {"DependsOn": "RestAPIapiStage"}}


def functions(names: Names, profile: AgencyProfile) -> Template:
    shared = {
        "BASE_URL": site_url(profile),
        "REPORTS_BUCKET": ref("ReportsBucket"),
        "RECORDS_EVENT_BUS": ref("RecordsEventBus"),
        "SES_CONFIGURATION_SET": ref("EmailConfigurationSet"),
    }
    api_only = {
        "REVIEW_STATE_MACHINE_ARN": ref("ReviewStateMachine"),
        "USER_POOL_ID": ref("StaffUserPool"),
        "USER_POOL_CLIENT_ID": ref("StaffUserPoolClient"),
    }
    return {
        API_HANDLER: {
            "Properties": {
                "FunctionName": names.function(API_HANDLER),
                "Role": arn_of("ApiHandlerRole"),
                "Environment": {"Variables": {**shared, **api_only}},
            }
        },
        REVIEW_STEP: {
            "Properties": {
                "FunctionName": names.function(REVIEW_STEP),
                "Role": arn_of("ReviewStepRole"),
                "Environment": {"Variables": shared},
            }
        },
        # Chalice names these groups after `${ApiHandler}`, a resource that does not exist.
        "ApiHandlerLogGroup": {
            **DISPOSABLE,
            "Properties": {"LogGroupName": f"/aws/lambda/{names.function(API_HANDLER)}"},
        },
        "ReviewStepLogGroup": {
            **DISPOSABLE,
            "Properties": {"LogGroupName": f"/aws/lambda/{names.function(REVIEW_STEP)}"},
        },
        "ApiHandlerRole": role("lambda.amazonaws.com", api_handler_policy(names, profile)),
        "ReviewStepRole": role("lambda.amazonaws.com", review_step_policy(names, profile)),
        "RestAPI": {
            "Properties": {
                "Name": names.prefix,  # not Chalice's app name: alarms tell agencies apart by it
                "MethodSettings": [
                    {
                        "ResourcePath": "/*",
                        "HttpMethod": "*",
                        "ThrottlingRateLimit": profile.deployment.api_rate_limit,
                        "ThrottlingBurstLimit": profile.deployment.api_rate_limit * 2,
                    }
                ],
            }
        },
    }


# -- alarms ------------------------------------------------------------------------------------


def alarms(names: Names, profile: AgencyProfile) -> Template:
    # Not encrypted: CloudWatch cannot publish to a topic under the AWS-managed SNS key, and an
    # alarm says only which metric crossed which line.
    topic: Template = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"TopicName": f"{names.prefix}-alarms"},
    }
    if profile.deployment.alarm_email:
        topic["Properties"]["Subscription"] = [
            {"Protocol": "email", "Endpoint": profile.deployment.alarm_email}
        ]

    def alarm(
        description: str, namespace: str, metric: str, dimensions: list[Template], threshold: int
    ) -> Template:
        return {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": description,
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": dimensions,
                "Statistic": "Sum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": threshold,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [ref("AlarmTopic")],
                "OKActions": [ref("AlarmTopic")],
            },
        }

    return {
        "AlarmTopic": topic,
        "ReportsNeedAttentionAlarm": alarm(
            "A review workflow failed: its report is in needs_attention on the staff desk.",
            "AWS/States",
            "ExecutionsFailed",
            [{"Name": "StateMachineArn", "Value": ref("ReviewStateMachine")}],
            1,
        ),
        "ReviewStepErrorsAlarm": alarm(
            "A workflow step failed (an email, a copy or a records export): see its logs.",
            "AWS/Lambda",
            "Errors",
            [{"Name": "FunctionName", "Value": names.function(REVIEW_STEP)}],
            1,
        ),
        "ApiErrorsAlarm": alarm(
            "The site answered with server errors.",
            "AWS/ApiGateway",
            "5XXError",
            [{"Name": "ApiName", "Value": names.prefix}, {"Name": "Stage", "Value": API_STAGE}],
            5,
        ),
    }


# -- the whole ---------------------------------------------------------------------------------


def outputs(profile: AgencyProfile) -> Template:
    result: Template = {
        "SiteUrl": {"Description": "The residents' site", "Value": site_url(profile)},
        "StaffUserPoolId": {"Value": ref("StaffUserPool")},
        "ReportsBucketName": {"Value": ref("ReportsBucket")},
        "RecordsEventBusName": {"Value": ref("RecordsEventBus")},
        "RecordsExportQueueUrl": {
            "Description": "Where the records system reads approved reports",
            "Value": ref("RecordsExportQueue"),
        },
        "ReviewStateMachineArn": {"Value": ref("ReviewStateMachine")},
        "AlarmTopicArn": {"Value": ref("AlarmTopic")},
    }
    if profile.deployment.domain:
        result["SiteDomainTarget"] = {
            "Description": f"Point {profile.deployment.domain.name} here (a CNAME or an alias)",
            "Value": {"Fn::GetAtt": ["ApiGatewayCustomDomain", "RegionalDomainName"]},
        }
    if profile.deployment.manage_sender_identity:
        for number in (1, 2, 3):
            result[f"DkimRecord{number}"] = {
                "Description": "A CNAME to publish in the sender's DNS zone",
                "Value": {
                    "Fn::Join": [
                        " CNAME ",
                        [
                            {"Fn::GetAtt": ["SenderIdentity", f"DkimDNSTokenName{number}"]},
                            {"Fn::GetAtt": ["SenderIdentity", f"DkimDNSTokenValue{number}"]},
                        ],
                    ]
                },
            }
    return result


def merge_template(profile: AgencyProfile) -> Template:
    names = Names(profile.id)
    log_days = profile.deployment.log_retention_days
    return {
        "Description": f"Self-Report for {profile.name} ({profile.id})",
        "Resources": {
            **tables(names),
            **reports_bucket(),
            **staff_pool(names, profile),
            **email(names, profile),
            **records_export(names),
            **review_state_machine(names, log_days),
            **functions(names, profile),
            **custom_domain(profile),
            **alarms(names, profile),
        },
        "Outputs": outputs(profile),
    }
