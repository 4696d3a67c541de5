"""The review desk: the queue, a report in full, decisions, and the resident's answers."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from ..agency import AgencyProfile, ReadyText
from ..errors import Conflict, DeliveryFailed, InvalidInput, NotFound
from ..intake.answers import FieldProblems, clean_text
from ..intake.references import normalise_reference
from ..json_text import parse_json
from ..models import AuditEvent, Report
from ..moments import agency_stamp
from ..report_store import BUSY, REVIEW_NOT_STARTED, ReportStore
from ..search_index import SearchIndex
from ..status import AWAITING_DECISION, DECIDED_STATUS, Decision, ReportStatus
from .audit import AFTER_THE_FACT, AuditTrail
from .calendar import ReviewCalendar
from .claims import HeldByAnother
from .nibrs_check import in_words, nibrs_check, problem_fields, refuses_approval
from .staff import StaffMember

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

    from ..intake.reports import ReviewStarter
    from ..records import RecordsExport


log = logging.getLogger(__name__)

QUEUE_STATUSES = (
    ReportStatus.SUBMITTED,
    ReportStatus.INFO_REQUESTED,
    ReportStatus.APPROVED,
    ReportStatus.REJECTED,
    ReportStatus.NEEDS_ATTENTION,
    ReportStatus.WITHDRAWN,
)
COUNTED_STATUSES = (*QUEUE_STATUSES, ReportStatus.SCREENED_OUT)
WORK_STATUSES = (*AWAITING_DECISION, ReportStatus.NEEDS_ATTENTION)
"""The statuses the queue counts: the work still to do. They grow with the backlog, not with the
table; decided statuses are counted by the metrics."""
HOLDERS = ("mine", "unclaimed")
"""Whose reports: `mine` (held by the member asking), `unclaimed` (held by nobody); none: all."""
ORDERS = ("oldest", "newest")
"""`oldest` first, the default, is also the order of the due dates (a report is due a number
of business days after it was listed); `newest` first."""
DECIDED = (ReportStatus.APPROVED, ReportStatus.REJECTED)
DEAD_TOKEN_ERRORS = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})
PAGE_SIZE = 25
VIEW_COALESCED = timedelta(minutes=15)
"""A member's views of one report within this time are one event in its trail."""
MAX_REASON = 1000
MAX_EXPORTS_OWED = 100
DECISION_FOR = {status: decision for decision, status in DECIDED_STATUS.items()}


@dataclass(frozen=True)
class QueueEntry:
    report_id: str
    status: ReportStatus
    incident_type: str
    submitted_at: datetime
    due: datetime
    past_due: bool
    case_number: str | None
    failure: str | None
    came_back: bool = False
    """Back in the queue after a question to the resident (answered or not)."""
    answer: str | None = None
    """The resident's latest answer, when it came back answered."""
    claimed_by: str | None = None
    """The member of staff who holds the report, if anyone does."""


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueEntry]
    next_cursor: str | None
    counts: dict[ReportStatus, int] | None = None
    """How many reports each of `WORK_STATUSES` has, when asked for (the staff pages' tabs)."""


def encode_cursor(key: dict[str, Any] | None, order: str = "oldest") -> str | None:
    """The key a page stopped at, and the order it was read in (a key read newest first means
    something else oldest first)."""
    if not key:
        return None
    document = {"after": key, "order": order}
    return base64.urlsafe_b64encode(json.dumps(document, sort_keys=True).encode()).decode()


CURSOR_KEYS = frozenset({"report_id", "status", "listed_at"})


def decode_cursor(cursor: str | None, status: str, order: str = "oldest") -> dict[str, Any] | None:
    """The key a queue page stopped at, exactly as `encode_cursor` wrote it for this status and
    this order."""
    if not cursor:
        return None
    refused = InvalidInput("The cursor is not valid.", fields={"cursor": "not valid"})
    try:
        document = parse_json(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError):
        raise refused from None
    if not isinstance(document, dict) or set(document) != {"after", "order"}:
        raise refused
    key = document["after"]
    if (
        not isinstance(key, dict)
        or set(key) != CURSOR_KEYS
        or not all(
            isinstance(value, dict) and set(value) == {"S"} and isinstance(value["S"], str)
            for value in key.values()
        )
        or key["status"]["S"] != status
    ):
        raise refused
    if document["order"] != order:
        raise InvalidInput(
            "The cursor belongs to the queue in another order: start again from its first page.",
            fields={"cursor": "not valid for this order"},
        )
    return key


def _latest_answer(supplements: list[dict[str, str]] | None, asked: datetime | None) -> str | None:
    """The answer to the latest question, if the resident gave one (a question left unanswered
    brings the report back too, with no answer to it)."""
    if not supplements or asked is None:
        return None
    latest = supplements[-1]
    answered_at = latest.get("at")
    if not answered_at or datetime.fromisoformat(answered_at) < asked:
        return None
    return latest.get("text") or None


def _interrupted_status(report: Report) -> ReportStatus:
    """The status the report had when its workflow stopped (the state machine keeps it); for a
    report flagged before it did, the decision's, or waiting for one."""
    if report.interrupted_status in (ReportStatus.SUBMITTED, *DECISION_FOR):
        return ReportStatus(report.interrupted_status)
    if report.decision in tuple(Decision):
        return Decision(report.decision).status
    return ReportStatus.SUBMITTED


class ReviewDesk:
    def __init__(
        self,
        *,
        agency: AgencyProfile,
        store: ReportStore,
        stepfunctions: SFNClient,
        review: ReviewStarter,
        export: RecordsExport,
        audit: AuditTrail,
        calendar: ReviewCalendar,
        search_index: SearchIndex,
        clock: Callable[[], datetime],
    ) -> None:
        self._agency = agency
        self._store = store
        self._search_index = search_index
        self._stepfunctions = stepfunctions
        self._review = review
        self._export = export
        self._audit = audit
        self._calendar = calendar
        self._clock = clock

    def queue(
        self,
        status: str = ReportStatus.SUBMITTED,
        incident_type: str | None = None,
        cursor: str | None = None,
        *,
        holder: str | None = None,
        order: str = "oldest",
        member: StaffMember | None = None,
        counted: bool = False,
    ) -> QueuePage:
        """One page of a status's reports, oldest first (or `order` newest), of every holder (or
        `holder`: `mine`, the `member`'s, or `unclaimed`): one `Query` on the status index. With
        `counted`, the page also says how many reports wait in each of `WORK_STATUSES`."""
        if status not in QUEUE_STATUSES:
            raise InvalidInput(
                f"Status must be one of: {', '.join(QUEUE_STATUSES)}.", fields={"status": status}
            )
        listed = ReportStatus(status)
        if incident_type is not None and self._agency.incident_type(incident_type) is None:
            raise InvalidInput("Unknown incident type.", fields={"incident_type": incident_type})
        if holder is not None and holder not in HOLDERS:
            raise InvalidInput(
                f"Holder must be one of: {', '.join(HOLDERS)}.", fields={"holder": holder}
            )
        if order not in ORDERS:
            raise InvalidInput(
                f"Order must be one of: {', '.join(ORDERS)}.", fields={"order": order}
            )
        username = member.username if member is not None else None
        if holder == "mine" and not username:
            raise InvalidInput("Whose reports? Sign in to see yours.", fields={"holder": holder})
        start_key = decode_cursor(cursor, status, order)
        reports, last_key = self._store.queue_page(
            listed,
            incident_type,
            PAGE_SIZE,
            start_key,
            held_by=username if holder == "mine" else None,
            unclaimed=holder == "unclaimed",
            newest_first=order == "newest",
        )
        now = self._clock()
        # A report waiting for a decision that was decided before came back from a question
        # (`decided_at` is in the index); its answers are read for those few only.
        came_back = [
            report.report_id
            for report in reports
            if listed == ReportStatus.SUBMITTED and report.decided_at is not None
        ]
        answers = self._store.supplements_of(came_back)
        entries = [
            QueueEntry(
                report_id=report.report_id,
                status=listed,
                incident_type=report.incident_type,
                submitted_at=report.listed_at,
                due=self._calendar.due(report.listed_at),
                past_due=listed in AWAITING_DECISION
                and self._calendar.is_past_due(report.listed_at, now),
                case_number=report.case_number,
                failure=report.failure,
                came_back=report.report_id in came_back,
                answer=_latest_answer(answers.get(report.report_id), report.decided_at),
                claimed_by=report.claimed_by,
            )
            for report in reports
            if report.listed_at is not None
        ]
        counts = None
        if counted:
            # A page that is the whole of its status, unfiltered, is its count: no Query for it.
            whole = start_key is None and last_key is None and not incident_type and not holder
            counts = self.counts({listed: len(reports)} if whole else {})
        return QueuePage(entries, encode_cursor(last_key, order), counts)

    def counts(self, known: dict[ReportStatus, int] | None = None) -> dict[ReportStatus, int]:
        """How many reports wait in each of `WORK_STATUSES`: one `Select=COUNT` Query each on
        the status index (the items are not returned), but none for a status whose count is
        `known` already (a queue page that held all of its reports)."""
        known = known or {}
        return {
            status: known[status] if status in known else self._store.count_status(status)
            for status in WORK_STATUSES
        }

    def report(self, member: StaffMember, report_id: str) -> tuple[Report, list[AuditEvent]]:
        """The report and its trail; the member's view is recorded once per `VIEW_COALESCED`
        (the trail, read anyway, says whether they viewed it lately), not on every load."""
        report = self._get(report_id)
        if report.status == ReportStatus.DRAFT:
            raise NotFound("There is no submitted report with that reference.")
        history = self._audit.history(report.report_id)
        now = self._clock()
        if not any(
            event.action == "view"
            and event.actor == member.username
            and now - event.when < VIEW_COALESCED
            for event in history
        ):
            history.append(
                self._audit.record(report.report_id, member.username, "view", "succeeded")
            )
        return report, history

    def next_after(
        self,
        member: StaffMember,
        decided: str,
        status: str | None,
        incident_type: str | None,
        *,
        holder: str | None = None,
        order: str = "oldest",
        max_pages: int,
    ) -> str | None:
        """The first report of a queue (its status, type, holder and order) other than the one
        just decided, which the status index, eventually consistent, may still list there: one
        `Query` a page, `max_pages` at most (a filtered page may hold none). None: no other."""
        cursor: str | None = None
        for _ in range(max_pages):
            page = self.queue(
                status or ReportStatus.SUBMITTED,
                incident_type,
                cursor,
                holder=holder,
                order=order,
                member=member,
            )
            following = next((e.report_id for e in page.items if e.report_id != decided), None)
            if following is not None or page.next_cursor is None:
                return following
            cursor = page.next_cursor
        return None

    def decide(
        self,
        member: StaffMember,
        report_id: str,
        decision: object,
        reason: object,
        *,
        ready_text: str | None = None,
        confirm_claimed: bool = False,
    ) -> Report:
        """Record one decision and hand it to the waiting workflow. Only one decision wins.

        A report someone else holds is decided only if the member confirms (`confirm_claimed`).
        `ready_text` names one of the profile's ready-made texts: with no `reason`, the reason
        is that text in the resident's language (one read to learn it); with one, the reason
        is as the clerk typed it (their edit of the text)."""
        if not isinstance(decision, str) or decision not in tuple(Decision):
            message = "Choose approve, reject or request_info."
            raise InvalidInput(message, fields={"decision": message})
        chosen = Decision(decision)
        report_id = normalise_reference(report_id)
        ready = self._ready_text(chosen, ready_text)
        if ready is not None and (
            reason is None or (isinstance(reason, str) and not reason.strip())
        ):
            language = self._get(report_id).language
            reason = ready.text.get(language) or ready.text[self._agency.default_language]
        text = self._reason(chosen, reason)
        now = self._clock()
        if chosen == Decision.APPROVE:
            self._check_nibrs(member, report_id, now)
        expires_at = (
            now + timedelta(days=self._agency.retention.rejected_days)
            if chosen == Decision.REJECT
            else None
        )
        recorded = self._store.decide(
            report_id, chosen, member.username, now, text, expires_at, over_claim=confirm_claimed
        )
        if recorded is None:
            self._explain_refused_decision(report_id, member, chosen)
        decided, token = recorded
        output = {"decision": chosen, "reason": text, "reviewer": member.username}
        try:
            self._stepfunctions.send_task_success(taskToken=token, output=json.dumps(output))
        except (ClientError, BotoCoreError) as error:
            dead_token = isinstance(error, ClientError) and error.response["Error"]["Code"] in (
                DEAD_TOKEN_ERRORS
            )
            self._store.undo_decision(report_id, member.username, None if dead_token else token)
            self._audit.record(report_id, member.username, f"decision:{decision}", "failed")
            if dead_token:
                raise Conflict("The report changed while you were deciding. Reload it.") from error
            raise DeliveryFailed(BUSY) from error
        self._audit.record(
            report_id,
            member.username,
            f"decision:{decision}",
            "succeeded",
            {"status": chosen.status, **({"ready_text": ready.id} if ready else {})},
            attempts=AFTER_THE_FACT,  # the workflow has the decision: its record must not be lost
        )
        if expires_at is not None:  # a rejected report's terms expire with it
            self._search_index.expire(decided, expires_at)
        log.info("decision recorded", extra={"report_id": report_id, "decision": decision})
        return decided

    def _check_nibrs(self, member: StaffMember, report_id: str, now: datetime) -> None:
        """Refuse to approve a report whose NIBRS document is not valid, unless the profile
        allows it: one `GetItem` more for an approval, only when the profile asks for this."""
        if self._agency.nibrs is None or self._agency.nibrs.approve_invalid:
            return
        document = nibrs_check(self._agency, self._get(report_id), now)
        if document is None or not refuses_approval(self._agency, document):
            return
        self._audit.record(report_id, member.username, "decision:approve", "nibrs_invalid")
        raise Conflict(
            "This report would not make a valid NIBRS document, so it cannot be approved yet. "
            "Correct it first: " + in_words(document.problems),
            fields=problem_fields(document.problems),
        )

    def _ready_text(self, decision: Decision, text_id: object) -> ReadyText | None:
        if text_id is None or text_id == "":
            return None
        ready = self._agency.review.ready_text(text_id) if isinstance(text_id, str) else None
        if ready is None or ready.kind != decision:
            message = (
                "There is no ready-made text of that name."
                if ready is None
                else f"That ready-made text is not for: {decision.replace('_', ' ')}."
            )
            raise InvalidInput(message, fields={"ready_text": message})
        return ready

    def _reason(self, decision: Decision, reason: object) -> str | None:
        if decision == Decision.APPROVE and (reason is None or reason == ""):
            return None
        try:
            text = clean_text(
                reason if reason is not None else "",
                "reason",
                MAX_REASON,
                str,
                multiline=True,
            )
        except FieldProblems as problems:
            raise InvalidInput("The reason is not valid.", fields=problems.problems) from None
        if decision != Decision.APPROVE and not text:
            message = (
                "Give the reason: the resident will read it."
                if decision == Decision.REJECT
                else "Write the question for the resident."
            )
            raise InvalidInput(message, fields={"reason": message})
        return text or None

    def _explain_refused_decision(
        self, report_id: str, member: StaffMember, decision: Decision
    ) -> NoReturn:
        report = self._get(report_id)
        self._audit.record(report_id, member.username, f"decision:{decision}", "refused")
        if report.status == ReportStatus.WITHDRAWN:
            withdrawn = report.withdrawn_at
            when = agency_stamp(withdrawn, self._agency.zone) if withdrawn else ""
            raise Conflict(f"The resident withdrew this report {when}: it cannot be decided.")
        if report.status != ReportStatus.SUBMITTED:
            raise Conflict(f"This report was already decided ({report.status}).")
        holder = report.claimed_by
        if report.review_token and holder and holder != member.username:
            raise HeldByAnother(holder, f"{holder} holds this report. Confirm to decide it anyway.")
        raise Conflict("This report is still being prepared for review. Try again in a moment.")

    def _get(self, report_id: str) -> Report:
        return self._store.get(normalise_reference(report_id))

    def failed_exports(self) -> list[Report]:
        """Approved reports whose records export failed: one `Query` on a sparse index."""
        return self._store.exports_owed(MAX_EXPORTS_OWED)

    def repush_export(self, member: StaffMember, report_id: str) -> str:
        from ..records import ExportFailed, NibrsRefused  # loaded only when an export is made

        report = self._get(report_id)
        try:
            key = self._export.publish(report)
        except NibrsRefused as refused:
            self._audit.record(
                report.report_id,
                member.username,
                "export_repushed",
                "nibrs_refused",
                {"problems": refused.in_words},
            )
            raise Conflict(
                "The JSON export went out again, but the NIBRS document is still not valid: "
                + refused.in_words,
                fields=problem_fields(refused.problems),
            ) from None
        except ExportFailed as error:
            self._audit.record(report.report_id, member.username, "export_repushed", "failed")
            raise DeliveryFailed(
                "The records system did not take the report. Try again later."
            ) from error
        now = self._clock()
        self._audit.record_with(
            lambda writes: self._store.note_done(writes, report, now, exported=True),
            report.report_id,
            member.username,
            "export_repushed",
            "succeeded",
        )
        return key

    def retry(self, member: StaffMember, report_id: str) -> Report:
        """Run the rest of the review of a report its workflow left needing attention, in a new
        execution, from the status it stopped in: waiting for a decision, or what follows the
        decision already made. What was done before is not done again (each step skips what
        the report records: the emails sent, the case number, the copy, the export)."""
        report = self._get(report_id)
        if report.status != ReportStatus.NEEDS_ATTENTION:
            self._audit.record(report.report_id, member.username, "retried", "refused")
            raise Conflict(
                "Only a report that needs attention can be retried; this one is "
                f"{report.status.replace('_', ' ')}."
            )
        resumed = _interrupted_status(report)
        attempt = int(report.retries or 0) + 1
        if not self._store.retry(report, resumed, attempt, self._clock()):
            self._audit.record(report.report_id, member.username, "retried", "refused")
            raise Conflict("Someone retried this report a moment ago. Reload it.")
        try:
            if report.failure == REVIEW_NOT_STARTED:  # never started: the start, once
                self._review.start(report.report_id)
            else:
                name = f"{report.report_id}-retry-{attempt}"
                self._review.restart(report.report_id, name, DECISION_FOR.get(resumed))
        except DeliveryFailed:
            self._store.undo_retry(report, resumed, attempt)
            self._audit.record(report.report_id, member.username, "retried", "failed")
            raise
        self._audit.record(
            report.report_id,
            member.username,
            "retried",
            "succeeded",
            {"failure": report.failure or "", "resumes": resumed, "attempt": attempt},
        )
        log.info("review retried", extra={"report_id": report.report_id, "attempt": attempt})
        report.status, report.retries, report.failure = resumed, attempt, None
        return report

    def metrics(self) -> dict[str, Any]:
        """Counts by status and type, median days to decision, reports past the promised time.

        One paged `Query` per status on the status index; never a `Scan`.
        """
        now = self._clock()
        by_status: dict[str, int] = {}
        by_type: dict[str, dict[str, int]] = {}
        waits: list[float] = []
        past_due = 0
        for status in COUNTED_STATUSES:
            reports = self._store.with_status(status)
            by_status[status] = len(reports)
            for report in reports:
                counts = by_type.setdefault(report.incident_type, {})
                counts[status] = counts.get(status, 0) + 1
                if report.decided_at and report.listed_at and status in DECIDED:
                    waits.append((report.decided_at - report.listed_at).total_seconds() / 86400)
                if status in AWAITING_DECISION and report.listed_at:
                    past_due += self._calendar.is_past_due(report.listed_at, now)
        return {
            "by_status": by_status,
            "by_type": by_type,
            "median_days_to_decision": round(statistics.median(waits), 2) if waits else None,
            "past_due": past_due,
            "promised_business_days": self._agency.review.business_days,
        }
