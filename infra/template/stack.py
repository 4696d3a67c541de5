"""The whole merge template: every resource family in one agency's stack, and the stack's
outputs."""

from __future__ import annotations

from chalicelib.agency import AgencyProfile

from .alarms import alarms
from .api_logs import api_logs
from .common import DATA_KEY, Names, Template, arn_of, ref
from .email import email
from .encryption import data_key
from .functions import functions
from .malware_scan import malware_scan
from .records_export import records_export
from .retention import attachment_retention
from .review_machine import review_state_machine
from .site import custom_domain, site_origin, site_url
from .staff_pool import staff_pool
from .storage import access_logs_bucket, reports_bucket
from .tables import tables


def outputs(profile: AgencyProfile) -> Template:
    result: Template = {
        "SiteUrl": {"Description": "The residents' site", "Value": site_url(profile)},
        "StaffUserPoolId": {"Value": ref("StaffUserPool")},
        "ReportsBucketName": {"Value": ref("ReportsBucket")},
        "RecordsEventBusName": {"Value": ref("RecordsEventBus")},
        "RecordsExportQueueUrl": {
            "Description": "Where the records system reads approved reports",
            "Value": ref("RecordsExportQueue"),
        },
        "ReviewStateMachineArn": {"Value": ref("ReviewStateMachine")},
        "AlarmTopicArn": {"Value": ref("AlarmTopic")},
        "DataKeyArn": {
            "Description": "The stack's KMS key: the records system's reader of the queue needs "
            "kms:Decrypt on it",
            "Value": arn_of(DATA_KEY),
        },
        "AccessLogsBucketName": {
            "Description": "S3's access logs of the reports bucket",
            "Value": ref("AccessLogsBucket"),
        },
    }
    if profile.deployment.domain:
        result["SiteDomainTarget"] = {
            "Description": f"Point {profile.deployment.domain.name} here (a CNAME or an alias)",
            "Value": {"Fn::GetAtt": ["ApiGatewayCustomDomain", "RegionalDomainName"]},
        }
    if profile.deployment.manage_sender_identity:
        for number in (1, 2, 3):
            result[f"DkimRecord{number}"] = {
                "Description": "A CNAME to publish in the sender's DNS zone",
                "Value": {
                    "Fn::Join": [
                        " CNAME ",
                        [
                            {"Fn::GetAtt": ["SenderIdentity", f"DkimDNSTokenName{number}"]},
                            {"Fn::GetAtt": ["SenderIdentity", f"DkimDNSTokenValue{number}"]},
                        ],
                    ]
                },
            }
    return result


def merge_template(profile: AgencyProfile) -> Template:
    names = Names(profile.id)
    log_days = profile.deployment.log_retention_days
    return {
        "Description": f"Self-Report for {profile.name} ({profile.id})",
        "Resources": {
            **data_key(names),
            **tables(names),
            **reports_bucket(site_origin(profile)),
            **access_logs_bucket(log_days),
            **staff_pool(names, profile),
            **email(names, profile),
            **records_export(names),
            **review_state_machine(names, log_days),
            **functions(names, profile),
            **attachment_retention(names),
            **malware_scan(profile),
            **api_logs(names, log_days),
            **custom_domain(profile),
            **alarms(names, profile),
        },
        "Outputs": outputs(profile),
    }
