"""The reports table: every write the application's code makes to it, and its reads.

Each status change is one conditional write, so two requests at once cannot both win. Callers
get domain errors: a report that is not there is `NotFound`, an outage is `DeliveryFailed`.

The review state machine (`infra/statemachines/review.asl.json`) writes some attributes itself,
to save a Lambda invocation per step: `review_token` and `resident_token` (the task tokens it
waits on, the first only on a report still submitted), `status` with `failure` and
`interrupted_status` (a report that needs attention, and the status it had when its workflow
stopped), `status` back to submitted without `resident_token` (a question the resident left
unanswered), and `export_state` (an export that is owed). A test checks that every attribute it
writes is one the model declares.

What a step has done that it must never do twice (an email sent, the copy stored, the export
published) is written down in one transaction with the step's audit event (`note_done`), so a
retried step, or an admin's retry of the whole review (`retry`), finds it and skips it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist, GetError, PutError, QueryError, UpdateError

from .errors import DeliveryFailed, NotFound
from .models import Report
from .query_pages import first_page
from .status import AWAITING_DECISION, WITHDRAWABLE, Decision, ReportStatus

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

log = logging.getLogger(__name__)

BUSY = "The service is busy. Please try again shortly."
EXPORT_OWED = "failed"
REVIEW_NOT_STARTED = "ReviewNotStarted"
"""The `failure` of a submitted report whose workflow could not be started."""


class StaleReport(Exception):
    """The report changed since it was read (another window, another request)."""


def _refused(error: PutError | UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def _update_if(report_id: str, actions: list[Any], condition: Any) -> dict[str, Any] | None:
    """One conditional UpdateItem; the item as it was before, or None when the condition
    refused it."""
    try:
        old: dict[str, Any] = Report._get_connection().update_item(
            report_id, actions=actions, condition=condition, return_values="ALL_OLD"
        )
    except UpdateError as error:
        if _refused(error):
            return None
        raise DeliveryFailed(BUSY) from error
    attributes: dict[str, Any] = old["Attributes"]
    return attributes


class ReportStore:
    # -- reads ----------------------------------------------------------------------------------

    def get(self, report_id: str) -> Report:
        try:
            return Report.get(report_id, consistent_read=True)
        except DoesNotExist:
            raise NotFound("There is no report with that reference.") from None
        except GetError as error:
            raise DeliveryFailed(BUSY) from error

    def owned_by(self, owner_key: str, limit: int) -> list[Report]:
        """One owner's reports, newest first, from the owner index."""
        try:
            return list(Report.by_owner.query(owner_key, scan_index_forward=False, limit=limit))
        except QueryError as error:
            raise DeliveryFailed(BUSY) from error

    def drafts_of(self, owner_key: str) -> list[Report]:
        """One owner's drafts, from the owner index: its own reports only, never anyone else's."""
        try:
            return list(
                Report.by_owner.query(
                    owner_key, filter_condition=Report.status == ReportStatus.DRAFT
                )
            )
        except QueryError as error:
            raise DeliveryFailed(BUSY) from error

    def queue_page(
        self,
        status: ReportStatus,
        incident_type: str | None,
        page_size: int,
        start_key: dict[str, Any] | None,
        *,
        held_by: str | None = None,
        unclaimed: bool = False,
        newest_first: bool = False,
    ) -> tuple[list[Report], dict[str, Any] | None]:
        """One page of one status, oldest first (or newest): exactly one `Query`, so a filtered
        page may hold fewer reports than `page_size`. `held_by` keeps the reports that member of
        staff holds, `unclaimed` those nobody holds (`claimed_by` is in the index, so both are
        conditions of the same Query). Returns the reports and the key to go on from."""
        conditions: list[Any] = []
        if incident_type:
            conditions.append(Report.incident_type == incident_type)
        if held_by is not None:
            conditions.append(Report.claimed_by == held_by)
        elif unclaimed:
            conditions.append(Report.claimed_by.does_not_exist())
        condition = None
        for each in conditions:
            condition = each if condition is None else condition & each
        results = Report.by_status.query(
            status,
            filter_condition=condition,
            page_size=page_size,
            last_evaluated_key=start_key,
            scan_index_forward=not newest_first,
        )
        items, last_key = first_page(results)
        return [Report.from_raw_data(item) for item in items], last_key

    def count_status(self, status: ReportStatus) -> int:
        """How many reports have one status: a `Select=COUNT` Query on the status index, which
        returns no items (one call per MB of the index's entries for that status, so it grows
        with that status's backlog, never with the table)."""
        try:
            return Report.by_status.count(status)
        except QueryError as error:
            raise DeliveryFailed(BUSY) from error

    def supplements_of(self, report_ids: list[str]) -> dict[str, list[dict[str, str]]]:
        """The resident's answers to staff's questions on a few reports (a queue page's), by
        report: one `BatchGetItem` of those two attributes."""
        if not report_ids:
            return {}
        try:
            found = Report.batch_get(
                report_ids, consistent_read=False, attributes_to_get=["report_id", "supplements"]
            )
            return {report.report_id: list(report.supplements or []) for report in found}
        except GetError as error:
            raise DeliveryFailed(BUSY) from error

    def search_rows(self, report_ids: list[str], with_answers: bool) -> dict[str, Report]:
        """What a search result shows of a few reports (and their answers, to check a name),
        by report: one `BatchGetItem` (a search page holds at most 25)."""
        if not report_ids:
            return {}
        attributes = [
            "report_id",
            "status",
            "incident_type",
            "submitted_at",
            "case_number",
            "claimed_by",
        ]
        try:
            found = Report.batch_get(
                report_ids,
                consistent_read=False,
                attributes_to_get=[*attributes, "answers"] if with_answers else attributes,
            )
            return {report.report_id: report for report in found}
        except GetError as error:
            raise DeliveryFailed(BUSY) from error

    def with_status(self, status: ReportStatus) -> list[Report]:
        try:
            return list(Report.by_status.query(status))
        except QueryError as error:
            raise DeliveryFailed(BUSY) from error

    def exports_owed(self, limit: int) -> list[Report]:
        """Approved reports whose records export failed: a sparse index, so usually empty."""
        try:
            return list(Report.by_export_state.query(EXPORT_OWED, limit=limit))
        except QueryError as error:
            raise DeliveryFailed(BUSY) from error

    def by_copy_code(self, code: str) -> Report | None:
        """The report a copy's verification code was issued for: one `Query` on a sparse index
        that projects the case number, the incident type, the status and the date of issue."""
        try:
            return next(iter(Report.by_copy_code.query(code, limit=1)), None)
        except QueryError as error:
            raise DeliveryFailed(BUSY) from error

    # -- a resident's draft ---------------------------------------------------------------------

    def insert(self, report: Report) -> bool:
        """Store a new report; False when its reference is already taken."""
        try:
            report.save(condition=Report.report_id.does_not_exist())
        except PutError as error:
            if _refused(error):
                return False
            raise DeliveryFailed(BUSY) from error
        return True

    def save_draft(self, report: Report) -> None:
        """Write the draft as it now stands, only if nobody changed it since it was read."""
        try:
            report.save()
        except PutError as error:
            if _refused(error):
                raise StaleReport(report.report_id) from error
            raise DeliveryFailed(BUSY) from error

    def submit(
        self, transaction: TransactWrite, report: Report, now: datetime, language: str
    ) -> None:
        """In the caller's transaction (with its audit event): draft to submitted, once, and
        only the draft as it was read (its version). `report` shows the submission at once; a
        refused transaction leaves the caller to read the report again."""
        transaction.update(
            report,
            actions=[
                Report.status.set(ReportStatus.SUBMITTED),
                Report.submitted_at.set(now),
                Report.listed_at.set(now),
                Report.updated_at.set(now),
                Report.language.set(language),
                Report.expires_at.remove(),
            ],
            condition=Report.status == ReportStatus.DRAFT,
        )
        report.status, report.language = ReportStatus.SUBMITTED, language
        report.submitted_at = report.listed_at = report.updated_at = now
        report.expires_at = None

    def supply_information(
        self, report_id: str, supplements: list[dict[str, str]], now: datetime
    ) -> str | None:
        """Back to the queue with the resident's answer (each supplement keeps the question it
        answers); returns the task token the workflow waits on, or None when no question was
        waiting."""
        old = _update_if(
            report_id,
            [
                Report.status.set(ReportStatus.SUBMITTED),
                Report.supplements.set(supplements),
                Report.updated_at.set(now),
                Report.resident_token.remove(),
            ],
            (Report.status == ReportStatus.INFO_REQUESTED) & Report.resident_token.exists(),
        )
        if old is None:
            return None
        token: str = old["resident_token"]["S"]
        return token

    def withdraw(self, transaction: TransactWrite, report: Report, now: datetime) -> None:
        """In the caller's transaction (with its audit event): withdrawn by the resident, only
        if no decision came first and the report waits as it was read (the same task token, or
        none), so the token it held is the one to hand back to the workflow. `report` shows the
        withdrawal at once; a refused transaction leaves the caller to read the report again."""
        waiting = Report.status.is_in(*WITHDRAWABLE) & (Report.status == report.status)
        for attribute, token in (
            (Report.review_token, report.review_token),
            (Report.resident_token, report.resident_token),
        ):
            waiting &= attribute == token if token else attribute.does_not_exist()
        transaction.update(
            report,
            actions=[
                Report.status.set(ReportStatus.WITHDRAWN),
                Report.withdrawn_at.set(now),
                Report.updated_at.set(now),
                Report.review_token.remove(),
                Report.resident_token.remove(),
            ],
            condition=waiting,
            add_version_condition=False,  # a draft's version guards answers, not the review
        )
        report.status, report.withdrawn_at, report.updated_at = ReportStatus.WITHDRAWN, now, now

    # -- staff decisions ------------------------------------------------------------------------

    def decide(
        self,
        report_id: str,
        decision: Decision,
        decided_by: str,
        now: datetime,
        reason: str | None,
        expires_at: datetime | None,
        *,
        over_claim: bool = False,
    ) -> tuple[Report, str] | None:
        """Record a decision on a report waiting for one, and held by nobody or by the member
        deciding (unless `over_claim`: they confirmed deciding a report someone else holds).
        Returns the report as it now stands and the task token that was waiting, or None when
        the report was not waiting (or was held by someone else)."""
        actions = [
            Report.status.set(decision.status),
            Report.decision.set(decision),
            Report.decided_by.set(decided_by),
            Report.decided_at.set(now),
            Report.updated_at.set(now),
            Report.review_token.remove(),
            # Each decision has its own reason, or none (an approval): never the one before it,
            # such as the question a report came back from (the question stays with its answer,
            # in `supplements`).
            Report.decision_reason.set(reason)
            if reason is not None
            else Report.decision_reason.remove(),
        ]
        if expires_at is not None:
            actions.append(Report.expires_at.set(expires_at))
        waiting = (Report.status == ReportStatus.SUBMITTED) & Report.review_token.exists()
        if not over_claim:
            waiting &= Report.claimed_by.does_not_exist() | (Report.claimed_by == decided_by)
        old = _update_if(report_id, actions, waiting)
        if old is None:
            return None
        # The report as it now stands, from what the update returned: no second read.
        decided = Report.from_raw_data(old)
        token = decided.review_token or ""
        decided.status = decision.status
        decided.decision, decided.decided_by, decided.decided_at = decision, decided_by, now
        decided.decision_reason = reason
        decided.expires_at = expires_at if expires_at is not None else decided.expires_at
        decided.updated_at = now
        decided.review_token = None
        return decided, token

    def undo_decision(self, report_id: str, decided_by: str, review_token: str | None) -> None:
        """Back to the queue as it was; a task token that still works is kept for the next."""
        actions = [
            Report.status.set(ReportStatus.SUBMITTED),
            Report.decision.remove(),
            Report.decided_by.remove(),
            Report.decided_at.remove(),
            Report.decision_reason.remove(),
            Report.expires_at.remove(),
        ]
        if review_token is not None:
            actions.append(Report.review_token.set(review_token))
        try:
            Report._get_connection().update_item(
                report_id, actions=actions, condition=Report.decided_by == decided_by
            )
        except UpdateError:
            log.error("decision not undone", extra={"report_id": report_id})

    # -- staff corrections ----------------------------------------------------------------------

    def correct(
        self,
        transaction: TransactWrite,
        report: Report,
        *,
        answers: dict[str, Any],
        incident_type: str,
        corrections: list[dict[str, Any]],
        now: datetime,
    ) -> None:
        """In the caller's transaction (with its audit event): staff's corrected answers (and
        incident type), the corrections list with the new ones and the next revision; only if
        the report still waits for a decision or for the resident and nobody saved an edit
        since `report` was read (its `answers_revision`). `report` shows the edit at once; a
        refused transaction leaves the caller to read the report again."""
        revision = int(report.answers_revision or 0)
        unchanged = (
            Report.answers_revision == revision
            if revision
            else Report.answers_revision.does_not_exist()
        )
        waiting = Report.status.is_in(*AWAITING_DECISION)
        transaction.update(
            report,
            actions=[
                Report.answers.set(answers),
                Report.incident_type.set(incident_type),
                Report.corrections.set(corrections),
                Report.answers_revision.set(revision + 1),
                Report.updated_at.set(now),
            ],
            condition=waiting & unchanged,
            add_version_condition=False,  # a draft's version guards answers, not staff's edits
        )
        report.answers, report.incident_type, report.corrections = (
            answers,
            incident_type,
            corrections,
        )
        report.answers_revision, report.updated_at = revision + 1, now

    # -- the workflow's steps -------------------------------------------------------------------

    def add_case_number(self, transaction: TransactWrite, report: Report, number: str) -> None:
        """In the caller's transaction (with the counter): the number, if it has none yet."""
        transaction.update(
            report,
            actions=[Report.case_number.set(number)],
            condition=Report.case_number.does_not_exist(),
        )

    def give_copy_code(self, report_id: str, code: str, now: datetime) -> Report | None:
        """An approved report's copy gets its verification code, once: the report as it now
        stands, or None when it already has one (or is not approved)."""
        try:
            new: dict[str, Any] = Report._get_connection().update_item(
                report_id,
                actions=[Report.copy_code.set(code), Report.copy_issued_at.set(now)],
                condition=(Report.status == ReportStatus.APPROVED)
                & Report.copy_code.does_not_exist(),
                return_values="ALL_NEW",
            )
        except UpdateError as error:
            if _refused(error):
                return None
            raise DeliveryFailed(BUSY) from error
        return Report.from_raw_data(new["Attributes"])

    def mark_past_due(self, report_id: str) -> Report | None:
        """Flag the report late; the report as it was, or None when there is no such report."""
        # The old task token is dead once the wait timed out: a decision now waits for the new one.
        old = _update_if(
            report_id,
            [Report.past_sla.set(True), Report.review_token.remove()],
            Report.report_id.exists(),
        )
        return None if old is None else Report.from_raw_data(old)

    def note_done(
        self,
        transaction: TransactWrite,
        report: Report,
        now: datetime,
        *,
        notice: str | None = None,
        copy_stored: bool = False,
        exported: bool = False,
    ) -> None:
        """In the caller's transaction (with the step's audit event): what a workflow step did
        that must not be done again. `notice` is the key of an email sent (`notices` is a set,
        so writing it twice changes nothing); the copy stored; the export published (no longer
        owed)."""
        actions: list[Any] = []
        if notice is not None:
            actions.append(Report.notices.add({notice}))
        if copy_stored:
            actions.append(Report.copy_stored_at.set(now))
        if exported:
            actions += [Report.exported_at.set(now), Report.export_state.remove()]
        transaction.update(
            report,
            actions=actions,
            condition=Report.report_id.exists(),
            add_version_condition=False,  # a draft's version guards answers, not the workflow
        )

    # -- a workflow that stopped ----------------------------------------------------------------

    def flag_not_started(self, report_id: str, now: datetime) -> bool:
        """A submitted report whose workflow could not be started: it needs attention (an
        admin's retry, or the resident's next submit, starts it). Not if a workflow is waiting
        on it after all (its task token is there: the start went through, its answer did not)."""
        return (
            _update_if(
                report_id,
                [
                    Report.interrupted_status.set(ReportStatus.SUBMITTED),
                    Report.status.set(ReportStatus.NEEDS_ATTENTION),
                    Report.failure.set(REVIEW_NOT_STARTED),
                    Report.updated_at.set(now),
                ],
                (Report.status == ReportStatus.SUBMITTED) & Report.review_token.does_not_exist(),
            )
            is not None
        )

    def unflag_not_started(self, report_id: str, now: datetime) -> bool:
        """Back to submitted, to start its workflow again; False when it is no longer a report
        whose workflow never started (someone retried it a moment ago)."""
        return (
            _update_if(
                report_id,
                [
                    Report.status.set(ReportStatus.SUBMITTED),
                    Report.failure.remove(),
                    Report.interrupted_status.remove(),
                    Report.updated_at.set(now),
                ],
                (Report.status == ReportStatus.NEEDS_ATTENTION)
                & (Report.failure == REVIEW_NOT_STARTED),
            )
            is not None
        )

    def retry(self, report: Report, resumed: ReportStatus, attempt: int, now: datetime) -> bool:
        """A report that needs attention back to the status its workflow stopped in, as the
        `attempt`th retry; False when it no longer needs attention or someone else retried it
        first. The failed workflow's task tokens are dead: a new one writes its own."""
        before = Report.retries.does_not_exist() if attempt == 1 else Report.retries == attempt - 1
        return (
            _update_if(
                report.report_id,
                [
                    Report.status.set(resumed),
                    Report.retries.set(attempt),
                    Report.failure.remove(),
                    Report.interrupted_status.remove(),
                    Report.review_token.remove(),
                    Report.resident_token.remove(),
                    Report.updated_at.set(now),
                ],
                (Report.status == ReportStatus.NEEDS_ATTENTION) & before,
            )
            is not None
        )

    def undo_retry(self, report: Report, resumed: ReportStatus, attempt: int) -> None:
        """Needing attention again, as it was before `retry`: the new workflow did not start."""
        actions = [
            Report.status.set(ReportStatus.NEEDS_ATTENTION),
            Report.interrupted_status.set(report.interrupted_status or resumed),
        ]
        if report.failure:
            actions.append(Report.failure.set(report.failure))
        try:
            Report._get_connection().update_item(
                report.report_id,
                actions=actions,
                condition=(Report.status == resumed) & (Report.retries == attempt),
            )
        except UpdateError:
            log.error("retry not undone", extra={"report_id": report.report_id})

    # -- claims ---------------------------------------------------------------------------------

    def claim(
        self, transaction: TransactWrite, report_id: str, username: str, now: datetime
    ) -> None:
        """In the caller's transaction (with its audit event): `username` holds a report
        waiting for a decision, if nobody else does. Of two claims at once, one wins."""
        transaction.update(
            Report(report_id),
            actions=[Report.claimed_by.set(username), Report.claimed_at.set(now)],
            condition=Report.status.is_in(*AWAITING_DECISION)
            & (Report.claimed_by.does_not_exist() | (Report.claimed_by == username)),
            add_version_condition=False,  # a draft's version guards answers, not the review
        )

    def assign(
        self,
        transaction: TransactWrite,
        report_id: str,
        username: str,
        holder: str | None,
        now: datetime,
    ) -> None:
        """In the caller's transaction: a supervisor hands a report waiting for a decision to
        `username`, only if `holder` (None: nobody) still holds it, as the supervisor saw."""
        held = Report.claimed_by == holder if holder else Report.claimed_by.does_not_exist()
        transaction.update(
            Report(report_id),
            actions=[Report.claimed_by.set(username), Report.claimed_at.set(now)],
            condition=Report.status.is_in(*AWAITING_DECISION) & held,
            add_version_condition=False,
        )

    def release(self, transaction: TransactWrite, report_id: str, holder: str) -> None:
        """In the caller's transaction: nobody holds the report, if `holder` still did."""
        transaction.update(
            Report(report_id),
            actions=[Report.claimed_by.remove(), Report.claimed_at.remove()],
            condition=Report.claimed_by == holder,
            add_version_condition=False,
        )

    def exists_for_staff(self, transaction: TransactWrite, report_id: str) -> None:
        """In the caller's transaction (a note): the report is there and no longer a draft."""
        transaction.condition_check(
            Report,
            report_id,
            condition=Report.report_id.exists() & (Report.status != ReportStatus.DRAFT),
        )

    # -- attachments ----------------------------------------------------------------------------

    def save_attachments(
        self, report: Report, entries: list[dict[str, Any]], statuses: tuple[ReportStatus, ...]
    ) -> None:
        """The report's attachment list as it now stands: only while the report has one of
        `statuses` and nobody changed it since it was read (its version, which every write to
        a report raises), so two uploads at once, or an upload and an answer, never lose one
        another's write. `StaleReport` when refused: read the report again and retry."""
        version = report.version
        unchanged = (
            Report.version.does_not_exist() if version is None else Report.version == version
        )
        before = _update_if(
            report.report_id,
            [Report.attachments.set(entries), Report.version.add(1)],
            Report.status.is_in(*statuses) & unchanged,
        )
        if before is None:
            raise StaleReport(report.report_id)
        report.attachments = entries
        report.version = (version or 0) + 1
