"""Staff correct a report before deciding it: its answers, its incident type, or both.

The answers are checked as the resident's are (`validate_answers`), but a screening rule the new
answers meet does not end the report: it comes back as a warning for the clerk. A new incident
type keeps the answers to the questions it shares, asks for its own required ones (the edit is
refused, naming each, until they are given), and drops the others from the answers; their old
values stay in the correction records, so nothing is lost.

Every changed field becomes one record (question, old, new, who, when, why) on the report, written
in one conditional update with its audit event: only while the report waits for a decision or for
the resident, and only if nobody saved an edit since the clerk read it (`answers_revision`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..agency import AgencyProfile, IncidentType, Question, localise
from ..errors import Conflict, InvalidInput, NotFound, StaleEdit
from ..i18n import translator
from ..intake.answers import (
    Context,
    FieldProblems,
    clean_text,
    local_today,
    missing_message,
    validate_answers,
)
from ..intake.references import normalise_reference
from ..intake.screening import fires
from ..models import Report
from ..report_store import ReportStore
from ..status import AWAITING_DECISION, ReportStatus
from .audit import AuditTrail
from .staff import StaffMember

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

log = logging.getLogger(__name__)

INCIDENT_TYPE = "incident_type"
"""The `question` of a correction that reclassified the report."""
MAX_REASON = 200
MAX_CORRECTIONS_BYTES = 150_000
"""What a report's corrections may take of its item: DynamoDB refuses an item over 400 KB, and
the answers, the resident's supplements and the review's attributes need the rest."""
STAFF_LANGUAGE = "en"
"""Staff pages are in English: so are the messages of a refused correction, whatever the
report's language."""


class TermIndex(Protocol):
    """The staff search's index: told, in the correction's own transaction, how a report's
    searchable answers changed."""

    def reindex(self, transaction: TransactWrite, before: Report, after: Report) -> None: ...


@dataclass(frozen=True)
class ScreeningWarning:
    """A screening rule the corrected answers meet: it would have stopped the resident online;
    staff decide."""

    rule: str
    reason: str


@dataclass(frozen=True)
class Corrected:
    report: Report
    revision: int
    corrections: list[dict[str, Any]]
    """The records this edit added."""
    warnings: list[ScreeningWarning]


@dataclass(frozen=True)
class CorrectionForm:
    """What the correction form shows: the report, the questions of the type it is (or is being
    moved to), and the warnings its answers give now."""

    report: Report
    incident_type: IncidentType
    questions: dict[str, Question]
    warnings: list[ScreeningWarning]


def questions_of(agency: AgencyProfile, incident_type: IncidentType) -> dict[str, Question]:
    return {q.id: q for step in agency.steps_for(incident_type) for q in step.questions}


class Corrections:
    def __init__(
        self,
        *,
        agency: AgencyProfile,
        store: ReportStore,
        audit: AuditTrail,
        terms: TermIndex,
        clock: Callable[[], datetime],
    ) -> None:
        self._agency = agency
        self._store = store
        self._audit = audit
        self._terms = terms
        self._clock = clock

    def form(self, report_id: str, incident_type: str | None = None) -> CorrectionForm:
        """The report as it stands, ready to correct (a decided one is refused: 409)."""
        report = self._correctable(report_id)
        chosen = self._incident_type(incident_type or report.incident_type)
        return CorrectionForm(
            report, chosen, questions_of(self._agency, chosen), self.warnings(report.answers or {})
        )

    def correct(
        self,
        member: StaffMember,
        report_id: str,
        answers: object,
        incident_type: object = None,
        reason: object = None,
        revision: object = 0,
    ) -> Corrected:
        if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
            message = "Send the revision of the report you read, a whole number."
            raise InvalidInput(message, fields={"revision": message})
        if not isinstance(answers, Mapping):
            message = "Send the answers as an object of question ids and values."
            raise InvalidInput(message, fields={"answers": message})
        why = self._reason(reason)
        report = self._correctable(report_id)
        current_type = report.incident_type
        chosen = self._incident_type(current_type if incident_type is None else incident_type)
        questions = questions_of(self._agency, chosen)
        old_answers: dict[str, Any] = dict(report.answers or {})
        kept = {key: value for key, value in old_answers.items() if key in questions}
        now = self._clock()
        stored = int(report.answers_revision or 0)
        if revision != stored:  # before checking: the answers may be to a type since changed
            raise self._stale(report, self._yours(questions, answers, kept, now), chosen.id)
        accepted = self._validated(questions, answers, kept, now)
        new_answers = {**kept, **accepted}
        self._refuse_missing(questions, new_answers)

        changes: list[dict[str, Any]] = []
        if chosen.id != current_type:
            changes.append({"question": INCIDENT_TYPE, "old": current_type, "new": chosen.id})
        for key in [*old_answers, *(k for k in new_answers if k not in old_answers)]:
            old, new = old_answers.get(key), new_answers.get(key)
            if old != new:
                changes.append({"question": key, "old": old, "new": new})
        if not changes:
            message = "Nothing to correct: the answers are as they were."
            raise InvalidInput(message, fields={"answers": message})
        records = [
            {**change, "by": member.username, "at": now.isoformat(), "reason": why}
            for change in changes
        ]
        kept_corrections = [*(report.corrections or []), *records]
        if len(json.dumps(kept_corrections, ensure_ascii=False).encode()) > MAX_CORRECTIONS_BYTES:
            message = (
                "This report holds as many corrections as it can. Decide it as it stands, or ask "
                "the resident for the information instead."
            )
            raise InvalidInput(message, fields={"answers": message})
        before = Report.from_raw_data(report.serialize())

        def write(transaction: TransactWrite) -> None:
            self._store.correct(
                transaction,
                report,
                answers=new_answers,
                incident_type=chosen.id,
                corrections=kept_corrections,
                now=now,
            )
            self._terms.reindex(transaction, before, report)

        details = {"changes": changes, "reason": why, "revision": stored + 1}
        if not self._audit.record_with(
            write, report.report_id, member.username, "corrected", "succeeded", details
        ):
            again = self._correctable(report.report_id)  # decided a moment ago: 409 as well
            raise self._stale(again, accepted, chosen.id)
        log.info(
            "report corrected",
            extra={"report_id": report.report_id, "changes": len(changes)},
        )
        return Corrected(report, stored + 1, records, self.warnings(new_answers))

    def warnings(self, answers: Mapping[str, Any]) -> list[ScreeningWarning]:
        """Every screening rule the answers meet, in the profile's order."""
        today = local_today(self._agency.zone, self._clock())
        return [
            ScreeningWarning(rule.id, localise(rule.reason, STAFF_LANGUAGE))
            for rule in self._agency.screening
            if fires(rule, self._agency, answers, today)
        ]

    # -- the checks -----------------------------------------------------------------------------

    def _correctable(self, report_id: str) -> Report:
        report = self._store.get(normalise_reference(report_id))
        if report.status == ReportStatus.DRAFT:
            raise NotFound("There is no submitted report with that reference.")
        if report.status not in AWAITING_DECISION:
            raise Conflict(
                "Only a report waiting for a decision or for the resident can be corrected; "
                f"this one is {report.status.replace('_', ' ')}."
            )
        return report

    def _incident_type(self, incident_type_id: object) -> IncidentType:
        chosen = (
            self._agency.incident_type(incident_type_id)
            if isinstance(incident_type_id, str)
            else None
        )
        if chosen is None:
            message = "Choose one of the agency's incident types."
            raise InvalidInput(message, fields={INCIDENT_TYPE: message})
        return chosen

    def _reason(self, reason: object) -> str:
        try:
            text = clean_text(
                "" if reason is None else reason,
                "reason",
                MAX_REASON,
                str,
                subject="The reason for the correction",
            )
        except FieldProblems as problems:
            raise InvalidInput("The reason is not valid.", fields=problems.problems) from None
        if not text:
            message = "Give the reason for the correction: the resident reads it."
            raise InvalidInput(message, fields={"reason": message})
        return text

    def _validated(
        self,
        questions: dict[str, Question],
        raw: Mapping[Any, object],
        stored: dict[str, Any],
        now: datetime,
    ) -> dict[str, Any]:
        try:
            return validate_answers(
                self._agency,
                questions,
                raw,
                stored=stored,
                now=now,
                language=STAFF_LANGUAGE,
                gettext=translator(STAFF_LANGUAGE),
            )
        except FieldProblems as error:
            raise InvalidInput("Some answers need correcting.", fields=error.problems) from None

    def _refuse_missing(self, questions: dict[str, Question], answers: Mapping[str, Any]) -> None:
        """The questions of the (new) type that must be answered and are not: asked for."""
        context = Context(translator(STAFF_LANGUAGE), STAFF_LANGUAGE, self._agency.phone_region)
        missing = {
            question.id: missing_message(question, context)
            for question in questions.values()
            if question.required and answers.get(question.id) is None
        }
        if missing:
            raise InvalidInput("Answer the questions the incident type asks.", fields=missing)

    def _yours(
        self,
        questions: dict[str, Question],
        raw: Mapping[Any, object],
        stored: dict[str, Any],
        now: datetime,
    ) -> dict[str, Any]:
        """The answers of a stale edit as they would have been stored, to compare with the
        current ones; as sent where they do not pass the checks."""
        try:
            return self._validated(questions, raw, stored, now)
        except InvalidInput:
            return {str(key): value for key, value in raw.items()}

    def _stale(self, report: Report, yours: Mapping[str, Any], chosen: str) -> StaleEdit:
        """Someone saved first: each field this edit would change, theirs and the current."""
        current = report.answers or {}
        conflicts: dict[str, dict[str, object]] = {
            key: {"yours": value, "current": current.get(key)}
            for key, value in yours.items()
            if value != current.get(key)
        }
        if chosen != report.incident_type:
            conflicts[INCIDENT_TYPE] = {"yours": chosen, "current": report.incident_type}
        message = "Someone saved a correction to this report first. Compare, then edit again."
        return StaleEdit(
            message,
            fields={key: "Changed by someone else since you read it" for key in conflicts},
            conflicts=conflicts,
            revision=int(report.answers_revision or 0),
        )
