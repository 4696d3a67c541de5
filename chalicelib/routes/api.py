"""The resident JSON API (the README's resident API tables)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import services
from ..agency import Step, localise
from ..errors import NotAuthenticated
from ..i18n import translator
from ..intake.reports import ReportState
from ..intake.verification import Resident
from ..status import ReportStatus
from .edge import (
    api_route,
    bearer_token,
    client_address,
    json_body,
    json_response,
    query_param,
)

blueprint = Blueprint(__name__)


class VerificationRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: str = Field(max_length=320)
    language: str | None = Field(default=None, max_length=10)


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    token: str = Field(max_length=200)


def signed_in_resident() -> Resident:
    session = bearer_token(blueprint.current_request)
    if session is None:
        raise NotAuthenticated("Send your session as 'Authorization: Bearer <session>'.")
    return services.current().verification.resident(session)


class NewReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    incident_type: str = Field(max_length=40)
    language: str | None = Field(default=None, max_length=10)


class Supplement(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(max_length=3500)


class ReportAnswers(BaseModel):
    model_config = ConfigDict(extra="ignore")

    answers: dict[str, Any]


@api_route(blueprint, "/api/agency", methods=["GET"])
def public_agency_profile() -> Response:
    language = query_param(blueprint.current_request, "language")
    return json_response(services.current().agency.public_view(language))


@api_route(blueprint, "/api/verifications", methods=["POST"])
def request_verification() -> Response:
    request = blueprint.current_request
    body = json_body(request, VerificationRequest)
    services.current().verification.send_link(body.email, body.language, client_address(request))
    return json_response(
        {"status": "sent", "message": "If the address can receive email, a link is on its way."},
        202,
    )


@api_route(blueprint, "/api/sessions", methods=["POST"])
def open_session() -> Response:
    body = json_body(blueprint.current_request, SessionRequest)
    opened = services.current().verification.open_session(body.token)
    return json_response(
        {
            "session": opened.session,
            "expires_at": opened.expires_at.isoformat(),
            "language": opened.language,
        },
        201,
    )


@api_route(blueprint, "/api/session", methods=["GET"])
def current_session() -> Response:
    resident = signed_in_resident()
    return json_response(
        {
            "email": resident.email,
            "language": resident.language,
            "expires_at": resident.expires_at.isoformat(),
        }
    )


@api_route(blueprint, "/api/session", methods=["DELETE"])
def end_session() -> Response:
    resident = signed_in_resident()
    services.current().verification.end_session(resident)
    return Response(body="", status_code=204)


def step_view(step: Step, language: str) -> dict[str, object]:
    return {
        "id": step.id,
        "title": localise(step.title, language),
        "questions": [question.id for question in step.questions],
    }


def report_view(state: ReportState) -> dict[str, object]:
    report = state.report
    agency = services.current().agency
    language = report.language
    view: dict[str, object] = {
        "id": report.report_id,
        "reference": report.report_id,
        "status": report.status,
        "incident_type": report.incident_type,
        "language": language,
        "created_at": report.created_at.isoformat(),
        "updated_at": report.updated_at.isoformat(),
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
        "case_number": report.case_number,
        "info_request": report.decision_reason
        if report.status == ReportStatus.INFO_REQUESTED
        else None,
        "rejection_reason": report.decision_reason
        if report.status == ReportStatus.REJECTED
        else None,
    }
    if state.screening is not None:
        rule = state.screening
        number = getattr(agency.contacts, rule.contact)
        _ = translator(language)
        instructions = (
            _("Call %(number)s now.")
            if rule.contact == "emergency"
            else _("Call the non-emergency line, %(number)s, and an officer will take your report.")
        )
        view["screening"] = {
            "rule": rule.id,
            "reason": localise(rule.reason, language),
            "instructions": instructions % {"number": number},
            "call": number,
        }
        return view
    next_step = state.progress.next_step
    view |= {
        "answers": report.answers or {},
        "steps": [step_view(step, language) for step in state.progress.steps],
        "next_step": step_view(next_step, language) if next_step else None,
        "complete": state.progress.complete,
    }
    return view


def report_language(requested: str | None, resident: Resident) -> str:
    return services.current().verification.language(requested or resident.language)


@api_route(blueprint, "/api/reports", methods=["POST"])
def start_report() -> Response:
    resident = signed_in_resident()
    body = json_body(blueprint.current_request, NewReport)
    language = report_language(body.language, resident)
    state = services.current().reports.start(resident, body.incident_type, language)
    return json_response(report_view(state), 201)


@api_route(blueprint, "/api/reports", methods=["GET"])
def own_reports() -> Response:
    resident = signed_in_resident()
    reports = services.current().reports.list_own(resident)
    return json_response(
        {
            "items": [
                {
                    "id": report.report_id,
                    "reference": report.report_id,
                    "status": report.status,
                    "incident_type": report.incident_type,
                    "created_at": report.created_at.isoformat(),
                    "submitted_at": report.submitted_at.isoformat()
                    if report.submitted_at
                    else None,
                }
                for report in reports
            ]
        }
    )


@api_route(blueprint, "/api/reports/{report_id}", methods=["GET"])
def one_report(report_id: str) -> Response:
    current = services.current()
    report = current.reports.own(signed_in_resident(), report_id)
    view = report_view(current.reports.state(report))
    if report.status not in (ReportStatus.DRAFT, ReportStatus.SCREENED_OUT):
        view["timeline"] = current.audit.resident_timeline(report.report_id)
        view["copy_url"] = (
            current.settings.url(f"/api/reports/{report.report_id}/copy")
            if report.status == ReportStatus.APPROVED
            else None
        )
    return json_response(view)


@api_route(blueprint, "/api/reports/{report_id}/copy", methods=["GET"])
def download_copy(report_id: str) -> Response:
    """302 to a link that works for a few minutes; anyone else's report is 404."""
    current = services.current()
    report = current.reports.own(signed_in_resident(), report_id)
    return Response(
        body="",
        status_code=302,
        headers={"Location": current.copies.link(report), "Cache-Control": "no-store"},
    )


@api_route(blueprint, "/api/reports/{report_id}", methods=["PATCH"])
def answer_questions(report_id: str) -> Response:
    resident = signed_in_resident()
    body = json_body(blueprint.current_request, ReportAnswers)
    state = services.current().reports.save_answers(resident, report_id, body.answers)
    return json_response(report_view(state))


@api_route(blueprint, "/api/reports/{report_id}/submit", methods=["POST"])
def submit_report(report_id: str) -> Response:
    state = services.current().reports.submit(signed_in_resident(), report_id)
    return json_response(report_view(state))


@api_route(blueprint, "/api/reports/{report_id}/supplements", methods=["POST"])
def answer_information_request(report_id: str) -> Response:
    resident = signed_in_resident()
    body = json_body(blueprint.current_request, Supplement)
    state = services.current().reports.answer_information_request(resident, report_id, body.text)
    return json_response(report_view(state), 201)
