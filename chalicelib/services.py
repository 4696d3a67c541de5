"""The wiring: the one place that builds the domain objects and hands each its collaborators.

Lambda builds one `Services` per process on first use; tests and the local stack install their
own (moto-backed clients, a fixed clock, a console outbox) with `install`. Only the routes and
the Lambda entry points import this module; nothing it builds imports it back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .agency import AgencyProfile, load_profile
from .aws import AwsClients
from .errors import DeliveryFailed
from .intake.reports import Reports, ReviewStarter
from .intake.verification import EmailVerification
from .logs import configure_logging
from .mail import Mailer, Outbox
from .models import bind_models
from .ratelimit import RateLimiter
from .report_store import ReportStore
from .review.audit import AuditTrail
from .review.calendar import ReviewCalendar, ReviewTimings
from .review.claims import Claims
from .review.desk import ReviewDesk
from .review.notes import Notes
from .review.sign_in_lockout import SignInLockout
from .review.staff import StaffSignIn, StaffTokens, jwks_signing_keys
from .review.staff_sessions import StaffSessions
from .search_index import SearchIndex
from .settings import Settings

if TYPE_CHECKING:
    from .attachments.retention import AttachmentRetention
    from .attachments.uploads import AttachmentFiles, Attachments
    from .attachments.viewing import AttachmentViewer, StaffAttachments
    from .copy_codes import CopyChecks
    from .intake.notifications import ReportNotices
    from .records import RecordsExport, ReportCopies
    from .review.case_numbers import CaseNumbers
    from .review.corrections import Corrections
    from .review.nibrs_check import NibrsDocuments
    from .review.search import StaffSearch
    from .workflow import ReviewSteps


def utc_now() -> datetime:
    return datetime.now(UTC)


class Services:
    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        settings: Settings | None = None,
        aws: AwsClients | None = None,
        clock: Callable[[], datetime] = utc_now,
        outbox: Outbox | None = None,
        review: ReviewStarter | None = None,
        staff_tokens: StaffTokens | None = None,
    ) -> None:
        self._environ = environ
        self._settings = settings
        self._aws = aws
        self._review = review
        self._staff_tokens = staff_tokens
        self.clock = clock
        self.outbox = outbox

    def with_settings(self, **changes: Any) -> Services:
        """A new container whose settings differ by `changes`; the rest is passed on as given."""
        return Services(
            environ=self._environ,
            settings=self.settings.model_copy(update=changes),
            aws=self._aws,
            clock=self.clock,
            outbox=self.outbox,
            review=self._review,
            staff_tokens=self._staff_tokens,
        )

    @cached_property
    def settings(self) -> Settings:
        if self._settings is not None:
            return self._settings
        return Settings.from_env(os.environ if self._environ is None else self._environ)

    @cached_property
    def aws(self) -> AwsClients:
        return self._aws or AwsClients(self.settings.region)

    @cached_property
    def agency(self) -> AgencyProfile:
        return load_profile(self.settings.agency_profile)

    @cached_property
    def mailer(self) -> Mailer:
        return Mailer(
            self.aws.ses,
            sender_address=self.agency.sender.address,
            sender_name=self.agency.sender.name,
            configuration_set=self.settings.ses_configuration_set,
            clock=self.clock,
            outbox=self.outbox,
        )

    @cached_property
    def store(self) -> ReportStore:
        return ReportStore()

    @cached_property
    def audit(self) -> AuditTrail:
        return AuditTrail(self.clock)

    @cached_property
    def limiter(self) -> RateLimiter:
        return RateLimiter(self.clock)

    @cached_property
    def calendar(self) -> ReviewCalendar:
        return ReviewCalendar(self.agency)

    @cached_property
    def search_index(self) -> SearchIndex:
        return SearchIndex(agency=self.agency)

    # -- residents ------------------------------------------------------------------------------

    @cached_property
    def verification(self) -> EmailVerification:
        return EmailVerification(
            agency=self.agency,
            settings=self.settings,
            mailer=self.mailer,
            limiter=self.limiter,
            clock=self.clock,
        )

    @cached_property
    def reports(self) -> Reports:
        return Reports(
            agency=self.agency,
            store=self.store,
            review=self.review,
            audit=self.audit,
            search_index=self.search_index,
            limiter=self.limiter,
            clock=self.clock,
            # The S3 client is built only when a report with attachments is screened out.
            erase_attachments=lambda report: self.attachment_files.erase(report),
        )

    @cached_property
    def attachment_files(self) -> AttachmentFiles:
        from .attachments.uploads import AttachmentFiles

        return AttachmentFiles(s3=self.aws.s3, bucket=self.settings.bucket_name)

    @cached_property
    def attachment_retention(self) -> AttachmentRetention:
        from .attachments.retention import AttachmentRetention

        return AttachmentRetention(s3=self.aws.s3, bucket=self.settings.bucket_name)

    @cached_property
    def attachments(self) -> Attachments:
        from .attachments.uploads import Attachments

        return Attachments(
            agency=self.agency,
            reports=self.reports,
            store=self.store,
            files=self.attachment_files,
            clock=self.clock,
        )

    @cached_property
    def attachment_viewer(self) -> AttachmentViewer:
        from .attachments.viewing import AttachmentViewer

        return AttachmentViewer(s3=self.aws.s3, bucket=self.settings.bucket_name, clock=self.clock)

    @cached_property
    def staff_attachments(self) -> StaffAttachments:
        from .attachments.viewing import StaffAttachments

        return StaffAttachments(store=self.store, audit=self.audit, viewer=self.attachment_viewer)

    @cached_property
    def nibrs_documents(self) -> NibrsDocuments:
        from .review.nibrs_check import NibrsDocuments

        return NibrsDocuments(
            agency=self.agency,
            store=self.store,
            s3=self.aws.s3,
            bucket=self.settings.bucket_name,
            clock=self.clock,
        )

    @cached_property
    def copies(self) -> ReportCopies:
        from .records import ReportCopies

        return ReportCopies(
            agency=self.agency,
            s3=self.aws.s3,
            bucket=self.settings.bucket_name,
            link_seconds=self.settings.copy_link_seconds,
            store=self.store,
            clock=self.clock,
            url=self.settings.url,
            attachments=self.attachment_viewer,
        )

    @cached_property
    def copy_checks(self) -> CopyChecks:
        from .copy_codes import CopyChecks

        return CopyChecks(
            agency=self.agency,
            store=self.store,
            limiter=self.limiter,
            checks_per_client=self.settings.copy_checks_per_client,
            window=timedelta(seconds=self.settings.copy_check_window_seconds),
        )

    # -- the review -----------------------------------------------------------------------------

    @cached_property
    def review(self) -> ReviewStarter:
        if self._review is not None:
            return self._review
        from .workflow import StepFunctionsReview

        timings = ReviewTimings(
            self.calendar,
            info_request_days=self.agency.review.info_request_days,
            clock=self.clock,
            sla_seconds=self.settings.review_sla_seconds,
            info_seconds=self.settings.info_request_seconds,
        )
        return StepFunctionsReview(self.aws.stepfunctions, self.settings.state_machine_arn, timings)

    @cached_property
    def export(self) -> RecordsExport:
        from .records import RecordsExport

        return RecordsExport(
            agency=self.agency,
            s3=self.aws.s3,
            bucket=self.settings.bucket_name,
            events=self.aws.events,
            event_bus=self.settings.records_event_bus,
            clock=self.clock,
        )

    @cached_property
    def desk(self) -> ReviewDesk:
        return ReviewDesk(
            agency=self.agency,
            store=self.store,
            stepfunctions=self.aws.stepfunctions,
            review=self.review,
            export=self.export,
            audit=self.audit,
            calendar=self.calendar,
            search_index=self.search_index,
            clock=self.clock,
        )

    @cached_property
    def search(self) -> StaffSearch:
        from .review.search import StaffSearch

        return StaffSearch(agency=self.agency, store=self.store, index=self.search_index)

    @cached_property
    def claims(self) -> Claims:
        return Claims(store=self.store, audit=self.audit, clock=self.clock)

    @cached_property
    def notes(self) -> Notes:
        return Notes(store=self.store, audit=self.audit, clock=self.clock)

    @cached_property
    def corrections(self) -> Corrections:
        from .review.corrections import Corrections

        return Corrections(
            agency=self.agency,
            store=self.store,
            audit=self.audit,
            terms=self.search_index,
            clock=self.clock,
        )

    @cached_property
    def notices(self) -> ReportNotices:
        from .intake.notifications import ReportNotices

        return ReportNotices(
            agency=self.agency, store=self.store, mailer=self.mailer, url=self.settings.url
        )

    @cached_property
    def case_numbers(self) -> CaseNumbers:
        from .review.case_numbers import CaseNumbers

        return CaseNumbers(agency=self.agency, store=self.store, search_index=self.search_index)

    @cached_property
    def review_steps(self) -> ReviewSteps:
        from .workflow import ReviewSteps

        return ReviewSteps(
            store=self.store,
            notices=self.notices,
            case_numbers=self.case_numbers,
            copies=self.copies,
            export=self.export,
            audit=self.audit,
            clock=self.clock,
        )

    # -- staff ----------------------------------------------------------------------------------

    @cached_property
    def staff_tokens(self) -> StaffTokens:
        if self._staff_tokens is not None:
            return self._staff_tokens
        settings = self.settings
        if (
            not settings.staff_issuer
            or not settings.user_pool_client_id
            or not settings.staff_jwks_url
        ):
            raise DeliveryFailed("Staff sign-in is not configured.")
        return StaffTokens(
            issuer=settings.staff_issuer,
            audience=settings.user_pool_client_id,
            signing_keys=jwks_signing_keys(settings.staff_jwks_url),
        )

    @cached_property
    def staff_sessions(self) -> StaffSessions:
        return StaffSessions(
            tokens=self.staff_tokens,
            cognito=self.aws.cognito_idp,
            audit=self.audit,
            clock=self.clock,
            idle_limit=timedelta(minutes=self.agency.limits.staff_idle_minutes),
        )

    @cached_property
    def staff_sign_in(self) -> StaffSignIn:
        limits = self.agency.limits
        return StaffSignIn(
            cognito=self.aws.cognito_idp,
            client_id=self.settings.user_pool_client_id,
            audit=self.audit,
            issuer=self.agency.name,
            lockout=SignInLockout(
                limiter=self.limiter,
                audit=self.audit,
                failures_per_username=limits.staff_sign_in_failures,
                failures_per_client=self.settings.staff_sign_in_failures_per_client,
                period=timedelta(minutes=limits.staff_lockout_minutes),
            ),
            sessions=self.staff_sessions,
        )

    def activate(self) -> Services:
        bind_models(self.settings.resource_prefix, self.settings.region)
        configure_logging()
        return self


_lock = threading.Lock()
_current: Services | None = None


def current() -> Services:
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = Services().activate()
    return _current


def install(services: Services) -> Services:
    global _current
    with _lock:
        _current = services.activate()
    return _current
