"""The review workflow's Step Functions state machine, from the definition the local stack runs,
with its error log and its role."""

from __future__ import annotations

from typing import Any

from chalicelib.models import AuditEvent, Report

from .. import provision
from .common import (
    DATA_KEY,
    DISPOSABLE,
    REVIEW_STEP,
    Names,
    Template,
    arn_of,
    ref,
    table_logical_id,
)
from .roles import allow, role, use_key


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
                "LogGroupName": names.state_machine_log_group,
                "RetentionInDays": log_days,
                "KmsKeyId": arn_of(DATA_KEY),
            },
        },
        "ReviewStateMachineRole": role(
            "states.amazonaws.com",
            [
                allow(["lambda:InvokeFunction"], [arn_of(REVIEW_STEP)]),
                # GetItem: whether a report whose wait was refused was withdrawn (ReadStatus).
                allow(
                    ["dynamodb:GetItem", "dynamodb:UpdateItem"], [arn_of(table_logical_id(Report))]
                ),
                allow(["dynamodb:PutItem"], [arn_of(table_logical_id(AuditEvent))]),
                use_key(["kms:Decrypt"], ["dynamodb"]),
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
