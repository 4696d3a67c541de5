"""Who holds a report: a reviewer claims one ("I'm on it"), a supervisor assigns or releases it.

A claim is two attributes of the report (`claimed_by`, `claimed_at`, projected into the status
index so the queue shows them), written by one conditional update in one transaction with its
audit event: of two claims at once exactly one wins, and the trail never misses one. A claim
outlives the decision: a report that comes back from the resident returns to the same clerk.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from ..errors import Conflict, InvalidInput, NotPermitted
from ..intake.references import normalise_reference
from ..report_store import ReportStore
from ..status import AWAITING_DECISION
from .audit import AuditTrail
from .staff import StaffMember

MAX_USERNAME = 128
USERNAME_CATEGORIES = frozenset("LMSNP")
"""Cognito's username characters (`[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+`): no spaces, no controls."""


class HeldByAnother(Conflict):
    """Someone else holds the report: the member of staff must confirm to go on anyway."""

    def __init__(self, holder: str, message: str | None = None) -> None:
        super().__init__(message or f"Already held by {holder}.")
        self.holder = holder


@dataclass(frozen=True)
class Holding:
    report_id: str
    holder: str | None
    since: datetime | None


def staff_username(raw: object) -> str:
    """A username as Cognito allows one: checked for its shape only (Cognito is not asked)."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not 1 <= len(text) <= MAX_USERNAME or any(
        unicodedata.category(character)[0] not in USERNAME_CATEGORIES for character in text
    ):
        message = f"Give the username of a member of staff (1 to {MAX_USERNAME} characters)."
        raise InvalidInput(message, fields={"username": message})
    return text


class Claims:
    def __init__(
        self, *, store: ReportStore, audit: AuditTrail, clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    def claim(self, member: StaffMember, report_id: str) -> Holding:
        """The member holds the report (again, if they already did)."""
        report_id = normalise_reference(report_id)
        now = self._clock()
        if not self._audit.record_with(
            lambda writes: self._store.claim(writes, report_id, member.username, now),
            report_id,
            member.username,
            "claimed",
            "succeeded",
        ):
            self._explain(report_id, member)
        return Holding(report_id, member.username, now)

    def assign(
        self, member: StaffMember, report_id: str, username: object, holder: str | None
    ) -> Holding:
        """A supervisor hands the report to `username`, if `holder` (None: nobody) still holds
        it, as they saw it."""
        if not member.may("assign"):
            raise NotPermitted("Only a supervisor can assign a report.")
        report_id = normalise_reference(report_id)
        assignee = staff_username(username)
        now = self._clock()
        if not self._audit.record_with(
            lambda writes: self._store.assign(writes, report_id, assignee, holder or None, now),
            report_id,
            member.username,
            "assigned",
            "succeeded",
            {"to": assignee, "from": holder or ""},
        ):
            self._explain(report_id, member)
        return Holding(report_id, assignee, now)

    def release(self, member: StaffMember, report_id: str, holder: str | None = None) -> Holding:
        """Nobody holds the report. A reviewer releases their own claim; a supervisor anyone's:
        the `holder` they saw, or, not given, whoever holds it now (one read to learn who)."""
        report_id = normalise_reference(report_id)
        if holder is None:
            holder = (
                self._store.get(report_id).claimed_by if member.may("assign") else member.username
            )
            if holder is None:
                raise Conflict("Nobody holds this report.")
        if holder != member.username and not member.may("assign"):
            raise NotPermitted("You can release only a report you hold yourself.")
        released = holder
        if not self._audit.record_with(
            lambda writes: self._store.release(writes, report_id, released),
            report_id,
            member.username,
            "released",
            "succeeded",
            {"holder": released},
        ):
            self._explain(report_id, member, released=True)
        return Holding(report_id, None, None)

    def _explain(
        self,
        report_id: str,
        member: StaffMember,
        *,
        released: bool = False,
    ) -> NoReturn:
        """Why a claim's condition refused it: one read, only then."""
        report = self._store.get(report_id)  # NotFound when there is no such report
        holder = report.claimed_by
        if report.status not in AWAITING_DECISION and not released:
            raise Conflict(
                "Only a report waiting for a decision can be held; this one is "
                f"{report.status.replace('_', ' ')}."
            )
        if holder is None:
            raise Conflict("Nobody holds this report now. Reload it.")
        if holder != member.username:
            raise HeldByAnother(holder)
        raise Conflict("You hold this report already.")
