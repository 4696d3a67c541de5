"""The review desk on moto: the queue and its pages, a report in full, decisions, the metrics.

One deployment serves the module (building one costs about a second); each test starts from
empty report and audit tables, the clock at START and a fresh stand-in for Step Functions.
Reports are written directly as the workflow leaves them: submitted, listed, and waiting for a
decision with a task token.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError
from chalice.test import Client

from app import app
from chalicelib import services
from chalicelib.errors import Conflict, DomainError
from chalicelib.intake.reports import owner_key
from chalicelib.intake.verification import Resident
from chalicelib.models import AuditEvent, CaseNumberCounter, Report
from chalicelib.review.desk import COUNTED_STATUSES, PAGE_SIZE
from chalicelib.review.staff import StaffMember
from chalicelib.status import ReportStatus
from infra import provision
from tests.support.deployment import (
    START,
    FakeClock,
    RecordingStepFunctions,
    moto_deployment,
)
from tests.support.nibrs import profile_of, with_nibrs
from tests.support.staff_issuer import StaffIssuer

STAFF = StaffIssuer("DeskTests")
JSON = {"Content-Type": "application/json"}
GROUP_OF = {"reviewer": "reviewers", "supervisor": "supervisors", "admin": "admins"}


# -- the deployment ------------------------------------------------------------------------------


@dataclass
class Desk:
    services: services.Services
    client: Client
    clock: FakeClock
    stepfunctions: RecordingStepFunctions


@pytest.fixture(scope="module")
def deployment() -> Iterator[Desk]:
    tokens = STAFF.tokens()
    with moto_deployment(
        staff_tokens=tokens,
        stepfunctions=RecordingStepFunctions(),
        verify_sender=False,
        atomic_dynamodb=True,
    ) as built:
        assert built.stepfunctions is not None
        with Client(app) as client:
            yield Desk(built.services, client, built.clock, built.stepfunctions)


@pytest.fixture
def desk(deployment: Desk) -> Desk:
    """The module's deployment with no reports, no audit events, no counters, the clock at START."""
    for model in (Report, AuditEvent, CaseNumberCounter):
        model.delete_table()
    provision.create_tables(
        deployment.services.aws.client("dynamodb"), (Report, AuditEvent, CaseNumberCounter)
    )
    deployment.clock.now = START
    deployment.stepfunctions.reset()
    return deployment


# -- helpers -------------------------------------------------------------------------------------


def staff(username: str = "reviewer") -> dict[str, str]:
    """A member of staff's bearer header: a token of the module's issuer, its session open."""
    token = STAFF.session_token(username, GROUP_OF[username])
    return {"Authorization": f"Bearer {token}"}


def member(username: str = "reviewer") -> StaffMember:
    return StaffMember(username, frozenset({GROUP_OF[username]}), START + timedelta(hours=1))


def report(
    number: int,
    *,
    incident_type: str = "theft",
    status: str = "submitted",
    listed_at: datetime | None = START,
    review_token: str | None = "token-1",  # noqa: S107 - the workflow's task token
) -> Report:
    return Report(
        report_id=f"RPD-{number:04d}-DESK",
        owner_key="owner-digest",
        contact_email="ana@example.com",
        language="en",
        incident_type=incident_type,
        status=status,
        answers={"narrative": "My bicycle was taken."},
        created_at=START - timedelta(hours=1),
        updated_at=listed_at or START,
        submitted_at=listed_at,
        listed_at=listed_at,
        review_token=review_token if status == "submitted" else None,
    )


def put(*reports: Report) -> list[str]:
    with Report.batch_write() as batch:
        for item in reports:
            batch.save(item)
    return [item.report_id for item in reports]


def get(desk: Desk, path: str, username: str = "reviewer") -> Any:
    return desk.client.http.get(path, headers=staff(username))


def decide(desk: Desk, report_id: str, body: object, username: str = "reviewer") -> Any:
    return desk.client.http.post(
        f"/api/staff/reports/{report_id}/decision",
        body=json.dumps(body),
        headers={**JSON, **staff(username)},
    )


def queue_ids(desk: Desk, query: str = "") -> list[str]:
    response = get(desk, f"/api/staff/reports{query}")
    assert response.status_code == 200, response.body
    return [item["id"] for item in response.json_body["items"]]


def every_page(desk: Desk, **params: str) -> tuple[list[str], int]:
    """Follow `next_cursor` to the end: every id listed, and how many pages it took."""
    ids: list[str] = []
    cursor: str | None = None
    for pages in range(1, 11):
        query = urlencode({**params, **({"cursor": cursor} if cursor else {})})
        response = get(desk, f"/api/staff/reports?{query}")
        assert response.status_code == 200, response.body
        ids += [item["id"] for item in response.json_body["items"]]
        cursor = response.json_body["next_cursor"]
        if cursor is None:
            return ids, pages
    raise AssertionError("the cursor never ran out")


def cursor_of(document: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


# -- the queue -----------------------------------------------------------------------------------


def test_the_queue_lists_submitted_reports_oldest_first(desk: Desk) -> None:
    hours = [3, 1, 4, 0, 2]
    put(*(report(n, listed_at=START + timedelta(hours=h)) for n, h in enumerate(hours)))
    put(report(90, status="approved", listed_at=START - timedelta(days=1)))
    put(report(91, status="draft", listed_at=None))

    response = get(desk, "/api/staff/reports")

    assert response.status_code == 200
    items = response.json_body["items"]
    assert [item["id"] for item in items] == [
        f"RPD-{n:04d}-DESK" for n, _ in sorted(enumerate(hours), key=lambda pair: pair[1])
    ]
    assert response.json_body["next_cursor"] is None
    oldest = items[0]
    assert oldest["status"] == "submitted" and oldest["incident_type"] == "theft"
    assert oldest["submitted_at"] == START.isoformat()
    assert oldest["due"] == desk.services.calendar.due(START).isoformat()
    assert oldest["past_due"] is False and oldest["case_number"] is None
    assert queue_ids(desk, "?status=approved") == ["RPD-0090-DESK"]


def test_the_queue_filters_by_incident_type(desk: Desk) -> None:
    kinds = ["theft", "vandalism", "theft", "graffiti", "vandalism", "theft"]
    put(
        *(
            report(n, incident_type=kind, listed_at=START + timedelta(minutes=n))
            for n, kind in enumerate(kinds)
        )
    )

    assert queue_ids(desk, "?incident_type=vandalism") == ["RPD-0001-DESK", "RPD-0004-DESK"]
    assert queue_ids(desk, "?incident_type=fraud") == []


@pytest.mark.parametrize("query", ["?status=draft", "?status=whatever", "?incident_type=burglary"])
def test_an_unknown_status_or_incident_type_is_refused(desk: Desk, query: str) -> None:
    response = get(desk, f"/api/staff/reports{query}")

    assert response.status_code == 422, response.body
    assert response.json_body["error"]["code"] == "invalid_input"


def test_the_queue_pages_with_its_cursor(desk: Desk) -> None:
    expected = put(*(report(n, listed_at=START + timedelta(minutes=n)) for n in range(31)))

    first = get(desk, "/api/staff/reports").json_body
    second = get(desk, f"/api/staff/reports?cursor={first['next_cursor']}").json_body

    assert len(first["items"]) == PAGE_SIZE and first["next_cursor"]
    assert [item["id"] for item in first["items"] + second["items"]] == expected
    assert second["next_cursor"] is None


def test_a_filtered_queue_pages_through_every_matching_report(desk: Desk) -> None:
    kinds = ["vandalism" if n % 3 == 0 else "theft" for n in range(75)]
    put(
        *(
            report(n, incident_type=kind, listed_at=START + timedelta(minutes=n))
            for n, kind in enumerate(kinds)
        )
    )

    vandalism, _ = every_page(desk, incident_type="vandalism")
    theft, theft_pages = every_page(desk, incident_type="theft")

    assert vandalism == [f"RPD-{n:04d}-DESK" for n in range(0, 75, 3)]
    assert theft == [f"RPD-{n:04d}-DESK" for n in range(75) if n % 3]
    assert theft_pages >= 2


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not-base64!", id="not base64"),
        pytest.param("YQ", id="bad padding"),
        pytest.param(base64.urlsafe_b64encode(b"not json").decode(), id="not json"),
        pytest.param(cursor_of([1, 2]), id="a list"),
        pytest.param(
            cursor_of({"report_id": 1, "status": 2, "listed_at": 3}),
            id="not attribute values",
        ),
    ],
)
def test_a_bad_cursor_is_refused(desk: Desk, cursor: str) -> None:
    put(report(1))

    response = get(desk, f"/api/staff/reports?cursor={cursor}")

    assert response.status_code == 422, response.body
    assert response.json_body["error"]["fields"] == {"cursor": "not valid"}


def test_the_queue_makes_one_query_and_no_scan(desk: Desk, aws_calls: list[str]) -> None:
    put(*(report(n, listed_at=START + timedelta(minutes=n)) for n in range(40)))
    headers = staff()
    aws_calls.clear()

    response = desk.client.http.get("/api/staff/reports", headers=headers)

    assert response.status_code == 200 and len(response.json_body["items"]) == PAGE_SIZE
    assert aws_calls == ["dynamodb:GetItem", "dynamodb:Query"]  # the staff session, the page


def test_a_filtered_queue_also_makes_one_query(desk: Desk, aws_calls: list[str]) -> None:
    kinds = ["vandalism" if n >= 60 else "theft" for n in range(65)]
    put(
        *(
            report(n, incident_type=kind, listed_at=START + timedelta(minutes=n))
            for n, kind in enumerate(kinds)
        )
    )
    headers = staff()
    aws_calls.clear()

    response = desk.client.http.get("/api/staff/reports?incident_type=vandalism", headers=headers)

    assert response.status_code == 200
    assert aws_calls == ["dynamodb:GetItem", "dynamodb:Query"]  # the staff session, the page


# -- one report ----------------------------------------------------------------------------------


def test_a_report_in_full_includes_the_view_in_its_audit_trail(desk: Desk) -> None:
    (report_id,) = put(report(7, incident_type="vandalism"))

    first = get(desk, f"/api/staff/reports/{report_id}", "supervisor")
    desk.clock.advance(minutes=1)
    second = get(desk, f"/api/staff/reports/{report_id.lower()}", "reviewer").json_body

    assert first.status_code == 200
    body = first.json_body
    assert (body["id"], body["status"], body["incident_type"]) == (
        report_id,
        "submitted",
        "vandalism",
    )
    assert body["offense_code"] == "290"
    assert body["answers"] == {"narrative": "My bicycle was taken."}
    assert body["due"] == desk.services.calendar.due(START).isoformat()
    assert "review_token" not in body and "token-1" not in first.body.decode()
    assert [(e["actor"], e["action"], e["outcome"]) for e in body["audit"]] == [
        ("supervisor", "view", "succeeded")
    ]
    assert [(e["actor"], e["action"]) for e in second["audit"]] == [
        ("supervisor", "view"),
        ("reviewer", "view"),
    ]


@pytest.mark.parametrize("report_id", ["RPD-0091-DESK", "RPD-9999-NONE"])
def test_a_draft_or_unknown_report_is_not_found(desk: Desk, report_id: str) -> None:
    put(report(91, status="draft", listed_at=None))

    response = get(desk, f"/api/staff/reports/{report_id}")

    assert response.status_code == 404
    assert list(AuditEvent.query(report_id)) == []


# -- decisions -----------------------------------------------------------------------------------


def test_approving_hands_the_decision_to_the_waiting_workflow(desk: Desk) -> None:
    (report_id,) = put(report(1))
    desk.clock.advance(days=2)

    response = decide(desk, report_id, {"decision": "approve"})

    assert response.status_code == 202, response.body
    assert response.json_body == {"id": report_id, "status": "approved"}
    stored = Report.get(report_id, consistent_read=True)
    assert (stored.status, stored.decision, stored.decided_by) == (
        "approved",
        "approve",
        "reviewer",
    )
    assert stored.decided_at == START + timedelta(days=2)
    review_token: str | None = stored.review_token  # null=True, which pynamodb's types omit
    assert review_token is None
    assert desk.stepfunctions.successes == [
        ("token-1", {"decision": "approve", "reason": None, "reviewer": "reviewer"})
    ]
    events = [(e.actor, e.action, e.outcome) for e in AuditEvent.query(report_id)]
    assert events == [("reviewer", "decision:approve", "succeeded")]


def test_a_rejection_keeps_its_reason_and_expires_with_the_retention(desk: Desk) -> None:
    (report_id,) = put(report(1))

    response = decide(desk, report_id, {"decision": "reject", "reason": "  Not a crime.  "})

    assert response.status_code == 202, response.body
    stored = Report.get(report_id, consistent_read=True)
    assert (stored.status, stored.decision_reason) == ("rejected", "Not a crime.")
    days = desk.services.agency.retention.rejected_days
    assert stored.expires_at == START + timedelta(days=days)
    assert desk.stepfunctions.successes[0][1]["reason"] == "Not a crime."


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "reject"},
        {"decision": "reject", "reason": "   "},
        {"decision": "request_info", "reason": ""},
        {"decision": "maybe"},
        {"decision": "reject", "reason": "Bad\u0000byte"},
        {"reason": "no decision"},
    ],
)
def test_an_incomplete_decision_is_refused_and_changes_nothing(
    desk: Desk, body: dict[str, str]
) -> None:
    (report_id,) = put(report(1))

    response = decide(desk, report_id, body)

    assert response.status_code == 422, response.body
    assert response.json_body["error"]["fields"]
    stored = Report.get(report_id, consistent_read=True)
    assert (stored.status, stored.review_token) == ("submitted", "token-1")
    assert desk.stepfunctions.successes == []


def test_a_report_already_decided_cannot_be_decided_again(desk: Desk) -> None:
    (report_id,) = put(report(1))
    assert decide(desk, report_id, {"decision": "approve"}).status_code == 202

    again = decide(desk, report_id, {"decision": "reject", "reason": "Changed my mind."}, "admin")

    assert again.status_code == 409
    assert "approved" in again.json_body["error"]["message"]
    assert Report.get(report_id, consistent_read=True).status == "approved"
    assert len(desk.stepfunctions.successes) == 1
    refused = [(e.actor, e.outcome) for e in AuditEvent.query(report_id) if "reject" in e.action]
    assert refused == [("admin", "refused")]


def test_a_report_not_yet_waiting_for_a_decision_cannot_be_decided(desk: Desk) -> None:
    (report_id,) = put(report(1, review_token=None))

    response = decide(desk, report_id, {"decision": "approve"})

    assert response.status_code == 409
    assert "still being prepared" in response.json_body["error"]["message"]
    assert Report.get(report_id, consistent_read=True).status == "submitted"
    assert desk.stepfunctions.successes == []


def test_a_decision_on_an_unknown_report_is_not_found(desk: Desk) -> None:
    assert decide(desk, "RPD-9999-NONE", {"decision": "approve"}).status_code == 404


def test_of_two_parallel_decisions_exactly_one_wins(desk: Desk) -> None:
    report_ids = put(*(report(n) for n in range(8)))
    start = threading.Barrier(2)

    def attempt(report_id: str, username: str, decision: str) -> Report | str:
        start.wait()
        try:
            return desk.services.desk.decide(member(username), report_id, decision, "Reason.")
        except Conflict:
            return "conflict"
        except DomainError as error:  # anything else is a failure of this test
            return f"{type(error).__name__}: {error.message}"

    outcomes = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for report_id in report_ids:
            contenders = [
                pool.submit(attempt, report_id, "reviewer", "approve"),
                pool.submit(attempt, report_id, "supervisor", "reject"),
            ]
            outcomes.append([future.result() for future in contenders])

    for report_id, (first, second) in zip(report_ids, outcomes, strict=True):
        assert sorted([first == "conflict", second == "conflict"]) == [False, True], outcomes
        winner = first if second == "conflict" else second
        assert isinstance(winner, Report) and winner.report_id == report_id
        stored = Report.get(report_id, consistent_read=True)
        assert (stored.status, stored.decided_by) == (winner.status, winner.decided_by)
    assert len(desk.stepfunctions.successes) == len(report_ids)


def throttled() -> ClientError:
    return ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "SendTaskSuccess"
    )


def test_a_decision_the_workflow_did_not_receive_is_undone(desk: Desk) -> None:
    (report_id,) = put(report(1))
    desk.stepfunctions.failures.append(throttled())

    response = decide(desk, report_id, {"decision": "approve"})

    assert response.status_code in (409, 503)
    stored = Report.get(report_id, consistent_read=True)
    # null=True attributes, which pynamodb's types omit
    decision: tuple[str, str | None, str | None] = (
        stored.status,
        stored.decision,
        stored.decided_by,
    )
    assert decision == ("submitted", None, None)
    events = [(e.action, e.outcome) for e in AuditEvent.query(report_id)]
    assert events == [("decision:approve", "failed")]


def test_a_decision_the_workflow_did_not_receive_can_be_made_again(desk: Desk) -> None:
    (report_id,) = put(report(1))
    desk.stepfunctions.failures.append(throttled())
    assert decide(desk, report_id, {"decision": "reject", "reason": "No."}).status_code != 202
    stored = Report.get(report_id, consistent_read=True)
    pending: tuple[str | None, datetime | None] = (stored.review_token, stored.expires_at)
    assert pending == ("token-1", None)

    again = decide(desk, report_id, {"decision": "approve"})

    assert again.status_code == 202, again.body
    assert desk.stepfunctions.successes == [
        ("token-1", {"decision": "approve", "reason": None, "reviewer": "reviewer"})
    ]


# -- an admin's retry of a report that needs attention --------------------------------------------


def stopped(
    number: int, interrupted: str, failure: str = "DeliveryFailed", **fields: Any
) -> Report:
    """A report the workflow left needing attention, in `interrupted` status when it stopped."""
    stopped_report = report(number, status="needs_attention", review_token=None)
    stopped_report.interrupted_status = interrupted
    stopped_report.failure = failure
    for name, value in fields.items():
        setattr(stopped_report, name, value)
    return stopped_report


def retry(desk: Desk, report_id: str, username: str = "admin") -> Any:
    return desk.client.http.post(
        f"/api/staff/reports/{report_id}/retry", headers={**JSON, **staff(username)}
    )


def restarted(desk: Desk) -> list[tuple[str, str, str | None]]:
    review: Any = desk.services.review  # the deployment's InstantReview
    calls: list[tuple[str, str, str | None]] = review.restarted
    return calls


@pytest.mark.parametrize(
    ("interrupted", "decision"),
    [("approved", "approve"), ("rejected", "reject"), ("info_requested", "request_info")],
)
def test_a_retry_resumes_after_the_decision_already_made(
    desk: Desk, interrupted: str, decision: str
) -> None:
    (report_id,) = put(
        stopped(1, interrupted, decision=decision, decided_by="reviewer", case_number=None)
    )
    restarted(desk).clear()

    response = retry(desk, report_id)

    assert response.status_code == 202, response.body
    assert response.json_body == {"id": report_id, "status": interrupted}
    stored = Report.get(report_id, consistent_read=True)
    failure: str | None = stored.failure  # null=True, which pynamodb's types omit
    assert (stored.status, int(stored.retries or 0), failure) == (interrupted, 1, None)
    assert restarted(desk) == [(report_id, f"{report_id}-retry-1", decision)]
    events = [(e.actor, e.action, e.outcome) for e in AuditEvent.query(report_id)]
    assert events == [("admin", "retried", "succeeded")]


def test_a_retry_of_a_report_stopped_before_its_decision_waits_for_one_again(
    desk: Desk,
) -> None:
    (report_id,) = put(stopped(1, "submitted", decision="request_info", retries=1))
    restarted(desk).clear()

    response = retry(desk, report_id)

    assert response.status_code == 202, response.body
    assert response.json_body["status"] == "submitted"
    assert restarted(desk) == [(report_id, f"{report_id}-retry-2", None)]
    assert Report.get(report_id, consistent_read=True).retries == 2


def test_a_retry_of_a_review_that_never_started_starts_it(desk: Desk) -> None:
    (report_id,) = put(stopped(1, "submitted", failure="ReviewNotStarted"))
    review: Any = desk.services.review  # runs the first step at once: its email needs a sender
    provision.verify_sender(desk.services.aws.ses, desk.services.agency.sender.address)
    restarted(desk).clear()

    response = retry(desk, report_id)

    assert response.status_code == 202, response.body
    assert review.started[-1] == report_id and restarted(desk) == []


@pytest.mark.parametrize("status", ["submitted", "approved", "rejected"])
def test_only_a_report_that_needs_attention_can_be_retried(desk: Desk, status: str) -> None:
    (report_id,) = put(report(1, status=status))

    response = retry(desk, report_id)

    assert response.status_code == 409, response.body
    assert "needs attention" in response.json_body["error"]["message"]
    assert Report.get(report_id, consistent_read=True).status == status
    events = [(e.actor, e.action, e.outcome) for e in AuditEvent.query(report_id)]
    assert events == [("admin", "retried", "refused")]


def test_a_retry_is_for_admins_and_for_reports_that_exist(desk: Desk) -> None:
    (report_id,) = put(stopped(1, "approved"))

    assert retry(desk, report_id, "reviewer").status_code == 403
    assert retry(desk, report_id, "supervisor").status_code == 403
    assert retry(desk, "RPD-9999-NONE").status_code == 404
    assert Report.get(report_id, consistent_read=True).status == "needs_attention"


def test_of_two_parallel_retries_exactly_one_starts_a_workflow(desk: Desk) -> None:
    (report_id,) = put(stopped(1, "approved", decision="approve"))
    restarted(desk).clear()
    admin = member("admin")
    barrier = threading.Barrier(2)

    def attempt() -> str:
        barrier.wait()
        try:
            desk.services.desk.retry(admin, report_id)
        except Conflict:
            return "refused"
        return "retried"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(lambda _: attempt(), range(2)))

    assert outcomes == ["refused", "retried"]
    assert restarted(desk) == [(report_id, f"{report_id}-retry-1", "approve")]


# -- metrics -------------------------------------------------------------------------------------


def test_metrics_count_by_status_and_type_with_the_median_days_to_decision(desk: Desk) -> None:
    put(
        report(1, incident_type="theft"),
        report(2, incident_type="theft"),
        report(3, incident_type="vandalism"),
        report(4, incident_type="graffiti"),
        report(5, incident_type="lost_property", status="screened_out"),
        report(6, incident_type="theft", status="draft", listed_at=None),
    )
    # These reports have no answers: their NIBRS documents are not valid, and counting is not
    # about that (tests/integration/test_nibrs_staff.py is).
    allowed = with_nibrs(desk.services.agency, approve_invalid=True)
    with profile_of(desk.services, allowed):
        for days, number, decision in ((1, 1, "approve"), (2, 2, "reject"), (2, 3, "approve")):
            desk.clock.advance(days=days)
            desk.services.desk.decide(member(), f"RPD-{number:04d}-DESK", decision, "Reason.")

    response = get(desk, "/api/staff/metrics", "supervisor")

    assert response.status_code == 200
    metrics = response.json_body
    assert metrics["by_status"] == {
        "submitted": 1,
        "info_requested": 0,
        "approved": 2,
        "rejected": 1,
        "needs_attention": 0,
        "withdrawn": 0,
        "screened_out": 1,
    }
    assert metrics["by_type"] == {
        "theft": {"approved": 1, "rejected": 1},
        "vandalism": {"approved": 1},
        "graffiti": {"submitted": 1},
        "lost_property": {"screened_out": 1},
    }
    assert metrics["median_days_to_decision"] == 3.0  # decided after 1, 3 and 5 days
    assert metrics["past_due"] == 0
    assert metrics["promised_business_days"] == 5


def test_metrics_and_the_queue_flag_reports_past_their_due_date(desk: Desk) -> None:
    put(report(1), report(2, incident_type="vandalism", listed_at=START + timedelta(days=1)))
    due = desk.services.calendar.due(START)
    assert due.date().isoformat() == "2026-11-09"  # Monday 2 November + 5 business days

    desk.clock.now = due
    on_time = get(desk, "/api/staff/metrics", "admin").json_body["past_due"]
    desk.clock.now = due + timedelta(seconds=1)
    late = get(desk, "/api/staff/metrics", "admin").json_body["past_due"]
    queue = get(desk, "/api/staff/reports").json_body["items"]

    assert (on_time, late) == (0, 1)
    assert [(item["id"], item["past_due"]) for item in queue] == [
        ("RPD-0001-DESK", True),
        ("RPD-0002-DESK", False),
    ]


def test_metrics_make_one_query_per_status_and_no_scan(desk: Desk, aws_calls: list[str]) -> None:
    put(*(report(n, listed_at=START + timedelta(minutes=n)) for n in range(5)))
    headers = staff("supervisor")
    aws_calls.clear()

    assert desk.client.http.get("/api/staff/metrics", headers=headers).status_code == 200

    # The staff session, then one Query per status.
    assert aws_calls == ["dynamodb:GetItem"] + ["dynamodb:Query"] * len(COUNTED_STATUSES)


def test_the_desk_never_scans(desk: Desk, aws_calls: list[str]) -> None:
    report_ids = put(*(report(n, listed_at=START + timedelta(minutes=n)) for n in range(30)))
    aws_calls.clear()

    every_page(desk)
    every_page(desk, incident_type="theft")
    get(desk, f"/api/staff/reports/{report_ids[0]}")
    decide(desk, report_ids[0], {"decision": "approve"})
    decide(desk, report_ids[0], {"decision": "approve"})
    decide(desk, report_ids[1], {"decision": "reject"})
    get(desk, "/api/staff/metrics", "admin")

    assert aws_calls and not [call for call in aws_calls if call.endswith(":Scan")]


# -- a report back from a question (issue 14, defects 1 and 2) -----------------------------------


def came_back_with_an_answer(desk: Desk) -> str:
    """A report asked a question, answered by its resident through the domain, waiting for a
    decision again: the workflow's two waits are written as the state machine writes them."""
    item = report(1)
    item.owner_key = owner_key("ana@example.com")
    (report_id,) = put(item)
    desk.services.desk.decide(
        member(), report_id, "request_info", "Please tell us the serial number."
    )
    connection = Report._get_connection()
    connection.update_item(report_id, actions=[Report.resident_token.set("token-2")])
    desk.clock.advance(hours=3)
    resident = Resident("-", "ana@example.com", "en", START + timedelta(days=1))
    desk.services.reports.answer_information_request(resident, report_id, "It is WTU 123 456.")
    connection.update_item(report_id, actions=[Report.review_token.set("token-3")])
    desk.clock.advance(hours=1)
    return report_id


def staff_page(desk: Desk, path: str) -> str:
    token = staff()["Authorization"].removeprefix("Bearer ")
    page = desk.client.http.get(path, headers={"Cookie": f"sr_staff={token}"})
    assert page.status_code == 200, page.body
    return str(page.body.decode())


def test_an_approval_after_a_question_has_no_reason_and_the_question_stays_with_its_answer(
    desk: Desk,
) -> None:
    """Defect 1: the approval was shown with the earlier question as its reason, because a
    decision without a reason kept the reason of the one before it."""
    report_id = came_back_with_an_answer(desk)

    approved = decide(desk, report_id, {"decision": "approve"})

    assert approved.status_code == 202, approved.body
    stored = Report.get(report_id, consistent_read=True)
    reason: str | None = stored.decision_reason  # null=True, which pynamodb's types omit
    assert (stored.decision, reason) == ("approve", None)
    assert stored.supplements == [
        {
            "text": "It is WTU 123 456.",
            "at": (START + timedelta(hours=3)).isoformat(),
            "question": "Please tell us the serial number.",
            "asked_at": START.isoformat(),
        }
    ]
    full = get(desk, f"/api/staff/reports/{report_id}").json_body
    assert (full["decision"], full["decision_reason"]) == ("approve", None)
    page = staff_page(desk, f"/staff/reports/{report_id}")
    decision_row = page.split("Decision</dt>")[1].split("</div>")[0]
    assert "Approved by reviewer" in decision_row
    assert "serial number" not in decision_row
    answers = page.split("Information added by the resident")[1]
    assert answers.index("Please tell us the serial number.") < answers.index("WTU 123 456")
    timeline = desk.services.audit.timeline_of(stored)
    assert [(event["event"], event.get("text")) for event in timeline] == [
        ("information_requested", "Please tell us the serial number."),
        ("information_supplied", "It is WTU 123 456."),
        ("approved", None),
    ]


def test_a_rejection_after_a_question_shows_its_own_reason(desk: Desk) -> None:
    report_id = came_back_with_an_answer(desk)

    rejected = decide(desk, report_id, {"decision": "reject", "reason": "Outside Riverton."})

    assert rejected.status_code == 202, rejected.body
    assert Report.get(report_id, consistent_read=True).decision_reason == "Outside Riverton."


def test_the_queue_shows_that_a_report_came_back_and_the_residents_answer(
    desk: Desk, aws_calls: list[str]
) -> None:
    """Defect 2 (the queue's part): Notes showed nothing for a report back from a question."""
    report_id = came_back_with_an_answer(desk)
    put(report(2))
    aws_calls.clear()

    listed = get(desk, "/api/staff/reports").json_body["items"]

    notes = {item["id"]: (item["came_back"], item["answer"]) for item in listed}
    assert notes == {report_id: (True, "It is WTU 123 456."), "RPD-0002-DESK": (False, None)}
    assert aws_calls.count("dynamodb:BatchGetItem") == 1 and "dynamodb:Scan" not in aws_calls
    page = staff_page(desk, "/staff/queue")
    row = page.split(report_id)[-1].split("</tr>")[0]
    assert "Back from the resident" in row and "Answered: It is WTU 123 456." in row


def test_a_question_left_unanswered_comes_back_without_an_answer(desk: Desk) -> None:
    item = report(1)
    (report_id,) = put(item)
    desk.services.desk.decide(member(), report_id, "request_info", "Which street?")
    # the state machine's BackToQueue: no answer in time
    Report._get_connection().update_item(
        report_id,
        actions=[Report.status.set("submitted"), Report.review_token.set("token-2")],
    )

    (entry,) = get(desk, "/api/staff/reports").json_body["items"]

    assert (entry["came_back"], entry["answer"]) == (True, None)
    assert "No answer in time" in staff_page(desk, "/staff/queue")


def test_a_withdrawn_report_cannot_be_decided_and_its_page_says_when(desk: Desk) -> None:
    item = report(1)
    item.owner_key = owner_key("ana@example.com")
    (report_id,) = put(item)
    desk.clock.advance(hours=2)
    resident = Resident("-", "ana@example.com", "en", START + timedelta(days=1))
    desk.services.reports.withdraw(resident, report_id)

    refused = decide(desk, report_id, {"decision": "approve"})

    assert refused.status_code == 409, refused.body
    assert "withdrew this report 2026-11-02 12:00 EST" in refused.json_body["error"]["message"]
    assert queue_ids(desk) == []
    assert queue_ids(desk, "?status=withdrawn") == [report_id]
    page = staff_page(desk, f"/staff/reports/{report_id}")
    assert "Withdrawn</dt>" in page
    assert "By the resident, 2026-11-02 12:00 EST" in page  # 17:00 UTC, in the agency's zone
    assert 'action="/staff/reports/' + report_id + '/decision"' not in page
    review = desk.services.review
    assert getattr(review, "resumed", [])[-1] == ("token-1", {"withdrawn": True})


def test_of_a_withdrawal_and_a_decision_at_once_exactly_one_wins(desk: Desk) -> None:
    items = [report(n) for n in range(8)]
    for item in items:
        item.owner_key = owner_key("ana@example.com")
    report_ids = put(*items)
    resident = Resident("-", "ana@example.com", "en", START + timedelta(days=1))
    start = threading.Barrier(2)

    def withdraw(report_id: str) -> str:
        start.wait()
        try:
            return desk.services.reports.withdraw(resident, report_id).report.status
        except Conflict:
            return "conflict"

    def approve(report_id: str) -> str:
        start.wait()
        try:
            return desk.services.desk.decide(member(), report_id, "approve", None).status
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = [
            (pool.submit(withdraw, report_id), pool.submit(approve, report_id))
            for report_id in report_ids
        ]
        results = [(w.result(), a.result()) for w, a in outcomes]

    for report_id, result in zip(report_ids, results, strict=True):
        assert sorted(result) in (["conflict", "withdrawn"], ["approved", "conflict"]), results
        stored = Report.get(report_id, consistent_read=True)
        assert stored.status in result
        handed = [event.action for event in AuditEvent.query(report_id)]
        assert ("withdrawn" in handed) == (stored.status == ReportStatus.WITHDRAWN)
