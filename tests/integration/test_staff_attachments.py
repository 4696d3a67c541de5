"""Staff see a report's attached files, the copy lists them, the export references them: on moto
in-process, with real photos checked by the real inspection (Pillow) on their way in."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from chalice.test import Client
from jsonschema import Draft202012Validator

from app import app
from chalicelib.models import AuditEvent, Report
from chalicelib.records import export_document
from chalicelib.status import ReportStatus
from tests.support.attachments import attach, photo
from tests.support.aws_call_recorder import summary
from tests.support.deployment import START, Deployment, RecordingStepFunctions, moto_deployment
from tests.support.in_process_api import InProcessApi
from tests.support.staff_issuer import StaffIssuer

STAFF = StaffIssuer("StaffAttachmentTests")
SCHEMA_PATH = Path(__file__).parents[2] / "chalicelib" / "schemas" / "records-export.v1.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    with moto_deployment(
        bucket=True,
        staff_tokens=STAFF.tokens(),
        stepfunctions=RecordingStepFunctions(),
        overrides={"verifications_per_client": 1000},
    ) as built:
        yield built


@pytest.fixture(scope="module")
def api(deployment: Deployment) -> Iterator[InProcessApi]:
    with Client(app) as client:
        yield InProcessApi(deployment, client)


@dataclass(frozen=True)
class Attached:
    report_id: str
    other_report_id: str
    entry: dict[str, Any]
    other_entry: dict[str, Any]
    waiting_id: str


@pytest.fixture(scope="module")
def attached(api: InProcessApi) -> Attached:
    """Ana's submitted report with a photo (and one upload offered, never sent); Ben's with his."""
    ana = api.resident("ana@example.com")
    report_id = api.answered_theft(ana)
    entry = attach(api, ana, report_id, photo(), name="broken window.jpg")
    waiting = api.request(
        "POST",
        f"/api/reports/{report_id}/attachments",
        ana,
        {"name": "receipt.pdf", "type": "application/pdf"},
    )
    assert waiting.status_code == 201, waiting.body
    assert api.request("POST", f"/api/reports/{report_id}/submit", ana).status_code == 200
    ben = api.resident("ben@example.com")
    other = api.answered_theft(ben)
    other_entry = attach(api, ben, other, photo(colour="seagreen"), name="bike.jpg")
    assert api.request("POST", f"/api/reports/{other}/submit", ben).status_code == 200
    return Attached(report_id, other, entry, other_entry, str(waiting.json_body["id"]))


IMAGE_ACCEPT = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
"""What Chromium sends for an <img>: Chalice answers binary only to a request that accepts it."""


def staff_cookie(username: str = "reviewer", group: str = "reviewers") -> dict[str, str]:
    return {"Cookie": f"sr_staff={STAFF.session_token(username, group)}", "Accept": IMAGE_ACCEPT}


def staff_bearer(username: str = "reviewer", group: str = "reviewers") -> dict[str, str]:
    return {"Authorization": f"Bearer {STAFF.session_token(username, group)}"}


def stored(api: InProcessApi, key: str) -> bytes:
    got = api.services.aws.s3.get_object(Bucket=api.services.settings.bucket_name, Key=key)
    return bytes(got["Body"].read())


def report_of(report_id: str) -> Report:
    return Report.get(report_id, consistent_read=True)


# -- the staff pages -----------------------------------------------------------------------------


def test_the_report_page_shows_the_thumbnail_and_the_files_facts(
    api: InProcessApi, attached: Attached
) -> None:
    page = api.client.http.get(f"/staff/reports/{attached.report_id}", headers=staff_cookie())
    assert page.status_code == 200, page.body
    html = page.body.decode()
    base = f"/staff/reports/{attached.report_id}/attachments/{attached.entry['id']}"
    assert f'src="{base}/thumbnail"' in html
    assert f'href="{base}"' in html
    assert "broken window.jpg" in html
    assert attached.entry["sha256"] in html
    assert "JPEG image" in html
    assert "receipt.pdf: waiting for the upload or its check" in html
    # the page's own policy is untouched: the thumbnail comes from the app, not the bucket
    assert "img-src 'self' data:;" in page.headers["Content-Security-Policy"]

    thumbnail = api.client.http.get(f"{base}/thumbnail", headers=staff_cookie())
    assert thumbnail.status_code == 200
    assert thumbnail.headers["Content-Type"] == "image/jpeg"
    key = report_of(attached.report_id).attachments[0]["thumbnail_key"]
    assert thumbnail.body == stored(api, key)

    from PIL import Image

    with Image.open(io.BytesIO(thumbnail.body)) as shown:
        assert max(shown.size) == 320
        assert shown.format == "JPEG"


def test_the_print_view_lists_the_files_with_their_thumbnails(
    api: InProcessApi, attached: Attached
) -> None:
    page = api.client.http.get(f"/staff/reports/{attached.report_id}/print", headers=staff_cookie())
    assert page.status_code == 200, page.body
    html = page.body.decode()
    assert f"/attachments/{attached.entry['id']}/thumbnail" in html
    assert attached.entry["sha256"] in html


def test_opening_a_file_redirects_to_a_short_link_and_is_recorded(
    api: InProcessApi, attached: Attached, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    from botocore.client import BaseClient

    made = BaseClient._make_api_call  # type: ignore[attr-defined]

    def recorded(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append(summary(self.meta.service_model.service_name, operation, params))
        return made(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    path = f"/staff/reports/{attached.report_id}/attachments/{attached.entry['id']}"
    opened = api.client.http.get(path, headers=staff_cookie())
    monkeypatch.undo()

    assert opened.status_code == 303
    link = urlparse(opened.headers["Location"])
    query = {name: values[0] for name, values in parse_qs(link.query).items()}
    entry = report_of(attached.report_id).attachments[0]
    assert link.path.endswith("/" + entry["key"])
    assert query["X-Amz-Expires"] == "60"
    assert query["response-content-type"] == "image/jpeg"
    assert query["response-content-disposition"].startswith('inline; filename="broken window.jpg"')
    # signing is local: S3 is not called; the session is read and the opening recorded
    assert not [call for call in calls if call["service"] == "s3"]
    trail = list(AuditEvent.query(attached.report_id))
    assert any(
        event.action == "attachment_opened"
        and event.actor == "reviewer"
        and (event.details or {}).get("attachment") == entry["id"]
        for event in trail
    )
    page = api.client.http.get(f"/staff/reports/{attached.report_id}", headers=staff_cookie())
    assert "Attached file opened: broken window.jpg" in page.body.decode()


def test_another_reports_file_a_waiting_file_and_a_made_up_id_are_not_found(
    api: InProcessApi, attached: Attached
) -> None:
    wrong = [
        f"/staff/reports/{attached.report_id}/attachments/{attached.other_entry['id']}",
        f"/staff/reports/{attached.other_report_id}/attachments/{attached.entry['id']}",
        f"/staff/reports/{attached.report_id}/attachments/{attached.waiting_id}",
        f"/staff/reports/{attached.report_id}/attachments/{'0' * 32}",
        f"/staff/reports/RPD-2222-2222/attachments/{attached.entry['id']}",
    ]
    for path in wrong:
        for suffix in ("", "/thumbnail"):
            answer = api.client.http.get(path + suffix, headers=staff_cookie())
            assert answer.status_code == 404, (path + suffix, answer.body)
            api_path = "/api" + path
            if not suffix:
                listed = api.client.http.get(api_path, headers=staff_bearer())
                assert listed.status_code == 404, (api_path, listed.body)
                assert listed.json_body["error"]["code"] == "not_found"


def test_a_drafts_files_are_not_shown_to_staff(api: InProcessApi) -> None:
    cleo = api.resident("cleo@example.com")
    draft = api.answered_theft(cleo)
    entry = attach(api, cleo, draft, photo(64, 48))
    path = f"/staff/reports/{draft}/attachments/{entry['id']}"
    assert api.client.http.get(path, headers=staff_cookie()).status_code == 404
    assert api.client.http.get(path + "/thumbnail", headers=staff_cookie()).status_code == 404
    assert api.client.http.get("/api" + path, headers=staff_bearer()).status_code == 404


def test_a_stranger_or_a_forged_cookie_is_sent_to_sign_in(
    api: InProcessApi, attached: Attached
) -> None:
    path = f"/staff/reports/{attached.report_id}/attachments/{attached.entry['id']}"
    for headers in ({}, {"Cookie": "sr_staff=forged.token.value"}):
        for suffix in ("", "/thumbnail"):
            answer = api.client.http.get(path + suffix, headers=headers)
            assert answer.status_code == 303
            assert answer.headers["Location"].endswith("/staff?expired=1")
    refused = api.client.http.get("/api" + path, headers={"Authorization": "Bearer forged.a.b"})
    assert refused.status_code == 401


# -- the staff API -------------------------------------------------------------------------------


def test_the_api_gives_a_link_and_lists_the_files_in_the_report(
    api: InProcessApi, attached: Attached
) -> None:
    path = f"/api/staff/reports/{attached.report_id}/attachments/{attached.entry['id']}"
    answer = api.client.http.get(path, headers=staff_bearer())
    assert answer.status_code == 200, answer.body
    body = answer.json_body
    assert set(body) == {"url", "expires_at"}
    assert "X-Amz-Expires=60" in body["url"]
    assert body["expires_at"].startswith((START + timedelta(seconds=60)).isoformat()[:19])

    report = api.client.http.get(f"/api/staff/reports/{attached.report_id}", headers=staff_bearer())
    listed = report.json_body["attachments"]
    assert [item["state"] for item in listed] == ["accepted", "waiting"]
    assert listed[0]["sha256"] == attached.entry["sha256"]
    assert listed[0]["name"] == "broken window.jpg"
    assert "key" not in listed[0]


# -- the copy and the export ---------------------------------------------------------------------


def approve(report_id: str) -> Report:
    Report._get_connection().update_item(
        report_id,
        actions=[
            Report.status.set(ReportStatus.APPROVED),
            Report.case_number.set("RPD-2026-000042"),
            Report.decided_at.set(START + timedelta(hours=2)),
            Report.decided_by.set("reviewer"),
            Report.decision.set("approve"),
        ],
    )
    return report_of(report_id)


def test_the_copy_lists_the_photo_with_its_sha256_and_shows_its_thumbnail(
    api: InProcessApi, attached: Attached
) -> None:
    from pypdf import PdfReader

    report = approve(attached.other_report_id)
    key = api.services.copies.store(report)
    reader = PdfReader(io.BytesIO(stored(api, key)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Photos and documents attached" in text
    assert "bike.jpg" in text
    assert attached.other_entry["sha256"] in text
    thumbnail = stored(api, report.attachments[0]["thumbnail_key"])
    resources: list[Any] = [page["/Resources"].get_object() for page in reader.pages]
    pictures = [
        xobject.get_object()
        for found in resources
        for xobject in found.get("/XObject", {}).values()
    ]
    jpegs = [picture._data for picture in pictures if picture.get("/Filter") == "/DCTDecode"]
    assert thumbnail in jpegs  # the JPEG itself, embedded as it is


def test_the_spanish_copy_says_it_in_spanish(api: InProcessApi, attached: Attached) -> None:
    from pypdf import PdfReader

    Report._get_connection().update_item(
        attached.other_report_id, actions=[Report.language.set("es")]
    )
    report = approve(attached.other_report_id)
    reader = PdfReader(io.BytesIO(stored(api, api.services.copies.store(report))))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Fotos y documentos adjuntos" in text
    assert "Imagen JPEG" in text
    assert attached.other_entry["sha256"] in text
    Report._get_connection().update_item(
        attached.other_report_id, actions=[Report.language.set("en")]
    )


def test_the_export_references_each_accepted_file_in_version_1_1(
    api: InProcessApi, attached: Attached
) -> None:
    report = approve(attached.report_id)
    document = export_document(api.services.agency, report)
    Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        document
    )
    entry = report.attachments[0]
    assert document["schema_version"] == "1.1"
    assert document["attachments"] == [
        {
            "key": entry["key"],
            "media_type": "image/jpeg",
            "size": entry["size"],
            "sha256": entry["sha256"],
            "name": "broken window.jpg",
        }
    ]  # the waiting upload is not there
    assert hashlib.sha256(stored(api, entry["key"])).hexdigest() == entry["sha256"]


def test_a_report_without_files_is_still_exported_as_version_1(api: InProcessApi) -> None:
    dan = api.resident("dan@example.com")
    report_id = api.answered_theft(dan)
    assert api.request("POST", f"/api/reports/{report_id}/submit", dan).status_code == 200
    document = export_document(api.services.agency, approve(report_id))
    Draft202012Validator(SCHEMA).validate(document)
    assert document["schema_version"] == "1"
    assert "attachments" not in document


def test_the_schema_refuses_attachments_under_version_1(
    api: InProcessApi, attached: Attached
) -> None:
    document = export_document(api.services.agency, approve(attached.report_id))
    assert not Draft202012Validator(SCHEMA).is_valid({**document, "schema_version": "1"})
    without = {k: v for k, v in document.items() if k != "attachments"}
    assert not Draft202012Validator(SCHEMA).is_valid(without)  # 1.1 names its files


def a_pdf(pages: int = 2) -> bytes:
    from fpdf import FPDF

    document = FPDF()
    document.set_font("helvetica", size=12)
    for number in range(pages):
        document.add_page()
        document.cell(0, 10, f"Receipt, page {number + 1}")
    return bytes(document.output())


def test_a_pdf_is_a_tile_that_downloads_with_its_type_forced(api: InProcessApi) -> None:
    eve = api.resident("eve@example.com")
    report_id = api.answered_theft(eve)
    entry = attach(
        api, eve, report_id, a_pdf(), name='receipt "May".pdf', media_type="application/pdf"
    )
    assert api.request("POST", f"/api/reports/{report_id}/submit", eve).status_code == 200

    page = api.client.http.get(f"/staff/reports/{report_id}", headers=staff_cookie())
    html = page.body.decode()
    assert "PDF document, 2 pages" in html
    assert f"/attachments/{entry['id']}/thumbnail" not in html
    path = f"/staff/reports/{report_id}/attachments/{entry['id']}"
    assert api.client.http.get(path + "/thumbnail", headers=staff_cookie()).status_code == 404

    opened = api.client.http.get(path, headers=staff_cookie())
    assert opened.status_code == 303
    query = {k: v[0] for k, v in parse_qs(urlparse(opened.headers["Location"]).query).items()}
    assert query["response-content-type"] == "application/pdf"
    # a download, and the resident's quotes cannot end the header's own
    assert query["response-content-disposition"] == (
        "attachment; filename=\"receipt _May_.pdf\"; filename*=UTF-8''receipt%20%22May%22.pdf"
    )

    copy = api.services.copies.store(approve(report_id))
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(stored(api, copy))).pages)
    assert 'receipt "May".pdf' in text
    assert "PDF document" in text and "Pages: 2" in text
    assert entry["sha256"] in text
