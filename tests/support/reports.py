"""Report items written straight to the table, for tests that start where the resident stopped."""

from __future__ import annotations

from typing import Any

from chalicelib.models import Report
from tests.support.answers import theft_answers
from tests.support.deployment import START


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
