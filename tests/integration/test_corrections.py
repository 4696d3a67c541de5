"""Staff correct a report before deciding it, on the real state machine in-process.

A correction the resident then reads on the status page and in the JSON API, and in the
decision email; the approved report's PDF copy and its records export carry the corrected
values and list the corrections. A reclassification keeps the answers the new type shares, asks
for its own required ones and removes (but records) the others. Refused: a stale edit (409 with
both values), a decided report (409), an invalid answer (422 naming it), no reason, nothing
changed, a member of staff without a group (403). A screening rule warns, and screens nothing
out. A Spanish-speaking resident reads the changes in Spanish.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client
from jsonschema import Draft202012Validator
from pypdf import PdfReader

from app import app
from chalicelib.errors import StaleEdit
from chalicelib.models import AuditEvent, Report
from chalicelib.records import export_document
from chalicelib.review.corrections import Corrections
from chalicelib.review.staff import StaffMember
from chalicelib.routes.edge import SESSION_COOKIE
from chalicelib.status import ReportStatus
from tests.support.answers import theft_answers
from tests.support.cognito_keys import moto_id_token
from tests.support.deployment import (
    START,
    WORKFLOW_MOVES,
    open_staff_session,
    workflow_deployment,
)
from tests.support.forms import PageClient
from tests.support.in_process_api import InProcessApi
from tests.support.reports import stored_theft

SETTLE_SECONDS = 30.0
SCHEMA_PATH = Path(__file__).parents[2] / "chalicelib" / "schemas" / "records-export.v1.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
NAME_FIXED = "Zoë Łukasz-Muñoz Reyes"


@dataclass
class World(InProcessApi):
    reviewer: dict[str, str]
    other_reviewer: dict[str, str]
    no_group: dict[str, str]

    def staff_cookie(self, headers: dict[str, str]) -> PageClient:
        token = headers["Authorization"].removeprefix("Bearer ")
        return PageClient(self.client, {"sr_staff": token})

    def submitted(self, resident: dict[str, str], language: str = "en") -> str:
        created = self.request(
            "POST", "/api/reports", resident, {"incident_type": "theft", "language": language}
        )
        assert created.status_code == 201, created.body
        report_id = str(created.json_body["id"])
        answers = theft_answers(START.date())
        for step in created.json_body["steps"]:
            body = {"answers": {question: answers[question] for question in step["questions"]}}
            saved = self.request("PATCH", f"/api/reports/{report_id}", resident, body)
            assert saved.status_code == 200, saved.body
        submitted = self.request("POST", f"/api/reports/{report_id}/submit", resident)
        assert submitted.status_code == 200, submitted.body
        return report_id

    def correct(self, report_id: str, body: dict[str, Any], headers: Any = None) -> Any:
        return self.request(
            "POST", f"/api/staff/reports/{report_id}/corrections", headers or self.reviewer, body
        )

    def emails(self, address: str, kind: str) -> list[dict[str, str]]:
        return [
            message
            for message in self.deployment.outbox.as_json()
            if message["to"] == address and message["kind"] == kind
        ]

    def stored_object(self, key: str) -> bytes:
        settings = self.services.settings
        body: bytes = self.services.aws.s3.get_object(Bucket=settings.bucket_name, Key=key)[
            "Body"
        ].read()
        return body

    def resident_page(self, resident: dict[str, str], path: str) -> str:
        session = resident["Authorization"].removeprefix("Bearer ")
        page = self.client.http.get(path, headers={"Cookie": f"{SESSION_COOKIE}={session}"})
        assert page.status_code == 200, page.body
        return str(page.body.decode())


def until(check: Callable[[], Any], seconds: float = SETTLE_SECONDS) -> Any:
    """`check()` once it is truthy, looked at again whenever the workflow moves."""
    deadline = time.monotonic() + seconds
    while True:
        seen = WORKFLOW_MOVES.count
        value = check()
        if value or time.monotonic() > deadline:
            return value
        WORKFLOW_MOVES.wait_after(seen, 0.2)


def stored(report_id: str) -> Report:
    return Report.get(report_id, consistent_read=True)


def staff_headers(pool: Any, username: str, groups: list[str] | None) -> dict[str, str]:
    token = moto_id_token(pool.issuer, pool.client_id, username, groups)
    return {"Authorization": f"Bearer {open_staff_session(token)}"}


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with (
        workflow_deployment("corrections") as built,
        Client(app) as client,
    ):
        assert built.pool is not None
        yield World(
            built,
            client,
            staff_headers(built.pool, "reviewer", ["reviewers"]),
            staff_headers(built.pool, "colleague", ["supervisors"]),
            staff_headers(built.pool, "nobody", None),
        )


def waiting_for_decision(report_id: str) -> Report:
    report = until(lambda: (found := stored(report_id)).review_token and found)
    assert report, "the workflow waits for a decision"
    return report  # type: ignore[no-any-return]


def written_report(world: World, *, status: str = "submitted", **overrides: Any) -> Report:
    return stored_theft(world.services.agency, "C2222", status=status, **overrides)


# -- the resident is told, and the copy and the export carry it -----------------------------------


def test_a_correction_reaches_the_resident_the_email_the_copy_and_the_export(
    world: World,
) -> None:
    address = "told@example.com"
    resident = world.resident(address)
    report_id = world.submitted(resident)
    waiting_for_decision(report_id)
    world.deployment.clock.advance(seconds=1)
    read = world.request("GET", f"/api/staff/reports/{report_id}/corrections", world.reviewer)
    assert read.status_code == 200, read.body
    assert read.json_body["revision"] == 0 and read.json_body["corrections"] == []

    corrected = world.correct(
        report_id,
        {
            "answers": {"reporter_name": NAME_FIXED, "incident_time": "22:15"},
            "reason": "The resident called: second surname, and the time",
            "revision": 0,
        },
    )

    assert corrected.status_code == 200, corrected.body
    body = corrected.json_body
    assert body["revision"] == 1 and body["warnings"] == []
    assert [(c["question"], c["old"], c["new"]) for c in body["corrections"]] == [
        ("incident_time", "21:30", "22:15"),
        ("reporter_name", "Zoë Łukasz-Muñoz", NAME_FIXED),
    ]
    assert {c["by"] for c in body["corrections"]} == {"reviewer"}
    report = stored(report_id)
    assert report.answers["reporter_name"] == NAME_FIXED
    assert report.answers_revision == 1 and report.status == ReportStatus.SUBMITTED

    # the resident's JSON view: the changes, and never who made them
    view = world.request("GET", f"/api/reports/{report_id}", resident).json_body
    assert view["answers"]["reporter_name"] == NAME_FIXED
    assert [c["question"] for c in view["corrections"]] == ["incident_time", "reporter_name"]
    assert view["corrections"][1] == {
        "question": "reporter_name",
        "old": "Zoë Łukasz-Muñoz",
        "new": NAME_FIXED,
        "at": world.deployment.clock.now.isoformat(),
        "reason": "The resident called: second surname, and the time",
    }
    # the status page, in plain words, without the reviewer's name
    page = world.resident_page(resident, f"/report/{report_id}")
    section = page.split('id="corrections"', 1)[1].split("</dl>", 1)[0]
    assert "Changes made by the police" in page
    assert "Full name" in section and "Time (optional)" in section
    assert "Was:" in section and "Now:" in section
    assert "Zoë Łukasz-Muñoz" in section and NAME_FIXED in section
    assert "The resident called: second surname, and the time" in section
    assert "reviewer" not in page

    # approved after the edit: the email, the copy and the export
    approved = world.request(
        "POST", f"/api/staff/reports/{report_id}/decision", world.reviewer, {"decision": "approve"}
    )
    assert approved.status_code == 202, approved.body
    email = until(lambda: world.emails(address, "approved"))
    assert len(email) == 1
    for part in (email[0]["text"], email[0]["html"]):
        assert "Changes made by the police" in part
        assert NAME_FIXED in part and "Reason: The resident called" in part
        assert "reviewer" not in part
    assert until(lambda: stored(report_id).copy_stored_at and stored(report_id).exported_at)

    copy = "\n".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(world.stored_object(f"copies/{report_id}.pdf"))).pages
    )
    assert "Changes made by the police" in copy
    assert NAME_FIXED in copy and "Zoë Łukasz-Muñoz\n" not in copy.split("Changes made")[0]
    assert "Was: 21:30" in copy and "Now: 22:15" in copy
    assert "The resident called" in copy

    document = json.loads(world.stored_object(f"exports/{report_id}.json"))
    Draft202012Validator(SCHEMA).validate(document)
    assert document["reporter"]["name"] == NAME_FIXED
    assert document["incident"]["time"] == "22:15"
    assert [(c["question"], c["old"], c["new"], c["by"]) for c in document["corrections"]] == [
        ("incident_time", "21:30", "22:15", "reviewer"),
        ("reporter_name", "Zoë Łukasz-Muñoz", NAME_FIXED, "reviewer"),
    ]


def test_a_spanish_speaking_resident_reads_the_changes_in_spanish(world: World) -> None:
    address = "espanol@example.com"
    resident = world.resident(address)
    report_id = world.submitted(resident, language="es")
    waiting_for_decision(report_id)

    corrected = world.correct(
        report_id,
        {"answers": {"narrative": "Se llevaron la bicicleta del portal."}, "reason": "Typo"},
    )
    assert corrected.status_code == 200, corrected.body
    asked = world.request(
        "POST",
        f"/api/staff/reports/{report_id}/decision",
        world.reviewer,
        {"decision": "request_info", "reason": "¿De qué color es?"},
    )
    assert asked.status_code == 202, asked.body

    email = until(lambda: world.emails(address, "info_requested"))
    assert len(email) == 1
    for part in (email[0]["text"], email[0]["html"]):
        assert "Cambios hechos por la policía" in part
        assert "Antes: My bicycle was taken" in part
        assert "Ahora: Se llevaron la bicicleta del portal." in part
        assert "Motivo: Typo" in part
    assert until(lambda: stored(report_id).status == ReportStatus.INFO_REQUESTED)
    page = world.resident_page(resident, f"/report/{report_id}?lang=es")
    assert "Cambios hechos por la policía" in page
    assert "Describa lo que ocurrió con sus propias palabras" in page
    assert "Antes:" in page and "Ahora:" in page and "Motivo:" in page
    assert "Changes made by the police" not in page


# -- reclassifying --------------------------------------------------------------------------------


def test_a_reclassification_keeps_asks_for_and_removes_answers(world: World) -> None:
    report = written_report(world)
    report_id = report.report_id
    items = report.answers["stolen_items"]

    asked = world.correct(
        report_id, {"incident_type": "theft_from_vehicle", "reason": "Taken from a car"}
    )

    assert asked.status_code == 422, asked.body
    assert set(asked.json_body["error"]["fields"]) == {"vehicle_description", "vehicle_was_locked"}
    assert (
        "vehicle's make, model and colour"
        in asked.json_body["error"]["fields"]["vehicle_description"]
    )
    assert stored(report_id).incident_type == "theft"

    moved = world.correct(
        report_id,
        {
            "incident_type": "theft_from_vehicle",
            "answers": {"vehicle_description": "Blue Honda Civic", "vehicle_was_locked": "yes"},
            "reason": "Taken from a car",
        },
    )

    assert moved.status_code == 200, moved.body
    now = stored(report_id)
    assert now.incident_type == "theft_from_vehicle"
    assert now.answers["stolen_items"] == items  # a question both types ask: kept
    assert now.answers["vehicle_was_locked"] is True
    assert [(c["question"], c["old"], c["new"]) for c in moved.json_body["corrections"]] == [
        ("incident_type", "theft", "theft_from_vehicle"),
        ("vehicle_description", None, "Blue Honda Civic"),
        ("vehicle_was_locked", None, True),
    ]

    again = world.correct(
        report_id,
        {
            "incident_type": "stolen_bicycle",
            "answers": {"bicycle_description": "Black Trek", "bicycle_value": "450"},
            "reason": "It was the bicycle",
            "revision": 1,
        },
    )

    assert again.status_code == 200, again.body
    now = stored(report_id)
    assert now.incident_type == "stolen_bicycle"
    for removed in ("stolen_items", "vehicle_description", "vehicle_was_locked"):
        assert removed not in now.answers
    records = {c["question"]: c for c in again.json_body["corrections"]}
    assert records["stolen_items"]["old"] == items and records["stolen_items"]["new"] is None
    assert records["vehicle_description"]["old"] == "Blue Honda Civic"
    assert records["bicycle_value"]["new"] == "450.00"
    assert len(now.corrections) == 3 + len(records)  # nothing lost
    # the export of the approved report carries the new type's offense code and the records
    now.status, now.case_number, now.decided_at = ReportStatus.APPROVED, "RPD-2026-000099", START
    document = export_document(world.services.agency, now)
    Draft202012Validator(SCHEMA).validate(document)
    assert document["offense"]["code"] == "23H"
    assert document["offense"]["incident_type"] == "stolen_bicycle"
    assert document["property"] == []
    assert [c["question"] for c in document["corrections"]][:3] == [
        "incident_type",
        "vehicle_description",
        "vehicle_was_locked",
    ]


# -- refusals -------------------------------------------------------------------------------------


def test_a_stale_edit_is_refused_with_both_values(world: World) -> None:
    report_id = written_report(world).report_id
    first = world.correct(
        report_id,
        {"answers": {"narrative": "Taken overnight."}, "reason": "Clearer", "revision": 0},
        world.other_reviewer,
    )
    assert first.status_code == 200, first.body

    stale = world.correct(
        report_id,
        {
            "answers": {"narrative": "Taken at night.", "reporter_phone": "(203) 555-0199"},
            "reason": "Mine",
            "revision": 0,
        },
    )

    assert stale.status_code == 409, stale.body
    error = stale.json_body["error"]
    assert error["code"] == "conflict" and error["revision"] == 1
    assert error["conflicts"]["narrative"] == {
        "yours": "Taken at night.",
        "current": "Taken overnight.",
    }
    assert (
        error["conflicts"]["reporter_phone"]["current"]
        != error["conflicts"]["reporter_phone"]["yours"]
    )
    assert set(error["fields"]) == set(error["conflicts"])
    assert stored(report_id).answers["narrative"] == "Taken overnight."
    assert stored(report_id).answers_revision == 1


def test_the_page_shows_a_stale_edit_side_by_side(world: World) -> None:
    report_id = written_report(world).report_id
    assert (
        world.correct(
            report_id, {"answers": {"narrative": "Taken overnight."}, "reason": "Clearer"}
        ).status_code
        == 200
    )
    clerk = world.staff_cookie(world.other_reviewer)
    form = form_fields(clerk, report_id)
    form.update(narrative="Taken at night.", reason="Mine", revision="0")

    refused = clerk.post_form(f"/staff/reports/{report_id}/corrections", form)

    assert refused.status_code == 409, refused.body
    html = refused.body.decode()
    assert "Someone saved first" in html
    table = html.split("Someone saved first", 1)[1].split("</table>", 1)[0]
    assert "Yours" in table and "Current" in table
    assert "Taken at night." in table and "Taken overnight." in table
    assert 'name="revision" value="1"' in html


def test_a_decided_or_withdrawn_report_is_not_corrected(world: World) -> None:
    for status in (ReportStatus.APPROVED, ReportStatus.REJECTED, ReportStatus.WITHDRAWN):
        report_id = written_report(world, status=status).report_id

        refused = world.correct(report_id, {"answers": {"narrative": "Edited."}, "reason": "x"})

        assert refused.status_code == 409, refused.body
        assert "can be corrected" in refused.json_body["error"]["message"]
        assert stored(report_id).answers["narrative"] != "Edited."
        assert not stored(report_id).corrections


def test_a_member_of_staff_without_a_group_is_refused(world: World) -> None:
    report_id = written_report(world).report_id

    refused = world.correct(
        report_id, {"answers": {"narrative": "Edited."}, "reason": "x"}, world.no_group
    )

    assert refused.status_code == 403, refused.body
    assert not stored(report_id).corrections


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": {"reporter_phone": "call me"}, "reason": "x"}, "reporter_phone"),
        (
            {
                "answers": {
                    "incident_location": {"line1": "1 A St", "city": "Riverton", "zip": "06615"}
                },
                "reason": "x",
            },
            "incident_location.city",
        ),
        ({"answers": {"no_such_question": "x"}, "reason": "x"}, "answers.no_such_question"),
        ({"answers": {"narrative": "Edited."}}, "reason"),
        ({"answers": {"narrative": "Edited."}, "reason": "   "}, "reason"),
        ({"answers": {"narrative": "Edited."}, "reason": "r" * 201}, "reason"),
        (
            {"answers": {"narrative": "Edited."}, "reason": "x", "incident_type": "arson"},
            "incident_type",
        ),
        ({"answers": {}, "reason": "Nothing really"}, "answers"),
    ],
    ids=[
        "invalid",
        "city_and_zip",
        "unknown",
        "no_reason",
        "blank_reason",
        "long_reason",
        "unknown_type",
        "nothing",
    ],
)
def test_bad_corrections_are_refused_naming_the_field(
    world: World, body: dict[str, Any], field: str
) -> None:
    report_id = written_report(world).report_id

    refused = world.correct(report_id, body)

    assert refused.status_code == 422, refused.body
    assert field in refused.json_body["error"]["fields"], refused.json_body
    assert not stored(report_id).corrections
    assert stored(report_id).answers_revision is None


def test_nothing_changed_says_so(world: World) -> None:
    report = written_report(world)

    same = world.correct(
        report.report_id, {"answers": {"narrative": report.answers["narrative"]}, "reason": "x"}
    )

    assert same.status_code == 422
    assert same.json_body["error"]["message"].startswith("Nothing to correct")


def test_a_report_full_of_corrections_takes_no_more_rather_than_fail_to_save(
    world: World,
) -> None:
    long_story = "A long account of what happened, corrected again and again. " * 45
    earlier = [
        {"question": "narrative", "old": long_story, "new": long_story, "by": "reviewer",
         "at": START.isoformat(), "reason": "Typing"}
        for _ in range(30)
    ]  # fmt: skip
    report = written_report(world, corrections=earlier, answers_revision=30)

    more = world.correct(
        report.report_id, {"answers": {"narrative": "Short."}, "reason": "x", "revision": 30}
    )

    assert more.status_code == 422, more.body
    assert "as many corrections as it can" in more.json_body["error"]["message"]
    assert stored(report.report_id).corrections == earlier


# -- screening, the audit trail -------------------------------------------------------------------


def test_a_screening_rule_warns_and_screens_nothing_out(world: World) -> None:
    report_id = written_report(world).report_id

    corrected = world.correct(
        report_id,
        {"answers": {"anyone_injured": True}, "reason": "The resident says a neighbour was hurt"},
    )

    assert corrected.status_code == 200, corrected.body
    assert corrected.json_body["warnings"] == [
        {"rule": "injury", "reason": "Someone was hurt, so an officer needs to take your report."}
    ]
    report = stored(report_id)
    assert report.status == ReportStatus.SUBMITTED and not report.screening_rule
    assert report.answers["anyone_injured"] is True
    assert report.contact_email  # nothing erased


def test_each_correction_is_audited_with_old_new_who_when_and_why(world: World) -> None:
    report_id = written_report(world).report_id
    world.deployment.clock.advance(minutes=5)

    assert (
        world.correct(
            report_id,
            {"answers": {"narrative": "Taken overnight."}, "reason": "Clearer"},
        ).status_code
        == 200
    )

    events = [event for event in AuditEvent.query(report_id) if event.action == "corrected"]
    assert len(events) == 1
    event = events[0]
    assert event.actor == "reviewer" and event.outcome == "succeeded"
    assert event.when == world.deployment.clock.now
    assert event.details == {
        "changes": [
            {
                "question": "narrative",
                "old": "My bicycle was taken from the rack outside my building overnight.",
                "new": "Taken overnight.",
            }
        ],
        "reason": "Clearer",
        "revision": 1,
    }
    correction = stored(report_id).corrections[0]
    assert correction["by"] == "reviewer"
    assert correction["at"] == world.deployment.clock.now.isoformat()


# -- the staff pages ------------------------------------------------------------------------------


def form_fields(clerk: PageClient, report_id: str) -> dict[str, str]:
    """The correction form's fields as the page fills them (inputs, checked radios, selects)."""
    import re

    page = clerk.get(f"/staff/reports/{report_id}/corrections")
    assert page.status_code == 200, page.body
    html = page.body.decode()
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "form_token":
            continue
        if 'type="radio"' in tag and " checked" not in tag:
            continue
        fields[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        fields[name] = body
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        fields[name] = chosen.group(1) if chosen else ""
    import html as entities

    return {name: entities.unescape(value) for name, value in fields.items()}


def test_the_page_corrects_and_the_report_page_lists_the_corrections(world: World) -> None:
    report_id = written_report(world).report_id
    clerk = world.staff_cookie(world.reviewer)
    report_page = clerk.get(f"/staff/reports/{report_id}").body.decode()
    assert f'href="/staff/reports/{report_id}/corrections">Correct the answers</a>' in report_page
    form = form_fields(clerk, report_id)
    assert form["reporter_name"] == "Zoë Łukasz-Muñoz" and form["incident_type"] == "theft"

    no_reason = clerk.post_form(
        f"/staff/reports/{report_id}/corrections", {**form, "reporter_name": NAME_FIXED}
    )
    assert no_reason.status_code == 422
    assert "There is a problem" in no_reason.body.decode()
    assert 'href="#reason"' in no_reason.body.decode()
    assert NAME_FIXED in no_reason.body.decode()  # what was typed is kept

    saved = clerk.post_form(
        f"/staff/reports/{report_id}/corrections",
        {**form, "reporter_name": NAME_FIXED, "reason": "Second surname"},
    )

    assert saved.status_code == 303, saved.body
    assert saved.headers["Location"].endswith(f"/staff/reports/{report_id}?done=corrected")
    assert [c["question"] for c in stored(report_id).corrections] == ["reporter_name"]
    shown = clerk.get(f"/staff/reports/{report_id}?done=corrected").body.decode()
    assert "Corrections saved" in shown
    table = shown.split('id="corrections"', 1)[1].split("</table>", 1)[0]
    assert "Full name" in table and NAME_FIXED in table and "Zoë Łukasz-Muñoz" in table
    assert "reviewer" in table and "Second surname" in table


def test_the_page_reclassifies_and_shows_warnings(world: World) -> None:
    report_id = written_report(world).report_id
    clerk = world.staff_cookie(world.reviewer)
    form = form_fields(clerk, report_id)

    shown = clerk.post_form(
        f"/staff/reports/{report_id}/corrections",
        {**form, "incident_type": "theft_from_vehicle", "action": "type"},
    )
    assert shown.status_code == 200
    assert 'name="vehicle_description"' in shown.body.decode()
    missing = clerk.post_form(
        f"/staff/reports/{report_id}/corrections",
        {**form, "incident_type": "theft_from_vehicle", "reason": "From a car"},
    )
    assert missing.status_code == 422
    assert 'href="#vehicle_description"' in missing.body.decode()

    saved = clerk.post_form(
        f"/staff/reports/{report_id}/corrections",
        {
            **form,
            "incident_type": "theft_from_vehicle",
            "vehicle_description": "Blue Honda Civic",
            "vehicle_was_locked": "no",
            "weapon_involved": "yes",
            "reason": "From a car; a knife was shown",
        },
    )

    assert saved.status_code == 303, saved.body
    assert saved.headers["Location"].endswith(f"/staff/reports/{report_id}/corrections?saved=1")
    warned = clerk.get(f"/staff/reports/{report_id}/corrections?saved=1").body.decode()
    assert "Corrections saved" in warned
    assert "A weapon was involved, so an officer needs to take your report." in warned
    assert stored(report_id).incident_type == "theft_from_vehicle"
    assert stored(report_id).status == ReportStatus.SUBMITTED


def test_a_decided_report_has_no_correction_form(world: World) -> None:
    report_id = written_report(world, status=ReportStatus.APPROVED).report_id
    clerk = world.staff_cookie(world.reviewer)

    assert clerk.get(f"/staff/reports/{report_id}/corrections").status_code == 409
    assert "Correct the answers" not in clerk.get(f"/staff/reports/{report_id}").body.decode()


# -- the search index is told, in the same transaction --------------------------------------------


class RecordingTerms:
    """Stands in for the staff search's index: what it was told, and a write of its own."""

    def __init__(self) -> None:
        self.told: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def reindex(self, transaction: Any, before: Report, after: Report) -> None:
        self.told.append((dict(before.answers or {}), dict(after.answers or {})))
        transaction.save(
            AuditEvent(
                subject=f"terms#{after.report_id}",
                event_id="reindexed",
                at=START.isoformat(),
                actor="terms",
                action="reindexed",
                outcome="succeeded",
            )
        )


def test_the_term_index_is_told_before_and_after_in_the_same_transaction(world: World) -> None:
    current = world.services
    terms = RecordingTerms()
    corrections = Corrections(
        agency=current.agency,
        store=current.store,
        audit=current.audit,
        terms=terms,
        clock=current.clock,
    )
    report_id = written_report(world).report_id
    member = StaffMember("reviewer", frozenset({"reviewers"}), START)

    corrections.correct(member, report_id, {"reporter_name": NAME_FIXED}, None, "Surname", 0)

    [(before, after)] = terms.told
    assert before["reporter_name"] == "Zoë Łukasz-Muñoz" and after["reporter_name"] == NAME_FIXED
    assert [e.action for e in AuditEvent.query(f"terms#{report_id}")] == ["reindexed"]
    with pytest.raises(StaleEdit):  # refused: neither its write nor the index's is kept
        corrections.correct(member, report_id, {"narrative": "Edited."}, None, "x", 0)
    assert stored(report_id).answers["narrative"] != "Edited."


def test_a_stale_edit_to_a_type_since_changed_is_409_not_422(world: World) -> None:
    report = written_report(world)
    items = report.answers["stolen_items"]
    moved = world.correct(
        report.report_id,
        {
            "incident_type": "stolen_bicycle",
            "answers": {"bicycle_description": "Black Trek", "bicycle_value": "450"},
            "reason": "It was the bicycle",
        },
        world.other_reviewer,
    )
    assert moved.status_code == 200, moved.body

    stale = world.correct(
        report.report_id,
        {"answers": {"stolen_items": [{**items[0], "value": "500"}]}, "reason": "Value"},
    )

    assert stale.status_code == 409, stale.body
    conflict = stale.json_body["error"]["conflicts"]["stolen_items"]
    assert conflict["yours"][0]["value"] == "500" and conflict["current"] is None


def test_a_correction_costs_one_read_and_one_transaction(
    world: World, aws_calls: list[str]
) -> None:
    report_id = written_report(world).report_id
    world.correct(report_id, {"answers": {"narrative": "Warm-up."}, "reason": "x"})  # the session
    aws_calls.clear()

    corrected = world.correct(
        report_id, {"answers": {"narrative": "Taken overnight."}, "reason": "x", "revision": 1}
    )

    assert corrected.status_code == 200, corrected.body
    # the staff session, the report, and the correction with its audit event
    assert aws_calls == ["dynamodb:GetItem", "dynamodb:GetItem", "dynamodb:TransactWriteItems"]
