"""Case numbers: sequential per agency and year, never duplicated, never skipped.

The counter and the report change in one transaction: the counter moves from N to N+1 only
if it still reads N, and the report takes the number only if it has none. A retried step
finds the report's number and returns it; a concurrent approval makes this one draw again.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, GetError, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..agency import AgencyProfile
from ..models import CaseNumberCounter, Report

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 60


class CaseNumberUnavailable(RuntimeError):
    """Contention or an outage outlasted the attempts; the workflow retries the step."""


def assign_case_number(profile: AgencyProfile, report_id: str, decided_at: datetime) -> str:
    year = decided_at.astimezone(profile.zone).year
    counter_id = f"{profile.id}#{year}"
    connection = Connection(region=Report.Meta.region)
    for attempt in range(MAX_ATTEMPTS):
        report = Report.get(report_id, consistent_read=True)
        if report.case_number:
            return report.case_number
        try:
            last = CaseNumberCounter.get(counter_id, consistent_read=True).last
        except DoesNotExist:
            last = 0
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
                    counter, actions=[CaseNumberCounter.last.set(last + 1)], condition=unchanged
                )
                transaction.update(
                    report,
                    actions=[Report.case_number.set(number)],
                    condition=Report.case_number.does_not_exist(),
                )
        except TransactWriteError:
            time.sleep(random.uniform(0, 0.02 * (attempt + 1)))  # noqa: S311 - jitter, not secrecy
            continue
        except GetError as error:
            raise CaseNumberUnavailable(str(error)) from error
        log.info("case number assigned", extra={"report_id": report_id, "case_number": number})
        return number
    raise CaseNumberUnavailable(f"no case number after {MAX_ATTEMPTS} attempts")
