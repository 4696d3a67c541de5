"""The CloudWatch alarms on failed reviews, failed workflow steps and server errors, and the SNS
topic they notify."""

from __future__ import annotations

from chalicelib.agency import AgencyProfile

from .common import API_STAGE, REVIEW_STEP, Names, Template, ref


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
