"""The workbench's queue and pages on moto (issue 15, items 2 and 7): whose reports, in which
order, how many wait in each status and what that costs in AWS calls; times in the agency's
zone and codes in words; the print view.

Reports are written directly as the workflow and the claim writes leave them (`claimed_by` set
on the item), so that these tests hold the queue to its filters whoever writes the claims.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.client import BaseClient
from chalice.test import Client

from app import app
from chalicelib import services
from chalicelib.models import AuditEvent, Report
from chalicelib.review.desk import PAGE_SIZE, WORK_STATUSES
from chalicelib.status import ReportStatus
from infra import provision
from tests.support.answers import theft_answers
from tests.support.deployment import (
    START,
    FakeClock,
    RecordingStepFunctions,
    moto_deployment,
)
from tests.support.reports import submitted_report
from tests.support.staff_issuer import StaffIssuer

STAFF = StaffIssuer("WorkbenchTests")
GROUP_OF = {"reviewer": "reviewers", "supervisor": "supervisors", "admin": "admins"}
START_IN_NEW_YORK = "2026-11-02 10:00 EST"  # START is 15:00 UTC; the demo agency is in New York


@dataclass
class Workbench:
    services: services.Services
    client: Client
    clock: FakeClock


@pytest.fixture(scope="module")
def deployment() -> Iterator[Workbench]:
    tokens = STAFF.tokens()
    with (
        moto_deployment(
            staff_tokens=tokens, stepfunctions=RecordingStepFunctions(), verify_sender=False
        ) as built,
        Client(app) as client,
    ):
        yield Workbench(built.services, client, built.clock)


@pytest.fixture
def bench(deployment: Workbench) -> Workbench:
    """The module's deployment with no reports and no audit events, the clock at START."""
    for model in (Report, AuditEvent):
        model.delete_table()
    provision.create_tables(deployment.services.aws.client("dynamodb"), (Report, AuditEvent))
    deployment.clock.now = START
    return deployment


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every AWS call from now on, with what says what it cost: the operation, the index and
    whether it counted (`Select`)."""
    calls: list[dict[str, Any]] = []
    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # private: not in the stubs

    def recorded(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append(
            {
                "call": f"{self.meta.service_model.service_name}:{operation}",
                "index": params.get("IndexName"),
                "select": params.get("Select"),
                "filter": params.get("FilterExpression"),
            }
        )
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    return calls


def token_of(username: str) -> str:
    return STAFF.session_token(username, GROUP_OF[username])


def api(bench: Workbench, path: str, username: str = "reviewer") -> Any:
    return bench.client.http.get(path, headers={"Authorization": f"Bearer {token_of(username)}"})


def page(bench: Workbench, path: str, username: str = "reviewer", expected: int = 200) -> str:
    response = bench.client.http.get(path, headers={"Cookie": f"sr_staff={token_of(username)}"})
    assert response.status_code == expected, response.body
    return str(response.body.decode())


def listed(n: int, **fields: Any) -> Report:
    """Report n, submitted n minutes after START."""
    at = START + timedelta(minutes=n)
    defaults: dict[str, Any] = {"submitted_at": at, "listed_at": at, "updated_at": at}
    return submitted_report(f"RPD-{n:04d}-WBCH", **{**defaults, **fields})


def put(*reports: Report) -> list[str]:
    with Report.batch_write() as batch:
        for item in reports:
            batch.save(item)
    return [item.report_id for item in reports]


def ids(bench: Workbench, query: str = "", username: str = "reviewer") -> list[str]:
    response = api(bench, f"/api/staff/reports{query}", username)
    assert response.status_code == 200, response.body
    return [item["id"] for item in response.json_body["items"]]


def every_page(bench: Workbench, **params: str) -> list[str]:
    found: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        query = urlencode({**params, **({"cursor": cursor} if cursor else {})})
        body = api(bench, f"/api/staff/reports?{query}").json_body
        found += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("the cursor never ran out")


# -- whose reports -------------------------------------------------------------------------------


def test_the_queue_shows_mine_the_unclaimed_or_everyones(
    bench: Workbench, queries: list[dict[str, Any]]
) -> None:
    put(
        listed(0, claimed_by="reviewer", claimed_at=START),
        listed(1),
        listed(2, claimed_by="supervisor", claimed_at=START),
        listed(3, claimed_by="reviewer", incident_type="vandalism", claimed_at=START),
        listed(4, incident_type="vandalism"),
    )
    token = token_of("reviewer")
    queries.clear()

    def queue(query: str) -> list[str]:
        response = bench.client.http.get(
            f"/api/staff/reports{query}", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.body
        return [item["id"] for item in response.json_body["items"]]

    assert queue("") == [f"RPD-000{n}-WBCH" for n in range(5)]
    assert queue("?holder=mine") == ["RPD-0000-WBCH", "RPD-0003-WBCH"]
    assert queue("?holder=unclaimed") == ["RPD-0001-WBCH", "RPD-0004-WBCH"]
    assert queue("?holder=mine&incident_type=vandalism") == ["RPD-0003-WBCH"]
    assert queue("?holder=unclaimed&incident_type=theft") == ["RPD-0001-WBCH"]

    pages = [call for call in queries if call["call"] == "dynamodb:Query"]
    assert [call["call"] for call in queries] == ["dynamodb:GetItem", "dynamodb:Query"] * 5
    assert all(call["index"] == "by-status" and call["select"] is None for call in pages)
    assert all(call["filter"] for call in pages[1:]), "a filter of the one Query, never a Scan"
    assert ids(bench, "?holder=mine", "supervisor") == ["RPD-0002-WBCH"]
    item = api(bench, "/api/staff/reports?holder=mine").json_body["items"][0]
    assert item["claimed_by"] == "reviewer"


def test_a_report_claimed_then_released_is_unclaimed_again(bench: Workbench) -> None:
    (report_id,) = put(listed(0, claimed_by="reviewer", claimed_at=START))
    assert ids(bench, "?holder=unclaimed") == []

    Report._get_connection().update_item(
        report_id, actions=[Report.claimed_by.remove(), Report.claimed_at.remove()]
    )

    assert ids(bench, "?holder=unclaimed") == [report_id]
    assert ids(bench, "?holder=mine") == []


# -- the order -----------------------------------------------------------------------------------


def test_the_queue_reads_newest_first_on_request_and_pages_so(bench: Workbench) -> None:
    expected = put(*(listed(n) for n in range(31)))

    assert every_page(bench) == expected
    assert every_page(bench, order="newest") == expected[::-1]
    assert every_page(bench, order="oldest") == expected
    assert ids(bench, "?order=newest&holder=unclaimed")[:2] == expected[:-3:-1]


def test_oldest_first_is_also_due_soonest_first(bench: Workbench) -> None:
    put(*(listed(n * 600) for n in range(6)))  # ten hours apart: across days and a weekend

    items = api(bench, "/api/staff/reports").json_body["items"]

    dues = [item["due"] for item in items]
    assert dues == sorted(dues) and len(set(dues)) > 1


def test_a_cursor_is_refused_in_the_other_order(bench: Workbench) -> None:
    put(*(listed(n) for n in range(30)))
    oldest = api(bench, "/api/staff/reports").json_body["next_cursor"]
    newest = api(bench, "/api/staff/reports?order=newest").json_body["next_cursor"]

    for query in (f"?order=newest&cursor={oldest}", f"?cursor={newest}"):
        response = api(bench, f"/api/staff/reports{query}")
        assert response.status_code == 422, response.body
        assert response.json_body["error"]["fields"] == {"cursor": "not valid for this order"}
        assert "another order" in response.json_body["error"]["message"]
    assert api(bench, f"/api/staff/reports?order=newest&cursor={newest}").status_code == 200


def test_a_cursor_of_the_old_form_is_refused(bench: Workbench) -> None:
    """Before the order was part of it, a cursor was the bare key: no longer accepted."""
    key = {
        "report_id": {"S": "RPD-0001-WBCH"},
        "status": {"S": "submitted"},
        "listed_at": {"S": START.isoformat()},
    }
    cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode()

    response = api(bench, f"/api/staff/reports?cursor={cursor}")

    assert response.status_code == 422
    assert response.json_body["error"]["fields"] == {"cursor": "not valid"}


@pytest.mark.parametrize(
    "query",
    ["?holder=someone", "?holder=", "?holder=MINE", "?order=due", "?order=", "?order=Newest"],
)
def test_an_unknown_holder_or_order_is_refused(bench: Workbench, query: str) -> None:
    response = api(bench, f"/api/staff/reports{query}")

    assert response.status_code == 422, response.body
    assert set(response.json_body["error"]["fields"]) <= {"holder", "order"}


def test_the_queue_page_refuses_an_unknown_holder_with_a_page(bench: Workbench) -> None:
    body = page(bench, "/staff/queue?holder=someone", expected=422)

    assert "Holder must be one of: mine, unclaimed." in body


# -- counts --------------------------------------------------------------------------------------


def test_the_work_is_counted_by_status_with_count_queries(
    bench: Workbench, queries: list[dict[str, Any]]
) -> None:
    put(*(listed(n) for n in range(4)))
    put(*(listed(10 + n, status="info_requested", review_token=None) for n in range(2)))
    put(listed(20, status="needs_attention", failure="DeliveryFailed", review_token=None))
    put(*(listed(30 + n, status="approved", review_token=None) for n in range(5)))
    queries.clear()

    counts = bench.services.desk.counts()

    assert counts == {
        ReportStatus.SUBMITTED: 4,
        ReportStatus.INFO_REQUESTED: 2,
        ReportStatus.NEEDS_ATTENTION: 1,
    }
    assert [(call["call"], call["index"], call["select"]) for call in queries] == [
        ("dynamodb:Query", "by-status", "COUNT")
    ] * len(WORK_STATUSES)


def test_a_queue_page_costs_one_query_and_a_count_of_each_other_work_status(
    bench: Workbench, queries: list[dict[str, Any]]
) -> None:
    """The page's Query, then a Select=COUNT Query for each status of the work; the status on
    the page is not counted again when the page holds all of it (no filter, no cursor, no
    more to read)."""
    put(*(listed(n) for n in range(3)))
    put(listed(10, status="info_requested", review_token=None))
    token = token_of("reviewer")

    def calls_for(path: str) -> list[tuple[str, str | None]]:
        queries.clear()
        html = bench.client.http.get(path, headers={"Cookie": f"sr_staff={token}"})
        assert html.status_code == 200, html.body
        return [(call["call"], call["select"]) for call in queries]

    session = ("dynamodb:GetItem", None)
    the_page = ("dynamodb:Query", None)
    count = ("dynamodb:Query", "COUNT")
    assert calls_for("/staff/queue") == [session, the_page, count, count]
    assert calls_for("/staff/queue?status=approved") == [session, the_page, count, count, count]
    assert calls_for("/staff/queue?holder=mine") == [session, the_page, count, count, count]
    put(*(listed(100 + n) for n in range(PAGE_SIZE)))
    assert calls_for("/staff/queue") == [session, the_page, count, count, count]
    body = page(bench, "/staff/queue")
    assert 'Waiting for review <span class="tabs__count">(28)</span>' in body
    assert 'Waiting for the resident <span class="tabs__count">(1)</span>' in body
    assert 'Needs attention <span class="tabs__count">(0)</span>' in body


def test_the_json_queue_makes_no_count(bench: Workbench, queries: list[dict[str, Any]]) -> None:
    put(listed(0))
    token = token_of("reviewer")
    queries.clear()

    bench.client.http.get("/api/staff/reports", headers={"Authorization": f"Bearer {token}"})

    assert [call["call"] for call in queries] == ["dynamodb:GetItem", "dynamodb:Query"]


# -- the queue page ------------------------------------------------------------------------------


def test_the_queue_page_has_tabs_filters_holders_and_the_agencys_time(bench: Workbench) -> None:
    put(
        listed(0, claimed_by="reviewer", claimed_at=START),
        listed(1, claimed_by="supervisor", claimed_at=START),
        listed(2),
    )

    body = page(bench, "/staff/queue")

    assert "<h1>Waiting for review</h1>" in body
    for tab in ("Approved", "Rejected", "Withdrawn by the resident"):
        assert f">{tab}</a>" in body, tab
    for counted in ("Waiting for the resident", "Needs attention"):
        assert f'>{counted} <span class="tabs__count">(0)</span></a>' in body, counted
    assert 'aria-current="page">Waiting for review' in body
    for option in ("Everyone", "Mine", "Unclaimed", "Due soonest (oldest first)", "Newest first"):
        assert f">{option}</option>" in body, option
    row = body.split("RPD-0000-WBCH</a>")[1].split("</tr>")[0]
    assert f'data-label="Submitted">{START_IN_NEW_YORK}</td>' in row
    assert 'data-label="Held by">You</td>' in row
    assert "supervisor" in body.split("RPD-0001-WBCH</a>")[1].split("</tr>")[0]
    assert "Nobody" in body.split("RPD-0002-WBCH</a>")[1].split("</tr>")[0]
    assert " UTC" not in body


def test_the_queues_links_carry_the_queue_to_the_report_and_back(bench: Workbench) -> None:
    put(*(listed(n, incident_type="vandalism") for n in range(30)))
    context = "holder=unclaimed&incident_type=vandalism&order=newest&status=submitted"

    body = page(bench, f"/staff/queue?{context}")

    assert f'href="/staff/reports/RPD-0029-WBCH?{context.replace("&", "&amp;")}"' in body
    assert 'aria-current="page">Waiting for review' in body
    assert (
        '<option value="unclaimed" selected>Unclaimed</option>' in body
        and '<option value="newest" selected>Newest first</option>' in body
    )
    tab = "/staff/queue?holder=unclaimed&amp;incident_type=vandalism&amp;order=newest&amp;status="
    assert f'href="{tab}approved"' in body, "a tab keeps the filters"
    assert f"{context.replace('&', '&amp;')}&amp;cursor=" in body, "the next page keeps them"
    report = page(bench, f"/staff/reports/RPD-0029-WBCH?{context}&holder=bogus")
    back = report.split('class="back-link" href="')[1].split('"')[0]
    assert back == "/staff/queue?incident_type=vandalism&amp;order=newest&amp;status=submitted"


def test_a_report_page_names_codes_in_words_and_times_in_the_agencys_zone(
    bench: Workbench,
) -> None:
    (report_id,) = put(
        listed(0, language="es", claimed_by="supervisor", claimed_at=START + timedelta(hours=1))
    )

    body = page(bench, f"/staff/reports/{report_id}")

    assert "Waiting for review" in body and ">submitted<" not in body
    assert "Spanish (español)" in body
    assert START_IN_NEW_YORK in body
    assert "Held by <strong>supervisor</strong> since 2026-11-02 11:00 EST" in body
    trail = body.split("<h2>Audit trail</h2>")[1]
    assert '<td data-label="When">2026-11-02 10:00:00 EST</td>' in trail
    assert '<td data-label="What">Viewed</td><td data-label="Outcome">Done</td>' in trail
    assert "UTC" not in body
    assert f'href="/staff/reports/{report_id}/print"' in body


def test_summer_times_say_so(bench: Workbench) -> None:
    summer = datetime(2026, 7, 1, 16, 30, tzinfo=START.tzinfo)
    (report_id,) = put(listed(0, submitted_at=summer, listed_at=summer))

    assert "2026-07-01 12:30 EDT" in page(bench, f"/staff/reports/{report_id}")
    assert "2026-07-01 12:30 EDT" in page(bench, "/staff/queue")


def test_the_numbers_name_statuses_in_words(bench: Workbench) -> None:
    put(listed(0), listed(1, status="needs_attention", review_token=None))

    body = page(bench, "/staff/metrics", "supervisor")

    assert "<td>Waiting for review</td><td>1</td>" in body
    assert "<td>Needs attention</td><td>1</td>" in body
    assert "needs_attention" not in body


# -- the print view ------------------------------------------------------------------------------


def test_the_print_view_holds_the_whole_report_for_the_paper_file(bench: Workbench) -> None:
    approved = submitted_report(
        "RPD-7K4M-Q2XH",
        answers=theft_answers(START.date()),
        status="approved",
        review_token=None,
        decision="approve",
        decided_by="reviewer",
        decided_at=START + timedelta(hours=2),
        case_number="RPD-2026-000007",
        supplements=[
            {
                "question": "Which rack?",
                "asked_at": (START + timedelta(hours=1)).isoformat(),
                "text": "The one by the door.",
                "at": (START + timedelta(minutes=90)).isoformat(),
            }
        ],
        corrections=[
            {
                "question": "narrative",
                "old": "My bicycle was taken.",
                "new": "My bicycle was taken from the rack outside my building overnight.",
                "by": "reviewer",
                "at": (START + timedelta(minutes=100)).isoformat(),
                "reason": "The resident added where, on the phone",
            }
        ],
    )
    put(approved)
    AuditEvent(
        subject="RPD-7K4M-Q2XH",
        event_id=f"{START.isoformat()}#note",
        at=START.isoformat(),
        actor="reviewer",
        action="note",
        outcome="succeeded",
        details={"text": "Called the resident <about the rack>"},
    ).save()

    body = page(bench, "/staff/reports/RPD-7K4M-Q2XH/print")

    assert "Riverton Police Department" in body
    for text in (
        "<h1>Report RPD-7K4M-Q2XH</h1>",
        "RPD-2026-000007",
        ">Approved by reviewer, November 2, 2026, 12:00 p.m. EST<",
        'Offense code</dt><dd class="summary__value">23H',
        "Black Trek bicycle",
        "My bicycle was taken from the rack",
        "Which rack?",
        "The one by the door.",
        "November 2, 2026, 10:00 a.m. EST",
        "<h2>Audit trail</h2>",
        '<td data-label="What">Viewed</td>',
        "Corrections made by staff",
        "The resident added where, on the phone",
        "<h2>Internal notes</h2>",
        "Called the resident &lt;about the rack&gt;",
    ):
        assert text in body, text
    assert "form_token" in body, "the header's sign-out form, hidden on paper"
    events = [event.action for event in AuditEvent.query("RPD-7K4M-Q2XH")]
    assert sorted(events) == ["note", "view"], "opening the print view is a view, audited as such"


def test_the_print_view_is_for_staff_only(bench: Workbench) -> None:
    put(listed(0))

    response = bench.client.http.get("/staff/reports/RPD-0000-WBCH/print")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff?expired=1")


@pytest.mark.parametrize("report_id", ["RPD-9999-NONE", "RPD-0005-WBCH"])
def test_the_print_view_of_a_draft_or_of_nothing_is_not_found(
    bench: Workbench, report_id: str
) -> None:
    put(listed(5, status="draft", listed_at=None, submitted_at=None, review_token=None))

    body = page(bench, f"/staff/reports/{report_id}/print", expected=404)

    assert "There is no" in body
