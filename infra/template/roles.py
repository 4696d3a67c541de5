"""IAM: the least-privilege roles, and what each function's role allows it to do."""

from __future__ import annotations

from typing import Any

from pynamodb.models import Model

from chalicelib.agency import AgencyProfile
from chalicelib.models import (
    AuditEvent,
    CaseNumberCounter,
    RateLimitWindow,
    Report,
    ResidentSession,
    SearchTerm,
    StaffSession,
    VerificationLink,
)

from .common import (
    API_HANDLER,
    ATTACHMENT_RETENTION,
    DATA_KEY,
    REVIEW_STEP,
    Names,
    Template,
    arn_of,
    ref,
    regional_arn,
    sub,
    table_logical_id,
    via_service,
)
from .email import sender_domain


def allow(actions: list[str], resources: list[Any]) -> Template:
    return {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def role(service: str, statements: list[Template], *, source_account: bool = False) -> Template:
    """A role one service assumes. Step Functions states its account, against a confused deputy;
    Lambda does not for an execution role, so requiring it there would lock the function out."""
    trust: Template = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account:
        trust["Condition"] = {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
            "Policies": [
                {
                    "PolicyName": "least-privilege",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }


def use_key(actions: list[str], services: list[str]) -> Template:
    """The data key, for what the role does through these services only: DynamoDB decrypts each
    table's key with the caller's rights; SQS and S3 make and open data keys with them (copies and
    exports take the bucket's default, the data key)."""
    statement = allow(actions, [arn_of(DATA_KEY)])
    statement["Condition"] = {
        "StringEquals": {"kms:ViaService": [via_service(service) for service in sorted(services)]}
    }
    return statement


def _dead_letters() -> list[Template]:
    """Lambda sends a failed asynchronous invocation to the dead-letter queue with the function's
    own role, and SQS encrypts it with the data key on the role's behalf."""
    return [
        allow(["sqs:SendMessage"], [arn_of("FunctionsDeadLetterQueue")]),
        use_key(["kms:GenerateDataKey"], ["sqs"]),
    ]


def _table(model: type[Model]) -> Any:
    return arn_of(table_logical_id(model))


def _indexes(model: type[Model]) -> Any:
    return sub(f"${{{table_logical_id(model)}.Arn}}/index/*")


def _function_logs(names: Names, logical_id: str) -> Template:
    return allow(
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        [regional_arn("logs", f"log-group:{names.function_log_group(logical_id)}:*")],
    )


def _send_email(profile: AgencyProfile) -> Template:
    return allow(
        ["ses:SendEmail"],
        [
            regional_arn("ses", f"identity/{sender_domain(profile)}"),
            regional_arn("ses", "configuration-set/${EmailConfigurationSet}"),
        ],
    )


def api_handler_policy(names: Names, profile: AgencyProfile) -> list[Template]:
    """What residents' and staff's requests do: nothing the workflow alone does."""
    return [
        _function_logs(names, API_HANDLER),
        allow(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            [_table(VerificationLink)],
        ),
        allow(
            ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            [_table(ResidentSession)],
        ),
        # Windows are counted by UpdateItem; staff sign-in failures are also read before an
        # attempt (GetItem) and forgotten after a completed sign-in (DeleteItem).
        allow(
            ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
            [_table(RateLimitWindow)],
        ),
        # Staff sessions: opened at sign-in, read on every staff request, touched, ended.
        # (GlobalSignOut, like InitiateAuth, is authorized by the token it is given: no IAM.)
        allow(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            [_table(StaffSession)],
        ),
        # BatchGetItem: the answers of the reports on a queue page that came back from a question.
        allow(
            [
                "dynamodb:BatchGetItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
            [_table(Report)],
        ),
        allow(["dynamodb:Query"], [_indexes(Report)]),
        allow(["dynamodb:PutItem", "dynamodb:Query"], [_table(AuditEvent)]),
        # Search terms: put with a submission (its transaction), re-put with a rejection's
        # expiry (one BatchWriteItem), changed by a staff correction of a name or a phone (its
        # transaction deletes the old ones), read by staff's searches.
        allow(
            [
                "dynamodb:BatchWriteItem",
                "dynamodb:DeleteItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
            ],
            [_table(SearchTerm)],
        ),
        _send_email(profile),
        allow(["states:StartExecution"], [ref("ReviewStateMachine")]),
        # A decision hands back the workflow's task token. SendTaskSuccess has no resource-level
        # permissions (AWS authorizes it by the token), so naming the state machine would deny it.
        allow(["states:SendTaskSuccess"], ["*"]),
        # Signs the residents' short-lived links to their copies; HeadObject needs it too.
        allow(["s3:GetObject"], [sub("${ReportsBucket.Arn}/copies/*")]),
        # An administrator's re-push of a failed export.
        allow(["s3:PutObject"], [sub("${ReportsBucket.Arn}/exports/*")]),
        # Residents' files: the presigned POST to quarantine is authorized with this role's
        # rights (PutObject), then the file is read, moved to attachments/ and deleted.
        allow(
            ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            [sub("${ReportsBucket.Arn}/quarantine/*")],
        ),
        # Stored files: written and deleted by the checks and removals; read (GetObject) for
        # staff, the thumbnails on the report's page and the links to the files themselves
        # signed with this role's rights (S3 decrypts with them).
        allow(
            ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            [sub("${ReportsBucket.Arn}/attachments/*")],
        ),
        *_malware_verdicts(profile),
        *_nibrs_downloads(profile),
        allow(["events:PutEvents"], [arn_of("RecordsEventBus")]),
        # A copy's link is signed with this role's rights: S3 decrypts the copy with them.
        use_key(["kms:Decrypt"], ["dynamodb", "s3", "sqs"]),
        use_key(["kms:GenerateDataKey"], ["s3"]),
        *_dead_letters(),
    ]


def _malware_verdicts(profile: AgencyProfile) -> list[Template]:
    """With GuardDuty scanning the uploads, each one's verdict tag is read before the file."""
    if not profile.attachments.malware_scan:
        return []
    return [allow(["s3:GetObjectTagging"], [sub("${ReportsBucket.Arn}/quarantine/*")])]


def _nibrs_downloads(profile: AgencyProfile) -> list[Template]:
    """With NIBRS documents made, staff download an approved report's as stored: the .nibrs.xml
    keys only (the JSON export is never read back)."""
    if profile.nibrs is None:
        return []
    return [allow(["s3:GetObject"], [sub("${ReportsBucket.Arn}/exports/*.nibrs.xml")])]


def review_step_policy(names: Names, profile: AgencyProfile) -> list[Template]:
    """The workflow's steps: confirm, number, render, export, notify, remind."""
    return [
        _function_logs(names, REVIEW_STEP),
        allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [_table(Report)]),
        allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [_table(CaseNumberCounter)]),
        allow(["dynamodb:PutItem"], [_table(SearchTerm)]),  # a case number's term
        allow(["dynamodb:PutItem"], [_table(AuditEvent)]),
        _send_email(profile),
        allow(
            ["s3:PutObject"],
            [sub("${ReportsBucket.Arn}/copies/*"), sub("${ReportsBucket.Arn}/exports/*")],
        ),
        allow(["events:PutEvents"], [arn_of("RecordsEventBus")]),
        # The copy shows the attached photos' thumbnails: read, and decrypted, from S3.
        allow(["s3:GetObject"], [sub("${ReportsBucket.Arn}/attachments/*")]),
        use_key(["kms:Decrypt"], ["dynamodb", "s3", "sqs"]),
        use_key(["kms:GenerateDataKey"], ["s3"]),
        *_dead_letters(),
    ]


def attachment_retention_policy(names: Names) -> list[Template]:
    """The expired reports' files: read the reports table's stream (its records are under the
    table's key), list and delete under the two folders of residents' files, and send a batch
    that keeps failing to its queue (the mapping's on-failure destination uses this role)."""
    listing = allow(["s3:ListBucket"], [arn_of("ReportsBucket")])
    listing["Condition"] = {"StringLike": {"s3:prefix": ["attachments/*", "quarantine/*"]}}
    return [
        _function_logs(names, ATTACHMENT_RETENTION),
        allow(
            [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            [sub(f"${{{table_logical_id(Report)}.Arn}}/stream/*")],
        ),
        listing,
        allow(
            ["s3:DeleteObject"],
            [
                sub("${ReportsBucket.Arn}/attachments/*"),
                sub("${ReportsBucket.Arn}/quarantine/*"),
            ],
        ),
        allow(["sqs:SendMessage"], [arn_of("AttachmentRetentionFailures")]),
        # A sender to an encrypted queue needs both: SQS reuses the data key it made.
        use_key(["kms:Decrypt"], ["dynamodb", "sqs"]),
        use_key(["kms:GenerateDataKey"], ["sqs"]),
        *_dead_letters(),
    ]
