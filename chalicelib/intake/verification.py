"""Email verification: a resident proves an address by clicking a link, and gets a session."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn
from urllib.parse import quote

from email_validator import EmailNotValidError, validate_email
from pynamodb.exceptions import DeleteError, DoesNotExist, GetError, PutError, UpdateError

from ..agency import AgencyProfile
from ..errors import (
    DeliveryFailed,
    InvalidInput,
    LinkAlreadyUsed,
    LinkExpired,
    LinkNotRecognised,
    NotAuthenticated,
    RateLimited,
)
from ..i18n import Translate, translator
from ..mail import Mailer, compose
from ..models import ResidentSession, VerificationLink
from ..ratelimit import Limit, RateLimiter
from ..settings import Settings
from ..tokens import digest, looks_like_token, new_token

log = logging.getLogger(__name__)

MAX_EMAIL_LENGTH = 254
BUSY = "The service is busy. Please try again shortly."


@dataclass(frozen=True)
class Resident:
    """Who a valid session belongs to."""

    session_digest: str
    email: str
    language: str
    expires_at: datetime


@dataclass(frozen=True)
class OpenedSession:
    session: str
    expires_at: datetime
    language: str
    resident: Resident


def normalise_email(candidate: object, _: Translate = str) -> str:
    invalid = _("Enter an email address in the correct format, like name@example.com")
    if not isinstance(candidate, str) or not candidate.strip():
        missing = _("Enter your email address")
        raise InvalidInput(missing, fields={"email": missing})
    if len(candidate) > MAX_EMAIL_LENGTH:
        raise InvalidInput(invalid, fields={"email": invalid})
    try:
        result = validate_email(candidate.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise InvalidInput(invalid, fields={"email": invalid}) from None
    return result.ascii_email or result.normalized


def then_to(destination: str | None) -> str:
    """The link's query for where it leads once used, if anywhere but the start."""
    return f"&next={quote(destination, safe='/')}" if destination else ""


class EmailVerification:
    def __init__(
        self,
        *,
        agency: AgencyProfile,
        settings: Settings,
        mailer: Mailer,
        limiter: RateLimiter,
        clock: Callable[[], datetime],
    ) -> None:
        self._agency = agency
        self._settings = settings
        self._mailer = mailer
        self._limiter = limiter
        self._clock = clock

    def language(self, requested: object) -> str:
        if requested is None or requested == "":
            return self._agency.default_language
        if requested not in self._agency.languages:
            offered = ", ".join(self._agency.languages)
            message = f"Choose one of the languages offered: {offered}"
            raise InvalidInput(message, fields={"language": message})
        return str(requested)

    def send_link(
        self, email: object, language: object, client: str, destination: str | None = None
    ) -> None:
        """Email a sign-in link. Every well-formed address gets the same outcome.

        `destination` (a relative path the caller checked) is where the link leads once used:
        it rides in the link, so that the page the resident was going to is not lost."""
        chosen_language = self.language(language)
        _ = translator(chosen_language)
        address = normalise_email(email, _)
        self._limit_links(address, client, _)
        token = new_token()
        now = self._clock()
        expires_at = now + self._settings.verification_ttl
        try:
            VerificationLink(
                token_digest=digest(token),
                email=address,
                language=chosen_language,
                created_at=now,
                expires_at=expires_at,
            ).save()
        except PutError as error:
            raise DeliveryFailed(BUSY) from error
        self._mailer.send(
            compose(
                "verification",
                to=address,
                agency=self._agency,
                link=self._settings.url(f"/verify?token={token}" + then_to(destination)),
                minutes=self._settings.verification_ttl_seconds // 60,
                language=chosen_language,
            )
        )
        log.info("verification link issued", extra={"language": chosen_language})

    def _limit_links(self, address: str, client: str, _: Translate) -> None:
        """Links are counted per address *and* asking client, so that others asking for an
        address never lock its owner out; the client's own total bounds what one client sends.
        The address's total bounds mail-bombing, but a client's first request for the address in
        a window is never refused for it: at most `verifications_per_address_total` links plus
        one per distinct client reach an address in a window."""
        settings, window = self._settings, self._settings.verification_window
        recipient, asker = digest(address.lower()), digest(client)
        pair = Limit(f"address#{recipient}#{asker}", settings.verifications_per_address, window)
        mine = Limit(f"client#{asker}", settings.verifications_per_client, window)
        total = Limit(f"address#{recipient}", settings.verifications_per_address_total, window)
        asked = self._limiter.count(pair)
        sent = self._limiter.count(mine)
        retry_after = max(
            asked.window_ends_in if asked.hits > pair.allowed else 0,
            sent.window_ends_in if sent.hits > mine.allowed else 0,
        )
        if not retry_after:  # only links about to be sent count towards the address's total
            received = self._limiter.count(total)
            if received.hits > total.allowed and asked.hits > 1:
                retry_after = received.window_ends_in
        if retry_after:
            message = _("Too many links were requested. Please wait before asking for another.")
            raise RateLimited(message, retry_after_seconds=retry_after)

    def open_session(self, token: object) -> OpenedSession:
        """Exchange a link's token, once, for a session."""
        if not isinstance(token, str) or not looks_like_token(token):
            raise LinkNotRecognised("This link is not valid. Request a new one.")
        now = self._clock()
        link = VerificationLink(token_digest=digest(token))
        try:
            link.update(
                actions=[VerificationLink.used_at.set(now)],
                condition=(
                    VerificationLink.token_digest.exists()
                    & VerificationLink.used_at.does_not_exist()
                    & (VerificationLink.expires_at > now)
                ),
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                self._explain_refused_link(token)
            raise DeliveryFailed(BUSY) from error

        session = new_token()
        expires_at = now + self._settings.session_ttl
        try:
            ResidentSession(
                session_digest=digest(session),
                email=link.email,
                language=link.language,
                created_at=now,
                expires_at=expires_at,
            ).save()
        except PutError as error:
            raise DeliveryFailed(BUSY) from error
        log.info("resident session opened")
        resident = Resident(digest(session), link.email, link.language, expires_at)
        return OpenedSession(session, expires_at, link.language, resident)

    def address_awaiting(self, token: object) -> str | None:
        """The address a link was sent to while the link can still be used, else None.
        Reading it consumes nothing: a mail scanner may fetch the link's page."""
        if not isinstance(token, str) or not looks_like_token(token):
            return None
        try:
            link = VerificationLink.get(digest(token))
        except DoesNotExist:
            return None
        except GetError as error:
            raise DeliveryFailed(BUSY) from error
        used_at: datetime | None = link.used_at  # nullable: pynamodb's stubs cannot say so
        if used_at is not None or link.expires_at <= self._clock():
            return None
        return str(link.email)

    def _explain_refused_link(self, token: str) -> NoReturn:
        """Only on the refusal path: one read to tell the resident why."""
        try:
            link = VerificationLink.get(digest(token))
        except DoesNotExist:
            log.info("verification refused", extra={"reason": "unknown"})
            raise LinkNotRecognised("This link is not valid. Request a new one.") from None
        except GetError as error:
            raise DeliveryFailed(BUSY) from error
        used_at: datetime | None = link.used_at  # nullable: pynamodb's stubs cannot say so
        if used_at is not None:
            log.info("verification refused", extra={"reason": "used"})
            raise LinkAlreadyUsed("This link has already been used. Request a new one.")
        log.info("verification refused", extra={"reason": "expired"})
        raise LinkExpired("This link has expired. Request a new one.")

    def resident(self, session: object) -> Resident:
        """The resident a session belongs to, or NotAuthenticated."""
        refused = NotAuthenticated("Your session has ended. Request a new link to continue.")
        if not isinstance(session, str) or not looks_like_token(session):
            raise refused
        try:
            record = ResidentSession.get(digest(session), consistent_read=True)
        except DoesNotExist:
            raise refused from None
        except GetError as error:
            raise DeliveryFailed(BUSY) from error
        now = self._clock()
        if record.expires_at <= now:
            raise refused
        if record.expires_at - now < self._settings.session_ttl / 2:
            record.expires_at = self._extend(record, now)
        return Resident(
            session_digest=record.session_digest,
            email=record.email,
            language=record.language,
            expires_at=record.expires_at,
        )

    def _extend(self, record: ResidentSession, now: datetime) -> datetime:
        """A resident still at work keeps the session: at most one write per half lifetime."""
        expires_at = now + self._settings.session_ttl
        try:
            record.update(actions=[ResidentSession.expires_at.set(expires_at)])
        except UpdateError as error:
            raise DeliveryFailed(BUSY) from error
        return expires_at

    def end_session(self, resident: Resident) -> None:
        try:
            ResidentSession(session_digest=resident.session_digest).delete()
        except DeleteError as error:
            raise DeliveryFailed(BUSY) from error
        log.info("resident session ended")
