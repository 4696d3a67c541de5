"""The resident's "Photos or documents" pages on moto in-process: the wizard step, removal, the
answer to a request for information and the status page, without JavaScript.

The browser's multipart POST to S3 is stood in for by `put_object` at the form's key with the
form's `Content-Type` (nothing listens over HTTP under `mock_aws`); S3's redirect back is a GET
of `success_action_redirect` with the `key` S3 adds. Chromium posts the real form to the local
stack's moto server in `tests/browser/test_attachment_uploads.py`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from chalice.test import Client
from PIL import Image

from chalicelib import services
from chalicelib.mail import RecordingOutbox
from chalicelib.models import Report
from chalicelib.settings import Settings
from tests.support.answers import theft_answers
from tests.support.deployment import START, FakeClock, InstantReview, moto_deployment
from tests.support.forms import PageClient
from tests.unit.test_attachment_inspection import photo_with_gps

BASE = "http://127.0.0.1:8000"


class Resident(PageClient):
    def follow(self, response: Any) -> tuple[str, Any]:
        assert response.status_code == 303, response.body[:300]
        path = response.headers["Location"].removeprefix(BASE)
        return path, self.get(path)


def signed_in(client: Client, outbox: RecordingOutbox, address: str) -> Resident:
    browser = Resident(client)
    browser.post_form("/start", {"email": address})
    text = [m for m in outbox.as_json() if m["to"] == address][-1]["text"]
    browser.sign_in(re.findall(r"/verify\?token=[\w-]+", text)[0])
    return browser


@pytest.fixture
def system(
    settings: Settings, clock: FakeClock, outbox: RecordingOutbox, review: InstantReview
) -> Iterator[services.Services]:
    """The application on moto in-process, with its bucket."""
    with moto_deployment(
        settings=settings, clock=clock, outbox=outbox, review=review, bucket=True
    ) as built:
        yield built.services


@pytest.fixture
def resident(client: Client, outbox: RecordingOutbox) -> Resident:
    return signed_in(client, outbox, "ana@example.com")


def up_to_the_narrative(resident: Resident) -> str:
    """A theft draft whose steps before the story are answered."""
    path, _ = resident.follow(resident.post_form("/report", {"incident_type": "theft"}))
    report_id = path.split("/")[2]
    report = Report.get(report_id)
    answers = theft_answers(START.date())
    report.update(
        actions=[
            Report.answers.set(
                {k: v for k, v in answers.items() if k != "narrative" and "reporter" not in k}
            )
        ]
    )
    return report_id


def at_the_step(resident: Resident) -> str:
    report_id = up_to_the_narrative(resident)
    path, page = resident.follow(
        resident.post_form(
            f"/report/{report_id}/step/narrative", {"narrative": "Taken from the rack."}
        )
    )
    assert path == f"/report/{report_id}/step/attachments"
    assert "Photos or documents" in page.body.decode()
    return report_id


def upload_form(page: Any) -> tuple[str, dict[str, str]]:
    html = page.body.decode()
    action = re.search(r'<form method="post" action="([^"]+)" enctype="multipart/form-data">', html)
    assert action, html[:2000]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    fields.pop("form_token", None)
    return action.group(1).replace("&amp;", "&"), fields


def post_to_the_bucket(system: services.Services, fields: dict[str, str], data: bytes) -> str:
    """What S3 does with the browser's POST; answers where it sends the browser back."""
    system.aws.s3.put_object(
        Bucket=system.settings.bucket_name,
        Key=fields["key"],
        Body=data,
        ContentType=fields["Content-Type"],
    )
    back = fields["success_action_redirect"]
    return back.removeprefix(BASE) + f"?bucket={system.settings.bucket_name}&key={fields['key']}"


def objects(system: services.Services) -> list[str]:
    listed = system.aws.s3.list_objects_v2(Bucket=system.settings.bucket_name)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def add_a_file(resident: Resident, report_id: str) -> dict[str, str]:
    page = resident.post_form(f"/report/{report_id}/step/attachments", {"action": "add"})
    assert page.status_code == 200, page.body[:500]
    _url, fields = upload_form(page)
    return fields


def test_the_step_comes_after_the_story_and_continue_needs_no_file(resident: Resident) -> None:
    report_id = at_the_step(resident)

    page = resident.get(f"/report/{report_id}/step/attachments").body.decode()
    assert "Step 5 of 7" in page
    assert "No files attached yet." in page
    assert f'href="/report/{report_id}/step/narrative"' in page

    path, following = resident.follow(
        resident.post_form(f"/report/{report_id}/step/attachments", {"action": "continue"})
    )
    assert path == f"/report/{report_id}/step/reporter"
    assert f'href="/report/{report_id}/step/attachments"' in following.body.decode()  # its Back


def test_a_photo_sent_without_javascript_is_checked_listed_and_stripped(
    resident: Resident, system: services.Services
) -> None:
    report_id = at_the_step(resident)
    page = resident.post_form(f"/report/{report_id}/step/attachments", {"action": "add"})
    url, fields = upload_form(page)

    bucket = urlsplit(url)
    policy = page.headers["Content-Security-Policy"]
    assert f"form-action 'self' {bucket.scheme}://{bucket.netloc};" in policy
    assert fields["key"].startswith(f"quarantine/{report_id}/")
    assert fields["success_action_redirect"] == f"{BASE}/report/{report_id}/step/attachments"
    assert fields["Content-Type"] == "application/octet-stream"  # the bytes decide the type

    listed = resident.get(post_to_the_bucket(system, fields, photo_with_gps()))
    assert listed.status_code == 200
    html = listed.body.decode()
    assert "File 1" in html and "Checked and attached" in html
    assert "There is a problem" not in html

    entry = Report.get(report_id).attachments[0]
    assert entry["state"] == "accepted" and entry["media_type"] == "image/jpeg"
    stored = system.aws.s3.get_object(Bucket=system.settings.bucket_name, Key=entry["key"])
    image = Image.open(io.BytesIO(stored["Body"].read()))
    assert not image.getexif()
    assert not [o for o in objects(system) if o.startswith("quarantine/")]


def test_a_file_can_be_removed_before_submission(
    resident: Resident, system: services.Services
) -> None:
    report_id = at_the_step(resident)
    fields = add_a_file(resident, report_id)
    resident.get(post_to_the_bucket(system, fields, photo_with_gps()))
    entry = Report.get(report_id).attachments[0]

    page = resident.get(f"/report/{report_id}/step/attachments").body.decode()
    assert f'value="remove-{entry["id"]}"' in page

    path, after = resident.follow(
        resident.post_form(
            f"/report/{report_id}/step/attachments", {"action": f"remove-{entry['id']}"}
        )
    )
    assert path == f"/report/{report_id}/step/attachments"
    assert "No files attached yet." in after.body.decode()
    assert Report.get(report_id).attachments == []
    assert objects(system) == []


def test_a_form_used_again_is_refused_in_words(
    resident: Resident, system: services.Services
) -> None:
    report_id = at_the_step(resident)
    fields = add_a_file(resident, report_id)
    resident.get(post_to_the_bucket(system, fields, photo_with_gps()))

    again = resident.get(post_to_the_bucket(system, fields, photo_with_gps())).body.decode()

    assert "That upload form was already used: the file was not added." in again
    assert 'href="#files"' in again and 'id="files"' in again
    assert [e["state"] for e in Report.get(report_id).attachments] == ["accepted"]


def test_a_form_left_unused_expires_in_words(
    resident: Resident, system: services.Services, clock: FakeClock
) -> None:
    report_id = at_the_step(resident)
    add_a_file(resident, report_id)

    clock.advance(minutes=11)
    page = resident.get(f"/report/{report_id}/step/attachments").body.decode()

    assert "Not attached:" in page and "The upload form expired. Try again." in page


def test_the_check_page_lists_the_files(resident: Resident, system: services.Services) -> None:
    report_id = at_the_step(resident)
    fields = add_a_file(resident, report_id)
    resident.get(post_to_the_bucket(system, fields, photo_with_gps()))
    report = Report.get(report_id)
    report.update(actions=[Report.answers.set(theft_answers(START.date()))])

    page = resident.get(f"/report/{report_id}/check").body.decode()

    assert "Photos or documents" in page and "File 1" in page and "Checked and attached" in page
    assert f'href="/report/{report_id}/step/attachments?change=1"' in page
    assert "remove-" not in page

    changing = resident.get(f"/report/{report_id}/step/attachments?change=1").body.decode()
    assert f'href="/report/{report_id}/check"' in changing
    path, _ = resident.follow(
        resident.post_form(
            f"/report/{report_id}/step/attachments", {"action": "continue", "change": "1"}
        )
    )
    assert path == f"/report/{report_id}/check"


def test_the_status_page_takes_files_until_a_decision_without_removal(
    resident: Resident, system: services.Services
) -> None:
    report_id = at_the_step(resident)
    Report.get(report_id).update(
        actions=[Report.status.set("submitted"), Report.submitted_at.set(START)]
    )

    page = resident.get(f"/report/{report_id}")
    assert "You can add photos or documents until a decision is made." in page.body.decode()
    assert "form-action 'self' http" in page.headers["Content-Security-Policy"]

    fields = add_a_file(resident, report_id)
    assert fields["success_action_redirect"] == f"{BASE}/report/{report_id}/step/attachments"
    path, status_page = resident.follow(
        resident.get(post_to_the_bucket(system, fields, photo_with_gps()))
    )
    assert path.startswith(f"/report/{report_id}?key=quarantine/{report_id}/")
    html = status_page.body.decode()
    assert "File 1" in html and "Checked and attached" in html
    assert "remove-" not in html
    refused = resident.post_form(
        f"/report/{report_id}/step/attachments",
        {"action": f"remove-{Report.get(report_id).attachments[0]['id']}"},
    )
    assert refused.status_code == 409
    assert "Files cannot be removed once the report is submitted." in refused.body.decode()


def test_the_answer_to_a_request_for_information_takes_files(
    resident: Resident, system: services.Services
) -> None:
    report_id = at_the_step(resident)
    Report.get(report_id).update(
        actions=[
            Report.status.set("info_requested"),
            Report.submitted_at.set(START),
            Report.decision_reason.set("Do you have the receipt?"),
        ]
    )

    page = resident.get(f"/report/{report_id}").body.decode()
    assert "Do you have the receipt?" in page and "Add a photo or document" in page

    fields = add_a_file(resident, report_id)
    _path, status_page = resident.follow(
        resident.get(post_to_the_bucket(system, fields, photo_with_gps()))
    )
    assert "Checked and attached" in status_page.body.decode()


def test_a_decided_report_takes_no_more_files(resident: Resident) -> None:
    report_id = at_the_step(resident)
    Report.get(report_id).update(actions=[Report.status.set("approved")])

    assert "Add a photo or document" not in resident.get(f"/report/{report_id}").body.decode()
    refused = resident.post_form(f"/report/{report_id}/step/attachments", {"action": "add"})
    assert refused.status_code == 409
    assert "files can no longer be added" in refused.body.decode()


def test_someone_elses_report_is_not_found(
    resident: Resident, client: Client, outbox: RecordingOutbox
) -> None:
    report_id = at_the_step(resident)
    other = signed_in(client, outbox, "eve@example.com")

    assert other.get(f"/report/{report_id}/step/attachments").status_code == 404
    assert (
        other.post_form(f"/report/{report_id}/step/attachments", {"action": "add"}).status_code
        == 404
    )
    offered = other.post_form(
        f"/report/{report_id}/step/attachments",
        {"action": "offer", "name": "a.jpg", "type": "image/jpeg"},
    )
    assert offered.status_code == 404
    assert Report.get(report_id).attachments in (None, [])


def test_the_script_is_offered_one_form_per_file(resident: Resident) -> None:
    report_id = at_the_step(resident)

    offered = resident.post_form(
        f"/report/{report_id}/step/attachments",
        {"action": "offer", "name": "window.jpg", "type": "image/jpeg"},
    )
    assert offered.status_code == 201
    form = offered.json_body
    assert form["fields"]["Content-Type"] == "image/jpeg"
    assert "success_action_redirect" not in form["fields"]

    wrong = resident.post_form(
        f"/report/{report_id}/step/attachments",
        {"action": "offer", "name": "run.exe", "type": "application/x-msdownload"},
    )
    assert wrong.status_code == 422
    assert "Only photos" in wrong.json_body["error"]["message"]


def test_only_upload_pages_let_forms_and_scripts_reach_the_bucket(resident: Resident) -> None:
    report_id = at_the_step(resident)

    upload = resident.get(f"/report/{report_id}/step/attachments").headers[
        "Content-Security-Policy"
    ]
    ordinary = resident.get(f"/report/{report_id}/step/narrative").headers[
        "Content-Security-Policy"
    ]

    origin = re.search(r"form-action 'self' (\S+);", upload)
    assert origin and origin.group(1).startswith("http")
    assert f"connect-src 'self' {origin.group(1)};" in upload
    assert "script-src 'self';" in upload and "'unsafe-inline'" not in upload
    assert "form-action 'self';" in ordinary
    assert "script-src" not in ordinary and "connect-src" not in ordinary


def test_the_script_is_served_as_javascript(client: Client) -> None:
    response = client.http.get("/assets/uploads.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert b"XMLHttpRequest" in response.body
