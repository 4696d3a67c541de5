"""Report items written straight to the table, for tests that start where the resident stopped."""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.agency import AgencyProfile
from chalicelib.models import Report
from tests.support.answers import theft_answers
from tests.support.deployment import START

_written: Counter[str] = Counter()
LETTERS = "ABCDEFGH"


def submitted_report(report_id: str, **overrides: Any) -> Report:
    """A submitted report waiting for a staff decision (not saved)."""
    fields: dict[str, Any] = {
        "owner_key": "owner-digest",
        "contact_email": "ana@example.com",
        "language": "en",
        "incident_type": "theft",
        "status": "submitted",
        "answers": {},
        "created_at": START,
        "updated_at": START,
        "submitted_at": START,
        "listed_at": START,
        "review_token": "token-1",
        **overrides,
    }
    return Report(report_id=report_id, **fields)


def approved_report(report_id: str = "RPD-7K4M-Q2XH", **overrides: Any) -> Report:
    """An approved theft report with its case number, as the workflow leaves it (not saved)."""
    fields: dict[str, Any] = {
        "owner_key": "owner",
        "contact_email": "zoe@example.com",
        "language": "en",
        "incident_type": "theft",
        "status": "approved",
        "answers": theft_answers(START.date()),
        "created_at": START,
        "updated_at": START,
        "submitted_at": START,
        "listed_at": START,
        "decided_at": START,
        "decided_by": "reviewer",
        "decision": "approve",
        "case_number": "RPD-2026-000007",
        **overrides,
    }
    return Report(report_id=report_id, **fields)


def stored_theft(
    agency: AgencyProfile, series: str, *, status: str = "submitted", **overrides: Any
) -> Report:
    """A theft report as the workflow leaves it, its answers stored as the resident's API would
    have stored them, written straight to the table (no workflow runs for it). `series` (a
    letter, then four characters: "C2222") keeps each test module's references apart."""
    from chalicelib.intake.answers import validate_answers
    from chalicelib.intake.reports import owner_key
    from chalicelib.review.corrections import questions_of

    theft = agency.incident_type("theft")
    assert theft is not None
    answers = validate_answers(
        agency,
        questions_of(agency, theft),
        theft_answers(START.date()),
        stored={},
        now=START,
        language="en",
        gettext=str,
    )
    number = _written[series]
    _written[series] += 1
    code = "".join(LETTERS[number // 8**k % 8] for k in (2, 1, 0))
    email = f"{series.lower()}-tests@example.com"
    report = Report(
        report_id=f"RPD-{series[0]}{code}-{series[1:]}",
        owner_key=owner_key(email),
        contact_email=email,
        language="en",
        incident_type="theft",
        status=status,
        answers=answers,
        created_at=START,
        updated_at=START,
        submitted_at=START,
        listed_at=START,
        review_token="token-1" if status == "submitted" else None,
        **overrides,
    )
    report.save()
    return report
