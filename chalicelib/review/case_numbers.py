"""Case numbers, sequential per agency and year, never duplicated, never skipped; this module
owns the counter table.

The counter, the report and the number's search term change in one transaction: the counter
moves from N to N+1 only if it still reads N, and the report takes the number only if it has
none. A retried step finds the report's number and returns it; a concurrent approval makes this
one draw again.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, GetError, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..agency import AgencyProfile
from ..models import CaseNumberCounter
from ..report_store import ReportStore
from ..search_index import SearchIndex

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 60


class CaseNumberUnavailable(RuntimeError):
    """Contention or an outage outlasted the attempts; the workflow retries the step."""


CONTENTION = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


def _contention(error: TransactWriteError) -> bool:
    """The transaction lost to another approval (the counter moved, or the same items were in
    another transaction), rather than DynamoDB failing."""
    return any(
        reason is not None and reason.code in CONTENTION for reason in error.cancellation_reasons
    )


class CaseNumbers:
    def __init__(
        self, *, agency: AgencyProfile, store: ReportStore, search_index: SearchIndex
    ) -> None:
        self._agency = agency
        self._store = store
        self._search_index = search_index

    def assign(self, report_id: str, decided_at: datetime) -> str:
        profile = self._agency
        year = decided_at.astimezone(profile.zone).year
        counter_id = f"{profile.id}#{year}"
        # the model's own connection: a new one would build a botocore client (~0.3 s) each time
        connection = CaseNumberCounter._get_connection().connection
        for attempt in range(MAX_ATTEMPTS):
            report = self._store.get(report_id)
            if report.case_number:
                return report.case_number
            try:
                last = CaseNumberCounter.get(counter_id, consistent_read=True).last
            except DoesNotExist:
                last = 0
            except GetError as error:
                raise CaseNumberUnavailable(str(error)) from error
            number = profile.review.case_number_format.format(
                short_code=profile.short_code, year=year, number=last + 1
            )
            counter = CaseNumberCounter(counter_id=counter_id)
            unchanged = (
                CaseNumberCounter.last == last
                if last
                else CaseNumberCounter.counter_id.does_not_exist()
            )
            try:
                with TransactWrite(connection=connection) as transaction:
                    transaction.update(
                        counter,
                        actions=[CaseNumberCounter.last.set(last + 1)],
                        condition=unchanged,
                    )
                    self._store.add_case_number(transaction, report, number)
                    self._search_index.add_case_number(transaction, report, number)
            except TransactWriteError as error:
                if not _contention(error):  # an outage: the workflow's retry waits, not this loop
                    raise CaseNumberUnavailable(str(error)) from error
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))  # noqa: S311 - jitter only
                continue
            log.info("case number assigned", extra={"report_id": report_id, "case_number": number})
            return number
        raise CaseNumberUnavailable(f"no case number after {MAX_ATTEMPTS} attempts")
