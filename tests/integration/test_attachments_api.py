"""A resident attaches photos and documents through the JSON API, on moto in-process.

The browser's POST to S3 is stood in for by `put_object` at the form's key: with `mock_aws`
nothing listens over HTTP, and moto would not enforce the form's conditions anyway (size,
content type), which is why the server checks every limit again and these tests say so. The
file checker (`chalicelib.attachments.inspection`) is replaced by a small fake that knows a
JPEG and a PDF by their first bytes; its own tests are beside it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import types
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.agency import Attachments as AttachmentLimits
from chalicelib.models import Report
from chalicelib.status import ReportStatus
from tests.support.aws_call_recorder import summary
from tests.support.deployment import Deployment, FakeClock, moto_deployment
from tests.support.in_process_api import InProcessApi

JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 40
PDF_WITH_SCRIPT = b"%PDF-1.7\n/OpenAction << /S /JavaScript >>"
OWNER = "ana@example.com"


@dataclass(frozen=True)
class FakeInspected:
    media_type: str
    extension: str
    data: bytes
    sha256: str
    size: int
    width: int | None
    height: int | None
    thumbnail: bytes | None
    pages: int | None


class FakeRefused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def fake_inspect(
    data: bytes, *, accepted_types: Collection[str], max_bytes: int, max_pixels: int = 50_000_000
) -> FakeInspected:
    if not data:
        raise FakeRefused("empty")
    if len(data) > max_bytes:
        raise FakeRefused("too_large")
    if data.startswith(b"\xff\xd8\xff") and "image/jpeg" in accepted_types:
        cleaned = b"\xff\xd8\xff\xe0clean" + data[-8:]
        return FakeInspected(
            "image/jpeg", "jpg", cleaned, hashlib.sha256(cleaned).hexdigest(), len(cleaned),
            40, 30, b"\xff\xd8\xffthumb", None,
        )  # fmt: skip
    if data.startswith(b"%PDF") and "application/pdf" in accepted_types:
        if b"/JavaScript" in data:
            raise FakeRefused("pdf_active_content")
        return FakeInspected(
            "application/pdf", "pdf", data, hashlib.sha256(data).hexdigest(), len(data),
            None, None, None, 1,
        )  # fmt: skip
    raise FakeRefused("type_not_accepted")


@pytest.fixture
def fake_inspection(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("chalicelib.attachments.inspection")
    module.Inspected = FakeInspected  # type: ignore[attr-defined]
    module.Refused = FakeRefused  # type: ignore[attr-defined]
    module.inspect = fake_inspect  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "chalicelib.attachments.inspection", module)


@dataclass
class World(InProcessApi):
    def upload(self, form: dict[str, Any], data: bytes, content_type: str | None = None) -> None:
        """What the browser's POST of the form leaves in the bucket."""
        self.services.aws.s3.put_object(
            Bucket=self.services.settings.bucket_name,
            Key=form["fields"]["key"],
            Body=data,
            ContentType=content_type or form["fields"]["Content-Type"],
        )

    def offer(self, who: dict[str, str], report_id: str, name: str = "window.jpg") -> Any:
        return self.request(
            "POST",
            f"/api/reports/{report_id}/attachments",
            who,
            {"name": name, "type": "image/jpeg"},
        )

    def listed(self, who: dict[str, str], report_id: str) -> Any:
        answer = self.request("GET", f"/api/reports/{report_id}/attachments", who)
        assert answer.status_code == 200, answer.body
        return answer.json_body

    def objects(self) -> list[str]:
        listed = self.services.aws.s3.list_objects_v2(Bucket=self.services.settings.bucket_name)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def draft(self, who: dict[str, str]) -> str:
        created = self.request("POST", "/api/reports", who, {"incident_type": "theft"})
        assert created.status_code == 201, created.body
        return str(created.json_body["id"])


@pytest.fixture
def deployment(fake_inspection: None) -> Iterator[Deployment]:
    with moto_deployment(bucket=True) as built:
        yield built


@pytest.fixture
def world(deployment: Deployment) -> Iterator[World]:
    with Client(app) as client:
        yield World(deployment, client)


def limit(world: World, **changes: Any) -> None:
    """The profile's attachments section, changed for this test."""
    current = world.services
    profile = current.agency.model_copy(
        update={
            "attachments": AttachmentLimits(
                **{**current.agency.attachments.model_dump(), **changes}
            )
        }
    )
    current.__dict__["agency"] = profile
    for built in ("attachments", "reports"):
        current.__dict__.pop(built, None)


def test_an_uploaded_photo_is_checked_moved_out_of_quarantine_and_listed(world: World) -> None:
    ana = world.resident(OWNER)
    report_id = world.draft(ana)

    offered = world.offer(ana, report_id, name="C:\\Users\\ana\\Pictures\\new  window\x07.jpg")
    assert offered.status_code == 201, offered.body
    form = offered.json_body
    assert form["fields"]["key"] == f"quarantine/{report_id}/{form['id']}"
    assert form["fields"]["Content-Type"] == "image/jpeg"
    waiting = world.listed(ana, report_id)
    assert [item["state"] for item in waiting["items"]] == ["waiting"]

    world.upload(form, JPEG)
    listed = world.listed(ana, report_id)

    (item,) = listed["items"]
    assert item["state"] == "accepted" and item["name"] == "new window.jpg"
    assert item["media_type"] == "image/jpeg" and (item["width"], item["height"]) == (40, 30)
    stored = f"attachments/{report_id}/{form['id']}.jpg"
    assert world.objects() == [stored, f"attachments/{report_id}/{form['id']}.thumb.jpg"]
    body = world.services.aws.s3.get_object(Bucket=world.services.settings.bucket_name, Key=stored)
    data = body["Body"].read()
    assert item["sha256"] == hashlib.sha256(data).hexdigest() and item["size"] == len(data)
    assert "key" not in item, "the API does not name the bucket's keys"
    assert listed["max_files"] == 10 and listed["max_bytes"] == 20 * 1024 * 1024
    assert "application/pdf" in listed["accepted_types"]


def test_the_form_carries_its_conditions_for_s3(world: World) -> None:
    ana = world.resident(OWNER)
    form = world.offer(ana, world.draft(ana)).json_body

    import base64

    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert ["content-length-range", 1, 20 * 1024 * 1024] in policy["conditions"]
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert "success_action_redirect" not in form["fields"]
    assert policy["expiration"], "S3 refuses the form after its expiry (moto does not)"


def test_limits_are_enforced_again_on_the_server_since_moto_ignores_the_form(world: World) -> None:
    limit(world, max_megabytes=1)
    ana = world.resident(OWNER)
    report_id = world.draft(ana)
    big, wrong_type, script, renamed = (world.offer(ana, report_id).json_body for _ in range(4))

    world.upload(big, JPEG + b"x" * (1024 * 1024))  # over the form's limit: moto takes it
    world.upload(wrong_type, JPEG, content_type="text/html")  # not the form's type: likewise
    world.upload(script, PDF_WITH_SCRIPT, content_type="image/jpeg")
    world.upload(renamed, b"MZ\x90\x00 an executable named window.jpg")
    listed = world.listed(ana, report_id)

    assert [(i["state"], i["reason_code"]) for i in listed["items"]] == [
        ("refused", "too_large"),
        ("refused", "type_not_accepted"),
        ("refused", "pdf_active_content"),
        ("refused", "type_not_accepted"),
    ]
    assert listed["items"][0]["reason"] == "This file is larger than 1 MB."
    assert listed["items"][1]["reason"] == (
        "Only photos (JPEG, PNG, HEIC, WebP) and PDF documents can be attached."
    )
    assert listed["items"][2]["reason"] == (
        "PDF documents with scripts or active content cannot be attached."
    )
    assert world.objects() == [], "nothing of a refused file is kept"


def test_a_type_not_accepted_is_refused_before_any_form(world: World) -> None:
    ana = world.resident(OWNER)
    report_id = world.draft(ana)

    answer = world.request(
        "POST",
        f"/api/reports/{report_id}/attachments",
        ana,
        {"name": "x.exe", "type": "application/x-msdownload"},
    )

    assert answer.status_code == 422
    assert answer.json_body["error"]["fields"]["type"].startswith("Only photos")
    assert world.listed(ana, report_id)["items"] == []


def test_an_eleventh_file_is_refused_with_the_limit_in_words(world: World) -> None:
    ana = world.resident(OWNER)
    report_id = world.draft(ana)
    forms = [world.offer(ana, report_id) for _ in range(10)]
    assert all(form.status_code == 201 for form in forms)

    eleventh = world.offer(ana, report_id)

    assert eleventh.status_code == 409
    assert eleventh.json_body["error"]["message"] == "You can attach at most 10 files."
    world.upload(forms[0].json_body, b"not a photo")
    world.listed(ana, report_id)  # the refused one no longer counts
    assert world.offer(ana, report_id).status_code == 201


def test_another_residents_report_is_not_found(world: World) -> None:
    ana, bo = world.resident(OWNER), world.resident("bo@example.com")
    report_id = world.draft(ana)
    form = world.offer(ana, report_id).json_body

    assert world.offer(bo, report_id).status_code == 404
    assert world.request("GET", f"/api/reports/{report_id}/attachments", bo).status_code == 404
    path = f"/api/reports/{report_id}/attachments/{form['id']}"
    assert world.request("DELETE", path, bo).status_code == 404
    assert len(world.listed(ana, report_id)["items"]) == 1


def test_removing_before_submission_deletes_the_files_and_after_it_is_refused(
    world: World,
) -> None:
    ana = world.resident(OWNER)
    report_id = world.answered_theft(ana)
    first, second = world.offer(ana, report_id).json_body, world.offer(ana, report_id).json_body
    world.upload(first, JPEG)
    world.upload(second, JPEG)
    world.listed(ana, report_id)

    removed = world.request("DELETE", f"/api/reports/{report_id}/attachments/{first['id']}", ana)

    assert removed.status_code == 204
    assert [i["id"] for i in world.listed(ana, report_id)["items"]] == [second["id"]]
    assert all(first["id"] not in key for key in world.objects())
    gone = world.request("DELETE", f"/api/reports/{report_id}/attachments/{first['id']}", ana)
    assert gone.status_code == 404

    assert world.request("POST", f"/api/reports/{report_id}/submit", ana).status_code == 200
    after = world.request("DELETE", f"/api/reports/{report_id}/attachments/{second['id']}", ana)
    assert after.status_code == 409
    assert world.offer(ana, report_id).status_code == 201, "more may come until a decision"


def test_a_decided_report_takes_no_more_files(world: World) -> None:
    ana = world.resident(OWNER)
    report_id = world.answered_theft(ana)
    world.request("POST", f"/api/reports/{report_id}/submit", ana)
    Report.get(report_id).update(actions=[Report.status.set(ReportStatus.APPROVED)])

    refused = world.offer(ana, report_id)

    assert refused.status_code == 409
    assert world.listed(ana, report_id)["items"] == []


def test_a_screened_out_report_loses_its_files_with_its_answers(world: World) -> None:
    ana = world.resident(OWNER)
    report_id = world.draft(ana)
    accepted, waiting = world.offer(ana, report_id).json_body, world.offer(ana, report_id).json_body
    world.upload(accepted, JPEG)
    world.listed(ana, report_id)
    world.upload(waiting, JPEG)  # arrived, not yet checked
    assert len(world.objects()) == 3

    ended = world.request(
        "PATCH", f"/api/reports/{report_id}", ana, {"answers": {"happening_now": True}}
    )

    assert ended.json_body["status"] == "screened_out"
    assert world.objects() == []
    assert Report.get(report_id).attachments is None


def test_a_form_never_used_expires(world: World, deployment: Deployment) -> None:
    ana = world.resident(OWNER)
    report_id = world.draft(ana)
    world.offer(ana, report_id)
    clock = deployment.clock
    assert isinstance(clock, FakeClock)

    clock.advance(minutes=9)
    assert world.listed(ana, report_id)["items"][0]["state"] == "waiting"
    clock.advance(minutes=2)
    (item,) = world.listed(ana, report_id)["items"]

    assert (item["state"], item["reason_code"]) == ("refused", "expired")
    assert item["reason"] == "The upload form expired. Try again."


def test_a_file_posted_long_after_its_form_expired_is_refused_though_moto_took_it(
    world: World, deployment: Deployment
) -> None:
    ana = world.resident(OWNER)
    report_id = world.draft(ana)
    late, on_time = world.offer(ana, report_id).json_body, world.offer(ana, report_id).json_body
    clock = deployment.clock
    assert isinstance(clock, FakeClock)
    world.upload(on_time, JPEG)
    world.listed(ana, report_id)  # checked when it came: S3's clock and the fake one agree

    clock.advance(minutes=40)  # past the form's 10 minutes and the slow upload's 15
    world.upload(late, JPEG)  # S3 would refuse the POST itself; moto stores it
    items = {item["id"]: item for item in world.listed(ana, report_id)["items"]}

    assert items[on_time["id"]]["state"] == "accepted"
    assert (items[late["id"]]["state"], items[late["id"]]["reason_code"]) == (
        "refused",
        "expired",
    )
    assert not [key for key in world.objects() if key.startswith("quarantine/")]


def test_spanish_reasons(world: World) -> None:
    ana = world.resident(OWNER)
    created = world.request(
        "POST", "/api/reports", ana, {"incident_type": "theft", "language": "es"}
    )
    report_id = created.json_body["id"]
    world.upload(world.offer(ana, report_id).json_body, b"\x00\x01")

    (item,) = world.listed(ana, report_id)["items"]

    assert (
        item["reason"] == "Solo se pueden adjuntar fotos (JPEG, PNG, HEIC, WebP) y documentos PDF."
    )


def test_aws_calls_per_attachment(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.client import BaseClient

    ana = world.resident(OWNER)
    report_id = world.draft(ana)
    calls: list[str] = []
    made = BaseClient._make_api_call  # type: ignore[attr-defined]  # private: not in the stubs

    def recorded(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append(summary(self.meta.service_model.service_name, operation, params)["operation"])
        return made(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    form = world.offer(ana, report_id).json_body
    offered, calls[:] = list(calls), []
    world.upload(form, JPEG)
    calls.clear()
    world.listed(ana, report_id)
    listed, calls[:] = list(calls), []
    world.listed(ana, report_id)
    again = list(calls)

    print(f"\noffer: {len(offered)} calls {offered}")
    print(f"first list after the upload: {len(listed)} calls {listed}")
    print(f"list again: {len(again)} calls {again}")
    assert listed.count("GetObject") == 1 and listed.count("PutObject") == 2
    assert listed.count("DeleteObjects") == 1 and listed.count("UpdateItem") == 1
    assert not {"GetObject", "PutObject", "UpdateItem"} & set(again), "checked once"
    assert "Scan" not in offered + listed + again


def test_the_stack_expires_quarantine_and_grants_only_the_attachment_prefixes() -> None:
    from chalicelib.agency import load_profile
    from infra.template import merge_template

    resources = merge_template(load_profile("demo"))["Resources"]
    bucket = resources["ReportsBucket"]["Properties"]
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["quarantine"]["Prefix"] == "quarantine/"
    assert rules["quarantine"]["ExpirationInDays"] == 1
    (cors,) = bucket["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedMethods"] == ["POST"] and len(cors["AllowedOrigins"]) == 1
    statements = resources["ApiHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    granted = {
        json.dumps(resource): sorted(statement["Action"])
        for statement in statements["Statement"]
        for resource in statement["Resource"]
        if "quarantine/" in json.dumps(resource) or "attachments/" in json.dumps(resource)
    }
    # attachments/ is read too: the thumbnails and links staff see (test_staff_attachments.py)
    assert sorted(granted.values()) == [["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]] * 2


def test_only_the_profiles_incident_types_take_files(world: World) -> None:
    limit(world, incident_types=("vandalism",))
    ana = world.resident(OWNER)

    refused = world.offer(ana, world.draft(ana))

    assert refused.status_code == 409
    assert (
        refused.json_body["error"]["message"] == "Files cannot be attached to this kind of report."
    )
