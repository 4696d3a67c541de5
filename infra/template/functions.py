"""What the template adds to the resources Chalice generates: the functions' names, roles and
environment, their log groups, and the API's name and throttling."""

from __future__ import annotations

from chalicelib.agency import AgencyProfile
from chalicelib.routes.edge import SECURITY_HEADERS

from .common import API_HANDLER, DISPOSABLE, REVIEW_STEP, Names, Template, arn_of, ref
from .roles import api_handler_policy, review_step_policy, role
from .site import site_url


def gateway_headers() -> dict[str, str]:
    """The app's security headers as API Gateway writes static values: quoted."""
    return {name: f"'{value}'" for name, value in SECURITY_HEADERS.items()}


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
    return {
        API_HANDLER: {
            "Properties": {
                "FunctionName": names.function(API_HANDLER),
                "Role": arn_of("ApiHandlerRole"),
                "Environment": {"Variables": {**shared, **api_only}},
            }
        },
        REVIEW_STEP: {
            "Properties": {
                "FunctionName": names.function(REVIEW_STEP),
                "Role": arn_of("ReviewStepRole"),
                "Environment": {"Variables": shared},
            }
        },
        # Chalice names these groups after `${ApiHandler}`, a resource that does not exist.
        "ApiHandlerLogGroup": {
            **DISPOSABLE,
            "Properties": {"LogGroupName": f"/aws/lambda/{names.function(API_HANDLER)}"},
        },
        "ReviewStepLogGroup": {
            **DISPOSABLE,
            "Properties": {"LogGroupName": f"/aws/lambda/{names.function(REVIEW_STEP)}"},
        },
        "ApiHandlerRole": role("lambda.amazonaws.com", api_handler_policy(names, profile)),
        "ReviewStepRole": role("lambda.amazonaws.com", review_step_policy(names, profile)),
        "RestAPI": {
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
            }
        },
    }
