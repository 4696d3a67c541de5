"""The audit trail: append-only records of staff sign-ins, views, decisions and status changes."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, QueryError, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..errors import DeliveryFailed
from ..models import AuditEvent, Report
from ..status import ReportStatus

log = logging.getLogger(__name__)

BUSY = "The service is busy. Please try again shortly."
AFTER_THE_FACT = 3
"""Attempts at recording something already done that cannot be undone or done again safely
(an email sent, a decision handed to the workflow): botocore has retried each already."""
PAUSE_SECONDS = 0.05

RESIDENT_EVENTS = {
    "submitted": "submitted",
    "decision:request_info": "information_requested",
    "information_supplied": "information_supplied",
    "decision:approve": "approved",
    "decision:reject": "rejected",
    "withdrawn": "withdrawn",
}


class AuditTrail:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def record(
        self,
        subject: str,
        actor: str,
        action: str,
        outcome: str,
        details: Mapping[str, Any] | None = None,
        *,
        attempts: int = 1,
    ) -> AuditEvent:
        """Append one event, and return it; a conditional put, so nothing is ever overwritten.
        The record of something already done that cannot be undone (a decision handed to the
        workflow) is given `attempts` (`AFTER_THE_FACT`): lost, nobody could write it again."""
        saved: list[AuditEvent] = []

        def save(event: AuditEvent) -> bool:
            event.save(condition=AuditEvent.event_id.does_not_exist())
            saved.append(event)
            return True

        self._append(save, PutError, subject, actor, action, outcome, details, attempts)
        return saved[-1]

    def record_with(
        self,
        changes: Callable[[TransactWrite], None],
        subject: str,
        actor: str,
        action: str,
        outcome: str,
        details: Mapping[str, Any] | None = None,
        *,
        attempts: int = 1,
    ) -> bool:
        """Append one event in one transaction with `changes` (writes to another table, added
        by the module that owns it): both are written, or neither. False when a condition of
        `changes` refused them; `attempts` as for `record`."""

        def save_with_changes(event: AuditEvent) -> bool:
            try:
                # the model's own connection: a new one would build a botocore client each time
                with TransactWrite(connection=AuditEvent._get_connection().connection) as writes:
                    changes(writes)
                    writes.save(event, condition=AuditEvent.event_id.does_not_exist())
            except TransactWriteError as error:
                if any(
                    reason is not None and reason.code == "ConditionalCheckFailed"
                    for reason in error.cancellation_reasons
                ):
                    return False
                raise
            return True

        return self._append(
            save_with_changes,
            TransactWriteError,
            subject,
            actor,
            action,
            outcome,
            details,
            attempts,
        )

    def _append(
        self,
        save: Callable[[AuditEvent], bool],
        failure: type[Exception],
        subject: str,
        actor: str,
        action: str,
        outcome: str,
        details: Mapping[str, Any] | None,
        attempts: int,
    ) -> bool:
        """`save` the event, built anew for each of up to `attempts` tries while DynamoDB fails
        with `failure`; what `save` returns (False: a condition of the caller's refused it)."""
        for attempt in range(1, attempts + 1):
            try:
                return save(self._event(subject, actor, action, outcome, details))
            except failure as error:
                log.error(
                    "audit event not recorded",
                    extra={"action": action, "outcome": outcome, "attempt": attempt},
                )
                if attempt == attempts:
                    raise DeliveryFailed(BUSY) from error
                time.sleep(PAUSE_SECONDS * attempt)
        return False  # attempts < 1: nothing was tried

    def _event(
        self,
        subject: str,
        actor: str,
        action: str,
        outcome: str,
        details: Mapping[str, Any] | None,
    ) -> AuditEvent:
        now = self._clock()
        return AuditEvent(
            subject=subject,
            event_id=f"{now.isoformat()}#{secrets.token_hex(4)}",
            at=now.isoformat(),
            actor=actor,
            action=action,
            outcome=outcome,
            details=dict(details) if details else None,
        )

    def history(self, subject: str, limit: int = 200) -> list[AuditEvent]:
        try:
            return list(AuditEvent.query(subject, limit=limit))
        except QueryError as error:
            raise DeliveryFailed(BUSY) from error

    def timeline_of(self, report: Report) -> list[dict[str, str]]:
        """The resident's timeline of one report, with its questions and answers."""
        waiting = (
            (report.decision_reason, report.decided_at)
            if report.status == ReportStatus.INFO_REQUESTED
            and report.decision_reason
            and report.decided_at
            else None
        )
        return self.resident_timeline(report.report_id, report.supplements or [], waiting)

    def resident_timeline(
        self,
        subject: str,
        supplements: Sequence[Mapping[str, str]] = (),
        open_question: tuple[str, datetime] | None = None,
    ) -> list[dict[str, str]]:
        """What the resident may see of a report's trail: what happened and when, not who; with
        each question staff asked and the resident's answer to it. The texts are the report's,
        not the trail's: its `supplements` (each answer with the question it answers and when
        that was asked), and `open_question`, the one still waiting (and when it was asked).
        Each event takes the text written last before it (its event is recorded just after)."""
        questions = [
            (datetime.fromisoformat(s["asked_at"]), s["question"])
            for s in supplements
            if s.get("asked_at") and s.get("question")
        ]
        if open_question:
            questions.append((open_question[1], open_question[0]))
        answers = [(datetime.fromisoformat(s["at"]), s["text"]) for s in supplements if s.get("at")]
        texts = {"information_requested": questions, "information_supplied": answers}
        timeline = []
        for event in self.history(subject):
            if event.action not in RESIDENT_EVENTS or event.outcome != "succeeded":
                continue
            entry = {"event": RESIDENT_EVENTS[event.action], "at": event.when.isoformat()}
            written = [pair for pair in texts.get(entry["event"], []) if pair[0] <= event.when]
            if written:
                latest = max(written, key=lambda pair: pair[0])
                texts[entry["event"]].remove(latest)  # each text once
                entry["text"] = latest[1]
            timeline.append(entry)
        return timeline
