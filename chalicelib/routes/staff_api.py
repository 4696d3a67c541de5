"""The staff JSON API. Every route but sign-in checks the Cognito ID token, its server-side
session (open, not idle) and the group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, RootModel

from .. import services
from ..models import AuditEvent, Report
from ..nibrs import NibrsDocument
from ..review.desk import HOLDERS, ORDERS, QUEUE_STATUSES, QueueEntry
from ..review.nibrs_check import nibrs_check
from ..review.notes import notes_in
from ..review.staff import Challenge, StaffMember
from ..status import Decision as Decisions
from ..status import ReportStatus
from .contract import NoContent, QueryParameter, Timestamp
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


def staff_route(
    path: str, permission: str, *, on: Blueprint = blueprint, **contract: Any
) -> Callable[[View], View]:
    """A staff route (of this module's blueprint, or of the feature module's `on`): its
    permission is checked in the view, and recorded here and in the contract (a refused group
    is 403, a refused credential 401)."""
    for method in contract["methods"]:
        PROTECTED[(method, path)] = permission
    return api_route(on, path, security="staff", permission=permission, **contract)


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

    decision: str = Field(
        max_length=20, json_schema_extra={"enum": [decision.value for decision in Decisions]}
    )
    reason: str | None = Field(default=None, max_length=2000)
    ready_text: str | None = Field(
        default=None,
        max_length=40,
        description="The id of one of the profile's ready-made texts of this decision's kind: "
        "with no `reason`, the reason is that text in the resident's language.",
    )
    confirm_claimed: bool = Field(
        default=False, description="Decide even though another member of staff holds the report."
    )


class SignedIn(BaseModel):
    """The staff member is signed in: send `token` as `Authorization: Bearer <token>`."""

    token: str
    expires_at: Timestamp


class SignInChallenge(BaseModel):
    """One more step before a token: `NEW_PASSWORD_REQUIRED`, `MFA_SETUP` (with the
    authenticator app's secret) or `SOFTWARE_TOKEN_MFA`."""

    challenge: str
    session: str
    secret: str | None = None
    otpauth_uri: str | None = None


class SignInOutcome(RootModel[SignedIn | SignInChallenge]):
    """A token, or the next challenge."""


class QueueItem(BaseModel):
    id: str
    reference: str
    status: ReportStatus
    incident_type: str
    submitted_at: Timestamp
    due: Timestamp
    past_due: bool
    case_number: str | None
    failure: str | None
    came_back: bool = Field(
        default=False, description="Back in the queue after a question to the resident."
    )
    answer: str | None = Field(
        default=None, description="The resident's answer to the latest question, if given."
    )
    claimed_by: str | None = Field(
        default=None, description="The member of staff who holds the report, if anyone does."
    )


class QueuePageView(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None = Field(
        description="Send as `cursor` for the next page; null at the end."
    )


class AuditEntry(BaseModel):
    at: Timestamp
    actor: str
    action: str
    outcome: str
    details: dict[str, Any] | None


class NoteView(BaseModel):
    """An internal note: never shown to the resident."""

    at: Timestamp
    by: str
    text: str


class StaffAttachmentView(BaseModel):
    """A file the resident attached: `accepted` ones (checked, with type, size and SHA-256)
    open through `GET /api/staff/reports/{id}/attachments/{attachment_id}`; `waiting` ones
    have not arrived or not been checked yet; `refused` ones were not kept."""

    id: str
    name: str
    state: str
    media_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    reason_code: str | None = None
    created_at: Timestamp | None = None


class StaffReportView(BaseModel):
    id: str
    reference: str
    status: ReportStatus
    incident_type: str
    offense_code: str | None
    language: str
    contact_email: str
    answers: dict[str, Any]
    supplements: list[dict[str, Any]]
    created_at: Timestamp
    submitted_at: Timestamp | None
    due: Timestamp | None
    past_sla: bool
    decision: str | None
    decision_reason: str | None
    decided_by: str | None
    decided_at: Timestamp | None
    withdrawn_at: Timestamp | None = None
    case_number: str | None
    failure: str | None
    audit: list[AuditEntry]
    claimed_by: str | None = Field(
        default=None, description="The member of staff who holds the report, if anyone does."
    )
    claimed_at: Timestamp | None = None
    notes: list[NoteView] = Field(
        default_factory=list, description="Staff's internal notes, oldest first."
    )
    attachments: list[StaffAttachmentView] = Field(
        default_factory=list, description="The resident's photos and documents, in order."
    )
    nibrs: NibrsView | None = Field(
        default=None,
        description="Its NIBRS document, checked; null when the agency sends none.",
    )


class NibrsProblemView(BaseModel):
    element: str = Field(description="The NIBRS data element, in words.")
    message: str = Field(description="Why it is not valid, in words.")
    question: str | None = Field(
        description="The question whose answer feeds it (correct it through the report's "
        "corrections); null when the agency's profile must change."
    )


class NibrsView(BaseModel):
    """Whether the report makes a valid NIBRS incident document (as it would be sent on
    approval; download it from `GET /api/staff/reports/{id}/nibrs.xml`)."""

    reportable: bool = Field(description="False: its incident type has no NIBRS Group A offense.")
    valid: bool
    problems: list[NibrsProblemView]
    reason: str | None = Field(description="Why it is not reportable, in words.")


class DecisionAccepted(BaseModel):
    id: str
    status: ReportStatus


class Metrics(BaseModel):
    by_status: dict[str, int]
    by_type: dict[str, dict[str, int]]
    median_days_to_decision: float | None
    past_due: int
    promised_business_days: int


class FailedExport(BaseModel):
    id: str
    case_number: str | None
    incident_type: str


class FailedExports(BaseModel):
    items: list[FailedExport]


class ExportRepushed(BaseModel):
    id: str
    export: str = Field(description="The records export object's key.")


def signed_in_view(outcome: Any) -> SignInOutcome:
    if isinstance(outcome, Challenge):
        # Only `MFA_SETUP` carries the app's secret; other challenges leave both members out.
        setup = (
            {"secret": outcome.secret, "otpauth_uri": outcome.otpauth_uri}
            if outcome.secret is not None
            else {}
        )
        return SignInOutcome(
            SignInChallenge(challenge=outcome.name, session=outcome.session, **setup)
        )
    return SignInOutcome(SignedIn(token=outcome.token, expires_at=outcome.expires_at))


def sign_in_route(path: str, summary: str, body: type[BaseModel]) -> Callable[[View], View]:
    """A step of signing in: no token yet; a wrong answer is 401, too many of them 429."""
    return api_route(
        blueprint,
        path,
        methods=["POST"],
        summary=summary,
        body=body,
        answers={200: SignInOutcome},
        refusals=(401, 429),
    )


@sign_in_route("/api/staff/login", "Sign in with username and password", Credentials)
def sign_in() -> Response:
    request = blueprint.current_request
    body = json_body(request, Credentials)
    outcome = services.current().staff_sign_in.sign_in(
        body.username, body.password, client_address(request)
    )
    return json_response(signed_in_view(outcome))


@sign_in_route("/api/staff/login/mfa", "Answer the authenticator code challenge", MfaAnswer)
def answer_mfa() -> Response:
    request = blueprint.current_request
    body = json_body(request, MfaAnswer)
    outcome = services.current().staff_sign_in.answer_challenge(
        body.username, body.session, body.code, client_address(request)
    )
    return json_response(signed_in_view(outcome))


@sign_in_route("/api/staff/login/new-password", "Choose a password at first sign-in", NewPassword)
def choose_password() -> Response:
    request = blueprint.current_request
    body = json_body(request, NewPassword)
    outcome = services.current().staff_sign_in.choose_password(
        body.username, body.session, body.new_password, client_address(request)
    )
    return json_response(signed_in_view(outcome))


@sign_in_route(
    "/api/staff/login/mfa-setup", "Confirm the authenticator app with its first code", MfaAnswer
)
def set_up_authenticator() -> Response:
    request = blueprint.current_request
    body = json_body(request, MfaAnswer)
    outcome = services.current().staff_sign_in.set_up_authenticator(
        body.username, body.session, body.code, client_address(request)
    )
    return json_response(signed_in_view(outcome))


@staff_route(
    "/api/staff/logout", "review", methods=["POST"], summary="Sign out", answers={204: NoContent}
)
def sign_out() -> Response:
    """Ends the token's session and revokes its Cognito tokens: the token is refused from now."""
    staff_member("review")
    services.current().staff_sessions.end(bearer_token(blueprint.current_request))
    return Response(
        body="", status_code=204, headers={"Cache-Control": "no-store", **SECURITY_HEADERS}
    )


def entry_view(entry: QueueEntry) -> QueueItem:
    return QueueItem(
        id=entry.report_id,
        reference=entry.report_id,
        status=entry.status,
        incident_type=entry.incident_type,
        submitted_at=entry.submitted_at,
        due=entry.due,
        past_due=entry.past_due,
        case_number=entry.case_number,
        failure=entry.failure,
        came_back=entry.came_back,
        answer=entry.answer,
        claimed_by=entry.claimed_by,
    )


@staff_route(
    "/api/staff/reports",
    "review",
    methods=["GET"],
    summary="The review queue: one page of a status's reports, oldest (or newest) first",
    answers={200: QueuePageView},
    refusals=(422,),
    query=(
        QueryParameter("status", "Which reports (default submitted).", enum=QUEUE_STATUSES),
        QueryParameter("incident_type", "Only reports of this incident type.", max_length=40),
        QueryParameter("cursor", "The `next_cursor` of the page before.", max_length=1000),
        QueryParameter(
            "holder",
            "Only the reports you hold (`mine`) or that nobody holds (`unclaimed`); "
            "default everyone's.",
            enum=HOLDERS,
        ),
        QueryParameter(
            "order",
            "`oldest` first (the default; also the order they are due in) or `newest` first. "
            "A cursor is only valid in the order it was given in.",
            enum=ORDERS,
        ),
    ),
)
def queue() -> Response:
    member = staff_member("review")
    request = blueprint.current_request
    status = query_param(request, "status")  # `?status=` names no status: refused, not defaulted
    order = query_param(request, "order")
    page = services.current().desk.queue(
        status=ReportStatus.SUBMITTED if status is None else status,
        incident_type=query_param(request, "incident_type"),
        cursor=query_param(request, "cursor"),
        holder=query_param(request, "holder"),
        order="oldest" if order is None else order,
        member=member,
    )
    return json_response(
        QueuePageView(
            items=[entry_view(entry) for entry in page.items], next_cursor=page.next_cursor
        )
    )


def audit_view(event: AuditEvent) -> AuditEntry:
    return AuditEntry(
        at=event.when,
        actor=event.actor,
        action=event.action,
        outcome=event.outcome,
        details=event.details,
    )


def nibrs_view(document: NibrsDocument | None) -> NibrsView | None:
    if document is None:
        return None
    return NibrsView(
        reportable=document.reportable,
        valid=document.valid,
        problems=[
            NibrsProblemView(element=p.element, message=p.message, question=p.question)
            for p in document.problems
        ],
        reason=document.reason,
    )


def full_report_view(report: Report, history: list[AuditEvent]) -> StaffReportView:
    current = services.current()
    incident_type = current.agency.incident_type(report.incident_type)
    return StaffReportView(
        id=report.report_id,
        reference=report.report_id,
        status=report.status,
        incident_type=report.incident_type,
        offense_code=getattr(incident_type, "offense_code", None),
        language=report.language,
        contact_email=report.contact_email,
        answers=report.answers or {},
        supplements=report.supplements or [],
        created_at=report.created_at,
        submitted_at=report.submitted_at,
        due=current.calendar.due(report.listed_at) if report.listed_at else None,
        past_sla=bool(report.past_sla),
        decision=report.decision,
        decision_reason=report.decision_reason,
        decided_by=report.decided_by,
        decided_at=report.decided_at,
        withdrawn_at=report.withdrawn_at,
        case_number=report.case_number,
        failure=report.failure,
        audit=[audit_view(event) for event in history],
        claimed_by=report.claimed_by,
        claimed_at=report.claimed_at,
        notes=[NoteView(at=note.at, by=note.by, text=note.text) for note in notes_in(history)],
        attachments=[
            StaffAttachmentView.model_validate(
                {k: v for k, v in entry.items() if k in StaffAttachmentView.model_fields}
            )
            for entry in report.attachments or []
        ],
        nibrs=nibrs_view(nibrs_check(current.agency, report, current.clock())),
    )


@staff_route(
    "/api/staff/reports/{report_id}",
    "review",
    methods=["GET"],
    summary="One report in full, with its audit trail",
    answers={200: StaffReportView},
)
def report_for_review(report_id: str) -> Response:
    member = staff_member("review")
    report, history = services.current().desk.report(member, report_id)
    return json_response(full_report_view(report, history))


@staff_route(
    "/api/staff/reports/{report_id}/decision",
    "review",
    methods=["POST"],
    summary="Approve, reject with a reason, or ask the resident for more information",
    body=Decision,
    answers={202: DecisionAccepted},
    refusals=(409,),
    follow_ups=("report_for_review",),
)
def decide(report_id: str) -> Response:
    """An approval is refused (409, the problems in `fields` by question) when the report would
    not make a valid NIBRS document and the agency's profile does not allow approving one."""
    member = staff_member("review")
    body = json_body(blueprint.current_request, Decision)
    report = services.current().desk.decide(
        member,
        report_id,
        body.decision,
        body.reason,
        ready_text=body.ready_text,
        confirm_claimed=body.confirm_claimed,
    )
    return json_response(DecisionAccepted(id=report.report_id, status=report.status), 202)


@staff_route(
    "/api/staff/metrics",
    "metrics",
    methods=["GET"],
    summary="Counts by status and type, time to decision, reports past the promised time",
    answers={200: Metrics},
)
def metrics() -> Response:
    staff_member("metrics")
    return json_response(Metrics.model_validate(services.current().desk.metrics()))


@staff_route(
    "/api/staff/exports",
    "administer",
    methods=["GET"],
    summary="Approved reports whose records export failed",
    answers={200: FailedExports},
)
def failed_exports() -> Response:
    staff_member("administer")
    reports = services.current().desk.failed_exports()
    return json_response(
        FailedExports(
            items=[
                FailedExport(
                    id=r.report_id, case_number=r.case_number, incident_type=r.incident_type
                )
                for r in reports
            ]
        )
    )


@staff_route(
    "/api/staff/reports/{report_id}/export",
    "administer",
    methods=["POST"],
    summary="Send an approved report to the records system again",
    answers={202: ExportRepushed},
    refusals=(409,),
)
def repush_export(report_id: str) -> Response:
    member = staff_member("administer")
    key = services.current().desk.repush_export(member, report_id)
    return json_response(ExportRepushed(id=report_id, export=key), 202)


@staff_route(
    "/api/staff/reports/{report_id}/retry",
    "administer",
    methods=["POST"],
    summary="Retry the review of a report that needs attention, from where it stopped",
    answers={202: DecisionAccepted},
    refusals=(409,),
    follow_ups=("report_for_review",),
)
def retry_review(report_id: str) -> Response:
    """Nothing already done is done again: the case number, the copy, the emails sent."""
    member = staff_member("administer")
    report = services.current().desk.retry(member, report_id)
    return json_response(DecisionAccepted(id=report.report_id, status=report.status), 202)
