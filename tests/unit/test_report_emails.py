"""The emails about a report, in both languages: what each says, and that its HTML and text
parts say the same (issue 14, defect 10)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from chalicelib.agency import load_profile
from chalicelib.intake.notifications import ReportNotices
from chalicelib.mail import EmailMessage, Mailer, compose
from chalicelib.models import Report
from chalicelib.report_store import ReportStore
from chalicelib.status import Decision, ReportStatus

AGENCY = load_profile("demo")
LANGUAGES = ("en", "es")
# 03:00 UTC on 2 November is still 1 November in Riverton (America/New_York)
ASKED = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


class Captured:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> str:
        self.sent.append(message)
        return "message-id"


def notices() -> tuple[ReportNotices, Captured]:
    captured = Captured()
    return (
        ReportNotices(
            agency=AGENCY,
            store=ReportStore(),
            mailer=cast(Mailer, captured),
            url=lambda path: f"https://report.example.gov{path}",
        ),
        captured,
    )


def report(language: str, **attributes: Any) -> Report:
    given: dict[str, Any] = {
        "report_id": "RPD-7K4M-Q2XH",
        "owner_key": "owner",
        "contact_email": "ana@example.com",
        "language": language,
        "incident_type": "theft",
        "status": ReportStatus.SUBMITTED,
        "created_at": ASKED,
        "updated_at": ASKED,
    }
    return Report(**(given | attributes))


def text_of(part: str) -> str:
    """What a reader sees of an HTML part: its words, tags and entities gone."""
    body = part.split("<body", 1)[-1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def sentences(text: str) -> set[str]:
    """The sentences of the text part (its lines ending in a full stop), not the links."""
    return {
        " ".join(line.split())
        for line in text.splitlines()
        if line.strip().endswith(".") and "://" not in line
    }


def resident_emails(language: str) -> list[EmailMessage]:
    sender, captured = notices()
    sender.submission_confirmed(report(language))
    asked = report(
        language,
        status=ReportStatus.INFO_REQUESTED,
        decision_reason="What colour is it?",
        decided_at=ASKED,
    )
    sender.decision_made(asked, Decision.REQUEST_INFO)
    sender.decision_made(report(language, case_number="RPD-2026-000001"), Decision.APPROVE)
    sender.decision_made(report(language, decision_reason="Outside the city."), Decision.REJECT)
    sender.withdrawn(report(language, status=ReportStatus.WITHDRAWN, withdrawn_at=ASKED))
    return captured.sent


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sentence_of_each_text_part_is_in_its_html_part(language: str) -> None:
    """The approval's HTML said "Or collect one..." of a copy only the text part offered."""
    for message in resident_emails(language):
        seen = text_of(message.html)
        missing = [sentence for sentence in sentences(message.text) if sentence not in seen]
        assert not missing, f"{message.kind} ({language}): {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_approval_offers_the_copy_before_saying_where_else_to_collect_one(
    language: str,
) -> None:
    _, _, approved, _, _ = resident_emails(language)
    online = {"en": "get a copy of the report online", "es": "copia del reporte en línea"}
    for part in (text_of(approved.html), approved.text):
        lowered = " ".join(part.split()).lower()
        assert online[language] in lowered
        assert lowered.index(online[language]) < lowered.index(
            {"en": "or collect one", "es": "o recoja una"}[language]
        )


@pytest.mark.parametrize(
    ("language", "day"), [("en", "November 15, 2026"), ("es", "15 de noviembre de 2026")]
)
def test_the_question_email_gives_the_day_to_answer_by(language: str, day: str) -> None:
    """Defect 10: it did not say how long the resident has: the profile's
    `review.info_request_days` (14) after it was asked, on the agency's calendar (1 November
    in Riverton, though 2 November in UTC), in the resident's language."""
    _, asked, _, _, _ = resident_emails(language)

    assert asked.kind == "info_requested"
    assert day in asked.text
    assert day in text_of(asked.html)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_withdrawal_email_names_the_report_and_the_day(language: str) -> None:
    *_, withdrawn = resident_emails(language)
    day = {"en": "November 1, 2026", "es": "1 de noviembre de 2026"}[language]

    assert withdrawn.kind == "withdrawn"
    assert "RPD-7K4M-Q2XH" in withdrawn.subject
    for part in (withdrawn.text, text_of(withdrawn.html)):
        assert "RPD-7K4M-Q2XH" in part and day in part
        assert "https://report.example.gov/report" in part or "report.example.gov" in (
            withdrawn.html
        )


def test_an_email_renders_without_an_answer_by_day_when_none_is_given() -> None:
    message = compose(
        "info_requested",
        "ana@example.com",
        language="en",
        agency=AGENCY,
        reference="RPD-7K4M-Q2XH",
        case_number=None,
        reason="Which street?",
        answer_by=None,
        incident_label="Theft",
        link="https://report.example.gov/report/RPD-7K4M-Q2XH",
        records_hours="",
    )
    assert "Please answer by" not in message.text
