"""Staff read words, not codes, and the agency's time, not UTC (issue 15, item 7)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.moments import agency_date, agency_stamp, local_moment
from chalicelib.review.words import (
    action_words,
    decision_words,
    language_name,
    outcome_words,
    status_words,
)
from chalicelib.status import Decision, ReportStatus

NEW_YORK = ZoneInfo("America/New_York")


def test_every_status_and_decision_has_its_words() -> None:
    assert {status: status_words(status) for status in ReportStatus} == {
        "draft": "Draft",
        "screened_out": "Screened out",
        "submitted": "Waiting for review",
        "info_requested": "Waiting for the resident",
        "approved": "Approved",
        "rejected": "Rejected",
        "needs_attention": "Needs attention",
        "withdrawn": "Withdrawn by the resident",
    }
    assert [decision_words(decision) for decision in Decision] == [
        "Approved",
        "Rejected",
        "Asked for more information",
    ]


@pytest.mark.parametrize(
    ("action", "words"),
    [
        ("submitted", "Submitted by the resident"),
        ("view", "Viewed"),
        ("decision:approve", "Approved"),
        ("decision:request_info", "Asked for more information"),
        ("information_supplied", "The resident answered"),
        ("withdrawn", "Withdrawn by the resident"),
        ("retried", "Review retried"),
        ("corrected", "Answers corrected"),
        ("claimed", "Claimed"),
        ("released", "Released"),
        ("assigned", "Assigned"),
        ("note", "Internal note"),
        ("export_repushed", "Sent to the records system again"),
        ("a_step_named_later", "A step named later"),
        ("decision:something_new", "Something new"),
        ("", ""),
    ],
)
def test_audit_actions_read_as_words_even_unknown_ones(action: str, words: str) -> None:
    assert action_words(action) == words


def test_outcomes_read_as_words_and_an_errors_name_is_kept() -> None:
    assert [outcome_words(o) for o in ("succeeded", "failed", "refused")] == [
        "Done",
        "Failed",
        "Refused",
    ]
    assert outcome_words("DeliveryFailed") == "DeliveryFailed"


def test_languages_are_named_in_english_and_in_their_own_words() -> None:
    assert language_name("en") == "English"
    assert language_name("es") == "Spanish (español)"
    assert language_name("not a language") == "not a language"


def test_moments_are_the_agencys_with_the_zone_winter_and_summer() -> None:
    winter = datetime(2026, 12, 1, 14, 5, 9, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 3, 30, tzinfo=UTC)

    assert agency_stamp(winter, NEW_YORK) == "2026-12-01 09:05 EST"
    assert agency_stamp(winter, NEW_YORK, seconds=True) == "2026-12-01 09:05:09 EST"
    assert agency_stamp(summer.isoformat(), NEW_YORK) == "2026-06-30 23:30 EDT"
    assert agency_date(summer, NEW_YORK) == "2026-06-30", "the day it was in New York"
    assert local_moment(winter, NEW_YORK, "en") == "December 1, 2026, 9:05 a.m. EST"
