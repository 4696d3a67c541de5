"""Reports submitted before staff search existed are found once IT has run the backfill."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib import services
from chalicelib.models import Report, SearchTerm
from infra.search_backfill import backfill
from tests.support.answers import theft_answers
from tests.support.deployment import START, moto_deployment
from tests.support.reports import approved_report, submitted_report


@pytest.fixture(scope="module")
def system() -> Iterator[services.Services]:
    with moto_deployment(verify_sender=False) as built:
        yield built.services


def found(system: services.Services, query: str) -> list[str]:
    return [result.report_id for result in system.search.search(query).items]


def test_the_backfill_indexes_submitted_reports_once_and_again_changes_nothing(
    system: services.Services,
) -> None:
    answers = theft_answers(START.date())
    waiting = submitted_report("RPD-BFAA-2222", answers=answers, contact_email="Old@Example.com")
    approved = approved_report("RPD-BFAB-2222", case_number="RPD-2025-000041")
    draft = submitted_report("RPD-BFAC-2222", status="draft", submitted_at=None, listed_at=None)
    screened = submitted_report("RPD-BFAD-2222", status="screened_out", submitted_at=None)
    for report in (waiting, approved, draft, screened):
        report.save()  # as an older version left them: no search terms
    assert found(system, "old@example.com") == []

    written = backfill(system.agency)

    assert found(system, "old@example.com") == ["RPD-BFAA-2222"]
    assert found(system, "rpd-2025-000041") == ["RPD-BFAB-2222"]
    assert set(found(system, "Zoe Munoz")) == {"RPD-BFAA-2222", "RPD-BFAB-2222"}
    assert set(found(system, "(203) 555-0142")) == {"RPD-BFAA-2222", "RPD-BFAB-2222"}
    items = list(SearchTerm.scan())
    assert len(items) == written
    assert {item.report_id for item in items} == {"RPD-BFAA-2222", "RPD-BFAB-2222"}

    assert backfill(system.agency) == written
    assert len(list(SearchTerm.scan())) == written, "a second run writes the same items"
    assert Report.get("RPD-BFAA-2222").answers == answers, "the reports are only read"
