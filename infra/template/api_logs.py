"""The API's access log: its log group, what each line holds, and the account's setting that lets
API Gateway write it."""

from __future__ import annotations

import json

from .common import DATA_KEY, DISPOSABLE, RETAINED, Names, Template, arn_of, sub

# One JSON line per request, read by the alarms' investigator: what was asked and answered, how
# fast, and from where (rate limits and abuse are per client). The path is the route's template
# (`/api/reports/{id}`), never the query string, where an emailed link carries its token.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "error": "$context.error.responseType",
        "sourceIp": "$context.identity.sourceIp",
    },
    separators=(",", ":"),
)


def api_logs(names: Names, log_days: int) -> Template:
    return {
        "ApiAccessLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            **DISPOSABLE,
            "Properties": {
                "LogGroupName": names.api_access_log_group,
                "RetentionInDays": log_days,
                "KmsKeyId": arn_of(DATA_KEY),
            },
        },
        # API Gateway writes REST APIs' logs with one role per account and region, set in the
        # account's API Gateway settings. The role is AWS's own for that setting, so that the
        # account's other APIs keep logging; it is kept when the stack goes, for the same reason.
        "ApiGatewayAccount": {
            "Type": "AWS::ApiGateway::Account",
            "Properties": {"CloudWatchRoleArn": arn_of("ApiGatewayLogsRole")},
        },
        "ApiGatewayLogsRole": {
            "Type": "AWS::IAM::Role",
            **RETAINED,
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "apigateway.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "ManagedPolicyArns": [
                    sub(
                        "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                        "AmazonAPIGatewayPushToCloudWatchLogs"
                    )
                ],
            },
        },
    }
