"""Files of reports that expired: drafts, screened-out and rejected reports leave DynamoDB by
its TTL, and their attachments and quarantined uploads leave the bucket after them.

The reports table's stream (keys only) feeds one function, whose event source mapping lets
through only DynamoDB's own deletions (TTL): a user's DeleteItem or any change never invokes it.
`expired_reports` is the thin adapter from that event; `AttachmentRetention` knows only S3.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from .uploads import DELETE_BATCH, QUARANTINE_PREFIX, STORED_PREFIX

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

TTL_PRINCIPAL = "dynamodb.amazonaws.com"
"""Who deletes an item when its TTL passes, as the stream's `userIdentity` names it."""


class RetentionFailed(Exception):
    """S3 refused a listing or a deletion: the record is retried."""


@dataclass(frozen=True)
class ExpiredReport:
    report_id: str
    sequence_number: str
    """The record's id in the stream, for a partial batch failure."""


def expired_reports(event: Mapping[str, Any]) -> list[ExpiredReport]:
    """The reports a stream batch says DynamoDB removed because their TTL passed. The mapping's
    filter already drops the rest; checking again keeps a misconfigured filter from erasing the
    files of a report someone deleted by hand (restored from a backup, say)."""
    found = []
    for record in event.get("Records", []):
        identity = record.get("userIdentity") or {}
        if record.get("eventName") != "REMOVE" or identity.get("principalId") != TTL_PRINCIPAL:
            continue
        dynamodb = record.get("dynamodb") or {}
        report_id = (dynamodb.get("Keys") or {}).get("report_id", {}).get("S")
        if isinstance(report_id, str) and report_id:
            found.append(ExpiredReport(report_id, str(dynamodb.get("SequenceNumber", ""))))
    return found


def batch_failures(failed: Iterable[ExpiredReport]) -> dict[str, list[dict[str, str]]]:
    """Lambda's partial batch response: the stream retries from the first failed record."""
    return {"batchItemFailures": [{"itemIdentifier": r.sequence_number} for r in failed]}


class AttachmentRetention:
    """Deletes every object an expired report left under `attachments/{id}/` and
    `quarantine/{id}/`: one ListObjectsV2 per prefix (per thousand objects), one DeleteObjects
    per thousand keys. Deleting what is already gone is no error, so a retried record is safe."""

    def __init__(self, *, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def forget(self, report_id: str) -> int:
        """How many objects were deleted. Raises `RetentionFailed` when S3 refuses."""
        if not report_id or "/" in report_id:
            raise ValueError("a report id names one folder")
        keys = [
            key
            for prefix in (STORED_PREFIX, QUARANTINE_PREFIX)
            for key in self._listed(f"{prefix}{report_id}/")
        ]
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            try:
                answer = self._s3.delete_objects(
                    Bucket=self._bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )
            except (ClientError, BotoCoreError) as error:
                raise RetentionFailed("DeleteObjects failed") from error
            if answer.get("Errors"):
                raise RetentionFailed(f"{len(answer['Errors'])} objects were not deleted")
        if keys:
            log.info(
                "expired attachments deleted", extra={"report_id": report_id, "count": len(keys)}
            )
        return len(keys)

    def expired(self, reports: Iterable[ExpiredReport]) -> list[ExpiredReport]:
        """Forget each report; the ones that failed (the stream retries them and what follows)."""
        failed = []
        for report in reports:
            try:
                self.forget(report.report_id)
            except RetentionFailed as error:
                log.warning(
                    "expired attachments not deleted",
                    extra={"report_id": report.report_id, "error": str(error)},
                )
                failed.append(report)
        return failed

    def _listed(self, prefix: str) -> list[str]:
        keys: list[str] = []
        token: str | None = None
        while True:
            try:
                if token is None:
                    page = self._s3.list_objects_v2(Bucket=self._bucket, Prefix=prefix)
                else:
                    page = self._s3.list_objects_v2(
                        Bucket=self._bucket, Prefix=prefix, ContinuationToken=token
                    )
            except (ClientError, BotoCoreError) as error:
                raise RetentionFailed("ListObjectsV2 failed") from error
            keys.extend(item["Key"] for item in page.get("Contents", []))
            if not page.get("IsTruncated"):
                return keys
            token = page["NextContinuationToken"]
