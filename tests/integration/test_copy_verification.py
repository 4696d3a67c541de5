"""Checking a copy: the code on the PDF, `/copies/verify` and its JSON twin, on moto in-process.

The page says only that the agency issued a copy with that case number, incident type and date
of issue: never a name, an address, a phone number, an email address or the story."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from chalice.test import Client
from pypdf import PdfReader

from chalicelib.copy_codes import (
    COPY_CODE_ALPHABET,
    COPY_CODE_LENGTH,
    new_copy_code,
    show_code,
)
from chalicelib.mail import RecordingOutbox
from chalicelib.models import Report
from chalicelib.services import Services
from chalicelib.settings import Settings
from tests.support.deployment import START, FakeClock, InstantReview, moto_deployment
from tests.support.forms import PageClient
from tests.support.reports import approved_report as approved

REFERENCE = "RPD-7K4M-Q2XH"
CASE_NUMBER = "RPD-2026-000007"
PERSONAL = (
    "Zoë",
    "Łukasz",
    "zoe@example.com",
    "Elm Street",
    "010-7788",
    "My bicycle was taken",
    "Black Trek",
    "WTU123456",
    REFERENCE,
)


def approved_report(system: Services, report_id: str = REFERENCE) -> Report:
    report = approved(
        report_id,
        case_number=CASE_NUMBER,
        supplements=[
            {
                "question": "What colour is the lock?",
                "asked_at": START.isoformat(),
                "text": "Red, with a 🔒 sticker.",
                "at": (START + timedelta(hours=2)).isoformat(),
            }
        ],
    )
    report.save()
    return report


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"copy_checks_per_client": 5})


@pytest.fixture
def issued(system: Services) -> str:
    """An approved report whose copy was stored: its verification code."""
    system.aws.s3.create_bucket(Bucket=system.settings.bucket_name)
    system.copies.store(approved_report(system))
    code = Report.get(REFERENCE).copy_code
    assert code is not None
    return code


def stored_copy(system: Services) -> bytes:
    body: bytes = system.aws.s3.get_object(
        Bucket=system.settings.bucket_name, Key=f"copies/{REFERENCE}.pdf"
    )["Body"].read()
    return body


def html_of(response: object) -> str:
    return response.body.decode()  # type: ignore[attr-defined, no-any-return]


def test_codes_are_long_random_and_unambiguous() -> None:
    codes = {new_copy_code() for _ in range(2000)}

    assert len(codes) == 2000
    assert all(len(code) == COPY_CODE_LENGTH for code in codes)
    assert set("".join(codes)) == set(COPY_CODE_ALPHABET)
    assert not set("01OIL") & set(COPY_CODE_ALPHABET)


def test_the_copy_carries_its_code_once_given_and_the_answers_to_questions(
    system: Services, issued: str
) -> None:
    report = Report.get(REFERENCE)
    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(stored_copy(system))).pages
    )

    assert show_code(issued) in text
    assert f"{system.settings.base_url}/copies/verify" in text
    assert "Question asked What colour is the lock?" in text
    assert "Answer given Red, with a 🔒 sticker." in text
    assert report.copy_issued_at == START
    system.copies.store(report)  # the step again: the same code
    assert Report.get(REFERENCE).copy_code == issued
    assert show_code(issued) in PdfReader(io.BytesIO(stored_copy(system))).pages[0].extract_text()


def test_the_code_is_looked_up_by_its_index_never_a_scan(system: Services, issued: str) -> None:
    report = system.store.by_copy_code(issued)

    assert report is not None and report.case_number == CASE_NUMBER
    projected = set(report.attribute_values)
    assert not projected & {"contact_email", "answers", "supplements", "owner_key"}, projected
    assert system.store.by_copy_code("2" * COPY_CODE_LENGTH) is None


def test_the_page_confirms_a_genuine_copy_and_shows_nothing_personal(
    client: Client, issued: str
) -> None:
    response = client.http.get(f"/copies/verify?code={issued}")
    html = html_of(response)

    assert response.status_code == 200
    for expected in (
        "This copy is genuine",
        "Riverton Police Department issued a copy",
        CASE_NUMBER,
        "Something was stolen",
        "November 2, 2026",
        show_code(issued),
    ):
        assert expected in html, expected
    for personal in PERSONAL:
        assert personal not in html, personal
    assert response.headers["Cache-Control"] == "no-store"


def test_a_code_is_taken_as_people_type_it(client: Client, issued: str) -> None:
    typed = f" {show_code(issued).lower()} "

    response = PageClient(client).post_form("/copies/verify", {"code": typed})

    assert response.status_code == 200
    assert CASE_NUMBER in html_of(response)


def test_the_spanish_page(client: Client, issued: str) -> None:
    response = client.http.get(f"/copies/verify?code={issued}&lang=es")
    html = html_of(response)

    assert response.status_code == 200
    assert "Esta copia es auténtica" in html and "2 de noviembre de 2026" in html
    assert 'lang="es"' in html


def test_the_form_without_a_code(client: Client) -> None:
    response = client.http.get("/copies/verify")
    html = html_of(response)

    assert response.status_code == 200
    assert "Check a copy of a police report" in html
    assert 'name="form_token"' in html and 'name="code"' in html


def test_an_unknown_code_is_not_found(client: Client, issued: str) -> None:
    unknown = next(
        c * COPY_CODE_LENGTH for c in COPY_CODE_ALPHABET if c * COPY_CODE_LENGTH != issued
    )

    response = client.http.get(f"/copies/verify?code={unknown}")
    html = html_of(response)

    assert response.status_code == 404
    assert "No copy with this code" in html
    assert CASE_NUMBER not in html


@pytest.mark.parametrize(
    "code", ["", "short", "0000-1111-OOOO", "A" * 13, "<script>alert(1)</script>", "७" * 12]
)
def test_a_malformed_code_is_refused_beside_the_field(client: Client, code: str) -> None:
    response = PageClient(client).post_form("/copies/verify", {"code": code})
    html = html_of(response)

    assert response.status_code == 422
    assert "There is a problem" in html and 'href="#code"' in html
    assert 'aria-invalid="true"' in html
    assert "<script>alert" not in html


def test_the_form_needs_its_token(client: Client) -> None:
    response = client.http.post(
        "/copies/verify",
        body="code=7K4MQ2XHABCD",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 403


def test_a_withdrawn_or_rejected_report_has_no_copy_to_check(client: Client, issued: str) -> None:
    Report._get_connection().update_item(REFERENCE, actions=[Report.status.set("rejected")])

    response = client.http.get(f"/copies/verify?code={issued}")

    assert response.status_code == 404


def test_too_many_checks_from_one_client_are_refused_with_retry_after(
    client: Client, issued: str
) -> None:
    statuses = [client.http.get(f"/copies/verify?code={issued}").status_code for _ in range(5)]
    refused = client.http.get(f"/copies/verify?code={issued}")

    assert statuses == [200] * 5
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many codes checked" in html_of(refused)
    assert CASE_NUMBER not in html_of(refused)
    api = client.http.get(f"/api/copies/verify?code={issued}")
    assert api.status_code == 429 and "Retry-After" in api.headers


def test_the_json_twin(client: Client, issued: str) -> None:
    found = client.http.get(f"/api/copies/verify?code={show_code(issued)}")
    unknown = client.http.get(f"/api/copies/verify?code={'2' * COPY_CODE_LENGTH}")
    malformed = client.http.get("/api/copies/verify?code=nope")
    missing = client.http.get("/api/copies/verify")

    assert found.status_code == 200
    assert found.json_body == {
        "issued": True,
        "agency": "Riverton Police Department",
        "case_number": CASE_NUMBER,
        "incident_type": "theft",
        "incident_type_label": "Something was stolen",
        "issued_at": START.isoformat(),
    }
    assert unknown.status_code == 404 and unknown.json_body["error"]["code"] == "not_found"
    assert malformed.status_code == 422 and "code" in malformed.json_body["error"]["fields"]
    assert missing.status_code == 422


@pytest.fixture
def strict_system(clock: FakeClock, outbox: RecordingOutbox) -> Iterator[Services]:
    from tests.support.deployment import TEST_SETTINGS

    with moto_deployment(
        settings=TEST_SETTINGS.model_copy(update={"copy_checks_per_client": 2}),
        clock=clock,
        outbox=outbox,
        review=InstantReview(),
    ) as built:
        yield built.services


def test_malformed_codes_do_not_count_but_unknown_ones_do(strict_system: Services) -> None:
    from chalicelib.errors import InvalidInput, NotFound, RateLimited

    checks = strict_system.copy_checks
    for _ in range(5):
        with pytest.raises(InvalidInput):
            checks.check("nope", "203.0.113.9")
    for _ in range(2):
        with pytest.raises(NotFound):
            checks.check("2" * COPY_CODE_LENGTH, "203.0.113.9")
    with pytest.raises(RateLimited):
        checks.check("3" * COPY_CODE_LENGTH, "203.0.113.9")
    with pytest.raises(NotFound):  # another client is not refused for it
        checks.check("3" * COPY_CODE_LENGTH, "198.51.100.7")


def test_no_code_is_given_to_a_report_that_is_not_approved(system: Services) -> None:
    approved_report(system)
    Report._get_connection().update_item(REFERENCE, actions=[Report.status.set("submitted")])

    assert system.store.give_copy_code(REFERENCE, new_copy_code(), START) is None
    assert Report.get(REFERENCE).copy_code is None


def test_the_code_alphabet_is_what_the_page_hint_promises() -> None:
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", show_code(new_copy_code()))
