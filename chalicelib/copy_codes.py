"""Checking a copy: the verification code printed on each copy, and the look-up anyone (an
insurer, a landlord) may make with it at `/copies/verify`, which says only that the agency issued
a copy with that case number, incident type and date of issue."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from .agency import AgencyProfile, IncidentType
from .errors import InvalidInput, NotFound, RateLimited
from .i18n import translator
from .ratelimit import Limit, RateLimiter
from .report_store import ReportStore
from .status import ReportStatus
from .tokens import digest

log = logging.getLogger(__name__)

VERIFY_PATH = "/copies/verify"
COPY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""No 0, O, 1, I or L: a code read aloud over the phone or typed from paper is not misread."""
COPY_CODE_LENGTH = 12
"""31^12 is about 2^59 codes, so with a few dozen checks an hour per client, finding any of the
copies issued by trying codes is out of reach."""
MAX_TYPED = 40
_SEPARATORS = str.maketrans("", "", " -\u00a0\t")


def new_copy_code() -> str:
    return "".join(secrets.choice(COPY_CODE_ALPHABET) for _ in range(COPY_CODE_LENGTH))


def show_code(code: str) -> str:
    """A code as printed: in groups of four, "7K4M-Q2XH-ABCD"."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verify_path(code: str) -> str:
    return f"{VERIFY_PATH}?{urlencode({'code': code})}"


def normalise_copy_code(value: object, language: str = "en") -> str:
    """A code as typed ("7k4m-q2xh abcd") as stored ("7K4MQ2XHABCD"), or `InvalidInput`."""
    _ = translator(language)
    typed = value.strip() if isinstance(value, str) else ""
    if not typed:
        message = _("Enter the verification code printed on the copy")
        raise InvalidInput(message, fields={"code": message})
    code = typed[:MAX_TYPED].translate(_SEPARATORS).upper()
    if len(code) != COPY_CODE_LENGTH or any(c not in COPY_CODE_ALPHABET for c in code):
        message = _(
            "Enter the verification code as it is printed on the copy: 12 letters and "
            "numbers, like 7K4M-Q2XH-ABCD"
        )
        raise InvalidInput(message, fields={"code": message})
    return code


@dataclass(frozen=True)
class CheckedCopy:
    """What may be said about a genuine copy: nothing personal."""

    code: str
    case_number: str
    incident_type: IncidentType | None
    issued_at: datetime


class CopyChecks:
    def __init__(
        self,
        *,
        agency: AgencyProfile,
        store: ReportStore,
        limiter: RateLimiter,
        checks_per_client: int,
        window: timedelta,
    ) -> None:
        self._agency = agency
        self._store = store
        self._limiter = limiter
        self._checks_per_client = checks_per_client
        self._window = window

    def check(self, code: object, client: str, language: str = "en") -> CheckedCopy:
        """The copy a code was printed on: one key look-up (a `Query` on a sparse index). Each
        client may check a few dozen codes an hour, so codes cannot be found by trying them; a
        malformed code is refused before it counts. A code never issued, and one whose report
        is no longer approved, are alike `NotFound`."""
        _ = translator(language)
        wanted = normalise_copy_code(code, language)
        limit = Limit(f"copy-check#{digest(client)}", self._checks_per_client, self._window)
        counted = self._limiter.count(limit)
        if counted.hits > limit.allowed:
            message = _(
                "Too many codes were checked from this connection. Wait a while, then try again."
            )
            raise RateLimited(message, retry_after_seconds=counted.window_ends_in)
        report = self._store.by_copy_code(wanted)
        if (
            report is None
            or report.status != ReportStatus.APPROVED
            or not report.case_number
            or report.copy_issued_at is None
        ):
            log.info("copy check found nothing")
            raise NotFound(_("No copy with this code was issued."))
        log.info("copy checked", extra={"report_id": report.report_id})
        return CheckedCopy(
            code=wanted,
            case_number=report.case_number,
            incident_type=self._agency.incident_type(report.incident_type),
            issued_at=report.copy_issued_at,
        )
