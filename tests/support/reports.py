"""Report items written straight to the table, for tests that start where the resident stopped."""

from __future__ import annotations

from typing import Any

from chalicelib.models import Report
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
