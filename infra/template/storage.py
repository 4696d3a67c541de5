"""The S3 bucket for copies of approved reports and for the records exports, its policy, and the
bucket its server access logs go to."""

from __future__ import annotations

from typing import Any

from chalicelib.attachments.uploads import QUARANTINE_PREFIX
from chalicelib.attachments.uploads import STORED_PREFIX as ATTACHMENTS_PREFIX

from .. import provision
from .common import (
    DATA_KEY,
    RETAINED,
    Template,
    arn_of,
    checkov_skips,
    ref,
    sub,
    tls_only,
)

PRIVATE = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}
ACCESS_LOG_PREFIX = "reports/"


def reports_bucket(site_origin: Any) -> Template:
    """`site_origin`: the residents' site's scheme and host (Fn::Sub without a custom domain)."""
    rules = provision.BUCKET_LIFECYCLE
    return {
        "ReportsBucket": {
            "Type": "AWS::S3::Bucket",
            **RETAINED,
            "Properties": {
                # An object written without naming its encryption is under the data key; the bucket
                # key spares a KMS request per object.
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {
                            "ServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": arn_of(DATA_KEY),
                            },
                            "BucketKeyEnabled": True,
                        }
                    ]
                },
                "PublicAccessBlockConfiguration": PRIVATE,
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                # Who read or wrote which copy: S3 records every request, apart from the bucket.
                "LoggingConfiguration": {
                    "DestinationBucketName": ref("AccessLogsBucket"),
                    "LogFilePrefix": ACCESS_LOG_PREFIX,
                },
                # Residents' pages may post files from script; a plain form needs no CORS.
                "CorsConfiguration": {
                    "CorsRules": [
                        {
                            "AllowedMethods": ["POST"],
                            "AllowedOrigins": [site_origin],
                            "AllowedHeaders": ["*"],
                            "MaxAge": 600,
                        }
                    ]
                },
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "exports-picked-up",
                            "Prefix": "exports/",
                            "Status": "Enabled",
                            "ExpirationInDays": rules.export_days,
                        },
                        {
                            "Id": "quarantine",
                            "Prefix": QUARANTINE_PREFIX,
                            "Status": "Enabled",
                            "ExpirationInDays": rules.quarantine_days,
                            "NoncurrentVersionExpiration": {
                                "NoncurrentDays": rules.quarantine_days
                            },
                        },
                        {
                            "Id": "removed-attachments",
                            "Prefix": ATTACHMENTS_PREFIX,
                            "Status": "Enabled",
                            "NoncurrentVersionExpiration": {
                                "NoncurrentDays": rules.removed_attachment_days
                            },
                        },
                        {
                            "Id": "replaced-versions",
                            "Status": "Enabled",
                            "NoncurrentVersionExpiration": {
                                "NoncurrentDays": rules.noncurrent_version_days
                            },
                            "AbortIncompleteMultipartUpload": {
                                "DaysAfterInitiation": rules.abandoned_upload_days
                            },
                        },
                    ]
                },
            },
        },
        "ReportsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("ReportsBucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        tls_only("s3", [arn_of("ReportsBucket"), sub("${ReportsBucket.Arn}/*")])
                    ],
                },
            },
        },
    }


def access_logs_bucket(log_days: int) -> Template:
    """The reports bucket's server access logs, kept as long as the stack's other logs."""
    return {
        "AccessLogsBucket": {
            "Type": "AWS::S3::Bucket",
            **RETAINED,
            "Metadata": checkov_skips(
                {
                    "CKV_AWS_18": "This is the access-log bucket: logging its own requests would "
                    "log into itself; its policy lets only S3's log delivery write, for the "
                    "reports bucket."
                }
            ),
            "Properties": {
                # S3 delivers server access logs only to a bucket encrypted with S3's own keys
                # (SSE-S3), not with a KMS key. They hold report references and requesters' IP
                # addresses: private, and kept no longer than the stack's other logs.
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                "PublicAccessBlockConfiguration": PRIVATE,
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "log-retention",
                            "Status": "Enabled",
                            "ExpirationInDays": log_days,
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                        }
                    ]
                },
            },
        },
        "AccessLogsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("AccessLogsBucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "S3LogsTheReportsBucket",
                            "Effect": "Allow",
                            "Principal": {"Service": "logging.s3.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": sub(f"${{AccessLogsBucket.Arn}}/{ACCESS_LOG_PREFIX}*"),
                            "Condition": {
                                "ArnEquals": {"aws:SourceArn": arn_of("ReportsBucket")},
                                "StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")},
                            },
                        },
                        tls_only(
                            "s3", [arn_of("AccessLogsBucket"), sub("${AccessLogsBucket.Arn}/*")]
                        ),
                    ],
                },
            },
        },
    }
