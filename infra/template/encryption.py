"""The stack's customer-managed KMS key: the tables, the reports bucket, the queues, the alarm
topic, the log groups and the functions' settings are encrypted with it, and its policy says who
may use it for what.

The account administers the key (never encrypts or decrypts with it directly). The stack's roles
use it only through the services that hold the data (`kms:ViaService`), and only as far as their
own IAM policies allow (infra/template/roles.py, checked by tests/integration/
test_least_privilege.py). Three AWS services use it as themselves, each only for the stack's own
resources, named by the encryption context they give KMS: CloudWatch Logs for the log groups,
CloudWatch for the alarm topic, EventBridge for the records queue. Names are built, not
referenced, so that the key depends on nothing it encrypts.
"""

from __future__ import annotations

from .common import DATA_KEY, RETAINED, Names, Template, ref, sub, via_service

# What administering a key takes, CloudFormation's updates included: no cryptographic operation,
# no grant.
KEY_ADMINISTRATION = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
# The services through which the account's principals (the stack's roles, the deployer, the
# records system's reader of the queue) may use the key, if their IAM policies also allow it.
KEY_SERVICES = ("dynamodb", "lambda", "s3", "sns", "sqs")
# The services that create a grant for the resource they encrypt: DynamoDB for its tables'
# background work, Lambda for the functions' roles to read their settings.
GRANTING_SERVICES = ("dynamodb", "lambda")
ACCOUNT = sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")


def _arn(service: str, resource: str) -> dict[str, str]:
    return sub(f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}")


def key_policy(names: Names) -> Template:
    in_the_account = {"kms:CallerAccount": ref("AWS::AccountId")}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": ACCOUNT},
                "Action": list(KEY_ADMINISTRATION),
                "Resource": "*",
            },
            {
                "Sid": "AccountUsesTheKeyThroughTheServicesOfTheStack",
                "Effect": "Allow",
                "Principal": {"AWS": ACCOUNT},
                "Action": [
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        **in_the_account,
                        "kms:ViaService": [via_service(service) for service in KEY_SERVICES],
                    }
                },
            },
            {
                "Sid": "ServicesGrantThemselvesTheKeyForTheResourcesOfTheStack",
                "Effect": "Allow",
                "Principal": {"AWS": ACCOUNT},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        **in_the_account,
                        "kms:ViaService": [via_service(service) for service in GRANTING_SERVICES],
                    },
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                },
            },
            {
                "Sid": "CloudWatchLogsEncryptsTheLogGroupsOfTheStack",
                "Effect": "Allow",
                "Principal": {"Service": sub("logs.${AWS::Region}.${AWS::URLSuffix}")},
                "Action": [
                    "kms:Decrypt*",
                    "kms:Describe*",
                    "kms:Encrypt*",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            _arn("logs", f"log-group:{group}") for group in names.log_groups
                        ]
                    }
                },
            },
            {
                "Sid": "CloudWatchAlarmsPublishToTheAlarmTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:sns:topicArn": _arn("sns", names.alarm_topic)
                    }
                },
            },
            {
                "Sid": "EventBridgeSendsApprovedReportsToTheRecordsQueue",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:sqs:arn": _arn("sqs", names.records_queue)
                    }
                },
            },
        ],
    }


def data_key(names: Names) -> Template:
    return {
        DATA_KEY: {
            "Type": "AWS::KMS::Key",
            # Kept with the records it protects: deleting it would make the retained tables and
            # bucket unreadable.
            **RETAINED,
            "Properties": {
                "Description": f"Self-Report {names.agency_id}: reports, sessions, audit, copies, "
                "queues, alarms and logs",
                "KeySpec": "SYMMETRIC_DEFAULT",
                "KeyUsage": "ENCRYPT_DECRYPT",
                "EnableKeyRotation": True,
                "PendingWindowInDays": 30,
                "KeyPolicy": key_policy(names),
                "Tags": [{"Key": "agency", "Value": names.agency_id}],
            },
        },
        "DataKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": f"alias/{names.prefix}", "TargetKeyId": ref(DATA_KEY)},
        },
    }
