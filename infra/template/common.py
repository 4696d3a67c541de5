"""What every part of the template shares: the logical ids Chalice gives the functions, the names
a deployment gives its resources, the intrinsic functions, and the deletion policies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.models import Model

from chalicelib.models import table_name

API_HANDLER = "APIHandler"
REVIEW_STEP = "ReviewStep"
ATTACHMENT_RETENTION = "AttachmentRetention"
API_STAGE = "api"
DATA_KEY = (
    "DataKey"  # the customer-managed KMS key of everything that holds or may hold people's data
)
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
        return {
            API_HANDLER: f"{self.prefix}-api",
            REVIEW_STEP: f"{self.prefix}-review-step",
            ATTACHMENT_RETENTION: f"{self.prefix}-attachment-retention",
        }[logical_id]

    def table(self, model: type[Model]) -> str:
        return table_name(self.prefix, model)

    @property
    def state_machine(self) -> str:
        return f"{self.prefix}-review"

    @property
    def event_bus(self) -> str:
        return f"{self.prefix}-records"

    def function_log_group(self, logical_id: str) -> str:
        return f"/aws/lambda/{self.function(logical_id)}"

    @property
    def state_machine_log_group(self) -> str:
        return f"/aws/vendedlogs/states/{self.state_machine}"

    @property
    def api_access_log_group(self) -> str:
        return f"/aws/apigateway/{self.prefix}-access"

    @property
    def log_groups(self) -> tuple[str, ...]:
        """Every log group of the stack: each is encrypted with the data key."""
        return (
            self.function_log_group(API_HANDLER),
            self.function_log_group(REVIEW_STEP),
            self.function_log_group(ATTACHMENT_RETENTION),
            self.state_machine_log_group,
            self.api_access_log_group,
        )

    @property
    def alarm_topic(self) -> str:
        return f"{self.prefix}-alarms"

    @property
    def records_queue(self) -> str:
        return f"{self.prefix}-records-exports"

    @property
    def records_dead_letter_queue(self) -> str:
        return f"{self.prefix}-records-exports-failed"

    @property
    def functions_dead_letter_queue(self) -> str:
        return f"{self.prefix}-failed-invocations"

    @property
    def retention_failures_queue(self) -> str:
        return f"{self.prefix}-attachment-retention-failed"


def table_logical_id(model: type[Model]) -> str:
    return f"{model.__name__}Table"


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def regional_arn(service: str, resource: str) -> dict[str, str]:
    """The ARN of a resource in the stack's own partition, region and account."""
    return sub(f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}")


def via_service(service: str) -> dict[str, str]:
    """The endpoint a service calls KMS through on a caller's behalf: `kms:ViaService`'s value."""
    return sub(f"{service}.${{AWS::Region}}.${{AWS::URLSuffix}}")


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


def held_queue(logical_id: str, queue_name: str) -> Template:
    """A queue that holds what failed for someone to look at later: under the data key, kept
    14 days, reachable over TLS only (the queue and its policy)."""
    return {
        logical_id: {
            "Type": "AWS::SQS::Queue",
            **DISPOSABLE,
            "Properties": {
                "QueueName": queue_name,
                "KmsMasterKeyId": arn_of(DATA_KEY),
                "MessageRetentionPeriod": 14 * 24 * 3600,
            },
        },
        f"{logical_id}Policy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [ref(logical_id)],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [tls_only("sqs", [arn_of(logical_id)])],
                },
            },
        },
    }


def checkov_skips(skips: dict[str, str]) -> Template:
    """A resource's `Metadata` declaring the checkov checks that do not apply to it, each with
    its reason (tests/integration/test_stack_checkov.py refuses a skip without one)."""
    return {"checkov": {"skip": [{"id": check, "comment": why} for check, why in skips.items()]}}
