"""Staff identity: Cognito sign-in, and the app's own check of every ID token it is shown.

The JWT is verified here (signature against the pool's JWKS, issuer, audience, expiry,
`token_use`), so the same code protects the local stack and AWS; API Gateway's Cognito
authorizer is not relied on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from ..errors import DeliveryFailed, InvalidInput, NotAuthenticated, NotPermitted
from .audit import AuditTrail

log = logging.getLogger(__name__)

GROUPS = ("reviewers", "supervisors", "admins")
PERMISSIONS: dict[str, frozenset[str]] = {
    "review": frozenset(GROUPS),
    "metrics": frozenset({"supervisors", "admins"}),
    "administer": frozenset({"admins"}),
}
REFUSED = "Sign in as a member of staff to continue."


@dataclass(frozen=True)
class StaffMember:
    username: str
    groups: frozenset[str]
    expires_at: datetime

    def may(self, permission: str) -> bool:
        return bool(self.groups & PERMISSIONS[permission])


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Challenge:
    """Cognito wants a second factor (TOTP) before it issues tokens."""

    name: str
    session: str


class StaffTokens:
    """Verifies Cognito ID tokens for one user pool and app client."""

    def __init__(self, *, issuer: str, audience: str, signing_keys: Callable[[str], Any]) -> None:
        self._issuer = issuer
        self._audience = audience
        self._signing_keys = signing_keys

    def verify(self, token: str | None) -> StaffMember:
        if not token:
            raise NotAuthenticated(REFUSED)
        import jwt  # imported on first use: residents' requests never need it

        try:
            key = self._signing_keys(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "iss", "aud", "token_use"]},
            )
        except (jwt.PyJWTError, ValueError, KeyError) as error:
            log.info("staff token refused", extra={"cause": type(error).__name__})
            raise NotAuthenticated(REFUSED) from None
        if claims.get("token_use") != "id":
            raise NotAuthenticated(REFUSED)
        groups = frozenset(claims.get("cognito:groups") or ()) & frozenset(GROUPS)
        return StaffMember(
            username=str(claims.get("cognito:username") or claims["sub"]),
            groups=groups,
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
        )

    def require(self, token: str | None, permission: str) -> StaffMember:
        member = self.verify(token)
        if not member.may(permission):
            raise NotPermitted("Your account is not allowed to do this.")
        return member


def jwks_signing_keys(jwks_url: str) -> Callable[[str], Any]:
    """Signing keys fetched from the pool's JWKS on first use, then cached for the process."""
    import jwt

    client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=5)

    def signing_key(token: str) -> Any:
        try:
            return client.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as error:
            raise DeliveryFailed("Staff sign-in is unavailable. Try again shortly.") from error

    return signing_key


class StaffSignIn:
    def __init__(self, *, cognito: Any, client_id: str | None, audit: AuditTrail) -> None:
        self._cognito = cognito
        self._client_id = client_id
        self._audit = audit

    def sign_in(self, username: object, password: object) -> SignedIn | Challenge:
        if not isinstance(username, str) or not username.strip() or len(username) > 128:
            raise InvalidInput("Enter your username", fields={"username": "Enter your username"})
        if not isinstance(password, str) or not password or len(password) > 256:
            raise InvalidInput("Enter your password", fields={"password": "Enter your password"})
        if not self._client_id:
            raise DeliveryFailed("Staff sign-in is not configured.")
        username = username.strip()
        try:
            answer = self._cognito.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in {"NotAuthorizedException", "UserNotFoundException"}:
                self._audit.record(f"staff#{username}", username, "sign_in", "refused")
                raise NotAuthenticated("The username or password is not right.") from None
            if code == "TooManyRequestsException":
                raise DeliveryFailed("Too many attempts. Wait a minute and try again.") from None
            raise DeliveryFailed("Staff sign-in is unavailable. Try again shortly.") from error
        except BotoCoreError as error:
            raise DeliveryFailed("Staff sign-in is unavailable. Try again shortly.") from error
        return self._outcome(username, answer)

    def answer_challenge(self, username: str, session: str, code: str) -> SignedIn | Challenge:
        if not self._client_id:
            raise DeliveryFailed("Staff sign-in is not configured.")
        try:
            answer = self._cognito.respond_to_auth_challenge(
                ClientId=self._client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=session,
                ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in {
                "CodeMismatchException",
                "NotAuthorizedException",
            }:
                self._audit.record(f"staff#{username}", username, "sign_in_mfa", "refused")
                raise NotAuthenticated("The code is not right. Try again.") from None
            raise DeliveryFailed("Staff sign-in is unavailable. Try again shortly.") from error
        except ParamValidationError:
            raise NotAuthenticated("The sign-in has expired. Start again.") from None
        except BotoCoreError as error:
            raise DeliveryFailed("Staff sign-in is unavailable. Try again shortly.") from error
        return self._outcome(username, answer)

    def _outcome(self, username: str, answer: dict[str, Any]) -> SignedIn | Challenge:
        if "AuthenticationResult" not in answer:
            self._audit.record(f"staff#{username}", username, "sign_in", "challenged")
            return Challenge(
                name=answer.get("ChallengeName", ""), session=answer.get("Session", "")
            )
        result = answer["AuthenticationResult"]
        self._audit.record(f"staff#{username}", username, "sign_in", "succeeded")
        token = result["IdToken"]
        import jwt

        expires = jwt.decode(token, options={"verify_signature": False})["exp"]
        return SignedIn(token=token, expires_at=datetime.fromtimestamp(int(expires), tz=UTC))
