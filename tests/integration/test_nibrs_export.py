"""On approval the export stores the NIBRS document beside the JSON and names it in the event;
an invalid one is never stored, and the export is marked failed with the schema's reasons in
words (the JSON still goes out). Until the builder lands, a stand-in decides its verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from jsonschema import Draft202012Validator

from chalicelib import nibrs
from chalicelib.errors import Conflict
from chalicelib.models import Report
from chalicelib.records import NibrsRefused, export_key, nibrs_key
from chalicelib.review.staff import StaffMember
from chalicelib.services import Services
from tests.support.deployment import START
from tests.support.nibrs import SERIAL_MISSING, StandIn, profile_of, stand_in, with_nibrs
from tests.support.reports import approved_report

SCHEMA_PATH = Path(__file__).parents[2] / "chalicelib" / "schemas" / "records-export.v1.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
STATE_MACHINE = Path(__file__).parents[2] / "infra" / "statemachines" / "review.asl.json"


@pytest.fixture
def approved(system: Services) -> Report:
    system.aws.s3.create_bucket(Bucket=system.settings.bucket_name)
    report = approved_report()
    report.save()
    return report


@pytest.fixture
def sent_events(system: Services, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The entries the export gives EventBridge (and EventBridge takes)."""
    entries: list[dict[str, Any]] = []
    events = system.aws.events
    original = events.put_events

    def recorded(**params: Any) -> Any:
        entries.extend(params["Entries"])
        return original(**params)

    monkeypatch.setattr(events, "put_events", recorded)
    return entries


def stored(system: Services, key: str) -> Any:
    return system.aws.s3.get_object(Bucket=system.settings.bucket_name, Key=key)


def has_object(system: Services, key: str) -> bool:
    try:
        system.aws.s3.head_object(Bucket=system.settings.bucket_name, Key=key)
    except ClientError:
        return False
    return True


def test_the_export_writes_both_documents_and_the_event_names_the_xml(
    system: Services,
    approved: Report,
    sent_events: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    aws_calls: list[str],
) -> None:
    builder = stand_in(monkeypatch, StandIn())
    with profile_of(system, with_nibrs(system.agency)):
        aws_calls.clear()
        done = system.review_steps.run(
            {"step": "export_to_records", "report_id": approved.report_id}
        )

    assert done == {"key": export_key(approved.report_id)}
    assert builder.calls == ["RPD-2026-000007"], "built once, with the case number"
    assert aws_calls == [
        "dynamodb:GetItem",  # the report
        "s3:PutObject",  # the JSON
        "s3:PutObject",  # the NIBRS XML: the one call more
        "events:PutEvents",
        "dynamodb:TransactWriteItems",  # exported, with its audit event
    ]
    xml = stored(system, nibrs_key(approved.report_id))
    assert xml["ContentType"] == "application/xml"
    assert b"<nibrs:IncidentNumber>RPD-2026-000007<" in xml["Body"].read()
    bucket = system.settings.bucket_name
    (entry,) = sent_events
    assert entry["Resources"] == [
        f"{bucket}/exports/RPD-7K4M-Q2XH.json",
        f"{bucket}/exports/RPD-7K4M-Q2XH.nibrs.xml",
    ]
    detail = json.loads(entry["Detail"])
    Draft202012Validator(SCHEMA).validate(detail)
    assert detail == json.loads(stored(system, export_key(approved.report_id))["Body"].read()), (
        "the event's detail is the JSON document, unchanged"
    )
    assert Report.get(approved.report_id).exported_at is not None


def test_without_a_nibrs_section_the_export_is_the_json_alone(
    system: Services,
    approved: Report,
    sent_events: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    aws_calls: list[str],
) -> None:
    builder = stand_in(monkeypatch, StandIn())
    with profile_of(system, system.agency.model_copy(update={"nibrs": None})):
        aws_calls.clear()
        system.export.publish(approved)

    assert builder.calls == [], "no document is made, and nothing says one failed"
    assert aws_calls == ["s3:PutObject", "events:PutEvents"]
    assert not has_object(system, nibrs_key(approved.report_id))
    assert sent_events[0]["Resources"] == [
        f"{system.settings.bucket_name}/exports/RPD-7K4M-Q2XH.json"
    ]


def test_a_type_not_reportable_exports_the_json_alone(
    system: Services, approved: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in(monkeypatch, StandIn(reportable=False))
    with profile_of(system, with_nibrs(system.agency)):
        system.review_steps.run({"step": "export_to_records", "report_id": approved.report_id})

    assert has_object(system, export_key(approved.report_id))
    assert not has_object(system, nibrs_key(approved.report_id))
    assert Report.get(approved.report_id).exported_at is not None, "not a failure"


def test_an_invalid_document_marks_the_export_failed_with_the_reason_and_stores_nothing(
    system: Services,
    approved: Report,
    sent_events: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stand_in(monkeypatch, StandIn(problems=(SERIAL_MISSING,)))
    with profile_of(system, with_nibrs(system.agency, approve_invalid=True)):
        with pytest.raises(NibrsRefused) as refused:
            system.review_steps.run({"step": "export_to_records", "report_id": approved.report_id})

        assert not has_object(system, nibrs_key(approved.report_id)), "never stored"
        assert has_object(system, export_key(approved.report_id)), "the JSON still goes out"
        assert len(sent_events) == 1 and len(sent_events[0]["Resources"]) == 1
        # What reaches the Lambda's log names the element only, never an answer.
        assert str(refused.value) == (
            "The NIBRS document is not valid: Property description (element 15)"
        )
        trail = [(e.action, e.outcome, e.details) for e in system.audit.history(approved.report_id)]
        assert (
            "nibrs_refused",
            "failed",
            {"problems": f"{SERIAL_MISSING.element}: {SERIAL_MISSING.message}"},
        ) in trail
        assert Report.get(approved.report_id).exported_at is None

        # The state machine does not retry it (nothing would change), and its catch marks
        # the export failed, as for an export that could not be delivered.
        state = json.loads(STATE_MACHINE.read_text())["States"]["ExportToRecords"]
        retried = {name for retry in state["Retry"] for name in retry["ErrorEquals"]}
        assert "NibrsRefused" not in retried and "ExportFailed" in retried
        assert [c["Next"] for c in state["Catch"] if "States.ALL" in c["ErrorEquals"]] == [
            "ExportFailed"
        ]
        Report._get_connection().update_item(
            approved.report_id, actions=[Report.export_state.set("failed")]
        )
        assert [r.report_id for r in system.desk.failed_exports()] == [approved.report_id]

        # An administrator's re-push says why in words (409), and it stays owed.
        admin = StaffMember("admin", frozenset({"admins"}), START)
        with pytest.raises(Conflict) as repushed:
            system.desk.repush_export(admin, approved.report_id)
        assert SERIAL_MISSING.message in repushed.value.message
        assert repushed.value.fields == {
            "stolen_items": f"{SERIAL_MISSING.element}: {SERIAL_MISSING.message}"
        }
        assert [r.report_id for r in system.desk.failed_exports()] == [approved.report_id]
        outcomes = [(e.action, e.outcome) for e in system.audit.history(approved.report_id)]
        assert ("export_repushed", "nibrs_refused") in outcomes

        # Fixed (here: the builder's verdict), the re-push stores it and the export is done.
        stand_in(monkeypatch, StandIn())
        system.desk.repush_export(admin, approved.report_id)
    assert has_object(system, nibrs_key(approved.report_id))
    assert system.desk.failed_exports() == []


def test_the_real_builder_s_document_of_a_demo_report_is_stored_beside_the_json(
    system: Services, approved: Report, sent_events: list[dict[str, Any]]
) -> None:
    with profile_of(system, with_nibrs(system.agency)):
        document = nibrs.nibrs_document(
            approved, system.agency, case_number=approved.case_number, now=START
        )
        assert document.valid, document.problems
        system.export.publish(approved)

    body = stored(system, nibrs_key(approved.report_id))["Body"].read()
    assert body == document.xml
    assert b"Submission" in body
    assert sent_events[0]["Resources"][1].endswith("/exports/RPD-7K4M-Q2XH.nibrs.xml")


def statements_of(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    policies = resources[role]["Properties"]["Policies"]
    return [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]


def test_the_api_handler_reads_nibrs_documents_only_when_the_profile_makes_them() -> None:
    from chalicelib.agency import load_profile
    from infra.template import merge_template

    demo = load_profile("demo")
    reading = {"Fn::Sub": "${ReportsBucket.Arn}/exports/*.nibrs.xml"}
    off = merge_template(demo.model_copy(update={"nibrs": None}))["Resources"]
    assert reading not in [s["Resource"] for s in statements_of(off, "ApiHandlerRole")]
    on = merge_template(with_nibrs(demo))["Resources"]
    reads = [s for s in statements_of(on, "ApiHandlerRole") if s["Resource"] == [reading]]
    assert [s["Action"] for s in reads] == [["s3:GetObject"]], "the .nibrs.xml keys only"
    assert "exports/*.json" not in json.dumps(on["ApiHandlerRole"])
    # The review step already writes exports/*: the XML needs no new right.
    assert {"Fn::Sub": "${ReportsBucket.Arn}/exports/*"} in [
        resource
        for s in statements_of(on, "ReviewStepRole")
        if "s3:PutObject" in s["Action"]
        for resource in s["Resource"]
    ]
