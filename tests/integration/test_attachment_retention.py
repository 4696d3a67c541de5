"""Expired reports lose their files: the reports table's stream, filtered to DynamoDB's own TTL
deletions, invokes `attachment_retention`, which deletes the report's two folders in the bucket.

moto does not run DynamoDB's TTL (an item past its `expires_at` stays), nor event source
mappings' filters, so these tests hand the function the stream batch AWS would send, in the
shape AWS documents, and check the filter in the template; the filter's own semantics are
AWS's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from chalicelib.agency import load_profile
from chalicelib.attachments.retention import (
    AttachmentRetention,
    ExpiredReport,
    RetentionFailed,
    expired_reports,
)
from chalicelib.routes import tasks
from infra.template import merge_template
from infra.template.retention import TTL_DELETIONS
from tests.support.aws_call_recorder import summary
from tests.support.deployment import Deployment, moto_deployment

EXPIRED, KEPT = "SR-2026-EXPIRED", "SR-2026-KEPT"


@pytest.fixture
def deployment() -> Iterator[Deployment]:
    with moto_deployment(bucket=True) as built:
        yield built


def put(deployment: Deployment, *keys: str) -> None:
    for key in keys:
        deployment.services.aws.s3.put_object(
            Bucket=deployment.services.settings.bucket_name, Key=key, Body=b"x"
        )


def objects(deployment: Deployment) -> list[str]:
    paginator = deployment.services.aws.s3.get_paginator("list_objects_v2")
    return sorted(
        item["Key"]
        for page in paginator.paginate(Bucket=deployment.services.settings.bucket_name)
        for item in page.get("Contents", [])
    )


def record(
    report_id: str, *, event: str = "REMOVE", by_ttl: bool = True, sequence: str = "100"
) -> dict[str, Any]:
    """A record as a KEYS_ONLY stream sends it (the Lambda event's shape in AWS's docs)."""
    found: dict[str, Any] = {
        "eventID": "c81e728d9d4c2f636f067f89cc14862c",
        "eventName": event,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1796170000,
            "Keys": {"report_id": {"S": report_id}},
            "SequenceNumber": sequence,
            "SizeBytes": 26,
            "StreamViewType": "KEYS_ONLY",
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/selfreport-local-"
        "reports/stream/2026-11-02T15:00:00.000",
    }
    if by_ttl:
        found["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    return found


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # private: not in the stubs

    def recorded(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        made.append(summary(self.meta.service_model.service_name, operation, params)["operation"])
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    return made


def test_an_expired_reports_files_are_deleted_and_no_other_reports(
    deployment: Deployment, calls: list[str]
) -> None:
    gone = [
        f"attachments/{EXPIRED}/a.jpg",
        f"attachments/{EXPIRED}/a.thumb.jpg",
        f"quarantine/{EXPIRED}/b",
    ]
    kept = [
        f"attachments/{KEPT}/c.pdf",
        f"quarantine/{KEPT}/d",
        f"attachments/{EXPIRED}-2/e.jpg",  # a longer id with the same beginning
        f"copies/{EXPIRED}.pdf",  # not the function's to delete (and an expired report has none)
    ]
    put(deployment, *gone, *kept)
    calls.clear()

    answer = tasks.attachment_retention({"Records": [record(EXPIRED)]}, None)
    made = list(calls)

    assert answer == {"batchItemFailures": []}
    assert objects(deployment) == sorted(kept)
    assert made == ["ListObjectsV2", "ListObjectsV2", "DeleteObjects"]


def test_more_than_a_thousand_objects_are_listed_and_deleted_in_batches(
    deployment: Deployment, calls: list[str]
) -> None:
    put(deployment, *(f"attachments/{EXPIRED}/{n:04}.jpg" for n in range(1001)))
    put(deployment, f"quarantine/{EXPIRED}/last", f"attachments/{KEPT}/c.pdf")
    calls.clear()

    deleted = deployment.services.attachment_retention.forget(EXPIRED)
    made = list(calls)

    assert deleted == 1002
    assert objects(deployment) == [f"attachments/{KEPT}/c.pdf"]
    # attachments/ in two pages of at most 1000, quarantine/ in one; 1002 keys in two deletions
    assert made == ["ListObjectsV2"] * 3 + ["DeleteObjects"] * 2


def test_forgetting_twice_is_no_error_and_a_report_without_files_costs_two_listings(
    deployment: Deployment, calls: list[str]
) -> None:
    put(deployment, f"quarantine/{EXPIRED}/b")
    retention = deployment.services.attachment_retention
    assert retention.forget(EXPIRED) == 1
    calls.clear()

    assert retention.forget(EXPIRED) == 0

    assert calls == ["ListObjectsV2", "ListObjectsV2"]


def test_only_dynamodbs_ttl_removals_erase(deployment: Deployment) -> None:
    event = {
        "Records": [
            record("SR-BY-HAND", by_ttl=False, sequence="1"),  # a user's DeleteItem
            record("SR-CHANGED", event="MODIFY", sequence="2"),
            record("SR-NEW", event="INSERT", by_ttl=False, sequence="3"),
            record(EXPIRED, sequence="4"),
        ]
    }

    assert expired_reports(event) == [ExpiredReport(EXPIRED, "4")]
    assert expired_reports({}) == []


def test_a_failure_is_reported_for_the_stream_to_retry_and_later_records_still_run(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(deployment, f"attachments/{KEPT}/c.pdf")
    retention = deployment.services.attachment_retention
    forget = AttachmentRetention.forget

    def failing(self: AttachmentRetention, report_id: str) -> int:
        if report_id == EXPIRED:
            raise RetentionFailed("DeleteObjects failed")
        return forget(self, report_id)

    monkeypatch.setattr(AttachmentRetention, "forget", failing)
    event = {"Records": [record(EXPIRED, sequence="7"), record(KEPT, sequence="8")]}

    answer = tasks.attachment_retention(event, None)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "7"}]}
    assert objects(deployment) == []
    assert retention is deployment.services.attachment_retention


def test_s3_refusing_becomes_a_retention_failure(deployment: Deployment) -> None:
    retention = AttachmentRetention(s3=deployment.services.aws.s3, bucket="no-such-bucket")

    with pytest.raises(RetentionFailed) as failed:
        retention.forget(EXPIRED)

    assert isinstance(failed.value.__cause__, ClientError)
    with pytest.raises(ValueError, match="one folder"):
        retention.forget("../SR-1")


def test_the_stack_streams_the_reports_keys_to_the_function_with_the_ttl_filter() -> None:
    resources = merge_template(load_profile("demo"))["Resources"]
    table = resources["ReportTable"]["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    others = [
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::DynamoDB::Table"
        and "StreamSpecification" in resource.get("Properties", {})
    ]
    assert others == ["ReportTable"]

    mapping = resources["AttachmentRetentionEvents"]["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["ReportTable", "StreamArn"]}
    assert mapping["FunctionName"] == {"Ref": "AttachmentRetention"}
    (pattern,) = (json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"])
    assert (
        pattern
        == TTL_DELETIONS
        == {
            "eventName": ["REMOVE"],
            "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]},
        }
    )
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 < mapping["MaximumRetryAttempts"] <= 10, "a poison record never holds the shard"
    failures = mapping["DestinationConfig"]["OnFailure"]["Destination"]
    assert failures == {"Fn::GetAtt": ["AttachmentRetentionFailures", "Arn"]}
    assert resources["AttachmentRetentionFailures"]["Type"] == "AWS::SQS::Queue"
    alarm = resources["AttachmentRetentionFailuresAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": "selfreport-demo-attachment-retention-failed"}
    ]

    function = resources["AttachmentRetention"]["Properties"]
    assert function["Role"] == {"Fn::GetAtt": ["AttachmentRetentionRole", "Arn"]}
    assert function["Environment"]["Variables"] == {"REPORTS_BUCKET": {"Ref": "ReportsBucket"}}


def test_the_retention_role_lists_and_deletes_only_residents_files() -> None:
    resources = merge_template(load_profile("demo"))["Resources"]
    policy = resources["AttachmentRetentionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    granted = {
        action: statement for statement in policy["Statement"] for action in statement["Action"]
    }
    assert granted["s3:ListBucket"]["Resource"] == [{"Fn::GetAtt": ["ReportsBucket", "Arn"]}]
    assert granted["s3:ListBucket"]["Condition"] == {
        "StringLike": {"s3:prefix": ["attachments/*", "quarantine/*"]}
    }
    assert granted["s3:DeleteObject"]["Resource"] == [
        {"Fn::Sub": "${ReportsBucket.Arn}/attachments/*"},
        {"Fn::Sub": "${ReportsBucket.Arn}/quarantine/*"},
    ]
    assert granted["dynamodb:GetRecords"]["Resource"] == [
        {"Fn::Sub": "${ReportTable.Arn}/stream/*"}
    ]
    assert not {a for a in granted if a.startswith("s3:")} - {"s3:ListBucket", "s3:DeleteObject"}
    assert not {a for a in granted if a.startswith("dynamodb:")} - {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
