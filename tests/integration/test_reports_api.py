"""Reporting through the JSON API on moto in-process: the contract, bad input, idempotency."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.mail import RecordingOutbox
from chalicelib.models import Report
from tests.support.answers import THEFT_STEPS, theft_answers
from tests.support.deployment import START, FakeClock, InstantReview

JSON = {"Content-Type": "application/json"}


def call(client: Client, method: str, path: str, auth: dict[str, str], body: Any = None) -> Any:
    payload = None if body is None else body if isinstance(body, str) else json.dumps(body)
    return getattr(client.http, method)(path, body=payload, headers={**JSON, **auth})


def sign_in(client: Client, outbox: RecordingOutbox, address: str) -> dict[str, str]:
    call(client, "post", "/api/verifications", {}, {"email": address})
    token = re.findall(r"token=([\w-]+)", outbox.as_json()[-1]["text"])[0]
    session = call(client, "post", "/api/sessions", {}, {"token": token}).json_body["session"]
    return {"Authorization": f"Bearer {session}"}


@pytest.fixture
def auth(client: Client, outbox: RecordingOutbox) -> dict[str, str]:
    return sign_in(client, outbox, "ana@example.com")


def start(client: Client, auth: dict[str, str], incident_type: str = "theft") -> dict[str, Any]:
    response = call(client, "post", "/api/reports", auth, {"incident_type": incident_type})
    assert response.status_code == 201
    body: dict[str, Any] = response.json_body
    return body


def answer_all(client: Client, auth: dict[str, str], report: dict[str, Any]) -> Any:
    answers = theft_answers(START.date())
    response = None
    for step in report["steps"]:
        step_answers = {question: answers[question] for question in step["questions"]}
        response = call(
            client, "patch", f"/api/reports/{report['id']}", auth, {"answers": step_answers}
        )
        assert response.status_code == 200, response.json_body
    return response


def test_a_new_report_is_a_draft_with_its_steps(client: Client, auth: dict[str, str]) -> None:
    report = start(client, auth)

    assert report["status"] == "draft"
    assert report["id"] == report["reference"]
    assert [step["id"] for step in report["steps"]] == THEFT_STEPS
    assert report["next_step"]["id"] == "urgency"
    assert report["complete"] is False


def test_the_agency_profile_lists_every_question_in_each_language(client: Client) -> None:
    english = client.http.get("/api/agency").json_body
    spanish = client.http.get("/api/agency?language=es").json_body

    theft = english["incident_types"][0]
    assert theft["steps"][0]["questions"][0]["kind"] == "yes_no"
    assert spanish["incident_types"][0]["label"] == "Me robaron algo"
    assert spanish["language"] == "es"


def test_answers_are_saved_step_by_step_until_complete(
    client: Client, auth: dict[str, str]
) -> None:
    report = start(client, auth)

    final = answer_all(client, auth, report).json_body

    assert final["complete"] is True and final["next_step"] is None
    stored = client.http.get(f"/api/reports/{report['id']}", headers=auth).json_body
    assert stored["answers"]["stolen_items"][1] == {
        "description": "Bike lock",
        "serial": "",
        "value": "35.50",
        "kind": "other",
    }


def test_submission_is_idempotent_one_report_one_email_one_workflow(
    client: Client, auth: dict[str, str], outbox: RecordingOutbox, review: InstantReview
) -> None:
    report = start(client, auth)
    answer_all(client, auth, report)
    emails_before = len(outbox.as_json())

    first = call(client, "post", f"/api/reports/{report['id']}/submit", auth)
    second = call(client, "post", f"/api/reports/{report['id']}/submit", auth)

    assert first.status_code == second.status_code == 200
    assert first.json_body["status"] == second.json_body["status"] == "submitted"
    assert review.started == [report["id"]]
    confirmations = outbox.as_json()[emails_before:]
    assert len(confirmations) == 1
    assert report["reference"] in confirmations[0]["subject"]
    assert "at least 5 business days" in confirmations[0]["text"]
    assert f"/report/{report['id']}" in confirmations[0]["html"]
    listed = client.http.get("/api/reports", headers=auth).json_body["items"]
    assert [item["id"] for item in listed] == [report["id"]]


def test_submission_makes_the_fewest_aws_calls(
    client: Client,
    auth: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    review: InstantReview,
    aws_calls: list[str],
) -> None:
    report = start(client, auth)
    answer_all(client, auth, report)
    monkeypatch.setattr(
        review, "start", lambda report_id: aws_calls.append("states:StartExecution")
    )
    aws_calls.clear()

    call(client, "post", f"/api/reports/{report['id']}/submit", auth)

    assert aws_calls == [
        "dynamodb:GetItem",  # the session
        "dynamodb:GetItem",  # the report
        "dynamodb:UpdateItem",  # the resident's submissions today (a daily cap)
        "dynamodb:TransactWriteItems",  # draft -> submitted, conditionally, with its audit event
        "states:StartExecution",
    ]


def test_an_incomplete_report_cannot_be_submitted(client: Client, auth: dict[str, str]) -> None:
    report = start(client, auth)

    response = call(client, "post", f"/api/reports/{report['id']}/submit", auth)

    fields = response.json_body["error"]["fields"]
    assert response.status_code == 422
    assert fields["narrative"] == "Describe what happened"
    assert fields["reporter_name"] == "Enter your full name"
    assert len(set(fields.values())) == len(fields)  # each names its question


def test_a_submitted_report_can_no_longer_be_edited(client: Client, auth: dict[str, str]) -> None:
    report = start(client, auth)
    answer_all(client, auth, report)
    call(client, "post", f"/api/reports/{report['id']}/submit", auth)

    response = call(
        client, "patch", f"/api/reports/{report['id']}", auth, {"answers": {"narrative": "changed"}}
    )

    assert response.status_code == 409
    assert Report.get(report["id"]).answers["narrative"].startswith("My bicycle")


def test_a_screening_rule_ends_the_report_and_erases_its_answers(
    client: Client, auth: dict[str, str], clock: FakeClock
) -> None:
    report = start(client, auth)
    call(
        client, "patch", f"/api/reports/{report['id']}", auth, {"answers": {"happening_now": False}}
    )

    response = call(
        client,
        "patch",
        f"/api/reports/{report['id']}",
        auth,
        {"answers": {"anyone_injured": False, "weapon_involved": True, "suspect_known": False}},
    )

    body = response.json_body
    assert response.status_code == 200
    assert body["status"] == "screened_out"
    assert body["screening"]["rule"] == "weapon"
    assert body["screening"]["instructions"] == (
        "Call the non-emergency line, (555) 010-4400, and an officer will take your report."
    )
    stored = Report.get(report["id"])
    contact_email: str | None = stored.contact_email  # null=True, which pynamodb's types omit
    assert stored.answers is None and contact_email is None
    assert stored.expires_at == clock.now.replace(microsecond=0) + timedelta(days=30)
    again = call(
        client,
        "patch",
        f"/api/reports/{report['id']}",
        auth,
        {"answers": {"weapon_involved": False}},
    )
    assert again.status_code == 409
    assert call(client, "post", f"/api/reports/{report['id']}/submit", auth).status_code == 409


def test_happening_now_means_call_911(client: Client, auth: dict[str, str]) -> None:
    report = start(client, auth)

    body = call(
        client, "patch", f"/api/reports/{report['id']}", auth, {"answers": {"happening_now": True}}
    ).json_body

    assert body["screening"]["call"] == "911"
    assert body["screening"]["instructions"] == "Call 911 now."


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"happening_now": "perhaps"}, "happening_now"),
        ({"incident_date": "2999-01-01"}, "incident_date"),
        ({"incident_date": "yesterday"}, "incident_date"),
        ({"narrative": "a right-to-left\u202eoverride"}, "narrative"),
        ({"reporter_phone": "call me maybe"}, "reporter_phone"),
        ({"incident_date": START.date().isoformat(), "incident_time": "23:59"}, "incident_time"),
        (
            {"incident_location": {"line1": "1 Main", "city": "Riverton", "zip": "10004"}},
            "incident_location.zip",
        ),
        (
            {"incident_location": {"line1": "1 Main", "city": "New York", "zip": "06600"}},
            "incident_location.city",
        ),
        ({"narrative": "x" * 3001}, "narrative"),
        ({"narrative": "tab\tand null\x00"}, "narrative"),
        ({"reporter_name": ["not", "text"]}, "reporter_name"),
        ({"stolen_items": [{"description": "Phone", "value": "-20"}]}, "stolen_items.0.value"),
        ({"stolen_items": "a phone"}, "stolen_items"),
        (
            {"incident_location": {"line1": "1 Main", "city": "Riverton", "zip": "ABCDE"}},
            "incident_location.zip",
        ),
        ({"favourite_colour": "blue"}, "answers.favourite_colour"),
        ({"fraud_payment": "gift_cards"}, "answers.fraud_payment"),
    ],
)
def test_bad_answers_get_422_with_the_field_named_and_nothing_lost(
    client: Client, auth: dict[str, str], answers: dict[str, Any], field: str
) -> None:
    report = start(client, auth)
    call(
        client, "patch", f"/api/reports/{report['id']}", auth, {"answers": {"happening_now": False}}
    )

    response = call(client, "patch", f"/api/reports/{report['id']}", auth, {"answers": answers})

    assert response.status_code == 422
    assert field in response.json_body["error"]["fields"]
    assert Report.get(report["id"]).answers == {"happening_now": False}


@pytest.mark.parametrize(
    ("body", "status"),
    [("", 400), ("[]", 400), ({}, 422), ({"answers": []}, 422), ({"answers": {}}, 422)],
)
def test_malformed_patch_bodies(
    client: Client, auth: dict[str, str], body: Any, status: int
) -> None:
    report = start(client, auth)

    assert call(client, "patch", f"/api/reports/{report['id']}", auth, body).status_code == status


@pytest.mark.parametrize("incident_type", ["burglary", "", None, 7])
def test_an_unknown_incident_type_is_refused(
    client: Client, auth: dict[str, str], incident_type: object
) -> None:
    response = call(client, "post", "/api/reports", auth, {"incident_type": incident_type})

    assert response.status_code == 422


def test_another_residents_report_does_not_exist_for_you(
    client: Client, auth: dict[str, str], outbox: RecordingOutbox
) -> None:
    report = start(client, auth)
    stranger = sign_in(client, outbox, "someone.else@example.com")

    for method, path, body in [
        ("get", f"/api/reports/{report['id']}", None),
        ("patch", f"/api/reports/{report['id']}", {"answers": {"happening_now": False}}),
        ("post", f"/api/reports/{report['id']}/submit", None),
    ]:
        response = call(client, method, path, stranger, body)
        assert response.status_code == 404
    assert client.http.get("/api/reports", headers=stranger).json_body == {"items": []}
    assert call(client, "get", "/api/reports/RPD-2222-2222", auth).status_code == 404


def test_report_routes_need_a_session(client: Client) -> None:
    for method, path in [
        ("get", "/api/reports"),
        ("post", "/api/reports"),
        ("get", "/api/reports/X"),
    ]:
        assert call(client, method, path, {}, {} if method == "post" else None).status_code == 401


def test_a_report_is_answered_in_its_language(client: Client, auth: dict[str, str]) -> None:
    report = call(
        client, "post", "/api/reports", auth, {"incident_type": "theft", "language": "es"}
    ).json_body

    assert report["steps"][0]["title"] == "¿Puede reportarlo en línea?"
    assert (
        call(
            client, "post", "/api/reports", auth, {"incident_type": "theft", "language": "fr"}
        ).status_code
        == 422
    )


def patch(client: Client, auth: dict[str, str], report: dict[str, Any], answers: Any) -> Any:
    return call(client, "patch", f"/api/reports/{report['id']}", auth, {"answers": answers})


def test_typed_markup_and_emoji_are_stored_as_text(client: Client, auth: dict[str, str]) -> None:
    report = start(client, auth)
    typed = "I <3 it <script>alert('x')</script> 👨‍👩‍👧 סוף"
    patch(client, auth, report, {"happening_now": False})

    response = patch(client, auth, report, {"narrative": typed})

    assert response.status_code == 200, response.json_body
    assert response.json_body["answers"]["narrative"] == typed
    assert Report.get(report["id"]).answers["narrative"] == typed


def test_each_error_names_its_question(client: Client, auth: dict[str, str]) -> None:
    report = start(client, auth)

    english = patch(client, auth, report, {"reporter_name": "", "reporter_phone": "x"})
    fields = english.json_body["error"]["fields"]

    assert english.status_code == 422
    assert fields == {
        "reporter_name": "Enter your full name",
        "reporter_phone": "Your phone number must be a phone number, like (201) 555-0123",
    }


def test_a_phone_number_is_stored_in_one_format(client: Client, auth: dict[str, str]) -> None:
    report = start(client, auth)

    response = patch(client, auth, report, {"reporter_phone": "+1 203.555.0142"})

    assert response.json_body["answers"]["reporter_phone"] == "(203) 555-0142"


def test_outside_the_area_says_whom_to_contact_without_contradiction(
    client: Client, auth: dict[str, str]
) -> None:
    report = start(client, auth)
    outside = {"line1": "1 Broad St", "city": "New York", "zip": "10004"}

    body = patch(client, auth, report, {"incident_location": outside}).json_body

    assert body["status"] == "screened_out"
    screening = body["screening"]
    assert screening["rule"] == "outside_jurisdiction"
    assert "police department where it happened" in screening["reason"]
    assert "an officer will take your report" not in screening["instructions"]
    assert screening["instructions"].startswith("Contact the police department")
    assert screening["call"] == "(555) 010-4400"


def test_each_error_names_its_question_in_spanish(client: Client, auth: dict[str, str]) -> None:
    created = call(
        client, "post", "/api/reports", auth, {"incident_type": "theft", "language": "es"}
    )
    report = created.json_body
    blank = {"anyone_injured": "", "weapon_involved": "", "suspect_known": ""}

    fields = patch(client, auth, report, blank).json_body["error"]["fields"]

    assert fields == {
        "anyone_injured": "Seleccione «Sí» si alguien resultó herido",
        "weapon_involved": "Seleccione «Sí» si se usó o se mostró un arma",
        "suspect_known": "Seleccione «Sí» si sabe quién lo hizo o podría nombrar a esa persona",
    }
