"""The pieces of a first staff sign-in that need no Cognito: the key URI, the key as shown,
Cognito's password refusals in plain words, and what a challenge lets slip."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from chalicelib.errors import NotPermitted
from chalicelib.ratelimit import CLEAR, Standing
from chalicelib.review.staff import (
    PASSWORD_RULES,
    Challenge,
    StaffSignIn,
    is_totp_secret,
    otpauth_uri,
    password_refusal,
    secret_groups,
)

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

    from chalicelib.review.audit import AuditTrail
    from chalicelib.review.sign_in_lockout import SignInLockout
    from chalicelib.review.staff import SignedIn

PROJECT_DIR = Path(__file__).resolve().parents[2]
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSW"


def test_the_key_uri_names_the_agency_and_the_account() -> None:
    uri = otpauth_uri("Riverton Police Department", "pat.o'neil@riverton.example", SECRET)

    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/Riverton%20Police%20Department:pat.o%27neil%40riverton.example"
    assert unquote(parts.path) == "/Riverton Police Department:pat.o'neil@riverton.example"
    assert parse_qs(parts.query) == {"secret": [SECRET], "issuer": ["Riverton Police Department"]}
    assert "+" not in uri, "spaces are %20: some apps show a + literally"


def test_the_key_uri_escapes_what_would_split_it() -> None:
    uri = otpauth_uri("Police & Fire: A/B?", "x:y#z", SECRET + "====")

    parts = urlsplit(uri)
    assert parts.path.count(":") == 1, "only the separator between issuer and account"
    assert unquote(parts.path) == "/Police & Fire: A/B?:x:y#z"
    assert parse_qs(parts.query) == {"secret": [SECRET], "issuer": ["Police & Fire: A/B?"]}


def test_the_key_is_shown_in_blocks_of_four() -> None:
    assert secret_groups("ABCDEFGHIJKLMN==") == "ABCD EFGH IJKL MN"
    assert secret_groups(SECRET).replace(" ", "") == SECRET
    assert all(len(block) == 4 for block in secret_groups(SECRET).split()[:-1])


@pytest.mark.parametrize(
    ("value", "plausible"),
    [
        (SECRET, True),
        ("asdfasdfasdf", True),
        ("", False),
        ("short", False),
        ('"><script>', False),
        ("A" * 300, False),
        (None, False),
    ],
)
def test_a_setup_key_carried_by_a_page_is_checked(value: object, plausible: bool) -> None:
    assert is_totp_secret(value) is plausible


@pytest.mark.parametrize(
    ("cognito_says", "we_say"),
    [
        ("Password does not conform to policy: Password not long enough", "at least 12"),
        ("Password does not conform to policy: Password must have uppercase characters", "capital"),
        ("Password does not conform to policy: Password must have lowercase characters", "lower"),
        ("Password does not conform to policy: Password must have numeric characters", "number"),
        ("Password does not conform to policy: Password must have symbol characters", "symbol"),
        ("Provided password cannot be used for security reasons.", "leaked"),
        ("The provided password does not confirm to the configured password policy", "at least"),
    ],
)
def test_cognitos_password_refusals_are_put_plainly(cognito_says: str, we_say: str) -> None:
    error = password_refusal(cognito_says)

    assert set(error.fields) == {"new_password"}
    assert we_say in error.fields["new_password"]
    assert error.message == error.fields["new_password"]
    assert "conform" not in error.message and "policy" not in error.message


def test_an_unknown_refusal_states_every_rule() -> None:
    message = password_refusal("Something new").message

    for rule in PASSWORD_RULES:
        assert rule in message


def test_a_challenge_does_not_show_its_secret_or_session_in_its_repr() -> None:
    challenge = Challenge(
        name="MFA_SETUP",
        session="session-value-" + "s" * 30,
        secret=SECRET,
        otpauth_uri=otpauth_uri("Riverton", "pat", SECRET),
    )

    shown = repr(challenge)

    assert "MFA_SETUP" in shown
    assert SECRET not in shown and "session-value" not in shown and "otpauth" not in shown


class RecordingAudit:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any] | None]] = []

    def record(
        self,
        subject: str,
        actor: str,
        action: str,
        outcome: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.events.append((action, outcome, details))


class OpenLockout:
    """A lockout that never locks and counts what it is told (the real one is tested on moto)."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def admit(self, username: str, client: str, action: str) -> Standing:
        return CLEAR

    def failed(self, username: str, client: str, action: str) -> None:
        self.failures.append(action)

    def succeeded(self, username: str, before: Standing) -> None:
        pass


class NoSessions:
    def open(self, signed_in: SignedIn) -> None:
        raise AssertionError("no sign-in completes here")


def staff_sign_in(cognito: object, audit: RecordingAudit) -> StaffSignIn:
    return StaffSignIn(
        cognito=cast("CognitoIdentityProviderClient", cognito),
        client_id="client",
        audit=cast("AuditTrail", audit),
        issuer="Riverton PD",
        lockout=cast("SignInLockout", OpenLockout()),
        sessions=NoSessions(),
    )


class AssociatingCognito:
    """Cognito as it answers a new password on a pool that requires an authenticator app."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def respond_to_auth_challenge(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("respond_to_auth_challenge", request))
        return {"ChallengeName": "MFA_SETUP", "Session": "after-new-password-" + "s" * 20}

    def associate_software_token(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("associate_software_token", request))
        return {"SecretCode": SECRET, "Session": "after-associate-" + "s" * 20}


def test_an_authenticator_to_set_up_comes_with_its_secret_and_the_newest_session() -> None:
    cognito, audit = AssociatingCognito(), RecordingAudit()
    sign_in = staff_sign_in(cognito, audit)

    challenge = sign_in.choose_password(
        "pat", "first-session-" + "s" * 20, "Kettle-Harbour-42!", "192.0.2.1"
    )

    assert isinstance(challenge, Challenge)
    assert challenge.name == "MFA_SETUP"
    assert challenge.secret == SECRET
    assert challenge.session == "after-associate-" + "s" * 20
    assert challenge.otpauth_uri == otpauth_uri("Riverton PD", "pat", SECRET)
    assert cognito.calls[1] == (
        "associate_software_token",
        {"Session": "after-new-password-" + "s" * 20},
    )
    assert ("sign_in", "challenged", {"challenge": "MFA_SETUP"}) in audit.events
    assert SECRET not in repr(audit.events) and "Kettle" not in repr(audit.events)


class OtherChallengeCognito:
    def initiate_auth(self, **request: Any) -> dict[str, Any]:
        return {"ChallengeName": "SMS_MFA", "Session": "s" * 40}


def test_a_challenge_this_service_does_not_answer_is_refused() -> None:
    audit = RecordingAudit()
    sign_in = staff_sign_in(OtherChallengeCognito(), audit)

    with pytest.raises(NotPermitted, match="does not offer"):
        sign_in.sign_in("pat", "Kettle-Harbour-42!", "192.0.2.1")

    assert audit.events == [("sign_in", "refused", {"challenge": "SMS_MFA"})]


def test_the_qr_code_is_inline_svg_the_pages_policy_allows() -> None:
    from chalicelib.routes.staff_pages import qr_code

    svg = str(qr_code(otpauth_uri("Riverton Police Department", "pat", SECRET)))

    assert svg.startswith('<svg role="img"') and svg.endswith("</svg>")
    assert "<title>" in svg
    for blocked in ("style", "<script", "href", "<image", "javascript:"):
        assert blocked not in svg
