"""Staff see, before deciding, whether a report makes a valid NIBRS document, which element is
wrong and why, with a link to correct the answer concerned; the profile decides whether an
invalid one may still be approved; the document (or its preview) downloads. On moto
in-process; a stand-in for the builder decides the verdict, except where the real one runs."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.models import Report
from chalicelib.records import nibrs_key
from chalicelib.review.nibrs_check import nibrs_check
from tests.support.deployment import START, Deployment, RecordingStepFunctions, moto_deployment
from tests.support.forms import PageClient
from tests.support.in_process_api import InProcessApi
from tests.support.nibrs import SERIAL_MISSING, StandIn, profile_of, stand_in, with_nibrs
from tests.support.reports import approved_report, stored_theft
from tests.support.staff_issuer import StaffIssuer

STAFF = StaffIssuer("NibrsStaffTests")


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    with moto_deployment(
        bucket=True, staff_tokens=STAFF.tokens(), stepfunctions=RecordingStepFunctions()
    ) as built:
        yield built


@pytest.fixture(scope="module")
def api(deployment: Deployment) -> Iterator[InProcessApi]:
    with Client(app) as client:
        yield InProcessApi(deployment, client)


@pytest.fixture
def nibrs_on(api: InProcessApi) -> Iterator[None]:
    with profile_of(api.services, with_nibrs(api.services.agency)):
        yield


def reviewer(group: str = "reviewers") -> dict[str, str]:
    return {"Authorization": f"Bearer {STAFF.session_token('reviewer', group)}"}


def cookie(api: InProcessApi) -> PageClient:
    return PageClient(api.client, {"sr_staff": STAFF.session_token("reviewer", "reviewers")})


def waiting_report(api: InProcessApi) -> str:
    """A theft report waiting for a decision (its lock has no serial number), written as the
    workflow leaves it."""
    return stored_theft(api.services.agency, "N3333").report_id


def the_lock_with_its_serial(api: InProcessApi, report_id: str) -> Any:
    items = Report.get(report_id).answers["stolen_items"]
    fixed = [{**item, "serial": item.get("serial") or "LK-2291"} for item in items]
    return api.request(
        "POST",
        f"/api/staff/reports/{report_id}/corrections",
        reviewer(),
        {"answers": {"stolen_items": fixed}, "reason": "Serial read out by phone", "revision": 0},
    )


def approve(api: InProcessApi, report_id: str) -> Any:
    return api.request(
        "POST", f"/api/staff/reports/{report_id}/decision", reviewer(), {"decision": "approve"}
    )


def panel(html: str) -> str:
    found = re.search(r'<section class="nibrs".*?</section>', html, re.S)
    assert found, "the decision panel has the NIBRS section"
    return found.group(0)


def test_the_staff_preview_shows_a_failure_and_after_a_correction_its_fix(
    api: InProcessApi, nibrs_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder = stand_in(monkeypatch, StandIn(serials=True))
    report_id = waiting_report(api)

    shown = api.request("GET", f"/api/staff/reports/{report_id}", reviewer())
    assert shown.status_code == 200, shown.body
    assert shown.json_body["nibrs"] == {
        "reportable": True,
        "valid": False,
        "problems": [
            {
                "element": SERIAL_MISSING.element,
                "message": SERIAL_MISSING.message,
                "question": "stolen_items",
            }
        ],
        "reason": None,
    }
    assert builder.calls == [None], "a preview: no case number yet"
    page = cookie(api).get(f"/staff/reports/{report_id}")
    assert page.status_code == 200, page.body
    failing = panel(page.body.decode())
    assert "Not valid: correct it before approving." in failing
    assert SERIAL_MISSING.element in failing and SERIAL_MISSING.message in failing
    correct = f'href="/staff/reports/{report_id}/corrections#stolen_items"'
    assert correct in failing, "a link to the question to correct"
    assert f'href="/staff/reports/{report_id}/nibrs.xml"' in failing

    corrected = the_lock_with_its_serial(api, report_id)
    assert corrected.status_code == 200, corrected.body

    again = api.request("GET", f"/api/staff/reports/{report_id}", reviewer())
    assert again.json_body["nibrs"]["valid"] is True
    assert again.json_body["nibrs"]["problems"] == []
    fixed = panel(cookie(api).get(f"/staff/reports/{report_id}").body.decode())
    assert "Valid: approving it sends a NIBRS document" in fixed
    assert "corrections#" not in fixed


def test_approval_is_refused_while_invalid_and_allowed_once_corrected(
    api: InProcessApi, nibrs_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in(monkeypatch, StandIn(serials=True))
    report_id = waiting_report(api)

    refused = approve(api, report_id)
    assert refused.status_code == 409, refused.body
    error = refused.json_body["error"]
    assert "cannot be approved yet" in error["message"]
    assert error["fields"] == {
        "stolen_items": f"{SERIAL_MISSING.element}: {SERIAL_MISSING.message}"
    }
    assert Report.get(report_id).status == "submitted"
    page = cookie(api).post_form(f"/staff/reports/{report_id}/decision", {"decision": "approve"})
    assert page.status_code == 409, page.body
    assert "cannot be approved yet" in page.body.decode()
    trail = [(e.action, e.outcome) for e in api.services.audit.history(report_id)]
    assert trail.count(("decision:approve", "nibrs_invalid")) == 2

    assert the_lock_with_its_serial(api, report_id).status_code == 200
    approved = approve(api, report_id)
    assert approved.status_code == 202, approved.body


def test_approval_of_an_invalid_one_is_allowed_when_the_profile_says_so(
    api: InProcessApi, monkeypatch: pytest.MonkeyPatch, aws_calls: list[str]
) -> None:
    stand_in(monkeypatch, StandIn(serials=True))
    report_id = waiting_report(api)
    with profile_of(api.services, with_nibrs(api.services.agency, approve_invalid=True)):
        page = cookie(api).get(f"/staff/reports/{report_id}")
        assert "it may be approved, but its NIBRS document will not be sent" in panel(
            page.body.decode()
        )
        staff = reviewer()
        aws_calls.clear()
        approved = api.request(
            "POST", f"/api/staff/reports/{report_id}/decision", staff, {"decision": "approve"}
        )
    assert approved.status_code == 202, approved.body
    assert aws_calls == ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"], (
        "the session, the decision, its audit event: no read of the report to check it"
    )


def test_a_type_not_reportable_says_why_and_downloads_nothing(
    api: InProcessApi, nibrs_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in(monkeypatch, StandIn(reportable=False))
    report_id = waiting_report(api)

    shown = api.request("GET", f"/api/staff/reports/{report_id}", reviewer()).json_body["nibrs"]
    assert shown == {
        "reportable": False,
        "valid": False,
        "problems": [],
        "reason": "Lost property is not a crime.",
    }
    got = api.request("GET", f"/api/staff/reports/{report_id}/nibrs.xml", reviewer())
    assert got.status_code == 404, got.body
    assert got.json_body["error"]["message"] == "Lost property is not a crime."
    assert approve(api, report_id).status_code == 202, "not reportable: nothing to refuse"


def test_the_download_is_the_preview_before_approval_and_the_stored_document_after(
    api: InProcessApi, nibrs_on: None, monkeypatch: pytest.MonkeyPatch, aws_calls: list[str]
) -> None:
    stand_in(monkeypatch, StandIn(serials=True))
    report_id = waiting_report(api)

    staff = reviewer()
    aws_calls.clear()
    preview = api.request("GET", f"/api/staff/reports/{report_id}/nibrs.xml", staff)
    assert preview.status_code == 200, preview.body
    assert preview.headers["Content-Type"].startswith("application/xml")
    assert preview.headers["X-NIBRS-Preview"] == "true"
    assert preview.headers["X-NIBRS-Problems"] == "1", "an invalid preview still downloads"
    assert f'filename="{report_id}.preview.nibrs.xml"' in preview.headers["Content-Disposition"]
    assert f"<nibrs:IncidentNumber>{report_id}<".encode() in preview.body
    assert aws_calls == ["dynamodb:GetItem", "dynamodb:GetItem"], "the session, the report"
    page = cookie(api).get(f"/staff/reports/{report_id}/nibrs.xml")
    assert page.status_code == 200 and page.headers["X-NIBRS-Preview"] == "true"

    approved = approved_report("RPD-NZZZ-4444")
    approved.save()
    missing = api.request("GET", f"/api/staff/reports/{approved.report_id}/nibrs.xml", reviewer())
    assert missing.status_code == 404, "approved, with no document stored"
    assert "No NIBRS document was stored" in missing.json_body["error"]["message"]
    stand_in(monkeypatch, StandIn())
    api.services.export.publish(approved)

    aws_calls.clear()
    stored = api.request("GET", f"/api/staff/reports/{approved.report_id}/nibrs.xml", staff)
    assert stored.status_code == 200, stored.body
    assert aws_calls == ["dynamodb:GetItem", "dynamodb:GetItem", "s3:GetObject"], (
        "the session, the report, the document"
    )
    assert "X-NIBRS-Preview" not in stored.headers
    assert 'filename="RPD-2026-000007.nibrs.xml"' in stored.headers["Content-Disposition"]
    settings = api.services.settings
    kept = api.services.aws.s3.get_object(
        Bucket=settings.bucket_name, Key=nibrs_key(approved.report_id)
    )["Body"].read()
    assert stored.body == kept


def test_the_download_is_404_for_unknown_and_draft_reports_and_without_a_nibrs_section(
    api: InProcessApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in(monkeypatch, StandIn())
    report_id = waiting_report(api)
    draft = approved_report("RPD-NDRF-5555", status="draft", case_number=None, decided_at=None)
    draft.save()
    with profile_of(api.services, with_nibrs(api.services.agency)):
        for other in ("RPD-ZZZZ-9999", draft.report_id, "not-a-reference"):
            got = api.request("GET", f"/api/staff/reports/{other}/nibrs.xml", reviewer())
            assert got.status_code == 404, (other, got.body)
    with profile_of(api.services, api.services.agency.model_copy(update={"nibrs": None})):
        got = api.request("GET", f"/api/staff/reports/{report_id}/nibrs.xml", reviewer())
        assert got.status_code == 404
        assert "no NIBRS section" in got.json_body["error"]["message"]
        shown = api.request("GET", f"/api/staff/reports/{report_id}", reviewer()).json_body
        assert shown["nibrs"] is None
        page = cookie(api).get(f"/staff/reports/{report_id}")
        assert 'class="nibrs"' not in page.body.decode()


def test_the_check_on_each_view_is_fast_enough_to_measure(
    api: InProcessApi, nibrs_on: None
) -> None:
    """The real builder on a demo report: valid, and how long the check takes (printed, not
    asserted: speed is never a timed assert)."""
    report = Report.get(waiting_report(api))
    agency = api.services.agency
    nibrs_check(agency, report, START)  # the first loads lxml and compiles the schema
    started = time.perf_counter()
    for _ in range(20):
        document = nibrs_check(agency, report, START)
    each = (time.perf_counter() - started) / 20
    print(f"NIBRS check of a demo theft report: {each * 1000:.1f} ms")
    assert document is not None and document.reportable and document.xml is not None
