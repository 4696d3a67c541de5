"""The application's collaborators, built lazily from settings and replaceable as a whole.

Lambda builds one `Services` per process on first use; tests and the local stack install
their own (moto-backed clients, a fixed clock, a console outbox) with `install`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cached_property

from .agency import AgencyProfile, load_profile
from .aws import AwsClients
from .errors import DeliveryFailed
from .intake.reports import Reports, ReviewStarter
from .intake.verification import EmailVerification
from .logs import configure_logging
from .mail import Mailer, Outbox
from .models import bind_models
from .ratelimit import RateLimiter
from .review.audit import AuditTrail
from .review.desk import ReviewDesk
from .review.staff import StaffSignIn, StaffTokens, jwks_signing_keys
from .settings import Settings


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
        if settings is not None:
            self.__dict__["settings"] = settings
        if aws is not None:
            self.__dict__["aws"] = aws
        if review is not None:
            self.__dict__["review"] = review
        if staff_tokens is not None:
            self.__dict__["staff_tokens"] = staff_tokens
        self.clock = clock
        self.outbox = outbox

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_env(os.environ if self._environ is None else self._environ)

    @cached_property
    def aws(self) -> AwsClients:
        return AwsClients(self.settings.region)

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
    def verification(self) -> EmailVerification:
        return EmailVerification(
            agency=self.agency,
            settings=self.settings,
            mailer=self.mailer,
            limiter=RateLimiter(self.clock),
            clock=self.clock,
        )

    @cached_property
    def review(self) -> ReviewStarter:
        from .workflow import StepFunctionsReview

        return StepFunctionsReview(
            self.aws.stepfunctions, self.settings.state_machine_arn, self.review_durations
        )

    def review_durations(self, report_id: str) -> dict[str, int]:
        """How long the workflow waits for staff and for a resident, in seconds."""
        settings, now = self.settings, self.clock()
        if settings.review_sla_seconds:
            sla = settings.review_sla_seconds
        else:
            sla = int((self.desk.calendar.due(now) - now).total_seconds())
        info = settings.info_request_seconds or self.agency.review.info_request_days * 86400
        return {"sla_seconds": max(sla, 1), "info_seconds": info}

    @cached_property
    def audit(self) -> AuditTrail:
        return AuditTrail(self.clock)

    @cached_property
    def desk(self) -> ReviewDesk:
        return ReviewDesk(
            agency=self.agency,
            stepfunctions=self.aws.stepfunctions,
            audit=self.audit,
            clock=self.clock,
        )

    @cached_property
    def staff_tokens(self) -> StaffTokens:
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
    def staff_sign_in(self) -> StaffSignIn:
        return StaffSignIn(
            cognito=self.aws.cognito_idp,
            client_id=self.settings.user_pool_client_id,
            audit=self.audit,
            issuer=self.agency.name,
        )

    @cached_property
    def reports(self) -> Reports:
        return Reports(agency=self.agency, review=self.review, audit=self.audit, clock=self.clock)

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
