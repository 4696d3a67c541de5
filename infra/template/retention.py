"""The expiry of attachments: the reports table's stream feeding the retention function, only
with DynamoDB's TTL deletions, and the queue (with its alarm) a batch goes to when it keeps
failing, so that one poison record never holds the shard."""

from __future__ import annotations

import json

from chalicelib.attachments.retention import TTL_PRINCIPAL
from chalicelib.models import Report

from .common import (
    ATTACHMENT_RETENTION,
    Names,
    Template,
    arn_of,
    held_queue,
    ref,
    table_logical_id,
)

RETRY_ATTEMPTS = 5
TTL_DELETIONS = {
    "eventName": ["REMOVE"],
    "userIdentity": {"type": ["Service"], "principalId": [TTL_PRINCIPAL]},
}
"""The mapping's filter: a user's DeleteItem, an insert or a change never invokes the function
(and is not billed as an invocation)."""


def reports_stream() -> dict[str, list[str]]:
    return {"Fn::GetAtt": [table_logical_id(Report), "StreamArn"]}


def attachment_retention(names: Names) -> Template:
    return {
        "AttachmentRetentionEvents": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": reports_stream(),
                "FunctionName": ref(ATTACHMENT_RETENTION),
                # From the oldest record the stream keeps (24 hours): a deployment that replaces
                # the mapping misses no expiry.
                "StartingPosition": "TRIM_HORIZON",
                "BatchSize": 100,
                "MaximumBatchingWindowInSeconds": 60,
                "FilterCriteria": {"Filters": [{"Pattern": json.dumps(TTL_DELETIONS)}]},
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "BisectBatchOnFunctionError": True,
                "MaximumRetryAttempts": RETRY_ATTEMPTS,
                "DestinationConfig": {
                    "OnFailure": {"Destination": arn_of("AttachmentRetentionFailures")}
                },
            },
        },
        # What Lambda sends here names the shard and the records' sequence numbers, no report's
        # content: an operator deletes that report's prefixes by hand (README: Attachments,
        # retention).
        **held_queue("AttachmentRetentionFailures", names.retention_failures_queue),
    }
