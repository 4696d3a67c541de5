"""The S3 bucket for copies of approved reports and for the records exports, and its policy."""

from __future__ import annotations

from .. import provision
from .common import RETAINED, Template, arn_of, ref, sub, tls_only


def reports_bucket() -> Template:
    rules = provision.BUCKET_LIFECYCLE
    return {
        "ReportsBucket": {
            "Type": "AWS::S3::Bucket",
            **RETAINED,
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "exports-picked-up",
                            "Prefix": "exports/",
                            "Status": "Enabled",
                            "ExpirationInDays": rules.export_days,
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
