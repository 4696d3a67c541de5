"""DynamoDB items read by one staff queue page, with 100 and with 10,000 submitted reports.

(And, for comparison, by the supervisors' metrics view, which reads every listed report.)

The reports are written straight into the table in batches (`Report.batch_write`), as the
workflow leaves them: submitted, with `submitted_at` and `listed_at` set. The page is then
fetched through the app, and the `Query` it makes is read back: `ScannedCount` is the number of
index items DynamoDB read (and bills), which must stay at one page however big the table grows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.intake.reports import owner_key
from chalicelib.models import Report
from chalicelib.review.desk import PAGE_SIZE
from tests.support.answers import theft_answers

from .deployment import Deployment
from .recorder import Call, CallRecorder
from .results import HarnessFailure, Record

SIZES = (100, 10_000)
FIRST_LISTED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class PageRead:
    reports: int
    query: Call
    load_seconds: float
    metrics: list[Call]
    """The calls of one `GET /api/staff/metrics` with the same table."""

    @property
    def scanned(self) -> int:
        return int(self.query.details.get("scanned_count") or 0)

    @property
    def read_units(self) -> float:
        return self.query.units.get("dynamodb_rru", 0.0)


def add_submitted_reports(start: int, stop: int) -> None:
    answers: dict[str, Any] = theft_answers(FIRST_LISTED.date())
    with Report.batch_write() as batch:
        for number in range(start, stop):
            listed = FIRST_LISTED + timedelta(minutes=number)
            batch.save(
                Report(
                    report_id=f"RPD-B{number:07d}",
                    owner_key=owner_key(f"resident{number}@example.com"),
                    contact_email=f"resident{number}@example.com",
                    language="en",
                    incident_type="theft",
                    status="submitted",
                    answers=answers,
                    created_at=listed - timedelta(minutes=20),
                    updated_at=listed,
                    submitted_at=listed,
                    listed_at=listed,
                    review_token="T" * 1000,
                )
            )


def read_pages(
    deployment: Deployment, recorder: CallRecorder, sizes: tuple[int, ...] = SIZES
) -> list[PageRead]:
    pages: list[PageRead] = []
    loaded = 0
    for size in sizes:
        started = time.perf_counter()
        with recorder.paused():
            add_submitted_reports(loaded, size)
        load_seconds, loaded = time.perf_counter() - started, size
        with recorder.span() as calls:
            page = deployment.request("GET", "/api/staff/reports", None, deployment.staff)
        queries = [call for call in calls if call.operation == "Query"]
        if len(queries) != 1 or len(page.json_body["items"]) != PAGE_SIZE:
            raise HarnessFailure(
                f"a queue page made {[call.name for call in calls]} and listed "
                f"{len(page.json_body['items'])} reports"
            )
        with recorder.span() as metrics:
            deployment.request("GET", "/api/staff/metrics", None, deployment.supervisor)
        pages.append(PageRead(size, queries[0], load_seconds, metrics))
    return pages


def records(pages: list[PageRead]) -> list[Record]:
    found = []
    for page in pages:
        details = page.query.details
        found.append(
            Record(
                f"DynamoDB items read: queue page, {page.reports:,} reports",
                page.scanned,
                "items",
                PAGE_SIZE,
                f"ScannedCount of the page's one Query ({details.get('index')} index), "
                f"Count {details.get('count')}; ≈{page.read_units:g} RRU from the projected items' "
                f"{details.get('bytes_read')} bytes (eventually consistent); moto's "
                f"ConsumedCapacity {details.get('consumed_capacity')} is a constant, not a "
                f"measurement. Floor: one page ({PAGE_SIZE} items)",
            )
        )
    for page in pages:
        queries = [call for call in page.metrics if call.operation == "Query"]
        scanned = sum(int(call.details.get("scanned_count") or 0) for call in queries)
        read_units = sum(call.units.get("dynamodb_rru", 0.0) for call in queries)
        found.append(
            Record(
                f"DynamoDB items read: staff metrics, {page.reports:,} reports",
                scanned,
                "items",
                None,
                f"for comparison (no rule): {len(queries)} Query calls (a paged Query per status "
                f"on the by-status index), ≈{read_units:g} RRU: every listed report is read at "
                "each view, so it grows with the table; no Scan",
            )
        )
    return found


def check(pages: list[PageRead]) -> list[str]:
    """Problems: reads that grow with the table."""
    problems = []
    smallest = pages[0]
    for page in pages[1:]:
        if page.scanned > smallest.scanned or page.read_units > smallest.read_units:
            problems.append(
                f"a queue page read {page.scanned} items ({page.read_units} RRU) with "
                f"{page.reports} reports, {smallest.scanned} ({smallest.read_units} RRU) "
                f"with {smallest.reports}"
            )
    return problems
