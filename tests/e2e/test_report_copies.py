"""Copies of approved reports and the records export, through the running local stack.

The resident downloads the PDF copy of an approved report (and nobody else can); the workflow
writes the export document to S3 and publishes it on EventBridge; an export EventBridge refuses is
retried, listed for admins, and re-pushed. Everything the workflow does is asynchronous: the tests
poll with a deadline and never sleep a fixed time.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator
from pypdf import PdfReader

from chalicelib.routes.edge import SESSION_COOKIE
from tests.support import local_stack
from tests.support.answers import theft_answers
from tests.support.flows import (
    aws_client,
    decide,
    poll,
    resident,
    resident_view,
    staff,
    submitted_theft,
)
from tests.support.forms import BrowserSession
from tests.support.local_stack import PROJECT_DIR, RunningStack

pytestmark = pytest.mark.e2e

BUCKET = "selfreport-local-reports"
SCHEMA = json.loads((PROJECT_DIR / "chalicelib/schemas/records-export.v1.json").read_text())
COPIES = PROJECT_DIR / "test-artifacts" / "copies"
CASE_NUMBER = re.compile(r"RPD-\d{4}-\d{6}")
RECORDS_ADDRESS = "100 Main Street, Riverton, CT 06600"
RECORDS_HOURS = "Monday to Friday, 8:30 a.m. to 4:30 p.m., except holidays"
# The export step retries three times (1 + 2 + 4 s) before the report is listed as failed.
EXPORT_RETRIES_SECONDS = 40


def signed_in_session(
    stack: RunningStack, prefix: str
) -> tuple[requests.Session, dict[str, str], str]:
    """A resident signed in on the pages (/start, then the emailed link), like a browser.

    The session cookie also works as the API's bearer token.
    """
    address = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    browser = BrowserSession()
    asked = browser.post_form(f"{stack.app_url}/start", {"email": address}, timeout=10)
    assert asked.status_code == 200, asked.text
    assert "Check your email" in asked.text
    opened = browser.sign_in(stack.latest_link(address), timeout=10)
    assert opened.status_code == 200, opened.text
    assert opened.url == f"{stack.app_url}/report?confirmed=1"
    session = browser.cookies.get(SESSION_COOKIE)
    assert session, "the emailed link set no session cookie"
    return browser, {"Authorization": f"Bearer {session}"}, address


def case_number_of(stack: RunningStack, auth: dict[str, str], report_id: str) -> str:
    view = poll(lambda: resident_view(stack, auth, report_id), lambda seen: seen["case_number"])
    assert view["case_number"], f"no case number for {report_id}: {view}"
    return str(view["case_number"])


def copy_redirect(url: str, headers: dict[str, str] | None = None, **options: Any) -> Any:
    """The copy's 302, once the workflow has stored the PDF (409 until then)."""
    return poll(
        lambda: requests.get(url, headers=headers, allow_redirects=False, timeout=10, **options),
        lambda response: not (response.status_code == 409 and "being prepared" in response.text),
        interval=0.2,
    )


def stored_object(stack: RunningStack, key: str) -> bytes | None:
    """The object's body, once it is in the report bucket (None at the deadline)."""
    s3 = aws_client(stack, "s3")

    def fetch() -> bytes | None:
        try:
            body: bytes = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
        return body

    return poll(fetch, lambda body: body is not None, interval=0.2)


def validation_errors(document: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [
        f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def render_first_page(pdf: bytes, name: str) -> None:
    """Keep the PDF and a PNG of its first page under test-artifacts/copies/ to look at."""
    COPIES.mkdir(parents=True, exist_ok=True)
    path = COPIES / f"{name}.pdf"
    path.write_bytes(pdf)
    png = COPIES / f"{name}.png"
    png.unlink(missing_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(COPIES / name),
        ],
        check=True,
        timeout=30,
    )
    assert png.stat().st_size > 1000, "pdftoppm rendered an empty page"


def records_events_queue(stack: RunningStack) -> str:
    """An SQS queue that gets every `Self-Report` / `Report approved` event on the default bus."""
    name = f"records-{uuid.uuid4().hex[:10]}"
    sqs, events = aws_client(stack, "sqs"), aws_client(stack, "events")
    queue_url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events.put_rule(
        Name=name,
        EventPattern=json.dumps({"source": ["Self-Report"], "detail-type": ["Report approved"]}),
    )
    events.put_targets(Rule=name, Targets=[{"Id": "records", "Arn": queue_arn}])
    return queue_url


def published_event(stack: RunningStack, queue_url: str, reference: str) -> dict[str, Any] | None:
    """The approval event for `reference`, once EventBridge has delivered it (None at the end)."""
    sqs = aws_client(stack, "sqs")
    seen: list[dict[str, Any]] = []

    def fetch() -> list[dict[str, Any]]:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            seen.append(json.loads(message["Body"]))
        return [event for event in seen if event["detail"].get("reference") == reference]

    found = poll(fetch, bool, interval=0.2)
    return found[0] if found else None


def failed_exports(stack: RunningStack, headers: dict[str, str]) -> list[str]:
    listed = requests.get(f"{stack.app_url}/api/staff/exports", headers=headers, timeout=10)
    assert listed.status_code == 200, listed.text
    return [item["id"] for item in listed.json()["items"]]


@dataclass(frozen=True)
class Approved:
    """A theft report the resident submitted and `reviewer` approved, on the shared stack."""

    browser: requests.Session  # signed in on the pages, with the session cookie
    auth: dict[str, str]
    report_id: str
    reference: str
    case_number: str
    events_queue: str


# ---------------------------------------------------------------------------------------------
# Tests


@pytest.fixture(scope="module")
def approved(running_stack: RunningStack) -> Approved:
    events_queue = records_events_queue(running_stack)  # before the approval publishes
    browser, auth, _ = signed_in_session(running_stack, "copy")
    report = submitted_theft(running_stack, auth)
    before = requests.get(
        f"{running_stack.app_url}/api/reports/{report['id']}/copy", headers=auth, timeout=10
    )
    assert before.status_code == 409, before.text
    assert resident_view(running_stack, auth, report["id"])["copy_url"] is None

    decided = decide(running_stack, staff(running_stack), report["id"], "approve")
    assert decided.status_code == 202, decided.text
    case_number = case_number_of(running_stack, auth, report["id"])
    assert CASE_NUMBER.fullmatch(case_number), case_number
    return Approved(browser, auth, report["id"], report["reference"], case_number, events_queue)


def test_the_resident_downloads_the_copy_and_the_records_system_gets_the_export(
    running_stack: RunningStack, approved: Approved
) -> None:
    base, auth, reference = running_stack.app_url, approved.auth, approved.reference
    report_id, case_number = approved.report_id, approved.case_number

    # The resident's view: the case number, the timeline, where the copy is.
    view = resident_view(running_stack, auth, report_id)
    assert view["status"] == "approved" and view["case_number"] == case_number
    assert [event["event"] for event in view["timeline"]] == ["submitted", "approved"], view
    assert all(event["at"] for event in view["timeline"])
    assert view["copy_url"] == f"{base}/api/reports/{report_id}/copy"

    # The copy: a 302 to a short-lived S3 link, then the PDF.
    redirect = copy_redirect(view["copy_url"], auth)
    assert redirect.status_code == 302, redirect.text
    assert redirect.headers["Cache-Control"] == "no-store"
    location = redirect.headers["Location"]
    assert location.startswith(f"{running_stack.aws_url}/{BUCKET}/copies/{reference}.pdf?")
    downloaded = requests.get(view["copy_url"], headers=auth, timeout=10)  # follows the 302
    assert downloaded.status_code == 200, downloaded.text
    pdf = downloaded.content
    assert pdf.startswith(b"%PDF-"), pdf[:40]
    assert downloaded.headers["Content-Type"] == "application/pdf"
    assert f'filename="{case_number}.pdf"' in downloaded.headers.get("Content-Disposition", "")
    page_copy = approved.browser.get(f"{base}/report/{report_id}/copy", timeout=10)
    assert page_copy.status_code == 200 and page_copy.content == pdf
    print(f"\ncopy of {reference} ({case_number}): {len(pdf)} bytes")
    render_first_page(pdf, "approved-copy")

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in (case_number, reference, "Black Trek bicycle", "Zoë Łukasz-Muñoz"):
        assert expected in text, f"the PDF's text lacks {expected!r}:\n{text}"

    # Nobody else sees the report or its copy; an unknown reference is not found either.
    stranger, _ = resident(running_stack, "stranger")
    for path in (f"/api/reports/{report_id}", f"/api/reports/{report_id}/copy"):
        refused = requests.get(base + path, headers=stranger, allow_redirects=False, timeout=10)
        assert refused.status_code == 404, f"{path}: {refused.status_code} {refused.text}"
    unknown = requests.get(
        f"{base}/api/reports/RPD-2222-2222/copy", headers=auth, allow_redirects=False, timeout=10
    )
    assert unknown.status_code == 404, unknown.text
    assert requests.get(view["copy_url"], allow_redirects=False, timeout=10).status_code == 401

    # A report not approved yet has no copy.
    pending = submitted_theft(running_stack, auth)
    not_yet = requests.get(
        f"{base}/api/reports/{pending['id']}/copy", headers=auth, allow_redirects=False, timeout=10
    )
    assert not_yet.status_code == 409, not_yet.text

    # The export document in the bucket, valid against the schema, the same on EventBridge.
    body = stored_object(running_stack, f"exports/{reference}.json")
    assert body is not None, "the export never reached the bucket"
    document = json.loads(body)
    assert validation_errors(document) == []
    assert document["case_number"] == case_number and document["reference"] == reference
    assert document["property_total"] == "485.50"
    assert [item["description"] for item in document["property"]] == [
        "Black Trek bicycle",
        "Bike lock",
    ]
    assert document["reporter"]["name"] == theft_answers()["reporter_name"]
    assert document["review"]["decided_by"] == "reviewer"
    event = published_event(running_stack, approved.events_queue, reference)
    assert event is not None, "no `Report approved` event reached the default bus"
    assert event["source"] == "Self-Report" and event["detail-type"] == "Report approved"
    assert event["detail"] == document


def test_the_status_page_shows_the_case_number_the_copy_and_the_timeline(
    running_stack: RunningStack, approved: Approved
) -> None:
    base, report_id = running_stack.app_url, approved.report_id

    status_page = approved.browser.get(f"{base}/report/{report_id}", timeout=10)

    assert status_page.status_code == 200, status_page.text[:300]
    for text in (
        "Your report was accepted",
        approved.case_number,
        "Download the copy (PDF)",
        f'href="/report/{report_id}/copy"',
        RECORDS_ADDRESS,
        RECORDS_HOURS,
        "What has happened so far",
        "Submitted",
        "Accepted",
    ):
        assert text in status_page.text, f"the status page lacks {text!r}"
    spanish = approved.browser.get(f"{base}/report/{report_id}?lang=es", timeout=10)
    assert spanish.status_code == 200, spanish.text[:300]
    for text in ("Su reporte fue aceptado", "Descargar la copia (PDF)", "Lo que ha pasado"):
        assert text in spanish.text, f"the Spanish status page lacks {text!r}"


@pytest.fixture(scope="module")
def stack_without_the_bus() -> Iterator[RunningStack]:
    """A stack of its own that publishes to `rms-bus`, a bus that does not exist (yet)."""
    stack = local_stack.start({"RECORDS_EVENT_BUS": "rms-bus", "VERIFICATIONS_PER_CLIENT": "1000"})
    yield stack
    local_stack.stop(stack)


def test_a_refused_export_is_listed_for_admins_and_re_pushed(
    stack_without_the_bus: RunningStack,
) -> None:
    stack = stack_without_the_bus
    auth, address = resident(stack, "export")
    report = submitted_theft(stack, auth)
    reviewer, admin = staff(stack), staff(stack, "admin")
    exports_url = f"{stack.app_url}/api/staff/exports"
    repush_url = f"{stack.app_url}/api/staff/reports/{report['id']}/export"

    assert decide(stack, reviewer, report["id"], "approve").status_code == 202
    case_number = case_number_of(stack, auth, report["id"])

    # The export fails on every try, yet the resident gets the case number.
    sent = poll(
        lambda: stack.emails_to(address),
        lambda emails: any(email["kind"] == "approved" for email in emails),
        seconds=EXPORT_RETRIES_SECONDS,
        interval=0.2,
    )
    [accepted] = [email for email in sent if email["kind"] == "approved"]
    assert case_number in accepted["subject"] and case_number in accepted["text"]

    listed = poll(
        lambda: failed_exports(stack, admin),
        lambda ids: report["id"] in ids,
        seconds=EXPORT_RETRIES_SECONDS,
        interval=0.2,
    )
    assert report["id"] in listed, "the failed export was never listed"
    items = requests.get(exports_url, headers=admin, timeout=10).json()["items"]
    [item] = [item for item in items if item["id"] == report["id"]]
    assert item == {"id": report["id"], "case_number": case_number, "incident_type": "theft"}
    assert requests.get(exports_url, headers=reviewer, timeout=10).status_code == 403
    assert requests.post(repush_url, headers=reviewer, timeout=10).status_code == 403

    # Still no bus: the re-push is refused, and the report stays listed.
    refused = requests.post(repush_url, headers=admin, timeout=10)
    assert refused.status_code == 503, refused.text
    assert report["id"] in failed_exports(stack, admin)

    aws_client(stack, "events").create_event_bus(Name="rms-bus")
    repushed = requests.post(repush_url, headers=admin, timeout=10)
    assert repushed.status_code == 202, repushed.text
    assert repushed.json() == {"id": report["id"], "export": f"exports/{report['id']}.json"}
    remaining = poll(
        lambda: failed_exports(stack, admin), lambda ids: report["id"] not in ids, seconds=10
    )
    assert report["id"] not in remaining

    body = stored_object(stack, f"exports/{report['id']}.json")
    assert body is not None, "the export is not in the bucket"
    document = json.loads(body)
    assert validation_errors(document) == []
    assert document["case_number"] == case_number

    full = requests.get(
        f"{stack.app_url}/api/staff/reports/{report['id']}", headers=admin, timeout=10
    )
    assert full.status_code == 200, full.text
    trail = [(event["actor"], event["action"], event["outcome"]) for event in full.json()["audit"]]
    assert ("admin", "export_repushed", "failed") in trail
    assert ("admin", "export_repushed", "succeeded") in trail
    assert ("workflow", "exported_to_records", "succeeded") not in trail
