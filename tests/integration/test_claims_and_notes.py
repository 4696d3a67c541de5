"""The workbench on moto: who holds a report (claims, assignments, releases), deciding one that
someone else holds, internal notes, page views coalesced, ready-made texts in the resident's
language, and "Decide and open the next".

One deployment serves the module; each test starts from empty report and audit tables, the
clock at START. Reports are written as the workflow leaves them (submitted, a task token).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from chalice.test import Client

from app import app
from chalicelib import services
from chalicelib.errors import DomainError
from chalicelib.intake.reports import owner_key
from chalicelib.mail import RecordingOutbox
from chalicelib.models import AuditEvent, CaseNumberCounter, Report
from chalicelib.review.claims import HeldByAnother, Holding
from chalicelib.review.staff import StaffMember
from infra import provision
from tests.integration.test_forms_and_links import link_path
from tests.support.deployment import (
    START,
    FakeClock,
    RecordingStepFunctions,
    moto_deployment,
)
from tests.support.forms import PageClient, post_staff_form
from tests.support.staff_issuer import StaffIssuer

STAFF = StaffIssuer("ClaimTests")
JSON = {"Content-Type": "application/json"}
GROUP_OF = {"reviewer": "reviewers", "alex": "reviewers", "supervisor": "supervisors"}
GROUP_OF["admin"] = "admins"
ANA = "ana@example.com"


@dataclass
class Bench:
    services: services.Services
    client: Client
    clock: FakeClock
    outbox: RecordingOutbox
    stepfunctions: RecordingStepFunctions
    sent_before: int = 0

    def emails(self) -> list[dict[str, str]]:
        """The emails sent since the test began."""
        return self.outbox.as_json()[self.sent_before :]


@pytest.fixture(scope="module")
def deployment() -> Iterator[Bench]:
    tokens = STAFF.tokens()
    with moto_deployment(
        staff_tokens=tokens,
        stepfunctions=RecordingStepFunctions(),
        atomic_dynamodb=True,
    ) as built:
        assert built.stepfunctions is not None
        with Client(app) as client:
            yield Bench(built.services, client, built.clock, built.outbox, built.stepfunctions)


@pytest.fixture
def bench(deployment: Bench) -> Bench:
    for model in (Report, AuditEvent, CaseNumberCounter):
        model.delete_table()
    provision.create_tables(
        deployment.services.aws.client("dynamodb"), (Report, AuditEvent, CaseNumberCounter)
    )
    deployment.clock.now = START
    deployment.stepfunctions.reset()
    deployment.sent_before = len(deployment.outbox.as_json())
    return deployment


def token(username: str = "reviewer") -> str:
    return STAFF.session_token(username, GROUP_OF[username])


def staff(username: str = "reviewer") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(username)}"}


def member(username: str = "reviewer") -> StaffMember:
    return StaffMember(username, frozenset({GROUP_OF[username]}), START + timedelta(hours=1))


def report(
    number: int,
    *,
    language: str = "en",
    status: str = "submitted",
    incident_type: str = "theft",
) -> str:
    item = Report(
        report_id=f"RPD-{number:04d}-HOLD",
        owner_key=owner_key(ANA),
        contact_email=ANA,
        language=language,
        incident_type=incident_type,
        status=status,
        answers={"narrative": "My bicycle was taken."},
        created_at=START - timedelta(hours=1),
        updated_at=START,
        submitted_at=START,
        listed_at=START + timedelta(minutes=number),
        review_token="token-1" if status == "submitted" else None,
    )
    item.save()
    return item.report_id


def call(
    bench: Bench, method: str, path: str, username: str = "reviewer", body: object = None
) -> Any:
    payload = None if body is None else json.dumps(body)
    return getattr(bench.client.http, method.lower())(
        path, body=payload, headers={**JSON, **staff(username)}
    )


def claim_path(report_id: str) -> str:
    return f"/api/staff/reports/{report_id}/claim"


def events(report_id: str, action: str | None = None) -> list[tuple[str, str, str]]:
    return [
        (event.actor, event.action, event.outcome)
        for event in AuditEvent.query(report_id, consistent_read=True)
        if action is None or event.action == action
    ]


def page(bench: Bench, path: str, username: str = "reviewer") -> str:
    path = path.removeprefix("http://127.0.0.1:8000")
    response = bench.client.http.get(path, headers={"Cookie": f"sr_staff={token(username)}"})
    assert response.status_code == 200, response.body
    return str(response.body.decode())


# -- claims --------------------------------------------------------------------------------------


def test_of_two_claims_at_once_exactly_one_wins(bench: Bench) -> None:
    report_ids = [report(n) for n in range(8)]
    start = threading.Barrier(2)

    def attempt(report_id: str, username: str) -> Holding | str:
        start.wait()
        try:
            return bench.services.claims.claim(member(username), report_id)
        except HeldByAnother as error:
            return f"held by {error.holder}"
        except DomainError as error:  # anything else is a failure of this test
            return f"{type(error).__name__}: {error.message}"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = [
            (pool.submit(attempt, report_id, "reviewer"), pool.submit(attempt, report_id, "alex"))
            for report_id in report_ids
        ]
        results = [(first.result(), second.result()) for first, second in outcomes]

    for report_id, (first, second) in zip(report_ids, results, strict=True):
        won = [outcome for outcome in (first, second) if isinstance(outcome, Holding)]
        lost = [outcome for outcome in (first, second) if isinstance(outcome, str)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost == [f"held by {won[0].holder}"]
        assert Report.get(report_id, consistent_read=True).claimed_by == won[0].holder
        assert events(report_id) == [(won[0].holder, "claimed", "succeeded")]


def test_a_claim_is_shown_everywhere_and_its_holder_releases_it(bench: Bench) -> None:
    report_id = report(1)

    claimed = call(bench, "POST", claim_path(report_id))
    again = call(bench, "POST", claim_path(report_id), "alex")

    assert claimed.status_code == 200, claimed.body
    assert claimed.json_body == {
        "id": report_id,
        "claimed_by": "reviewer",
        "claimed_at": START.isoformat(),
    }
    assert again.status_code == 409
    assert again.json_body["error"]["message"] == "Already held by reviewer."
    view = call(bench, "GET", f"/api/staff/reports/{report_id}", "alex").json_body
    assert (view["claimed_by"], view["claimed_at"]) == ("reviewer", START.isoformat())
    [item] = call(bench, "GET", "/api/staff/reports").json_body["items"]
    assert item["claimed_by"] == "reviewer"
    assert "Held by <strong>reviewer</strong>" in page(bench, f"/staff/reports/{report_id}", "alex")

    assert call(bench, "DELETE", claim_path(report_id), "alex").status_code == 409
    released = call(bench, "DELETE", claim_path(report_id))

    assert released.status_code == 200, released.body
    assert released.json_body["claimed_by"] is None
    stored = Report.get(report_id, consistent_read=True)
    holder: object = stored.claimed_by  # null=True, which pynamodb's types omit
    since: object = stored.claimed_at
    assert (holder, since) == (None, None)
    assert events(report_id, "claimed") + events(report_id, "released") == [
        ("reviewer", "claimed", "succeeded"),
        ("reviewer", "released", "succeeded"),
    ]
    assert "Nobody holds this report" in page(bench, f"/staff/reports/{report_id}")


def test_only_a_supervisor_assigns_or_releases_someone_elses_claim(bench: Bench) -> None:
    report_id = report(1)
    assert call(bench, "POST", claim_path(report_id), "alex").status_code == 200

    by_reviewer = call(bench, "PUT", claim_path(report_id), "reviewer", {"username": "reviewer"})
    released_by_reviewer = call(bench, "DELETE", claim_path(report_id) + "?holder=alex")
    stale = call(
        bench, "PUT", claim_path(report_id), "supervisor", {"username": "pat", "holder": ""}
    )
    not_a_name = call(bench, "PUT", claim_path(report_id), "supervisor", {"username": "two words"})
    assigned = call(
        bench, "PUT", claim_path(report_id), "supervisor", {"username": "pat", "holder": "alex"}
    )

    assert by_reviewer.status_code == 403
    assert released_by_reviewer.status_code == 403
    assert stale.status_code == 409 and "alex" in stale.json_body["error"]["message"]
    assert not_a_name.status_code == 422
    assert assigned.status_code == 200, assigned.body
    assert Report.get(report_id, consistent_read=True).claimed_by == "pat"
    released = call(bench, "DELETE", claim_path(report_id), "admin")
    assert released.status_code == 200, released.body
    assert Report.get(report_id, consistent_read=True).claimed_by is None
    assert events(report_id, "assigned") == [("supervisor", "assigned", "succeeded")]
    assert events(report_id, "released") == [("admin", "released", "succeeded")]


def test_a_decided_or_unknown_report_cannot_be_claimed(bench: Bench) -> None:
    decided = report(1, status="approved")

    refused = call(bench, "POST", claim_path(decided))

    assert refused.status_code == 409
    assert "approved" in refused.json_body["error"]["message"]
    assert call(bench, "POST", claim_path("RPD-9999-NONE")).status_code == 404
    assert events(decided) == []


def test_the_pages_claim_assign_and_release_and_go_back_to_the_report(bench: Bench) -> None:
    report_id = report(1)
    path = f"/staff/reports/{report_id}"
    context = {"status": "submitted", "incident_type": "theft"}

    claimed = post_staff_form(bench.client, f"{path}/claim", context, token("reviewer"))
    shown = page(bench, claimed.headers["Location"])
    refused = post_staff_form(bench.client, f"{path}/assign", {"username": "x"}, token())
    bench.clock.advance(seconds=1)  # events of one instant have no order
    assigned = post_staff_form(
        bench.client,
        f"{path}/assign",
        {"username": "alex", "seen_holder": "reviewer", "holder": "mine"},
        token("supervisor"),
    )
    bench.clock.advance(seconds=1)
    released = post_staff_form(
        bench.client, f"{path}/release", {"seen_holder": "alex"}, token("supervisor")
    )

    assert claimed.status_code == 303
    assert claimed.headers["Location"].endswith(
        f"{path}?status=submitted&incident_type=theft&claim=claimed#claim"
    )
    assert "You hold this report now." in shown and "Held by <strong>you</strong>" in shown
    assert refused.status_code == 403
    assert assigned.status_code == released.status_code == 303
    assert assigned.headers["Location"].endswith("?holder=mine&claim=assigned#claim")
    assert [action for _, action, _ in events(report_id) if action != "view"] == [
        "claimed",
        "assigned",
        "released",
    ]


# -- deciding a report someone else holds --------------------------------------------------------


def decide(bench: Bench, report_id: str, body: dict[str, Any], username: str = "reviewer") -> Any:
    return call(bench, "POST", f"/api/staff/reports/{report_id}/decision", username, body)


def test_deciding_a_report_someone_else_holds_asks_for_confirmation(bench: Bench) -> None:
    report_id = report(1)
    assert call(bench, "POST", claim_path(report_id), "alex").status_code == 200

    refused = decide(bench, report_id, {"decision": "approve"})
    stored = Report.get(report_id, consistent_read=True)
    confirmed = decide(bench, report_id, {"decision": "approve", "confirm_claimed": True})

    assert refused.status_code == 409
    assert refused.json_body["error"]["message"] == (
        "alex holds this report. Confirm to decide it anyway."
    )
    assert (stored.status, stored.review_token) == ("submitted", "token-1")
    assert confirmed.status_code == 202, confirmed.body
    decided = Report.get(report_id, consistent_read=True)
    assert (decided.status, decided.decided_by) == ("approved", "reviewer")
    assert decided.claimed_by == "alex", "a decision does not clear the claim"


def test_the_holder_decides_without_confirming(bench: Bench) -> None:
    report_id = report(1)
    assert call(bench, "POST", claim_path(report_id)).status_code == 200

    assert decide(bench, report_id, {"decision": "approve"}).status_code == 202


def test_the_page_shows_the_decision_again_with_a_box_to_decide_anyway(bench: Bench) -> None:
    report_id = report(1)
    bench.services.claims.claim(member("alex"), report_id)
    path = f"/staff/reports/{report_id}/decision"
    sent = {"decision": "reject", "reason": "Outside our city.", "status": "submitted"}

    refused = post_staff_form(bench.client, path, sent, token())
    confirmed = post_staff_form(bench.client, path, {**sent, "confirm_claimed": "yes"}, token())

    assert refused.status_code == 409
    html = refused.body.decode()
    assert "alex holds this report. Confirm to decide it anyway." in html
    assert 'name="confirm_claimed" type="checkbox" value="yes"' in html
    assert "Decide it anyway: alex holds this report" in html
    assert 'value="reject" checked' in html and ">Outside our city.</textarea>" in html
    assert confirmed.status_code == 303
    assert Report.get(report_id, consistent_read=True).status == "rejected"


def test_an_unclaimed_decision_reads_nothing_more(bench: Bench, aws_calls: list[str]) -> None:
    report_id = report(1)
    headers = staff()
    aws_calls.clear()

    response = bench.client.http.post(
        f"/api/staff/reports/{report_id}/decision",
        body=json.dumps({"decision": "approve"}),
        headers={**JSON, **headers},
    )

    assert response.status_code == 202, response.body
    # The claim adds no read; a profile that refuses invalid NIBRS documents reads the report
    # to check its own (tests/integration/test_nibrs_staff.py).
    nibrs = bench.services.agency.nibrs
    checked = ["dynamodb:GetItem"] if nibrs is not None and not nibrs.approve_invalid else []
    assert aws_calls == ["dynamodb:GetItem", *checked, "dynamodb:UpdateItem", "dynamodb:PutItem"]


# -- internal notes ------------------------------------------------------------------------------

SCRIPT = "<script>alert('note')</script> Called her back: the bike is a Trek."


def resident_page_client(bench: Bench) -> PageClient:
    browser = PageClient(bench.client)
    browser.post_form("/start", {"email": ANA})
    assert browser.sign_in(link_path(bench.outbox, ANA)).status_code == 303
    return browser


def resident_api_headers(bench: Bench) -> dict[str, str]:
    bench.client.http.post("/api/verifications", body=json.dumps({"email": ANA}), headers=JSON)
    link = re.findall(r"token=([\w-]+)", bench.outbox.as_json()[-1]["text"])[0]
    opened = bench.client.http.post("/api/sessions", body=json.dumps({"token": link}), headers=JSON)
    return {"Authorization": f"Bearer {opened.json_body['session']}"}


def test_a_note_is_escaped_for_staff_and_never_reaches_the_resident(bench: Bench) -> None:
    report_id = report(1)
    bench.services.audit.record(report_id, "resident", "submitted", "succeeded")

    added = call(bench, "POST", f"/api/staff/reports/{report_id}/notes", body={"text": SCRIPT})
    bench.clock.advance(seconds=1)  # events of one instant have no order
    by_page = post_staff_form(
        bench.client,
        f"/staff/reports/{report_id}/notes",
        {"text": "Second <b>note</b>", "status": "submitted"},
        token("alex"),
    )
    bench.clock.advance(minutes=1)
    asked = decide(
        bench, report_id, {"decision": "request_info", "reason": "What colour is the bike?"}
    )
    bench.services.review_steps.run(
        {"step": "notify_decision", "report_id": report_id, "decision": "request_info"}
    )

    assert added.status_code == 201, added.body
    assert added.json_body == {"at": START.isoformat(), "by": "reviewer", "text": SCRIPT}
    assert by_page.status_code == 303
    assert by_page.headers["Location"].endswith("?status=submitted&noted=yes#notes")
    assert asked.status_code == 202
    view = call(bench, "GET", f"/api/staff/reports/{report_id}").json_body
    assert [(note["by"], note["text"]) for note in view["notes"]] == [
        ("reviewer", SCRIPT),
        ("alex", "Second <b>note</b>"),
    ]
    html = page(bench, f"/staff/reports/{report_id}")
    assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt; Called her back" in html
    assert "<script>" not in html and "<b>note</b>" not in html
    assert ("reviewer", "note", "succeeded") in events(report_id)

    resident_html = resident_page_client(bench).get(f"/report/{report_id}").body.decode()
    resident_json = bench.client.http.get(
        f"/api/reports/{report_id}", headers=resident_api_headers(bench)
    ).body.decode()
    emails = json.dumps(bench.emails())
    assert "What colour is the bike?" in resident_html and "What colour is the bike?" in emails
    for seen_by_the_resident in (resident_html, resident_json, emails):
        assert "Called her back" not in seen_by_the_resident
        assert "Second" not in seen_by_the_resident


@pytest.mark.parametrize(
    ("body", "status"),
    [({"text": "   "}, 422), ({"text": "x" * 2001}, 422), ({"text": "Bad\u0000byte"}, 422)],
)
def test_a_note_must_be_some_text(bench: Bench, body: dict[str, str], status: int) -> None:
    report_id = report(1)

    response = call(bench, "POST", f"/api/staff/reports/{report_id}/notes", body=body)

    assert response.status_code == status, response.body
    assert events(report_id) == []


def test_a_note_on_a_report_that_is_not_there_is_not_found(bench: Bench) -> None:
    draft = report(2, status="draft")
    for report_id in ("RPD-9999-NONE", draft):
        response = call(bench, "POST", f"/api/staff/reports/{report_id}/notes", body={"text": "x"})
        assert response.status_code == 404, response.body
        assert events(report_id) == []


# -- page views coalesced ------------------------------------------------------------------------


def test_views_are_one_per_member_per_report_per_quarter_hour(
    bench: Bench, aws_calls: list[str]
) -> None:
    report_id = report(1)
    path = f"/api/staff/reports/{report_id}"
    headers = staff()

    first = bench.client.http.get(path, headers=headers)
    bench.clock.advance(minutes=14)
    aws_calls.clear()
    second = bench.client.http.get(path, headers=headers)
    coalesced = list(aws_calls)
    by_another = call(bench, "GET", path, "alex")
    bench.clock.advance(minutes=2)  # 16 minutes after the first
    third = bench.client.http.get(path, headers=headers)

    assert first.status_code == second.status_code == third.status_code == 200
    assert [e["actor"] for e in first.json_body["audit"] if e["action"] == "view"] == ["reviewer"]
    assert "dynamodb:PutItem" not in coalesced
    assert coalesced.count("dynamodb:Query") == 1
    assert by_another.status_code == 200
    assert events(report_id, "view") == [
        ("reviewer", "view", "succeeded"),
        ("alex", "view", "succeeded"),
        ("reviewer", "view", "succeeded"),
    ]
    assert len(third.json_body["audit"]) == 3


# -- ready-made texts ----------------------------------------------------------------------------


def test_a_ready_question_reaches_a_spanish_speaking_resident_in_spanish(bench: Bench) -> None:
    report_id = report(1, language="es")
    texts = bench.services.agency.review.ready_text("serial_number")
    assert texts is not None
    spanish, english = texts.text["es"], texts.text["en"]

    editing = page(bench, f"/staff/reports/{report_id}?status=submitted&ready_text=serial_number")
    asked = decide(bench, report_id, {"decision": "request_info", "ready_text": "serial_number"})
    bench.services.review_steps.run(
        {"step": "notify_decision", "report_id": report_id, "decision": "request_info"}
    )

    assert f">{spanish}</textarea>" in editing, "pre-filled in the resident's language"
    assert english in editing, "with the English for the clerk"
    assert 'value="request_info" checked' in editing
    edit_link = (
        f'href="/staff/reports/{report_id}?status=submitted&amp;ready_text=serial_number#decide"'
    )
    assert edit_link in editing and "Edit this text first: Serial number" in editing
    assert asked.status_code == 202, asked.body
    stored = Report.get(report_id, consistent_read=True)
    assert stored.decision_reason == spanish
    assert bench.stepfunctions.successes[0][1]["reason"] == spanish
    [email] = [m for m in bench.emails() if m["to"] == ANA]
    assert spanish in email["text"] and english not in email["text"]
    status_page = resident_page_client(bench).get(f"/report/{report_id}").body.decode()
    assert spanish in status_page
    [decided] = [e for e in AuditEvent.query(report_id) if e.action == "decision:request_info"]
    assert (decided.details or {}).get("ready_text") == "serial_number"


def test_a_ready_text_edited_by_the_clerk_is_sent_as_typed(bench: Bench) -> None:
    report_id = report(1, language="es")
    edited = "Gracias. ¿Tiene el número de serie de la bicicleta Trek?"

    response = decide(
        bench,
        report_id,
        {"decision": "request_info", "ready_text": "serial_number", "reason": edited},
    )

    assert response.status_code == 202, response.body
    assert Report.get(report_id, consistent_read=True).decision_reason == edited


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "request_info", "ready_text": "no_such_text"},
        {"decision": "request_info", "ready_text": "outside_jurisdiction"},
        {"decision": "approve", "ready_text": "outside_jurisdiction"},
    ],
)
def test_an_unknown_or_mismatched_ready_text_is_refused(bench: Bench, body: dict[str, str]) -> None:
    report_id = report(1)

    response = decide(bench, report_id, body)

    assert response.status_code == 422, response.body
    assert "ready_text" in response.json_body["error"]["fields"]
    assert Report.get(report_id, consistent_read=True).status == "submitted"


# -- decide and open the next --------------------------------------------------------------------


def test_decide_and_open_the_next_goes_through_the_queue_then_says_it_was_the_last(
    bench: Bench,
) -> None:
    first, second = report(1), report(2)
    report(3, incident_type="vandalism")  # another queue: never the next
    context = {"status": "submitted", "incident_type": "theft"}
    fields = {"decision": "approve", "next": "yes", **context}

    opened = page(bench, f"/staff/reports/{first}?status=submitted&incident_type=theft")
    to_second = post_staff_form(bench.client, f"/staff/reports/{first}/decision", fields, token())
    landed = page(bench, to_second.headers["Location"])
    to_queue = post_staff_form(bench.client, f"/staff/reports/{second}/decision", fields, token())

    assert '<input type="hidden" name="incident_type" value="theft">' in opened
    assert to_second.status_code == 303
    location = urlsplit(to_second.headers["Location"])
    assert location.path == f"/staff/reports/{second}"
    assert parse_qs(location.query) == {
        "status": ["submitted"],
        "incident_type": ["theft"],
        "previous": [first],
        "decided": ["approve"],
    }
    assert f"Decision recorded on {first}: approved. This is the next report" in landed
    assert to_queue.status_code == 303
    assert to_queue.headers["Location"].endswith(
        "/staff/queue?status=submitted&incident_type=theft&done=last"
    )


def test_a_claim_and_a_note_are_one_transaction_each(bench: Bench, aws_calls: list[str]) -> None:
    report_id = report(1)
    headers = {**JSON, **staff()}
    aws_calls.clear()

    claimed = bench.client.http.post(claim_path(report_id), headers=headers)
    claim_calls = list(aws_calls)
    aws_calls.clear()
    noted = bench.client.http.post(
        f"/api/staff/reports/{report_id}/notes", body=json.dumps({"text": "x"}), headers=headers
    )

    assert (claimed.status_code, noted.status_code) == (200, 201)
    assert claim_calls == aws_calls == ["dynamodb:GetItem", "dynamodb:TransactWriteItems"]
