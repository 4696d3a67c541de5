"""The records-system export: its schema, S3 and EventBridge, a failure and the re-push."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from chalicelib.models import Report
from chalicelib.records import EVENT_SOURCE, ExportFailed, export_document, export_key
from chalicelib.services import Services
from tests.support.deployment import START
from tests.support.reports import approved_report

SCHEMA_PATH = Path(__file__).parents[2] / "chalicelib" / "schemas" / "records-export.v1.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())


@pytest.fixture
def approved(system: Services) -> Report:
    system.aws.s3.create_bucket(Bucket=system.settings.bucket_name)
    report = approved_report()
    report.save()
    return report


def test_the_schema_itself_is_valid() -> None:
    Draft202012Validator.check_schema(SCHEMA)


def test_the_export_document_follows_its_schema(system: Services, approved: Report) -> None:
    document = export_document(system.agency, approved)

    Draft202012Validator(SCHEMA).validate(document)
    assert document["case_number"] == "RPD-2026-000007"
    assert document["offense"] == {
        "code": "23H",
        "incident_type": "theft",
        "label": "Something was stolen",
    }
    assert document["incident"]["location"]["city"] == "Riverton"
    assert document["property_total"] == "485.50"
    assert document["reporter"]["name"] == "Zoë Łukasz-Muñoz"


def names_no_encryption(stored: Mapping[str, Any]) -> bool:
    """Copies and exports take the bucket's default encryption, which the stack sets to its data
    key (tests/integration/test_stack_template.py): moto reports none for such an object."""
    return "ServerSideEncryption" not in stored


def test_an_export_goes_to_s3_and_eventbridge(system: Services, approved: Report) -> None:
    events = system.aws.events
    events.create_event_bus(Name="rms")
    events.put_rule(
        Name="all", EventBusName="rms", EventPattern=json.dumps({"source": [EVENT_SOURCE]})
    )
    rms = system.with_settings(records_event_bus="rms")
    key = rms.review_steps.run({"step": "export_to_records", "report_id": approved.report_id})[
        "key"
    ]

    stored = system.aws.s3.get_object(Bucket=system.settings.bucket_name, Key=key)
    assert key == export_key(approved.report_id)
    assert names_no_encryption(stored)
    Draft202012Validator(SCHEMA).validate(json.loads(stored["Body"].read()))
    assert Report.get(approved.report_id).exported_at is not None, "the step writes it down"


def test_a_refused_event_is_an_export_failure(system: Services, approved: Report) -> None:
    export = system.with_settings(records_event_bus="missing-bus").export

    with pytest.raises(ExportFailed):
        export.publish(approved)


def test_a_copy_is_stored_encrypted_under_the_reference_and_overwritten_on_a_rerun(
    system: Services, approved: Report
) -> None:
    first = system.copies.store(approved)
    second = system.copies.store(approved)

    bucket = system.settings.bucket_name
    listed = system.aws.s3.list_objects_v2(Bucket=bucket, Prefix="copies/")["Contents"]
    assert first == second == "copies/RPD-7K4M-Q2XH.pdf"
    assert [item["Key"] for item in listed] == [first]
    head = system.aws.s3.head_object(Bucket=bucket, Key=first)
    assert head["ContentType"] == "application/pdf"
    assert names_no_encryption(head)


def test_only_an_approved_report_has_a_copy(system: Services, approved: Report) -> None:
    from chalicelib.errors import Conflict

    approved.status = "rejected"

    with pytest.raises(Conflict):
        system.copies.store(approved)


def test_failed_exports_are_listed_and_repushed(system: Services, approved: Report) -> None:
    from chalicelib.review.staff import StaffMember

    Report._get_connection().update_item(
        approved.report_id, actions=[Report.export_state.set("failed")]
    )
    assert [r.report_id for r in system.desk.failed_exports()] == [approved.report_id]
    admin = StaffMember("admin", frozenset({"admins"}), START)

    key: Any = system.desk.repush_export(admin, approved.report_id)

    assert key == export_key(approved.report_id)
    assert system.desk.failed_exports() == []
    actions = [(e.action, e.outcome) for e in system.audit.history(approved.report_id)]
    assert ("export_repushed", "succeeded") in actions


def test_the_copy_link_expires_in_minutes_and_is_signed(system: Services, approved: Report) -> None:
    from urllib.parse import parse_qs, urlsplit

    system.copies.store(approved)

    query = parse_qs(urlsplit(system.copies.link(approved)).query)

    assert query["X-Amz-Expires"] == ["300"]
    assert query["X-Amz-Signature"][0]
    assert 'filename="RPD-2026-000007.pdf"' in query["response-content-disposition"][0]


def test_no_copy_link_before_the_copy_exists(system: Services, approved: Report) -> None:
    from chalicelib.errors import Conflict

    with pytest.raises(Conflict):
        system.copies.link(approved)
