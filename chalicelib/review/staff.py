"""Staff identity: Cognito sign-in, and the app's own check of every ID token it is shown.

The JWT is verified here (signature against the pool's JWKS, issuer, audience, expiry,
`token_use`), so the same code protects the local stack and AWS; API Gateway's Cognito
authorizer is not relied on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import quote, urlencode

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from ..errors import DeliveryFailed, DomainError, InvalidInput, NotAuthenticated, NotPermitted
from .audit import AuditTrail
from .sign_in_lockout import SignInLockout

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

    from ..ratelimit import Standing


log = logging.getLogger(__name__)

GROUPS = ("reviewers", "supervisors", "admins")
PERMISSIONS: dict[str, frozenset[str]] = {
    "review": frozenset(GROUPS),
    "metrics": frozenset({"supervisors", "admins"}),
    "assign": frozenset({"supervisors", "admins"}),
    "administer": frozenset({"admins"}),
}
REFUSED = "Sign in as a member of staff to continue."
WRONG_PASSWORD = "The username or password is not right."  # noqa: S105 - a message
EXPIRED = "The sign-in has expired. Start again."
WRONG_CODE = "The code is not right. Try again."
UNAVAILABLE = "Staff sign-in is unavailable. Try again shortly."
DEVICE_NAME = "Self-Report"
"""The name Cognito keeps for a staff member's authenticator app."""

SOFTWARE_TOKEN_MFA: Final = "SOFTWARE_TOKEN_MFA"  # noqa: S105 - challenge names, not passwords
NEW_PASSWORD_REQUIRED: Final = "NEW_PASSWORD_REQUIRED"  # noqa: S105
MFA_SETUP: Final = "MFA_SETUP"
ANSWERED_CHALLENGES = frozenset({SOFTWARE_TOKEN_MFA, NEW_PASSWORD_REQUIRED, MFA_SETUP})
"""The Cognito challenges staff can answer here; any other stops the sign-in with a refusal."""

PASSWORD_MIN_LENGTH = 12
PASSWORD_RULES = (
    f"at least {PASSWORD_MIN_LENGTH} characters",
    "a capital letter and a lowercase letter",
    "a number",
    "a symbol, such as ! ? # or %",
)
"""The staff pool's password policy (infra/provision.py create_staff_pool) in plain words."""
_PASSWORD_FAULTS = (
    ("long enough", f"Your new password must be at least {PASSWORD_MIN_LENGTH} characters long"),
    ("uppercase", "Your new password must include a capital letter"),
    ("lowercase", "Your new password must include a lowercase letter"),
    ("numeric", "Your new password must include a number"),
    ("symbol", "Your new password must include a symbol, such as ! ? # or %"),
    ("security reasons", "This password is known to have leaked. Choose a different one"),
    ("previous", "Choose a password you have not used before"),
    ("history", "Choose a password you have not used before"),
)
"""Fragments of Cognito's InvalidPasswordException messages, and what staff are told instead."""
_SECRET = re.compile(r"^[A-Za-z0-9]{8,256}=*$")
"""What Cognito's `SecretCode` may look like (its API says `[A-Za-z0-9]+`, base32 in practice)."""


@dataclass(frozen=True)
class StaffMember:
    username: str
    groups: frozenset[str]
    expires_at: datetime

    def may(self, permission: str) -> bool:
        return bool(self.groups & PERMISSIONS[permission])


@dataclass(frozen=True)
class SignedIn:
    """Cognito's tokens for a completed sign-in: the ID token goes to the member of staff, the
    access token only to the server-side session (to revoke the sign-in when it ends)."""

    token: str = field(repr=False)
    expires_at: datetime
    username: str
    groups: frozenset[str]
    access_token: str = field(repr=False)


class SessionOpener(Protocol):
    """Where a completed sign-in's session is opened (`staff_sessions.StaffSessions`)."""

    def open(self, signed_in: SignedIn) -> None: ...


@dataclass(frozen=True)
class Challenge:
    """Cognito wants one more step before it issues tokens: a new password, an authenticator
    app set up, or a code from it. `MFA_SETUP` carries the app's secret: never log or audit it
    (it is left out of `repr`, as the session is)."""

    name: str
    session: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    otpauth_uri: str | None = field(default=None, repr=False)


class SignInExpired(NotAuthenticated):
    """The challenge's session is unknown, forged or past its time: the sign-in starts again."""

    def __init__(self) -> None:
        super().__init__(EXPIRED)


def is_totp_secret(value: object) -> bool:
    return isinstance(value, str) and bool(_SECRET.match(value))


def otpauth_uri(issuer: str, username: str, secret: str) -> str:
    """The key URI authenticator apps read from a QR code or a link (Google's Key URI format):
    issuer and account name each percent-encoded, spaces as %20, the secret unpadded."""
    label = f"{quote(issuer, safe='')}:{quote(username, safe='')}"
    query = urlencode({"secret": secret.rstrip("="), "issuer": issuer}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def secret_groups(secret: str) -> str:
    """The secret in blocks of four, easier to read and type: `ABCD EFGH IJKL`."""
    bare = secret.rstrip("=")
    return " ".join(bare[start : start + 4] for start in range(0, len(bare), 4))


def password_refusal(cognito_message: str) -> InvalidInput:
    """Cognito's refusal of a new password, in the words the sign-in page uses."""
    lowered = cognito_message.lower()
    message = next(
        (said for fragment, said in _PASSWORD_FAULTS if fragment in lowered),
        "Your new password must have " + ", ".join(PASSWORD_RULES),
    )
    return InvalidInput(message, fields={"new_password": message})


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
    """Cognito's `USER_PASSWORD_AUTH` and the challenges that may follow it.

    A member of staff created by an administrator signs in first with the emailed temporary
    password (`NEW_PASSWORD_REQUIRED`), then, where the pool requires MFA, adds an authenticator
    app (`MFA_SETUP`); every later sign-in asks for the app's code (`SOFTWARE_TOKEN_MFA`).
    The audit trail records each outcome; passwords, codes and secrets are never recorded.

    Every step first asks `lockout` whether the name or the client's address may try at all;
    each wrong password or code is counted (`SignInLockout`). Tokens are handed out only with a
    session opened for them (`sessions`), which ends at sign-out or after the idle limit.
    `client` is the address the request came from.
    """

    def __init__(
        self,
        *,
        cognito: CognitoIdentityProviderClient,
        client_id: str | None,
        audit: AuditTrail,
        issuer: str,
        lockout: SignInLockout,
        sessions: SessionOpener,
    ) -> None:
        self._cognito = cognito
        self._client_id = client_id
        self._audit = audit
        self._lockout = lockout
        self._sessions = sessions
        self.issuer = issuer  # the name authenticator apps show beside the code: the agency's

    def sign_in(self, username: object, password: object, client: str) -> SignedIn | Challenge:
        if not isinstance(username, str) or not username.strip() or len(username) > 128:
            raise InvalidInput("Enter your username", fields={"username": "Enter your username"})
        if not isinstance(password, str) or not password or len(password) > 256:
            raise InvalidInput("Enter your password", fields={"password": "Enter your password"})
        client_id = self._configured()
        username = username.strip()
        before = self._lockout.admit(username, client, "sign_in")
        try:
            answer = self._cognito.initiate_auth(
                ClientId=client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in {"NotAuthorizedException", "UserNotFoundException"}:
                self._audit.record(f"staff#{username}", username, "sign_in", "refused")
                self._lockout.failed(username, client, "sign_in")
                raise NotAuthenticated(WRONG_PASSWORD) from None
            if code == "TooManyRequestsException":
                raise DeliveryFailed("Too many attempts. Wait a minute and try again.") from None
            raise DeliveryFailed(UNAVAILABLE) from error
        except BotoCoreError as error:
            raise DeliveryFailed(UNAVAILABLE) from error
        return self._outcome(username, answer, before)

    def answer_challenge(
        self, username: object, session: object, code: object, client: str
    ) -> SignedIn | Challenge:
        """`SOFTWARE_TOKEN_MFA`: the code from the authenticator app set up before."""
        username, session, code = self._step(username, session), str(session), _code(code)
        before = self._lockout.admit(username, client, "sign_in_mfa")
        with self._refusals(
            username,
            "sign_in_mfa",
            {
                "CodeMismatchException": _wrong_code,
                "NotAuthorizedException": _wrong_code_or_expired,
            },
            client,
        ):
            answer = self._cognito.respond_to_auth_challenge(
                ClientId=self._configured(),
                ChallengeName=SOFTWARE_TOKEN_MFA,
                Session=session,
                ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code},
            )
        return self._outcome(username, answer, before)

    def choose_password(
        self, username: object, session: object, new_password: object, client: str
    ) -> SignedIn | Challenge:
        """`NEW_PASSWORD_REQUIRED`: the first sign-in replaces the emailed temporary password.
        A password the policy refuses is not a guess: it is not counted."""
        username, session = self._step(username, session), str(session)
        if not isinstance(new_password, str) or not new_password or len(new_password) > 256:
            message = "Enter a new password"
            raise InvalidInput(message, fields={"new_password": message})
        before = self._lockout.admit(username, client, "sign_in_new_password")
        with self._refusals(
            username,
            "sign_in_new_password",
            {"InvalidPasswordException": password_refusal},
        ):
            answer = self._cognito.respond_to_auth_challenge(
                ClientId=self._configured(),
                ChallengeName=NEW_PASSWORD_REQUIRED,
                Session=session,
                ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password},
            )
        self._audit.record(f"staff#{username}", username, "sign_in_new_password", "succeeded")
        return self._outcome(username, answer, before)

    def set_up_authenticator(
        self, username: object, session: object, code: object, client: str
    ) -> SignedIn | Challenge:
        """`MFA_SETUP`: the first code from the newly added app proves it, then Cognito signs in."""
        username, session, code = self._step(username, session), str(session), _code(code)
        client_id = self._configured()
        before = self._lockout.admit(username, client, "sign_in_mfa_setup")
        with self._refusals(
            username,
            "sign_in_mfa_setup",
            {"EnableSoftwareTokenMFAException": _wrong_code, "CodeMismatchException": _wrong_code},
            client,
        ):
            verified = self._cognito.verify_software_token(
                Session=session, UserCode=code, FriendlyDeviceName=DEVICE_NAME
            )
        if verified.get("Status") != "SUCCESS":
            self._audit.record(f"staff#{username}", username, "sign_in_mfa_setup", "refused")
            self._lockout.failed(username, client, "sign_in_mfa_setup")
            raise NotAuthenticated(WRONG_CODE)
        self._audit.record(f"staff#{username}", username, "sign_in_mfa_setup", "succeeded")
        with self._refusals(username, "sign_in_mfa_setup", {}):
            answer = self._cognito.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName=MFA_SETUP,
                Session=verified.get("Session") or session,
                ChallengeResponses={"USERNAME": username},
            )
        return self._outcome(username, answer, before)

    def _configured(self) -> str:
        if not self._client_id:
            raise DeliveryFailed("Staff sign-in is not configured.")
        return self._client_id

    def _step(self, username: object, session: object) -> str:
        """The username and session a challenge page carried: they identify the sign-in."""
        if not isinstance(username, str) or not username.strip() or len(username) > 128:
            raise SignInExpired()
        if not isinstance(session, str) or not 20 <= len(session) <= 2048:
            raise SignInExpired()
        return username.strip()

    @contextmanager
    def _refusals(
        self,
        username: str,
        action: str,
        refusals: Mapping[str, Callable[[str], DomainError]],
        client: str | None = None,
    ) -> Iterator[None]:
        """Cognito's errors while answering a challenge, as domain errors. `refusals` maps the
        error codes that mean "not accepted" to what the member of staff is told; those are
        audited as refused, and a wrong code counts as a failure from `client` (a password the
        policy refuses does not). A session Cognito no longer knows means starting again."""
        try:
            yield
        except ClientError as error:
            code = str(error.response["Error"]["Code"])
            message = str(error.response["Error"].get("Message") or "")
            if code in refusals:
                self._audit.record(f"staff#{username}", username, action, "refused")
                refusal = refusals[code](message)
                if client is not None and _is_wrong_guess(refusal):
                    self._lockout.failed(username, client, action)
                raise refusal from None
            if code in {
                "NotAuthorizedException",
                "ExpiredCodeException",
                "ResourceNotFoundException",
            }:
                log.info("staff sign-in step expired", extra={"action": action, "cause": code})
                raise SignInExpired() from None
            if code == "TooManyRequestsException":
                raise DeliveryFailed("Too many attempts. Wait a minute and try again.") from None
            raise DeliveryFailed(UNAVAILABLE) from error
        except ParamValidationError:  # a session or code Cognito's own limits refuse
            raise SignInExpired() from None
        except BotoCoreError as error:
            raise DeliveryFailed(UNAVAILABLE) from error

    def _outcome(
        self, username: str, answer: Mapping[str, Any], before: Standing
    ) -> SignedIn | Challenge:
        """Tokens (the name's failures forgotten, a session opened), or the next challenge:
        a right password before a code is not yet a success, so its failures still count."""
        if "AuthenticationResult" in answer:
            signed_in = self._signed_in(username, answer["AuthenticationResult"])
            self._lockout.succeeded(username, before)
            self._sessions.open(signed_in)
            return signed_in
        name = str(answer.get("ChallengeName") or "")
        session = str(answer.get("Session") or "")
        if name not in ANSWERED_CHALLENGES:
            self._audit.record(
                f"staff#{username}", username, "sign_in", "refused", {"challenge": name or "none"}
            )
            log.warning("staff sign-in challenge not supported", extra={"challenge": name})
            raise NotPermitted(
                "Your account asks for a sign-in step this service does not offer"
                f" ({name or 'none'}). Ask an administrator to set your account up for an"
                " authenticator app."
            )
        self._audit.record(
            f"staff#{username}", username, "sign_in", "challenged", {"challenge": name}
        )
        if name == MFA_SETUP:
            return self._authenticator_to_add(username, session)
        return Challenge(name=name, session=session)

    def _authenticator_to_add(self, username: str, session: str) -> Challenge:
        """A new secret for the staff member's authenticator app, and the link that adds it."""
        with self._refusals(username, "sign_in_mfa_setup", {}):
            associated = self._cognito.associate_software_token(Session=session)
        secret = str(associated["SecretCode"])
        return Challenge(
            name=MFA_SETUP,
            session=str(associated.get("Session") or session),
            secret=secret,
            otpauth_uri=otpauth_uri(self.issuer, username, secret),
        )

    def _signed_in(self, username: str, result: dict[str, Any]) -> SignedIn:
        self._audit.record(f"staff#{username}", username, "sign_in", "succeeded")
        token = result["IdToken"]
        import jwt

        # Cognito's own answer, just received over TLS: its claims need no second check here.
        claims = jwt.decode(token, options={"verify_signature": False})
        return SignedIn(
            token=token,
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
            username=str(claims.get("cognito:username") or username),
            groups=frozenset(claims.get("cognito:groups") or ()) & frozenset(GROUPS),
            access_token=str(result["AccessToken"]),
        )


def _code(value: object) -> str:
    """Six digits from an authenticator app; spaces people type between the halves are dropped."""
    code = value.replace(" ", "") if isinstance(value, str) else ""
    if not re.fullmatch(r"\d{6}", code):
        message = "Enter the 6-digit code from your authenticator app"
        raise InvalidInput(message, fields={"code": message})
    return code


def _is_wrong_guess(refusal: DomainError) -> bool:
    """A wrong code counts towards the lockout; an expired session or a refused new password
    does not."""
    return isinstance(refusal, NotAuthenticated) and not isinstance(refusal, SignInExpired)


def _wrong_code(cognito_message: str) -> DomainError:
    return NotAuthenticated(WRONG_CODE)


def _wrong_code_or_expired(cognito_message: str) -> DomainError:
    """Cognito says "Invalid session" once the session has expired or had too many wrong codes."""
    return SignInExpired() if "session" in cognito_message.lower() else NotAuthenticated(WRONG_CODE)
