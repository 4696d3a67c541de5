"""The records export: the event bus approved reports are put on, the rule that sends them to a
queue for the records system, and that queue's dead letters."""

from __future__ import annotations

from chalicelib.records import EVENT_SOURCE, EVENT_TYPE

from .common import DATA_KEY, DISPOSABLE, Names, Template, arn_of, ref, tls_only


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
                "QueueName": names.records_queue,
                # Each message is a whole report: the records system's reader needs kms:Decrypt
                # on the data key (the stack's DataKeyArn output) through SQS.
                "KmsMasterKeyId": arn_of(DATA_KEY),
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
                "QueueName": names.records_dead_letter_queue,
                "KmsMasterKeyId": arn_of(DATA_KEY),
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
