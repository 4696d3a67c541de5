"""The audit trail: append-only records of staff sign-ins, views, decisions and status changes."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, QueryError

from ..errors import DeliveryFailed
from ..models import AuditEvent

log = logging.getLogger(__name__)

RESIDENT_EVENTS = {
    "submitted": "submitted",
    "decision:request_info": "information_requested",
    "information_supplied": "information_supplied",
    "decision:approve": "approved",
    "decision:reject": "rejected",
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
    ) -> None:
        """Append one event; a conditional put, so nothing is ever overwritten."""
        now = self._clock()
        event = AuditEvent(
            subject=subject,
            event_id=f"{now.isoformat()}#{secrets.token_hex(4)}",
            at=now.isoformat(),
            actor=actor,
            action=action,
            outcome=outcome,
            details=dict(details) if details else None,
        )
        try:
            event.save(condition=AuditEvent.event_id.does_not_exist())
        except PutError as error:
            log.error("audit event not recorded", extra={"action": action, "outcome": outcome})
            raise DeliveryFailed("The service is busy. Please try again shortly.") from error

    def history(self, subject: str, limit: int = 200) -> list[AuditEvent]:
        try:
            return list(AuditEvent.query(subject, limit=limit))
        except QueryError as error:
            raise DeliveryFailed("The service is busy. Please try again shortly.") from error

    def resident_timeline(self, subject: str) -> list[dict[str, str]]:
        """What the resident may see of a report's trail: what happened and when, not who."""
        return [
            {"event": RESIDENT_EVENTS[event.action], "at": event.when.isoformat()}
            for event in self.history(subject)
            if event.action in RESIDENT_EVENTS and event.outcome == "succeeded"
        ]
