"""The CloudWatch alarms on failed reviews, failed workflow steps, failed asynchronous
invocations and server errors, and the SNS topic they notify."""

from __future__ import annotations

from chalicelib.agency import AgencyProfile

from .common import API_STAGE, DATA_KEY, REVIEW_STEP, Names, Template, arn_of, ref


def alarms(names: Names, profile: AgencyProfile) -> Template:
    # Under the data key, whose policy lets CloudWatch publish to this topic alone (the
    # AWS-managed SNS key would refuse CloudWatch).
    topic: Template = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"TopicName": names.alarm_topic, "KmsMasterKeyId": arn_of(DATA_KEY)},
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
        "FailedInvocationsAlarm": alarm(
            "A function failed an asynchronous invocation: the event is in the dead-letter queue.",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            [{"Name": "QueueName", "Value": names.functions_dead_letter_queue}],
            1,
        ),
        "AttachmentRetentionFailuresAlarm": alarm(
            "Expired reports' files were not deleted after every retry: the batch's shard and "
            "sequence numbers are in the queue (README: Attachments, retention).",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            [{"Name": "QueueName", "Value": names.retention_failures_queue}],
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
