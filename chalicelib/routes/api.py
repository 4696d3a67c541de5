"""The resident JSON API (the README's resident API tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import services
from ..agency import Step, localise
from ..errors import NotAuthenticated
from ..intake.reports import ReportState
from ..intake.screening import advice
from ..intake.verification import Resident
from ..status import ReportStatus
from .contract import NoContent, QueryParameter, Redirect, Timestamp
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


# -- what the API answers -------------------------------------------------------------------------


class OptionView(BaseModel):
    value: str
    label: str


class QuestionView(BaseModel):
    id: str
    kind: str
    label: str
    hint: str | None
    required: bool
    options: list[OptionView] | None = None
    max_length: int | None = None
    max_items: int | None = None


class AgencyStepView(BaseModel):
    id: str
    title: str
    hint: str | None
    questions: list[QuestionView]


class IncidentTypeView(BaseModel):
    id: str
    label: str
    description: str
    offense_code: str | None
    steps: list[AgencyStepView]


class RecordsDeskView(BaseModel):
    address: str
    hours: str
    phone: str


class ContactsView(BaseModel):
    emergency: str
    non_emergency: str
    website: str | None
    records: RecordsDeskView


class BrandingView(BaseModel):
    primary_colour: str
    logo_text: str


class JurisdictionView(BaseModel):
    cities: list[str]


class AgencyView(BaseModel):
    """What anyone may read of the agency, in one language: what may be reported, and how."""

    id: str
    name: str
    short_code: str
    language: str
    languages: list[str]
    contacts: ContactsView
    branding: BrandingView
    jurisdiction: JurisdictionView
    review_business_days: int
    incident_types: list[IncidentTypeView]


class LinkSent(BaseModel):
    status: Literal["sent"]
    message: str


class SessionOpened(BaseModel):
    session: str = Field(description="Send as `Authorization: Bearer <session>`.")
    expires_at: Timestamp
    language: str


class SessionView(BaseModel):
    email: str
    language: str
    expires_at: Timestamp


class StepView(BaseModel):
    id: str
    title: str
    questions: list[str] = Field(description="The ids of the step's questions.")


class ScreeningView(BaseModel):
    """Why the report cannot be made online, and whom to call instead."""

    rule: str
    reason: str
    instructions: str
    call: str


class TimelineEvent(BaseModel):
    event: str
    at: Timestamp
    text: str | None = Field(
        default=None,
        description="Staff's question (`information_requested`), or the resident's answer "
        "(`information_supplied`).",
    )


class ResidentCorrection(BaseModel):
    """A change staff made to the report before deciding it (who made it is not shown)."""

    question: str = Field(description="The question id, or `incident_type` (reclassified).")
    old: Any = Field(description="The answer before (null: not answered).")
    new: Any = Field(description="The answer now (null: removed with the old incident type).")
    at: Timestamp
    reason: str


class ReportView(BaseModel):
    """A resident's own report. A screened-out report carries `screening` instead of the
    wizard's members (`answers`, `steps`, `next_step`, `complete`); once submitted, `GET` adds
    `timeline`, `copy_url` and `corrections` (what staff changed, oldest first)."""

    id: str
    reference: str
    status: ReportStatus
    incident_type: str
    language: str
    created_at: Timestamp
    updated_at: Timestamp
    submitted_at: Timestamp | None
    case_number: str | None
    info_request: str | None
    rejection_reason: str | None
    screening: ScreeningView | None = None
    answers: dict[str, Any] | None = None
    steps: list[StepView] | None = None
    next_step: StepView | None = None
    complete: bool | None = None
    timeline: list[TimelineEvent] | None = None
    copy_url: str | None = None
    corrections: list[ResidentCorrection] | None = None


class ReportSummary(BaseModel):
    id: str
    reference: str
    status: ReportStatus
    incident_type: str
    created_at: Timestamp
    submitted_at: Timestamp | None


class OwnReports(BaseModel):
    items: list[ReportSummary]


REPORT_FOLLOW_UPS = (
    "one_report",
    "answer_questions",
    "submit_report",
    "answer_information_request",
    "download_copy",
    "report_for_review",
    "decide",
    "withdraw_report",
)
"""What can be done next with a report an answer names (the staff ones by a reviewer)."""

LANGUAGE = QueryParameter(
    "language", "One of the agency's `languages`; any other gives its default language."
)


@api_route(
    blueprint,
    "/api/agency",
    methods=["GET"],
    summary="The agency: what may be reported online, the questions, whom to call",
    answers={200: AgencyView},
    query=(LANGUAGE,),
)
def public_agency_profile() -> Response:
    language = query_param(blueprint.current_request, "language")
    return json_response(AgencyView.model_validate(services.current().agency.public_view(language)))


@api_route(
    blueprint,
    "/api/verifications",
    methods=["POST"],
    summary="Email a sign-in link to an address",
    body=VerificationRequest,
    answers={202: LinkSent},
    refusals=(429,),
)
def request_verification() -> Response:
    """The same answer whether or not the address exists, so it reveals nothing."""
    request = blueprint.current_request
    body = json_body(request, VerificationRequest)
    services.current().verification.send_link(body.email, body.language, client_address(request))
    return json_response(
        LinkSent(status="sent", message="If the address can receive email, a link is on its way."),
        202,
    )


@api_route(
    blueprint,
    "/api/sessions",
    methods=["POST"],
    summary="Open a resident session with the link's token",
    body=SessionRequest,
    answers={201: SessionOpened},
    refusals=(401, 410, 429),
)
def open_session() -> Response:
    body = json_body(blueprint.current_request, SessionRequest)
    opened = services.current().verification.open_session(body.token)
    return json_response(
        SessionOpened(
            session=opened.session, expires_at=opened.expires_at, language=opened.language
        ),
        201,
    )


@api_route(
    blueprint,
    "/api/session",
    methods=["GET"],
    summary="The signed-in resident",
    security="resident",
    answers={200: SessionView},
)
def current_session() -> Response:
    resident = signed_in_resident()
    return json_response(
        SessionView(
            email=resident.email, language=resident.language, expires_at=resident.expires_at
        )
    )


@api_route(
    blueprint,
    "/api/session",
    methods=["DELETE"],
    summary="Sign out: the session is refused from now",
    security="resident",
    answers={204: NoContent},
)
def end_session() -> Response:
    resident = signed_in_resident()
    services.current().verification.end_session(resident)
    return Response(body="", status_code=204)


def step_view(step: Step, language: str) -> StepView:
    return StepView(
        id=step.id,
        title=localise(step.title, language),
        questions=[question.id for question in step.questions],
    )


def report_view(state: ReportState) -> ReportView:
    report = state.report
    agency = services.current().agency
    language = report.language
    view = ReportView(
        id=report.report_id,
        reference=report.report_id,
        status=report.status,
        incident_type=report.incident_type,
        language=language,
        created_at=report.created_at,
        updated_at=report.updated_at,
        submitted_at=report.submitted_at,
        case_number=report.case_number,
        info_request=report.decision_reason
        if report.status == ReportStatus.INFO_REQUESTED
        else None,
        rejection_reason=report.decision_reason if report.status == ReportStatus.REJECTED else None,
    )
    if state.screening is not None:
        told = advice(agency, state.screening, language)
        view.screening = ScreeningView(
            rule=told.rule, reason=told.reason, instructions=told.instructions, call=told.call
        )
        return view
    next_step = state.progress.next_step
    view.answers = report.answers or {}
    view.steps = [step_view(step, language) for step in state.progress.steps]
    view.next_step = step_view(next_step, language) if next_step else None
    view.complete = state.progress.complete
    return view


def report_language(requested: str | None, resident: Resident) -> str:
    return services.current().verification.language(requested or resident.language)


@api_route(
    blueprint,
    "/api/reports",
    methods=["POST"],
    summary="Start a report of one incident type",
    follow_ups=REPORT_FOLLOW_UPS,
    security="resident",
    body=NewReport,
    answers={201: ReportView},
    refusals=(409, 429),
)
def start_report() -> Response:
    resident = signed_in_resident()
    body = json_body(blueprint.current_request, NewReport)
    language = report_language(body.language, resident)
    state = services.current().reports.start(resident, body.incident_type, language)
    return json_response(report_view(state), 201)


@api_route(
    blueprint,
    "/api/reports",
    methods=["GET"],
    summary="The resident's own reports",
    security="resident",
    answers={200: OwnReports},
)
def own_reports() -> Response:
    resident = signed_in_resident()
    reports = services.current().reports.list_own(resident)
    return json_response(
        OwnReports(
            items=[
                ReportSummary(
                    id=report.report_id,
                    reference=report.report_id,
                    status=report.status,
                    incident_type=report.incident_type,
                    created_at=report.created_at,
                    submitted_at=report.submitted_at,
                )
                for report in reports
            ]
        )
    )


@api_route(
    blueprint,
    "/api/reports/{report_id}",
    methods=["GET"],
    summary="One of the resident's reports, with its timeline once submitted",
    security="resident",
    answers={200: ReportView},
)
def one_report(report_id: str) -> Response:
    current = services.current()
    report = current.reports.own(signed_in_resident(), report_id)
    view = report_view(current.reports.state(report))
    if report.status not in (ReportStatus.DRAFT, ReportStatus.SCREENED_OUT):
        view.timeline = [
            TimelineEvent.model_validate(event) for event in current.audit.timeline_of(report)
        ]
        view.copy_url = (
            current.settings.url(f"/api/reports/{report.report_id}/copy")
            if report.status == ReportStatus.APPROVED
            else None
        )
        view.corrections = [
            ResidentCorrection(
                question=c["question"],
                old=c.get("old"),
                new=c.get("new"),
                at=datetime.fromisoformat(c["at"]),
                reason=c["reason"],
            )
            for c in report.corrections or []
        ]
    return json_response(view)


@api_route(
    blueprint,
    "/api/reports/{report_id}/copy",
    methods=["GET"],
    summary="The approved report's PDF copy",
    security="resident",
    answers={302: Redirect},
    refusals=(409,),
)
def download_copy(report_id: str) -> Response:
    """302 to a link that works for a few minutes; anyone else's report is 404."""
    current = services.current()
    report = current.reports.own(signed_in_resident(), report_id)
    return Response(
        body="",
        status_code=302,
        headers={"Location": current.copies.link(report), "Cache-Control": "no-store"},
    )


@api_route(
    blueprint,
    "/api/reports/{report_id}",
    methods=["PATCH"],
    summary="Answer some of the report's questions",
    follow_ups=REPORT_FOLLOW_UPS,
    security="resident",
    body=ReportAnswers,
    answers={200: ReportView},
    refusals=(409,),
)
def answer_questions(report_id: str) -> Response:
    """Answers are merged into those kept; an answer that means police must take the report
    directly ends it here, with the reason and whom to call (`screening`)."""
    resident = signed_in_resident()
    body = json_body(blueprint.current_request, ReportAnswers)
    state = services.current().reports.save_answers(resident, report_id, body.answers)
    return json_response(report_view(state))


@api_route(
    blueprint,
    "/api/reports/{report_id}/submit",
    methods=["POST"],
    summary="Submit the completed report for review",
    follow_ups=REPORT_FOLLOW_UPS,
    security="resident",
    answers={200: ReportView},
    refusals=(409, 422, 429),
)
def submit_report(report_id: str) -> Response:
    state = services.current().reports.submit(signed_in_resident(), report_id)
    return json_response(report_view(state))


@api_route(
    blueprint,
    "/api/reports/{report_id}/supplements",
    methods=["POST"],
    summary="Answer staff's request for more information",
    follow_ups=REPORT_FOLLOW_UPS,
    security="resident",
    body=Supplement,
    answers={201: ReportView},
    refusals=(409,),
)
def answer_information_request(report_id: str) -> Response:
    resident = signed_in_resident()
    body = json_body(blueprint.current_request, Supplement)
    state = services.current().reports.answer_information_request(resident, report_id, body.text)
    return json_response(report_view(state), 201)


@api_route(
    blueprint,
    "/api/reports/{report_id}/withdraw",
    methods=["POST"],
    summary="Withdraw a submitted report before a decision is made",
    follow_ups=REPORT_FOLLOW_UPS,
    security="resident",
    answers={200: ReportView},
    refusals=(409,),
)
def withdraw_report(report_id: str) -> Response:
    """The report will not be reviewed; the resident is emailed. A repeat answers the same;
    a report already decided (or not submitted) is 409."""
    state = services.current().reports.withdraw(signed_in_resident(), report_id)
    return json_response(report_view(state))
