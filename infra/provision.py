"""Create a deployment's resources from the project's own definitions (models, state machine file,
agency profile). The local stack and the integration tests provision through these functions; in
AWS the CloudFormation template holds the same resources.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pynamodb.models import Model

from chalicelib.attachments.uploads import QUARANTINE_PREFIX
from chalicelib.attachments.uploads import STORED_PREFIX as ATTACHMENTS_PREFIX
from chalicelib.models import ALL_MODELS, ttl_attribute_name

STATE_MACHINES_DIR = Path(__file__).parent / "statemachines"
REVIEW_STATE_MACHINE = STATE_MACHINES_DIR / "review.asl.json"
STAFF_GROUP_DESCRIPTIONS = {
    "reviewers": "Review reports: approve, reject, ask for more information",
    "supervisors": "Reviewers who also see the desk's figures",
    "admins": "Supervisors who also re-push failed records exports",
}
STAFF_GROUPS = tuple(STAFF_GROUP_DESCRIPTIONS)
STAFF_PASSWORD_POLICY = {
    "MinimumLength": 12,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 3,
}
STAFF_AUTH_FLOWS = ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")


@dataclass(frozen=True)
class BucketLifecycle:
    export_days: int = 90  # the records system has picked an export up long before
    noncurrent_version_days: int = 30
    abandoned_upload_days: int = 1
    quarantine_days: int = 1
    """Files residents uploaded and nobody checked (a form posted twice, or never listed)."""
    removed_attachment_days: int = 1
    """A removed or erased attachment's old version: kept no longer than this."""


BUCKET_LIFECYCLE = BucketLifecycle()
DEMO_STAFF = {"reviewer": "reviewers", "supervisor": "supervisors", "admin": "admins"}
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def create_tables(dynamodb: Any, models: Iterable[type[Model]] = ALL_MODELS) -> list[str]:
    """Tables exactly as the PynamoDB models declare them, with TTL where a model has one."""
    names = []
    for model in models:
        model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        ttl_attribute = ttl_attribute_name(model)
        if ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=model.Meta.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
            )
        names.append(str(model.Meta.table_name))
    return names


def create_private_bucket(s3: Any, name: str, region: str) -> str:
    """A bucket nobody outside the account can reach, encrypted at rest."""
    options: dict[str, Any] = {}
    if region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(Bucket=name, **options)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    return name


def create_bucket(s3: Any, name: str, region: str, site_origin: str | None = None) -> str:
    """The reports bucket: copies and exports, as the stack's template declares it."""
    create_private_bucket(s3, name, region)
    s3.put_bucket_lifecycle_configuration(
        Bucket=name,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "exports-picked-up",
                    "Filter": {"Prefix": "exports/"},
                    "Status": "Enabled",
                    "Expiration": {"Days": BUCKET_LIFECYCLE.export_days},
                },
                {
                    "ID": "quarantine",
                    "Filter": {"Prefix": QUARANTINE_PREFIX},
                    "Status": "Enabled",
                    "Expiration": {"Days": BUCKET_LIFECYCLE.quarantine_days},
                    "NoncurrentVersionExpiration": {
                        "NoncurrentDays": BUCKET_LIFECYCLE.quarantine_days
                    },
                },
                {
                    "ID": "removed-attachments",
                    "Filter": {"Prefix": ATTACHMENTS_PREFIX},
                    "Status": "Enabled",
                    "NoncurrentVersionExpiration": {
                        "NoncurrentDays": BUCKET_LIFECYCLE.removed_attachment_days
                    },
                },
                {
                    "ID": "replaced-versions",
                    "Filter": {"Prefix": ""},
                    "Status": "Enabled",
                    "NoncurrentVersionExpiration": {
                        "NoncurrentDays": BUCKET_LIFECYCLE.noncurrent_version_days
                    },
                    "AbortIncompleteMultipartUpload": {
                        "DaysAfterInitiation": BUCKET_LIFECYCLE.abandoned_upload_days
                    },
                },
            ]
        },
    )
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if site_origin:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [upload_cors(site_origin)]})
    return name


def origin_of(url: str) -> str:
    """The scheme and host of a URL: what a browser sends as `Origin`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def upload_cors(site_origin: str) -> dict[str, Any]:
    """Only the site's own pages may post a file to the bucket from script (a plain form post
    needs no CORS); the presigned POST's policy, not CORS, is what limits what is stored."""
    return {
        "AllowedMethods": ["POST"],
        "AllowedOrigins": [site_origin],
        "AllowedHeaders": ["*"],
        "MaxAgeSeconds": 600,
    }


def verify_sender(ses: Any, address: str) -> None:
    ses.verify_email_identity(EmailAddress=address)


def create_staff_pool(
    cognito: Any, name: str, demo_password: str | None, *, mfa_required: bool = False
) -> tuple[str, str]:
    """The staff user pool, its groups, an app client without a secret and, locally, demo users.

    MFA is optional for the local demo logins; a deployed stack's pool requires an authenticator
    app (`mfa_required`), as infra/template/staff_pool.py declares it.
    """
    mfa = "ON" if mfa_required else "OPTIONAL"
    pool_id: str = cognito.create_user_pool(
        PoolName=name,
        Policies={"PasswordPolicy": dict(STAFF_PASSWORD_POLICY)},
        MfaConfiguration=mfa,
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        UsernameConfiguration={"CaseSensitive": False},
    )["UserPool"]["Id"]
    if mfa_required:
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=mfa,
        )
    client_id: str = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"{name}-staff-web",
        GenerateSecret=False,
        ExplicitAuthFlows=list(STAFF_AUTH_FLOWS),
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]["ClientId"]
    for group in STAFF_GROUPS:
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    if demo_password:
        for username, group in DEMO_STAFF.items():
            cognito.admin_create_user(
                UserPoolId=pool_id,
                Username=username,
                MessageAction="SUPPRESS",
                UserAttributes=[
                    {"Name": "email", "Value": f"{username}@staff.example"},
                    {"Name": "email_verified", "Value": "true"},
                ],
            )
            cognito.admin_set_user_password(
                UserPoolId=pool_id, Username=username, Password=demo_password, Permanent=True
            )
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    return pool_id, client_id


def lambda_function_name(app_name: str, stage: str, name: str) -> str:
    """The name `chalice deploy` / `chalice package` gives a `@app.lambda_function`."""
    return f"{app_name}-{stage}-{name}"


def create_functions(lambda_client: Any, role_arn: str, names: Iterable[str]) -> dict[str, str]:
    """Lambda functions with an empty package: the local stack runs their code in-process."""
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    return {
        name: lambda_client.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role_arn,
            Handler="app.handler",
            Code={"ZipFile": empty.getvalue()},
        )["FunctionArn"]
        for name in names
    }


def create_execution_role(iam: Any, name: str) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role: dict[str, Any] = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]
    return str(role["Arn"])


def state_machine_definition(path: Path, substitutions: Mapping[str, str]) -> str:
    """The file's text with `${Name}` replaced, as CloudFormation's DefinitionSubstitutions does."""
    text = path.read_text(encoding="utf-8")
    missing = sorted(set(_PLACEHOLDER.findall(text)) - set(substitutions))
    if missing:
        raise KeyError(f"{path.name}: no value for {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda match: substitutions[match.group(1)], text)


def create_state_machine(
    stepfunctions: Any, name: str, role_arn: str, path: Path, substitutions: Mapping[str, str]
) -> str:
    arn: str = stepfunctions.create_state_machine(
        name=name,
        roleArn=role_arn,
        type="STANDARD",
        definition=state_machine_definition(path, substitutions),
    )["stateMachineArn"]
    return arn
