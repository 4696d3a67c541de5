"""Internal notes on a report: staff's own words, kept in the audit trail, never the resident's.

A note is an audit event ("note", its text in `details`), so it is append-only and dated like
the rest of the trail. The resident's timeline takes only the events `audit.RESIDENT_EVENTS`
lists, so a note never reaches the resident's page, API or emails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from ..errors import InvalidInput, NotFound
from ..intake.answers import FieldProblems, clean_text
from ..intake.references import normalise_reference
from ..models import AuditEvent
from ..report_store import ReportStore
from .audit import AuditTrail
from .staff import StaffMember

NOTE = "note"
MAX_NOTE = 2000


@dataclass(frozen=True)
class Note:
    at: datetime
    by: str
    text: str


def notes_in(history: Iterable[AuditEvent]) -> list[Note]:
    """The notes of a report's trail, oldest first."""
    return [
        Note(event.when, event.actor, str((event.details or {}).get("text", "")))
        for event in history
        if event.action == NOTE and event.outcome == "succeeded"
    ]


class Notes:
    def __init__(
        self, *, store: ReportStore, audit: AuditTrail, clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    def add(self, member: StaffMember, report_id: str, text: object) -> Note:
        """One note on a submitted report: one transaction, the event with a check that the
        report is there (no note on a reference that names nothing)."""
        report_id = normalise_reference(report_id)
        try:
            cleaned = clean_text(
                text if text is not None else "",
                "text",
                MAX_NOTE,
                str,
                multiline=True,
                subject="The note",
            )
        except FieldProblems as problems:
            raise InvalidInput("The note is not valid.", fields=problems.problems) from None
        if not cleaned:
            message = "Write the note."
            raise InvalidInput(message, fields={"text": message})
        at = self._clock()
        if not self._audit.record_with(
            lambda writes: self._store.exists_for_staff(writes, report_id),
            report_id,
            member.username,
            NOTE,
            "succeeded",
            {"text": cleaned},
        ):
            raise NotFound("There is no submitted report with that reference.")
        return Note(at, member.username, cleaned)
