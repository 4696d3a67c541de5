"""Case numbers on moto: consecutive per agency and year, never duplicated, never skipped.

One deployment serves the module; each test starts from empty report and counter tables. moto's
DynamoDB is made atomic per request (as DynamoDB is), so a duplicate or a gap is the app's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import services
from chalicelib.models import AuditEvent, CaseNumberCounter, Report
from chalicelib.review.staff import StaffMember
from infra import provision
from tests.support.deployment import (
    START,
    Deployment,
    FakeClock,
    RecordingStepFunctions,
    moto_deployment,
)
from tests.support.reports import submitted_report

REGION = "us-east-1"
REVIEWER = StaffMember("reviewer", frozenset({"reviewers"}), START + timedelta(hours=1))


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    with moto_deployment(
        stepfunctions=RecordingStepFunctions(), verify_sender=False, atomic_dynamodb=True
    ) as built:
        yield built


@pytest.fixture
def system(deployment: Deployment) -> services.Services:
    """The module's deployment with no reports, counters or audit events."""
    for model in (Report, AuditEvent, CaseNumberCounter):
        model.delete_table()
    provision.create_tables(
        deployment.services.aws.client("dynamodb"), (Report, AuditEvent, CaseNumberCounter)
    )
    return deployment.services


def waiting_reports(count: int) -> list[str]:
    """Submitted reports whose workflows wait for a decision (each with its own task token)."""
    with Report.batch_write() as batch:
        for number in range(count):
            batch.save(submitted_report(f"RPD-{number:04d}-CASE", review_token=f"token-{number}"))
    return [f"RPD-{number:04d}-CASE" for number in range(count)]


def counter(system: services.Services, year: int) -> int | None:
    try:
        return int(CaseNumberCounter.get(f"{system.agency.id}#{year}", consistent_read=True).last)
    except CaseNumberCounter.DoesNotExist:
        return None


def test_twenty_parallel_approvals_get_twenty_consecutive_numbers(
    system: services.Services,
) -> None:
    report_ids = waiting_reports(20)
    start = threading.Barrier(len(report_ids))

    def approve(report_id: str) -> str:
        start.wait()
        system.desk.decide(REVIEWER, report_id, "approve", None)
        step = {"step": "assign_case_number", "report_id": report_id}
        return str(system.review_steps.run(step)["case_number"])

    with ThreadPoolExecutor(max_workers=len(report_ids)) as pool:
        numbers = list(pool.map(approve, report_ids))

    assert sorted(numbers) == [f"RPD-2026-{n:06d}" for n in range(1, 21)]
    stored = {rid: Report.get(rid, consistent_read=True).case_number for rid in report_ids}
    assert stored == dict(zip(report_ids, numbers, strict=True))
    assert counter(system, 2026) == 20


def test_assigning_again_returns_the_same_number_and_draws_none(
    system: services.Services,
) -> None:
    first, second = waiting_reports(2)

    number = system.case_numbers.assign(first, START)
    again = system.case_numbers.assign(first, START + timedelta(days=400))

    assert number == again == "RPD-2026-000001"
    assert counter(system, 2026) == 1
    assert counter(system, 2027) is None
    assert system.case_numbers.assign(second, START) == "RPD-2026-000002"


def test_a_step_retried_in_parallel_still_draws_one_number(system: services.Services) -> None:
    (report_id,) = waiting_reports(1)
    start = threading.Barrier(6)

    def assign(_: int) -> str:
        start.wait()
        return system.case_numbers.assign(report_id, START)

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = set(pool.map(assign, range(6)))

    assert numbers == {"RPD-2026-000001"}
    assert counter(system, 2026) == 1


def test_numbers_restart_each_year_in_the_agencys_time_zone(system: services.Services) -> None:
    first, second, third, fourth = waiting_reports(4)
    new_years_eve = datetime(2027, 1, 1, 4, 59, 59, tzinfo=UTC)  # 23:59:59 in New York
    new_year = datetime(2027, 1, 1, 5, 0, tzinfo=UTC)  # midnight in New York

    assert system.case_numbers.assign(first, START) == "RPD-2026-000001"
    assert system.case_numbers.assign(second, new_years_eve) == "RPD-2026-000002"
    assert system.case_numbers.assign(third, new_year) == "RPD-2027-000001"
    assert system.case_numbers.assign(fourth, new_years_eve) == "RPD-2026-000003"
    assert (counter(system, 2026), counter(system, 2027)) == (3, 1)


def test_the_workflow_step_numbers_by_the_decision_time_not_the_step_time(
    system: services.Services,
) -> None:
    (report_id,) = waiting_reports(1)
    clock = system.clock
    assert isinstance(clock, FakeClock)
    clock.now = datetime(2027, 1, 1, 4, 30, tzinfo=UTC)  # 23:30 on New Year's Eve in New York
    system.desk.decide(REVIEWER, report_id, "approve", None)
    clock.now = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)  # the step runs after midnight there

    result = system.review_steps.run({"step": "assign_case_number", "report_id": report_id})

    assert result == {"case_number": "RPD-2026-000001"}
