"""With `attachments.malware_scan`, a file is taken only once GuardDuty Malware Protection has
tagged it clean, on moto in-process.

moto has no GuardDuty: these tests tag the quarantined object as GuardDuty does
(`GuardDutyMalwareScanStatus`, with the values its guide lists), and check the plan the stack
declares. The API, the World and the fake file checker are those of test_attachments_api.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient

from chalicelib.agency import load_profile
from infra.template import merge_template
from tests.integration import test_attachments_api as attachments
from tests.integration.test_attachments_api import JPEG, OWNER, World, limit
from tests.support.aws_call_recorder import summary
from tests.support.deployment import Deployment, FakeClock

# The fixtures of the attachments API's tests: moto with the bucket, the fake file checker.
fake_inspection = attachments.fake_inspection
deployment = attachments.deployment
world = attachments.world


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # private: not in the stubs

    def recorded(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        made.append(summary(self.meta.service_model.service_name, operation, params)["operation"])
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    return made


@pytest.fixture
def scanning(world: World) -> Iterator[World]:
    limit(world, malware_scan=True)
    yield world


def tag(world: World, form: dict[str, Any], status: str) -> None:
    """What GuardDuty does when its scan of the object ends."""
    world.services.aws.s3.put_object_tagging(
        Bucket=world.services.settings.bucket_name,
        Key=form["fields"]["key"],
        Tagging={"TagSet": [{"Key": "GuardDutyMalwareScanStatus", "Value": status}]},
    )


def uploaded(world: World) -> tuple[dict[str, str], str, dict[str, Any]]:
    ana = world.resident(OWNER)
    report_id = world.draft(ana)
    form = world.offer(ana, report_id).json_body
    world.upload(form, JPEG)
    return ana, report_id, form


def test_without_the_flag_no_tag_is_read(world: World, calls: list[str]) -> None:
    ana, report_id, _form = uploaded(world)
    calls.clear()

    (item,) = world.listed(ana, report_id)["items"]

    assert item["state"] == "accepted"
    assert "GetObjectTagging" not in calls and calls.count("GetObject") == 1


def test_a_file_waits_for_its_verdict_then_a_clean_one_is_taken(
    scanning: World, calls: list[str]
) -> None:
    ana, report_id, form = uploaded(scanning)
    calls.clear()

    (waiting,) = scanning.listed(ana, report_id)["items"]
    before_the_verdict = list(calls)
    tag(scanning, form, "NO_THREATS_FOUND")
    calls.clear()
    (item,) = scanning.listed(ana, report_id)["items"]

    assert waiting["state"] == "waiting"
    assert before_the_verdict.count("GetObjectTagging") == 1
    assert "GetObject" not in before_the_verdict, "not read before GuardDuty says it is clean"
    assert "UpdateItem" not in before_the_verdict
    assert item["state"] == "accepted"
    assert calls.count("GetObjectTagging") == 1 and calls.count("GetObject") == 1
    assert scanning.objects() == [
        f"attachments/{report_id}/{form['id']}.jpg",
        f"attachments/{report_id}/{form['id']}.thumb.jpg",
    ]


def test_a_file_with_a_threat_is_refused_and_deleted_unread(
    scanning: World, calls: list[str]
) -> None:
    ana, report_id, form = uploaded(scanning)
    tag(scanning, form, "THREATS_FOUND")
    calls.clear()

    (item,) = scanning.listed(ana, report_id)["items"]

    assert (item["state"], item["reason_code"]) == ("refused", "malware")
    assert item["reason"] == "This file was refused because a virus check found a threat in it."
    assert "GetObject" not in calls
    assert scanning.objects() == []


@pytest.mark.parametrize("status", ["UNSUPPORTED", "ACCESS_DENIED", "FAILED", "SOMETHING_NEW"])
def test_a_scan_that_could_not_finish_refuses_the_file_as_unchecked(
    scanning: World, status: str
) -> None:
    ana, report_id, form = uploaded(scanning)
    tag(scanning, form, status)

    (item,) = scanning.listed(ana, report_id)["items"]

    assert (item["state"], item["reason_code"]) == ("refused", "cannot_check")
    assert scanning.objects() == []


def test_no_verdict_in_time_refuses_the_file_as_unchecked(
    scanning: World, deployment: Deployment
) -> None:
    clock = deployment.clock
    assert isinstance(clock, FakeClock)
    ana, report_id, _form = uploaded(scanning)

    clock.advance(minutes=10 + 14)  # the form's ten minutes, and most of the wait
    assert scanning.listed(ana, report_id)["items"][0]["state"] == "waiting"
    clock.advance(minutes=2)
    (item,) = scanning.listed(ana, report_id)["items"]

    assert (item["state"], item["reason_code"]) == ("refused", "cannot_check")
    assert scanning.objects() == []


def test_a_form_never_used_expires_with_one_tag_read_and_no_object_read(
    scanning: World, deployment: Deployment, calls: list[str]
) -> None:
    clock = deployment.clock
    assert isinstance(clock, FakeClock)
    ana = scanning.resident(OWNER)
    report_id = scanning.draft(ana)
    scanning.offer(ana, report_id)
    clock.advance(minutes=11)
    calls.clear()

    (item,) = scanning.listed(ana, report_id)["items"]

    assert (item["state"], item["reason_code"]) == ("refused", "expired")
    assert calls.count("GetObjectTagging") == 1 and "GetObject" not in calls


def test_a_threat_is_explained_in_spanish(scanning: World) -> None:
    ana = scanning.resident(OWNER)
    created = scanning.request(
        "POST", "/api/reports", ana, {"incident_type": "theft", "language": "es"}
    )
    report_id = created.json_body["id"]
    form = scanning.offer(ana, report_id).json_body
    scanning.upload(form, JPEG)
    tag(scanning, form, "THREATS_FOUND")

    (item,) = scanning.listed(ana, report_id)["items"]

    assert item["reason"] == (
        "Este archivo se rechazó porque un análisis antivirus encontró una amenaza en él."
    )


def test_the_stack_scans_quarantine_only_when_the_profile_asks() -> None:
    demo = load_profile("demo")
    assert demo.attachments.malware_scan is False
    off = merge_template(demo)["Resources"]
    assert not [r for r in off.values() if r.get("Type") == "AWS::GuardDuty::MalwareProtectionPlan"]
    assert "GetObjectTagging" not in str(off["ApiHandlerRole"])

    scanned = demo.model_copy(
        update={"attachments": demo.attachments.model_copy(update={"malware_scan": True})}
    )
    on = merge_template(scanned)["Resources"]
    plan = on["MalwareProtectionPlan"]["Properties"]
    assert plan["ProtectedResource"] == {
        "S3Bucket": {"BucketName": {"Ref": "ReportsBucket"}, "ObjectPrefixes": ["quarantine/"]}
    }
    assert plan["Actions"] == {"Tagging": {"Status": "ENABLED"}}
    assert plan["Role"] == {"Fn::GetAtt": ["MalwareScanRole", "Arn"]}
    role = on["MalwareScanRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "malware-protection-plan.guardduty.amazonaws.com"}
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    reads = {
        action: statement["Resource"] for statement in statements for action in statement["Action"]
    }
    assert reads["s3:GetObject"] == [{"Fn::Sub": "${ReportsBucket.Arn}/quarantine/*"}]
    assert reads["s3:PutObjectTagging"] == [{"Fn::Sub": "${ReportsBucket.Arn}/quarantine/*"}]
    api = on["ApiHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    tagging = [s for s in api if "s3:GetObjectTagging" in s["Action"]]
    assert tagging == [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObjectTagging"],
            "Resource": [{"Fn::Sub": "${ReportsBucket.Arn}/quarantine/*"}],
        }
    ]
