"""A resident's report: started, answered step by step, screened, and submitted once."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from ..agency import AgencyProfile, IncidentType, ScreeningRule
from ..errors import Conflict, DeliveryFailed, InvalidInput, NotFound, RateLimited
from ..i18n import translator
from ..models import Report
from ..ratelimit import Limit, RateLimiter
from ..report_store import BUSY, REVIEW_NOT_STARTED, ReportStore, StaleReport
from ..review.audit import AFTER_THE_FACT, AuditTrail
from ..search_index import SearchIndex
from ..status import WITHDRAWABLE, Decision, ReportStatus
from ..tokens import digest
from .answers import (
    Context,
    FieldProblems,
    clean_text,
    local_today,
    missing_message,
    validate_answers,
)
from .references import new_reference, normalise_reference
from .screening import first_rule_that_fires
from .verification import Resident
from .wizard import Progress, progress

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

log = logging.getLogger(__name__)

MAX_SUPPLEMENT = 3000
MAX_OWN_REPORTS = 50


class ReviewStarter(Protocol):
    """The review workflow: started once per submitted report, resumed by a resident's answer,
    restarted by an admin (a new execution, `name`d for the retry) where it stopped."""

    def start(self, report_id: str) -> None: ...

    def resume(self, task_token: str, output: dict[str, Any]) -> None: ...

    def restart(self, report_id: str, name: str, decision: Decision | None) -> None: ...


def owner_key(email: str) -> str:
    return digest(email.strip().lower())


@dataclass(frozen=True)
class ReportState:
    report: Report
    incident_type: IncidentType
    progress: Progress
    screening: ScreeningRule | None
    would_screen_out: ScreeningRule | None = None
    """Set when answers were not kept because they would end a report that has answers: the
    resident is asked first (`save_answers(..., ask_first=True)`)."""


class Reports:
    def __init__(
        self,
        *,
        agency: AgencyProfile,
        store: ReportStore,
        review: ReviewStarter,
        audit: AuditTrail,
        search_index: SearchIndex,
        limiter: RateLimiter,
        clock: Callable[[], datetime],
        erase_attachments: Callable[[Report], None] | None = None,
    ) -> None:
        self._agency = agency
        self._erase_attachments = erase_attachments
        self._store = store
        self._review = review
        self._audit = audit
        self._search_index = search_index
        self._limiter = limiter
        self._clock = clock

    def start(self, resident: Resident, incident_type_id: object, language: str) -> ReportState:
        _ = translator(language)
        incident_type = self._chosen_type(incident_type_id, _)
        now = self._clock()
        self._refuse_too_many_drafts(resident, now, _)
        for _attempt in range(5):
            report = Report(
                report_id=new_reference(self._agency.short_code),
                owner_key=owner_key(resident.email),
                contact_email=resident.email,
                language=language,
                incident_type=incident_type.id,
                status=ReportStatus.DRAFT,
                answers={},
                created_at=now,
                updated_at=now,
                expires_at=now + timedelta(days=self._agency.retention.draft_days),
            )
            if not self._store.insert(report):
                continue  # that reference is taken: draw another
            log.info(
                "report started", extra={"report_id": report.report_id, "type": incident_type.id}
            )
            return self.state(report)
        raise DeliveryFailed(BUSY)

    def change_type(
        self, resident: Resident, report_id: str, incident_type_id: object, language: str
    ) -> ReportState:
        """A resident who went back to "what happened?" keeps the same draft and its answers."""
        report = self.own(resident, report_id)
        _ = translator(language)
        self._refuse_unless_draft(report, _)
        incident_type = self._chosen_type(incident_type_id, _)
        asked = {q.id for step in self._agency.steps_for(incident_type) for q in step.questions}
        report.incident_type = incident_type.id
        report.answers = {k: v for k, v in (report.answers or {}).items() if k in asked}
        report.updated_at = self._clock()
        self._save(report, _)
        return self.state(report)

    def _chosen_type(self, incident_type_id: object, _: Callable[[str], str]) -> IncidentType:
        chosen = (
            self._agency.incident_type(incident_type_id)
            if isinstance(incident_type_id, str)
            else None
        )
        if chosen is None:
            message = _("Select what happened")
            raise InvalidInput(message, fields={"incident_type": message})
        return chosen

    def own(self, resident: Resident, report_id: str) -> Report:
        """The resident's report; anyone else's is reported as not found, never as forbidden."""
        report = self._store.get(normalise_reference(report_id))
        if report.owner_key != owner_key(resident.email):
            raise NotFound("There is no report with that reference.")
        return report

    def list_own(self, resident: Resident) -> list[Report]:
        return self._store.owned_by(owner_key(resident.email), MAX_OWN_REPORTS)

    def has_drafts(self, email: str) -> bool:
        """Whether the owner of `email` has a report not yet submitted (to offer it first)."""
        return bool(self._store.drafts_of(owner_key(email)))

    def state(self, report: Report) -> ReportState:
        incident_type = self._agency.incident_type(report.incident_type)
        if incident_type is None:
            raise Conflict("This kind of report is no longer offered online.")
        screening = next(
            (rule for rule in self._agency.screening if rule.id == report.screening_rule), None
        )
        return ReportState(
            report,
            incident_type,
            progress(self._agency, incident_type, report.answers or {}),
            screening,
        )

    def save_answers(
        self,
        resident: Resident,
        report_id: str,
        raw: object,
        language: str | None = None,
        *,
        ask_first: bool = False,
    ) -> ReportState:
        """Validate and keep some answers; a screening rule that fires ends the report here.

        `language` is the one the resident is using now (pages); by default, the report's.
        With `ask_first`, answers that would end a report that already has answers are not
        kept: the report is returned unchanged with `would_screen_out`, for the resident to
        confirm (call again without `ask_first`) or change. A new report's first answers that
        screen it out end it at once: nothing is lost.
        """
        report = self.own(resident, report_id)
        language = language or report.language
        _ = translator(language)
        self._refuse_unless_draft(report, _)
        state = self.state(report)
        if not isinstance(raw, Mapping) or not raw:
            message = _("Send the answers as an object of question ids and values")
            raise InvalidInput(message, fields={"answers": message})
        today = local_today(self._agency.zone, self._clock())
        try:
            accepted = validate_answers(
                self._agency,
                state.progress.questions,
                raw,
                stored=report.answers or {},
                now=self._clock(),
                language=language,
                gettext=_,
            )
        except FieldProblems as error:
            raise InvalidInput(_("Some answers need correcting"), fields=error.problems) from None

        answers = {**(report.answers or {}), **accepted}
        now = self._clock()
        rule = first_rule_that_fires(self._agency, answers, today)
        if rule is not None and ask_first and report.answers:
            return replace(self.state(report), would_screen_out=rule)
        if rule is not None:
            return self._screen_out(report, rule, now)
        report.answers = answers
        report.language = language
        report.updated_at = now
        report.expires_at = now + timedelta(days=self._agency.retention.draft_days)
        self._save(report, _)
        return self.state(report)

    def _screen_out(self, report: Report, rule: ScreeningRule, now: datetime) -> ReportState:
        """Keep only what counting needs: no answers, no address, and only for a while."""
        report.status = ReportStatus.SCREENED_OUT
        report.screening_rule = rule.id
        report.listed_at = now
        report.answers = None
        report.contact_email = None
        attached = Report(report.report_id, attachments=report.attachments)
        report.attachments = None
        report.updated_at = now
        report.expires_at = now + timedelta(days=self._agency.retention.screened_out_days)
        self._save(report, translator(report.language))
        if self._erase_attachments is not None:
            self._erase_attachments(attached)  # its files go with its answers
        log.info("report screened out", extra={"report_id": report.report_id, "rule": rule.id})
        return self.state(report)

    def submit(
        self, resident: Resident, report_id: str, language: str | None = None
    ) -> ReportState:
        """Submit once: a repeat (double click, retry, race) returns the same and sends nothing."""
        report = self.own(resident, report_id)
        language = language or report.language
        _ = translator(language)
        if report.status == ReportStatus.DRAFT:
            state = self.state(report)
            missing = state.progress.missing()
            if missing or not state.progress.complete:
                questions = state.progress.questions
                context = Context(_, language, self._agency.phone_region)
                fields = {q: missing_message(questions[q], context) for q in missing}
                raise InvalidInput(_("Some questions are not answered yet"), fields=fields)
            self._count_submission(resident, _)
            now = self._clock()

            def submission(writes: TransactWrite) -> None:
                self._store.submit(writes, report, now, language)
                self._search_index.add(writes, report)  # what finds it, as submitted

            # the submission, what finds it and its audit event in one transaction: all or none
            if self._audit.record_with(
                submission,
                report.report_id,
                "resident",
                "submitted",
                "succeeded",
            ):
                log.info("report submitted", extra={"report_id": report.report_id})
            else:
                report = self.own(resident, report_id)  # someone submitted it a moment ago
        if report.status in (ReportStatus.SCREENED_OUT, ReportStatus.DRAFT):
            raise Conflict(_("This report cannot be submitted online."))
        if report.status == ReportStatus.SUBMITTED or (
            report.status == ReportStatus.NEEDS_ATTENTION and report.failure == REVIEW_NOT_STARTED
        ):
            report = self._start_review(report)
        return self.state(report)

    def _start_review(self, report: Report) -> Report:
        """Start the review (idempotent: a repeat repairs a start that failed). A start that
        fails leaves the report needing attention, so that it is never stranded as submitted
        with no workflow if the resident does not try again: an admin's retry, or the
        resident's next submit, starts it."""
        report_id = report.report_id
        if report.status == ReportStatus.NEEDS_ATTENTION:
            if not self._store.unflag_not_started(report_id, self._clock()):
                return self._store.get(report_id)  # someone started it a moment ago
            report.status, report.failure = ReportStatus.SUBMITTED, None
        try:
            self._review.start(report_id)
        except DeliveryFailed:
            if self._store.flag_not_started(report_id, self._clock()):
                log.warning("review not started", extra={"report_id": report_id})
                self._audit.record(report_id, "workflow", "needs_attention", REVIEW_NOT_STARTED)
            raise
        return report

    def answer_information_request(
        self, resident: Resident, report_id: str, text: object, language: str | None = None
    ) -> ReportState:
        """The answer to staff's question: kept, and the report goes back in the queue."""
        report = self.own(resident, report_id)
        _ = translator(language or report.language)
        waiting = _("No question is waiting for an answer on this report.")
        if report.status != ReportStatus.INFO_REQUESTED or not report.resident_token:
            raise Conflict(waiting)
        try:
            answer = clean_text(text, "text", MAX_SUPPLEMENT, _, multiline=True)
        except FieldProblems as problems:
            raise InvalidInput(
                _("Some answers need correcting"), fields=problems.problems
            ) from None
        if not answer:
            message = _("Enter your answer")
            raise InvalidInput(message, fields={"text": message})
        now = self._clock()
        answered = {"text": answer, "at": now.isoformat()}
        if report.decision_reason:  # the question stays with its answer: the next decision
            answered["question"] = report.decision_reason  # has its own reason, or none
        if report.decided_at:
            answered["asked_at"] = report.decided_at.isoformat()
        supplements = [*(report.supplements or []), answered]
        token = self._store.supply_information(report.report_id, supplements, now)
        if token is None:
            raise Conflict(waiting)
        self._review.resume(token, {"answered": True})
        self._audit.record(
            report.report_id,
            "resident",
            "information_supplied",
            "succeeded",
            attempts=AFTER_THE_FACT,  # the workflow has the answer: its record must not be lost
        )
        log.info("information supplied", extra={"report_id": report.report_id})
        return self.state(self.own(resident, report_id))

    def withdraw(
        self, resident: Resident, report_id: str, language: str | None = None
    ) -> ReportState:
        """The resident takes back a report no decision has been made on: withdrawn, audited in
        the same transaction, and the workflow waiting on it handed back its task token, so it
        emails the resident and ends. A repeat (double click, retry) returns the same."""
        report = self.own(resident, report_id)
        _ = translator(language or report.language)
        for attempt in range(3):
            if attempt:  # refused: an answer, a decision or the workflow moved it; read again
                report = self.own(resident, report_id)
            if report.status == ReportStatus.WITHDRAWN:
                return self.state(report)
            if report.status not in WITHDRAWABLE:
                raise Conflict(self._not_withdrawable(report, _))
            review_token, resident_token = report.review_token, report.resident_token
            now = self._clock()
            if self._audit.record_with(
                functools.partial(self._store.withdraw, report=report, now=now),
                report.report_id,
                "resident",
                "withdrawn",
                "succeeded",
                {"status": report.status},
            ):
                self._end_review(report.report_id, review_token or resident_token)
                log.info("report withdrawn", extra={"report_id": report.report_id})
                return self.state(report)
        raise Conflict(_("This report changed a moment ago. Reload the page and try again."))

    def _not_withdrawable(self, report: Report, _: Callable[[str], str]) -> str:
        if report.status in (ReportStatus.APPROVED, ReportStatus.REJECTED):
            return _("A decision has been made on this report, so it can no longer be withdrawn.")
        if report.status == ReportStatus.NEEDS_ATTENTION:
            return _(
                "This report cannot be withdrawn right now because its review is paused."
                " Try again later, or call the non-emergency line, %(number)s."
            ) % {"number": self._agency.contacts.non_emergency}
        return _("Only a submitted report can be withdrawn.")

    def _end_review(self, report_id: str, token: str | None) -> None:
        """Hand the workflow its task token back with the withdrawal, so it emails the resident
        and ends. Without one (the workflow is between steps), or if Step Functions cannot take
        it now, the withdrawal stands: the workflow's next wait finds the report withdrawn."""
        if token is None:
            return
        try:
            self._review.resume(token, {"withdrawn": True})
        except DeliveryFailed:
            log.warning("withdrawal not handed to the workflow", extra={"report_id": report_id})

    def _refuse_too_many_drafts(
        self, resident: Resident, now: datetime, _: Callable[[str], str]
    ) -> None:
        """A resident may keep a few reports unsubmitted; one more waits until one is
        submitted, or the oldest untouched draft expires."""
        allowed = self._agency.limits.open_drafts_per_resident
        kept = timedelta(days=self._agency.retention.draft_days)
        drafts = [  # a draft past its time is gone, whenever DynamoDB's TTL deletes it
            draft
            for draft in self._store.drafts_of(owner_key(resident.email))
            if draft.updated_at + kept > now
        ]
        if len(drafts) < allowed:
            return
        frees_at = min(draft.updated_at for draft in drafts) + kept
        message = _(
            "You have %(count)d reports that are not submitted yet, the most one person can keep."
            " Continue or submit one of them before starting another."
        ) % {"count": len(drafts)}
        seconds = int((frees_at - now).total_seconds())
        raise RateLimited(message, retry_after_seconds=seconds)

    def _count_submission(self, resident: Resident, _: Callable[[str], str]) -> None:
        """At most a few submissions a day per resident: the report stays saved as a draft."""
        limit = Limit(
            f"submissions#{owner_key(resident.email)}",
            self._agency.limits.submissions_per_resident_per_day,
            timedelta(days=1),
        )
        counted = self._limiter.count(limit)
        if counted.hits > limit.allowed:
            hours = max(1, round(counted.window_ends_in / 3600))
            message = _(
                "You have submitted the most reports one person can submit online in a day."
                " This report is saved: submit it again in about %(hours)d hours."
            ) % {"hours": hours}
            raise RateLimited(message, retry_after_seconds=counted.window_ends_in)

    def _refuse_unless_draft(self, report: Report, _: Callable[[str], str]) -> None:
        if report.status == ReportStatus.SCREENED_OUT:
            raise Conflict(_("This report ended because the police need to take it directly."))
        if report.status != ReportStatus.DRAFT:
            raise Conflict(_("This report was already submitted and can no longer be changed."))

    def _save(self, report: Report, _: Callable[[str], str]) -> None:
        try:
            self._store.save_draft(report)
        except StaleReport as error:
            raise Conflict(
                _("This report was changed in another window. Reload it and try again.")
            ) from error
