"""The staff JSON API. Every route but sign-in checks the Cognito ID token, its server-side
session (open, not idle) and the group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import services
from ..models import AuditEvent, Report
from ..review.desk import QueueEntry
from ..review.staff import Challenge, StaffMember
from ..status import ReportStatus
from .edge import (
    SECURITY_HEADERS,
    View,
    api_route,
    bearer_token,
    client_address,
    json_body,
    json_response,
    query_param,
)

blueprint = Blueprint(__name__)

PROTECTED: dict[tuple[str, str], str] = {}
"""(method, path) → the permission a staff route requires; the tests walk it."""


def staff_route(path: str, permission: str, **options: Any) -> Callable[[View], View]:
    for method in options.get("methods", ["GET"]):
        PROTECTED[(method, path)] = permission
    return api_route(blueprint, path, **options)


def staff_member(permission: str) -> StaffMember:
    token = bearer_token(blueprint.current_request)
    return services.current().staff_sessions.require(token, permission)


class Credentials(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: str = Field(max_length=128)
    password: str = Field(max_length=256)


class MfaAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: str = Field(max_length=128)
    session: str = Field(min_length=20, max_length=2048)
    code: str = Field(pattern=r"^\d{6}$")


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: str = Field(max_length=128)
    session: str = Field(min_length=20, max_length=2048)
    new_password: str = Field(min_length=1, max_length=256)


class Decision(BaseModel):
    model_config = ConfigDict(extra="ignore")

    decision: str = Field(max_length=20)
    reason: str | None = Field(default=None, max_length=2000)


def signed_in_view(outcome: Any) -> dict[str, object]:
    """A token, or the next challenge: `MFA_SETUP` adds the authenticator app's secret."""
    if isinstance(outcome, Challenge):
        view: dict[str, object] = {"challenge": outcome.name, "session": outcome.session}
        if outcome.secret is not None:
            view.update(secret=outcome.secret, otpauth_uri=outcome.otpauth_uri)
        return view
    return {"token": outcome.token, "expires_at": outcome.expires_at.isoformat()}


@api_route(blueprint, "/api/staff/login", methods=["POST"])
def sign_in() -> Response:
    request = blueprint.current_request
    body = json_body(request, Credentials)
    outcome = services.current().staff_sign_in.sign_in(
        body.username, body.password, client_address(request)
    )
    return json_response(signed_in_view(outcome))


@api_route(blueprint, "/api/staff/login/mfa", methods=["POST"])
def answer_mfa() -> Response:
    request = blueprint.current_request
    body = json_body(request, MfaAnswer)
    outcome = services.current().staff_sign_in.answer_challenge(
        body.username, body.session, body.code, client_address(request)
    )
    return json_response(signed_in_view(outcome))


@api_route(blueprint, "/api/staff/login/new-password", methods=["POST"])
def choose_password() -> Response:
    request = blueprint.current_request
    body = json_body(request, NewPassword)
    outcome = services.current().staff_sign_in.choose_password(
        body.username, body.session, body.new_password, client_address(request)
    )
    return json_response(signed_in_view(outcome))


@api_route(blueprint, "/api/staff/login/mfa-setup", methods=["POST"])
def set_up_authenticator() -> Response:
    request = blueprint.current_request
    body = json_body(request, MfaAnswer)
    outcome = services.current().staff_sign_in.set_up_authenticator(
        body.username, body.session, body.code, client_address(request)
    )
    return json_response(signed_in_view(outcome))


@staff_route("/api/staff/logout", "review", methods=["POST"])
def sign_out() -> Response:
    """Ends the token's session and revokes its Cognito tokens: the token is refused from now."""
    staff_member("review")
    services.current().staff_sessions.end(bearer_token(blueprint.current_request))
    return Response(
        body="", status_code=204, headers={"Cache-Control": "no-store", **SECURITY_HEADERS}
    )


def entry_view(entry: QueueEntry) -> dict[str, object]:
    return {
        "id": entry.report_id,
        "reference": entry.report_id,
        "status": entry.status,
        "incident_type": entry.incident_type,
        "submitted_at": entry.submitted_at.isoformat(),
        "due": entry.due.isoformat(),
        "past_due": entry.past_due,
        "case_number": entry.case_number,
        "failure": entry.failure,
    }


@staff_route("/api/staff/reports", "review", methods=["GET"])
def queue() -> Response:
    staff_member("review")
    request = blueprint.current_request
    page = services.current().desk.queue(
        status=query_param(request, "status") or ReportStatus.SUBMITTED,
        incident_type=query_param(request, "incident_type"),
        cursor=query_param(request, "cursor"),
    )
    return json_response(
        {"items": [entry_view(entry) for entry in page.items], "next_cursor": page.next_cursor}
    )


def audit_view(event: AuditEvent) -> dict[str, object]:
    return {
        "at": event.when.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "outcome": event.outcome,
        "details": event.details,
    }


def full_report_view(report: Report, history: list[AuditEvent]) -> dict[str, object]:
    calendar = services.current().calendar
    return {
        "id": report.report_id,
        "reference": report.report_id,
        "status": report.status,
        "incident_type": report.incident_type,
        "offense_code": getattr(
            services.current().agency.incident_type(report.incident_type), "offense_code", None
        ),
        "language": report.language,
        "contact_email": report.contact_email,
        "answers": report.answers or {},
        "supplements": report.supplements or [],
        "created_at": report.created_at.isoformat(),
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
        "due": calendar.due(report.listed_at).isoformat() if report.listed_at else None,
        "past_sla": bool(report.past_sla),
        "decision": report.decision,
        "decision_reason": report.decision_reason,
        "decided_by": report.decided_by,
        "decided_at": report.decided_at.isoformat() if report.decided_at else None,
        "case_number": report.case_number,
        "failure": report.failure,
        "audit": [audit_view(event) for event in history],
    }


@staff_route("/api/staff/reports/{report_id}", "review", methods=["GET"])
def one_report(report_id: str) -> Response:
    member = staff_member("review")
    report, history = services.current().desk.report(member, report_id)
    return json_response(full_report_view(report, history))


@staff_route("/api/staff/reports/{report_id}/decision", "review", methods=["POST"])
def decide(report_id: str) -> Response:
    member = staff_member("review")
    body = json_body(blueprint.current_request, Decision)
    report = services.current().desk.decide(member, report_id, body.decision, body.reason)
    return json_response({"id": report.report_id, "status": report.status}, 202)


@staff_route("/api/staff/metrics", "metrics", methods=["GET"])
def metrics() -> Response:
    staff_member("metrics")
    return json_response(services.current().desk.metrics())


@staff_route("/api/staff/exports", "administer", methods=["GET"])
def failed_exports() -> Response:
    staff_member("administer")
    reports = services.current().desk.failed_exports()
    return json_response(
        {
            "items": [
                {"id": r.report_id, "case_number": r.case_number, "incident_type": r.incident_type}
                for r in reports
            ]
        }
    )


@staff_route("/api/staff/reports/{report_id}/export", "administer", methods=["POST"])
def repush_export(report_id: str) -> Response:
    member = staff_member("administer")
    key = services.current().desk.repush_export(member, report_id)
    return json_response({"id": report_id, "export": key}, 202)
