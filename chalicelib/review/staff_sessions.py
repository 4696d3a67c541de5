"""Staff sessions on the server: the one module that writes the staff-sessions table.

A Cognito ID token proves who signed in for an hour, and nothing can take that back: a copy
outlives a sign-out, and the cookie's idle Max-Age binds only a browser that obeys it. So every
staff request, page or API, is admitted only while the token's session is open here: signed in,
not signed out, and used within the agency's idle limit (CJIS 5.5.5). A request costs one GetItem,
and an UpdateItem of `last_seen_at` at most once a minute. Ending a session, by signing out or
by idling, also revokes the sign-in's Cognito tokens (GlobalSignOut with its access token).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DoesNotExist, GetError, PutError, UpdateError
from pynamodb.expressions.update import Action

from ..errors import DeliveryFailed, NotAuthenticated, NotPermitted
from ..models import StaffSession
from ..tokens import digest
from .audit import AuditTrail
from .staff import REFUSED, SignedIn, StaffMember, StaffTokens

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

log = logging.getLogger(__name__)

SESSION_ENDED = "Your staff session has ended. Sign in again."
BUSY = "The service is busy. Please try again shortly."
TOUCH_AFTER = timedelta(seconds=60)
"""`last_seen_at` is written again only once it is this old: most requests cost one GetItem, and
the idle limit is kept to within a minute (early, never late)."""
SIGNED_OUT = "sign_out"
IDLE = "idle"


class StaffSessions:
    """Opens, checks and ends staff sessions, keyed by the digest of the session's ID token."""

    def __init__(
        self,
        *,
        tokens: StaffTokens,
        cognito: CognitoIdentityProviderClient,
        audit: AuditTrail,
        clock: Callable[[], datetime],
        idle_limit: timedelta,
    ) -> None:
        self._tokens = tokens
        self._cognito = cognito
        self._audit = audit
        self._clock = clock
        self._idle_limit = idle_limit

    def open(self, signed_in: SignedIn) -> None:
        """The session of a sign-in Cognito has just completed (one PutItem)."""
        now = self._clock()
        try:
            StaffSession(
                token_digest=digest(signed_in.token),
                username=signed_in.username,
                groups=sorted(signed_in.groups) or None,
                created_at=now,
                last_seen_at=now,
                access_token=signed_in.access_token,
                expires_at=signed_in.expires_at,
            ).save()
        except PutError as error:
            raise DeliveryFailed(BUSY) from error

    def require(self, id_token: str | None, permission: str) -> StaffMember:
        """The member of staff a request's token names, if the token is genuine (checked here,
        with no AWS call), its session still open, and the member's group has `permission`."""
        if not id_token:
            raise NotAuthenticated(REFUSED)
        member = self._tokens.verify(id_token)
        self.check(id_token)
        if not member.may(permission):
            raise NotPermitted("Your account is not allowed to do this.")
        return member

    def check(self, id_token: str) -> None:
        """Refuse a token whose session is unknown, ended, or idle past the limit."""
        try:
            session = StaffSession.get(digest(id_token), consistent_read=True)
        except DoesNotExist:
            raise NotAuthenticated(SESSION_ENDED) from None
        except GetError as error:
            raise DeliveryFailed(BUSY) from error
        ended_at: datetime | None = session.ended_at  # null=True, which pynamodb's types omit
        if ended_at is not None:
            raise NotAuthenticated(SESSION_ENDED)
        now = self._clock()
        quiet = now - session.last_seen_at
        if quiet >= self._idle_limit:
            self._end(session, IDLE)
            raise NotAuthenticated(SESSION_ENDED)
        if quiet >= TOUCH_AFTER and not self._updated(
            session, [StaffSession.last_seen_at.set(now)]
        ):
            raise NotAuthenticated(SESSION_ENDED)  # signed out a moment ago

    def end(self, id_token: str | None) -> None:
        """Sign out: the session ends at once and Cognito's tokens are revoked. A token with no
        open session (never signed in, or already signed out) ends nothing."""
        if id_token:
            self._end(StaffSession(token_digest=digest(id_token)), SIGNED_OUT)

    def _end(self, session: StaffSession, reason: str) -> None:
        """End the session once (a conditional UpdateItem: of two requests at once, one ends it
        and audits it), then revoke its Cognito tokens."""
        ended: list[Action] = [
            StaffSession.ended_at.set(self._clock()),
            StaffSession.ended_by.set(reason),
        ]
        if not self._updated(session, ended):
            return
        revoked = self._revoke(session.access_token)
        actor = session.username if reason == SIGNED_OUT else "service"
        outcome = "succeeded" if reason == SIGNED_OUT else IDLE
        self._audit.record(
            f"staff#{session.username}", actor, "sign_out", outcome, {"cognito": revoked}
        )

    def _updated(self, session: StaffSession, actions: list[Action]) -> bool:
        """One UpdateItem of an open session (the item, as updated, is read back into
        `session`); False when there is no open session to update."""
        try:
            session.update(
                actions=actions,
                condition=StaffSession.token_digest.exists()
                & StaffSession.ended_at.does_not_exist(),
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise DeliveryFailed(BUSY) from error
        return True

    def _revoke(self, access_token: str) -> str:
        """GlobalSignOut with the session's access token (moto has no RevokeToken; GlobalSignOut
        also revokes the refresh token). Cognito refusing the token means it is already signed
        out; any other failure is logged, and the session stays ended all the same."""
        try:
            self._cognito.global_sign_out(AccessToken=access_token)
        except ClientError as error:
            code = str(error.response["Error"]["Code"])
            if code == "NotAuthorizedException":
                return "already_signed_out"
            log.warning("staff tokens not revoked", extra={"cause": code})
            return "not_revoked"
        except BotoCoreError as error:  # ParamValidationError among them
            log.warning("staff tokens not revoked", extra={"cause": type(error).__name__})
            return "not_revoked"
        return "revoked"
