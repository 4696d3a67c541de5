"""Whether a report would make a valid NIBRS document, as its reviewer sees it before deciding.

Pure (no AWS call): the document is built from the report as read, so the staff page, the staff
API and an approval all see the same answer. The builder is `chalicelib.nibrs` (it loads lxml
only when called), reached as a module attribute so tests may stand in for it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from .. import nibrs
from ..agency import AgencyProfile
from ..errors import DeliveryFailed, NotFound
from ..intake.references import normalise_reference
from ..models import Report
from ..report_store import BUSY, ReportStore
from ..status import ReportStatus

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PROFILE = "profile"
"""The `fields` key of a problem no answer can fix (the agency's profile must)."""


def nibrs_check(agency: AgencyProfile, report: Report, now: datetime) -> nibrs.NibrsDocument | None:
    """The report's NIBRS document: with its case number once approved, a preview before
    (its incident number is the reference). None when the agency sends no NIBRS documents."""
    if agency.nibrs is None:
        return None
    approved = report.status == ReportStatus.APPROVED
    return nibrs.nibrs_document(
        report, agency, case_number=report.case_number if approved else None, now=now
    )


def refuses_approval(agency: AgencyProfile, document: nibrs.NibrsDocument | None) -> bool:
    """A reportable report whose document is not valid may be approved only if the profile
    says so (`nibrs.approve_invalid`)."""
    return (
        document is not None
        and document.reportable
        and not document.valid
        and agency.nibrs is not None
        and not agency.nibrs.approve_invalid
    )


def problem_fields(problems: Iterable[nibrs.NibrsProblem]) -> dict[str, str]:
    """The problems as a refusal's `fields`: by the question to correct (or `profile`), each
    naming its element and why."""
    fields: dict[str, str] = {}
    for problem in problems:
        key = problem.question or PROFILE
        said = f"{problem.element}: {problem.message}"
        fields[key] = f"{fields[key]} {said}" if key in fields else said
    return fields


def in_words(problems: Iterable[nibrs.NibrsProblem]) -> str:
    return "; ".join(f"{problem.element}: {problem.message}" for problem in problems)


@dataclass(frozen=True)
class NibrsDownload:
    xml: bytes
    filename: str
    preview: bool
    """Not the document the records system got: the report is not approved yet."""
    problems: int
    """How many problems the preview has (0: it would be valid)."""


class NibrsDocuments:
    """A report's NIBRS document for staff: an approved report's as stored beside its export
    (one `GetObject`: exactly the bytes the records system was given, even if the profile or
    the builder changed since), and before approval the preview, built on the spot."""

    def __init__(
        self,
        *,
        agency: AgencyProfile,
        store: ReportStore,
        s3: S3Client,
        bucket: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._agency = agency
        self._store = store
        self._s3 = s3
        self._bucket = bucket
        self._clock = clock

    def download(self, report_id: str) -> NibrsDownload:
        if self._agency.nibrs is None:
            raise NotFound("This agency's profile has no NIBRS section: it makes no documents.")
        report = self._store.get(normalise_reference(report_id))
        if report.status == ReportStatus.DRAFT:
            raise NotFound("There is no submitted report with that reference.")
        if report.status == ReportStatus.APPROVED:
            return NibrsDownload(
                xml=self._stored(report.report_id),
                filename=f"{report.case_number or report.report_id}.nibrs.xml",
                preview=False,
                problems=0,
            )
        document = nibrs_check(self._agency, report, self._clock())
        if document is None or not document.reportable or document.xml is None:
            reason = document.reason if document is not None else None
            raise NotFound(reason or "This report's incident type makes no NIBRS document.")
        return NibrsDownload(
            xml=document.xml,
            filename=f"{report.report_id}.preview.nibrs.xml",
            preview=True,
            problems=len(document.problems),
        )

    def _stored(self, report_id: str) -> bytes:
        from ..records import nibrs_key  # the export's modules load only when one is read

        try:
            answer = self._s3.get_object(Bucket=self._bucket, Key=nibrs_key(report_id))
            return answer["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in {"404", "NoSuchKey", "NotFound"}:
                raise NotFound(
                    "No NIBRS document was stored for this report: its incident type makes "
                    "none, or its document was not valid (its trail says why)."
                ) from None
            raise DeliveryFailed(BUSY) from error
        except BotoCoreError as error:
            raise DeliveryFailed(BUSY) from error
