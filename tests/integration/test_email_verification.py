"""Email verification on moto in-process: what a resident and the database see."""

from __future__ import annotations

import re

import pytest

from chalicelib.errors import (
    InvalidInput,
    LinkAlreadyUsed,
    LinkExpired,
    LinkNotRecognised,
    NotAuthenticated,
    RateLimited,
)
from chalicelib.mail import RecordingOutbox
from chalicelib.models import ResidentSession, VerificationLink
from chalicelib.services import Services
from chalicelib.tokens import digest
from tests.support.deployment import FakeClock

ADDRESS = "ana.lopez@example.com"


def link_token(outbox: RecordingOutbox) -> str:
    match = re.search(r"/verify\?token=([\w-]+)", outbox.as_json()[-1]["text"])
    assert match
    return match.group(1)


def test_a_resident_gets_a_link_by_email(system: Services, outbox: RecordingOutbox) -> None:
    system.verification.send_link(ADDRESS, None, "203.0.113.9")

    [email] = outbox.as_json()
    assert email["to"] == ADDRESS
    assert "Riverton Police Department" in email["subject"]
    assert "http://127.0.0.1:8000/verify?token=" in email["text"]
    assert "expires in 15 minutes" in email["text"]
    assert f'href="http://127.0.0.1:8000/verify?token={link_token(outbox)}"' in email["html"]


def test_the_token_is_stored_only_as_a_digest(system: Services, outbox: RecordingOutbox) -> None:
    system.verification.send_link(ADDRESS, None, "203.0.113.9")
    token = link_token(outbox)

    [stored] = list(VerificationLink.scan())
    assert stored.token_digest == digest(token)
    assert token not in str(stored.serialize())


def test_a_link_opens_a_session_once(system: Services, outbox: RecordingOutbox) -> None:
    system.verification.send_link(ADDRESS, None, "203.0.113.9")
    token = link_token(outbox)

    opened = system.verification.open_session(token)

    resident = system.verification.resident(opened.session)
    assert resident.email == ADDRESS
    assert ResidentSession.get(digest(opened.session)).email == ADDRESS
    with pytest.raises(LinkAlreadyUsed):
        system.verification.open_session(token)


def test_a_link_expires_after_fifteen_minutes(
    system: Services, outbox: RecordingOutbox, clock: FakeClock
) -> None:
    system.verification.send_link(ADDRESS, None, "203.0.113.9")
    clock.advance(minutes=15, seconds=1)

    with pytest.raises(LinkExpired):
        system.verification.open_session(link_token(outbox))


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "not a token at all, with spaces!", None])
def test_an_unknown_or_malformed_link_is_not_recognised(system: Services, token: object) -> None:
    with pytest.raises(LinkNotRecognised):
        system.verification.open_session(token)


def test_a_session_ends_when_it_expires(
    system: Services, outbox: RecordingOutbox, clock: FakeClock
) -> None:
    system.verification.send_link(ADDRESS, None, "203.0.113.9")
    opened = system.verification.open_session(link_token(outbox))
    clock.advance(hours=8, seconds=1)

    with pytest.raises(NotAuthenticated):
        system.verification.resident(opened.session)


def test_a_signed_out_session_no_longer_works(system: Services, outbox: RecordingOutbox) -> None:
    system.verification.send_link(ADDRESS, None, "203.0.113.9")
    opened = system.verification.open_session(link_token(outbox))

    system.verification.end_session(system.verification.resident(opened.session))

    with pytest.raises(NotAuthenticated):
        system.verification.resident(opened.session)


def test_requests_for_one_address_are_limited_whatever_its_case(
    system: Services, outbox: RecordingOutbox, clock: FakeClock
) -> None:
    for variant in (ADDRESS, ADDRESS.upper(), ADDRESS):
        system.verification.send_link(variant, None, "203.0.113.9")

    with pytest.raises(RateLimited) as raised:
        system.verification.send_link(ADDRESS.title(), None, "203.0.113.9")

    assert 0 < raised.value.retry_after_seconds <= 3600
    assert len(outbox.as_json()) == 3
    # Another client is not refused for what this one asked (tests/integration/
    # test_resident_limits.py): the window's end frees this client too.
    system.verification.send_link(ADDRESS, None, "198.51.100.7")
    clock.advance(hours=1)
    system.verification.send_link(ADDRESS, None, "203.0.113.9")
    assert len(outbox.as_json()) == 5


def test_requests_from_one_client_are_limited(system: Services, outbox: RecordingOutbox) -> None:
    for number in range(10):
        system.verification.send_link(f"resident{number}@example.com", None, "203.0.113.9")

    with pytest.raises(RateLimited):
        system.verification.send_link("one-more@example.com", None, "203.0.113.9")
    system.verification.send_link("one-more@example.com", None, "198.51.100.7")
    assert len(outbox.as_json()) == 11


def test_a_language_the_agency_does_not_offer_is_refused(system: Services) -> None:
    with pytest.raises(InvalidInput) as raised:
        system.verification.send_link(ADDRESS, "fr", "203.0.113.9")

    assert "language" in raised.value.fields


def test_a_resident_at_work_keeps_the_session(
    system: Services, outbox: RecordingOutbox, clock: FakeClock
) -> None:
    system.verification.send_link(ADDRESS, None, "203.0.113.9")
    opened = system.verification.open_session(link_token(outbox))

    for _ in range(6):  # 6 x 3 hours: far past the 8-hour lifetime, but never idle that long
        clock.advance(hours=3)
        system.verification.resident(opened.session)

    clock.advance(hours=8, seconds=1)
    with pytest.raises(NotAuthenticated):
        system.verification.resident(opened.session)
