"""The resident's status page after submitting, without JavaScript: withdrawing a report (a
confirmation page, then a form with the form token), and answering staff's question (an error
summary, a confirmation, the question and the answer kept in the timeline). Attackers: another
resident's report, a forged or missing token, a decided report, a double withdrawal."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib import services
from chalicelib.intake.reports import owner_key
from chalicelib.mail import RecordingOutbox
from chalicelib.models import AuditEvent, Report
from chalicelib.routes.edge import FORM_FIELD
from chalicelib.status import ReportStatus
from tests.integration.test_forms_and_links import link_path
from tests.support.deployment import START, FakeClock, InstantReview
from tests.support.forms import FORM, PageClient, signed

ANA, EVE = "ana@example.com", "eve@example.com"


def signed_in(client: Client, outbox: RecordingOutbox, address: str) -> PageClient:
    browser = PageClient(client)
    browser.post_form("/start", {"email": address})
    assert browser.sign_in(link_path(outbox, address)).status_code == 303
    return browser


def submitted(
    report_id: str = "RPD-7K4M-Q2XH", address: str = ANA, status: str = "submitted"
) -> str:
    """A report as the workflow leaves it: submitted and waiting for a decision (or for the
    resident's answer), its submission in the audit trail."""
    Report(
        report_id=report_id,
        owner_key=owner_key(address),
        contact_email=address,
        language="en",
        incident_type="theft",
        status=status,
        answers={"narrative": "My bicycle was taken."},
        created_at=START,
        updated_at=START,
        submitted_at=START,
        listed_at=START,
        review_token="token-1" if status == "submitted" else None,
        resident_token="token-2" if status == "info_requested" else None,
        decision_reason="What colour is it?" if status == "info_requested" else None,
        decision="request_info" if status == "info_requested" else None,
        decided_at=START if status == "info_requested" else None,
    ).save()
    services.current().audit.record(report_id, "resident", "submitted", "succeeded")
    if status == "info_requested":
        services.current().audit.record(report_id, "reviewer", "decision:request_info", "succeeded")
    return report_id


def html(response: object) -> str:
    return str(response.body.decode())  # type: ignore[attr-defined]


def test_withdrawing_asks_first_then_withdraws_and_says_so(
    client: Client, outbox: RecordingOutbox, review: InstantReview, clock: FakeClock
) -> None:
    ana = signed_in(client, outbox, ANA)
    report_id = submitted()
    clock.advance(hours=2)

    status = html(ana.get(f"/report/{report_id}"))
    assert f'href="/report/{report_id}/withdraw"' in status
    confirm = ana.get(f"/report/{report_id}/withdraw")
    assert confirm.status_code == 200
    assert "Are you sure you want to withdraw your report?" in html(confirm)
    assert Report.get(report_id).status == ReportStatus.SUBMITTED  # a GET changes nothing

    done = ana.post_form(f"/report/{report_id}/withdraw", {})

    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/report/{report_id}?done=withdrawn")
    page = html(ana.get(f"/report/{report_id}?done=withdrawn"))
    assert "Your report was withdrawn" in page
    assert "You withdrew this report on November 2, 2026" in page
    assert "<strong>Withdrawn</strong>" in page
    assert f'href="/report/{report_id}/withdraw"' not in page
    assert review.resumed[-1] == ("token-1", {"withdrawn": True})
    stored = Report.get(report_id, consistent_read=True)
    assert stored.status == ReportStatus.WITHDRAWN
    assert stored.withdrawn_at == START + timedelta(hours=2)
    # twice (a double click): the same page, nothing more recorded
    assert ana.post_form(f"/report/{report_id}/withdraw", {}).status_code == 303
    assert [e.action for e in AuditEvent.query(report_id)].count("withdrawn") == 1
    # it can no longer be asked about
    again = ana.get(f"/report/{report_id}/withdraw")
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/report/{report_id}")


def test_a_report_waiting_for_the_residents_answer_can_be_withdrawn_too(
    client: Client, outbox: RecordingOutbox, review: InstantReview
) -> None:
    ana = signed_in(client, outbox, ANA)
    report_id = submitted(status="info_requested")

    assert f'href="/report/{report_id}/withdraw"' in html(ana.get(f"/report/{report_id}"))
    assert ana.post_form(f"/report/{report_id}/withdraw", {}).status_code == 303

    assert review.resumed[-1] == ("token-2", {"withdrawn": True})
    assert Report.get(report_id, consistent_read=True).status == ReportStatus.WITHDRAWN


def test_another_residents_report_cannot_be_withdrawn_or_even_seen(
    client: Client, outbox: RecordingOutbox
) -> None:
    eve = signed_in(client, outbox, EVE)
    report_id = submitted()

    assert eve.get(f"/report/{report_id}/withdraw").status_code == 404
    assert eve.post_form(f"/report/{report_id}/withdraw", {}).status_code == 404
    assert Report.get(report_id).status == ReportStatus.SUBMITTED


@pytest.mark.parametrize("spoil", ["missing", "wrong", "another_site"])
def test_a_withdrawal_without_the_pages_own_token_is_refused(
    client: Client, outbox: RecordingOutbox, spoil: str
) -> None:
    ana = signed_in(client, outbox, ANA)
    report_id = submitted()
    path = f"/report/{report_id}/withdraw"
    fields = signed({}, ana.cookies, path)
    headers = {**FORM, **ana.header()}
    if spoil == "missing":
        del fields[FORM_FIELD]
    elif spoil == "wrong":
        fields[FORM_FIELD] = "0" * 64
    else:
        headers["Origin"] = "https://evil.example"

    refused = client.http.post(path, body=urlencode(fields), headers=headers)

    assert refused.status_code == 403
    assert Report.get(report_id).status == ReportStatus.SUBMITTED


@pytest.mark.parametrize("status", ["approved", "rejected", "needs_attention", "draft"])
def test_a_report_decided_or_not_submitted_cannot_be_withdrawn(
    client: Client, outbox: RecordingOutbox, status: str
) -> None:
    ana = signed_in(client, outbox, ANA)
    report_id = submitted()
    Report._get_connection().update_item(
        report_id, actions=[Report.status.set(status), Report.review_token.remove()]
    )

    asked = ana.get(f"/report/{report_id}/withdraw")
    refused = ana.post_form(f"/report/{report_id}/withdraw", {})

    assert asked.status_code == 303
    assert refused.status_code == 409
    assert "withdrawn" in html(refused)
    assert Report.get(report_id).status == status


def test_an_empty_answer_is_summarised_and_a_sent_one_confirmed_and_kept(
    client: Client, outbox: RecordingOutbox, review: InstantReview, clock: FakeClock
) -> None:
    """Defect 11: no error summary, no confirmation, and neither the question nor the answer
    to be seen afterwards."""
    ana = signed_in(client, outbox, ANA)
    report_id = submitted(status="info_requested")
    clock.advance(hours=1)

    empty = ana.post_form(f"/report/{report_id}/supplement", {"text": "  "})

    assert empty.status_code == 422
    page = html(empty)
    assert 'class="error-summary"' in page
    assert '<a href="#text">Enter your answer</a>' in page
    assert "<title>Error:" in page

    typed = "Black, with a red saddle & a bell."
    sent = ana.post_form(f"/report/{report_id}/supplement", {"text": typed})

    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(f"/report/{report_id}?done=answered")
    page = html(ana.get(f"/report/{report_id}?done=answered"))
    assert "Your answer was sent" in page
    timeline = page.split('class="timeline"')[1]
    assert timeline.index("What colour is it?") < timeline.index(
        "Black, with a red saddle &amp; a bell."
    )
    assert review.resumed[-1] == ("token-2", {"answered": True})


def test_a_too_long_answer_keeps_what_was_typed(client: Client, outbox: RecordingOutbox) -> None:
    ana = signed_in(client, outbox, ANA)
    report_id = submitted(status="info_requested")

    refused = ana.post_form(f"/report/{report_id}/supplement", {"text": "x" * 3001})

    assert refused.status_code == 422
    assert "x" * 3001 in html(refused)
    assert 'class="error-summary"' in html(refused)
