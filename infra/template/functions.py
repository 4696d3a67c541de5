"""What the template adds to the resources Chalice generates: the functions' names, roles,
environment, concurrency and dead letters, their log groups, and the API's name, throttling,
access log and tracing."""

from __future__ import annotations

from chalicelib.agency import AgencyProfile
from chalicelib.routes.edge import SECURITY_HEADERS

from .api_logs import ACCESS_LOG_FORMAT
from .common import (
    API_HANDLER,
    ATTACHMENT_RETENTION,
    DATA_KEY,
    DISPOSABLE,
    REVIEW_STEP,
    Names,
    Template,
    arn_of,
    checkov_skips,
    held_queue,
    ref,
)
from .roles import api_handler_policy, attachment_retention_policy, review_step_policy, role
from .site import site_url

NO_VPC = (
    "The functions call only AWS services' public, IAM-authorized TLS endpoints (DynamoDB, S3, "
    "SES, Step Functions, EventBridge, Cognito): no resource of the stack lives in a VPC, so one "
    "would protect nothing and add a NAT gateway or interface endpoints (tens of dollars a month)."
)
NO_CACHE = (
    "The API's answers are per resident or per member of staff and sent with Cache-Control: "
    "no-store (the few public pages set their own browser caching): a stage cache would keep "
    "people's pages, and its smallest size ($14 a month) costs more than the rest of the stack."
)


def gateway_headers() -> dict[str, str]:
    """The app's security headers as API Gateway writes static values: quoted."""
    return {name: f"'{value}'" for name, value in SECURITY_HEADERS.items()}


def reserved_concurrency(profile: AgencyProfile) -> dict[str, int]:
    """Each function's share of the account's concurrency, from the API's rate limit.

    The site's is the API's burst limit: API Gateway's throttling, not Lambda's, refuses a flood,
    and the flood cannot take the account's concurrency from anything else. Every workflow
    execution is started or resumed by a request (a submission, a decision, an answer) or by a
    timer, and a step lasts about a second, so the steps need at most the rate limit, and 10 at
    the least for reminders that come due together: a throttled step is retried for 7 seconds,
    then its report needs attention.
    """
    rate = profile.deployment.api_rate_limit
    # The stream's mapping invokes one batch per shard at a time; a few shards at most.
    return {API_HANDLER: 2 * rate, REVIEW_STEP: max(10, rate), ATTACHMENT_RETENTION: 2}


def dead_letters(names: Names) -> Template:
    """Where Lambda puts an asynchronous invocation that failed all its attempts. API Gateway and
    Step Functions wait for their answers, so none lands here today: it is for any event added
    later (a schedule, a retry from the console), and its alarm says when one does."""
    return held_queue("FunctionsDeadLetterQueue", names.functions_dead_letter_queue)


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
    concurrency = reserved_concurrency(profile)

    def function(logical_id: str, role: str, variables: dict[str, object]) -> Template:
        return {
            "Metadata": checkov_skips({"CKV_AWS_117": NO_VPC}),
            "Properties": {
                "FunctionName": names.function(logical_id),
                "Role": arn_of(role),
                "Environment": {"Variables": variables},
                "KmsKeyArn": arn_of(DATA_KEY),
                "ReservedConcurrentExecutions": concurrency[logical_id],
                "DeadLetterQueue": {"Type": "SQS", "TargetArn": arn_of("FunctionsDeadLetterQueue")},
            },
        }

    def log_group(logical_id: str) -> Template:
        return {
            **DISPOSABLE,
            "Properties": {
                "LogGroupName": names.function_log_group(logical_id),
                "KmsKeyId": arn_of(DATA_KEY),
            },
        }

    return {
        API_HANDLER: function(API_HANDLER, "ApiHandlerRole", {**shared, **api_only}),
        REVIEW_STEP: function(REVIEW_STEP, "ReviewStepRole", shared),
        **dead_letters(names),
        # Chalice names these groups after `${ApiHandler}`, a resource that does not exist.
        "ApiHandlerLogGroup": log_group(API_HANDLER),
        "ReviewStepLogGroup": log_group(REVIEW_STEP),
        # Only the bucket's name: it reads no table, sends nothing.
        ATTACHMENT_RETENTION: function(
            ATTACHMENT_RETENTION,
            "AttachmentRetentionRole",
            {"REPORTS_BUCKET": ref("ReportsBucket")},
        ),
        "AttachmentRetentionLogGroup": log_group(ATTACHMENT_RETENTION),
        "AttachmentRetentionRole": role("lambda.amazonaws.com", attachment_retention_policy(names)),
        "ApiHandlerRole": role("lambda.amazonaws.com", api_handler_policy(names, profile)),
        "ReviewStepRole": role("lambda.amazonaws.com", review_step_policy(names, profile)),
        "RestAPI": {
            # The account's logging role is set before the stage is made with its access log.
            "DependsOn": "ApiGatewayAccount",
            "Metadata": checkov_skips({"CKV_AWS_120": NO_CACHE}),
            "Properties": {
                "Name": names.prefix,  # not Chalice's app name: alarms tell agencies apart by it
                # API Gateway's own refusals (an unknown route, throttling) never reach the app's
                # middleware: they carry the same security headers as every response it makes.
                "GatewayResponses": {
                    kind: {"ResponseParameters": {"Headers": gateway_headers()}}
                    for kind in ("DEFAULT_4XX", "DEFAULT_5XX")
                },
                "MethodSettings": [
                    {
                        "ResourcePath": "/*",
                        "HttpMethod": "*",
                        "ThrottlingRateLimit": profile.deployment.api_rate_limit,
                        "ThrottlingBurstLimit": profile.deployment.api_rate_limit * 2,
                    }
                ],
                "AccessLogSetting": {
                    "DestinationArn": arn_of("ApiAccessLogGroup"),
                    "Format": ACCESS_LOG_FORMAT,
                },
                "TracingEnabled": True,
            },
        },
    }
