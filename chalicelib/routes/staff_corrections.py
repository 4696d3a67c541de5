"""Staff correct a report before deciding it: the JSON API and the form page."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import services
from ..errors import InvalidInput, StaleEdit
from ..review.corrections import Corrected, CorrectionForm, ScreeningWarning
from ..review.staff import StaffMember
from .edge import form_body, json_body, json_response, query_param
from .html import FORM
from .report_pages import answer_from_form, edit_items
from .staff_api import staff_member, staff_route
from .staff_pages import go, staff_page, staff_page_route

blueprint = Blueprint(__name__)


class CorrectionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    answers: dict[str, Any] = Field(
        default_factory=dict,
        description="The corrected answers, by question id, as the resident's API takes them.",
    )
    incident_type: str | None = Field(
        default=None, max_length=40, description="A new incident type: the report is reclassified."
    )
    reason: str | None = Field(
        default=None,
        max_length=1000,
        description="Why (1 to 200 characters): the resident reads it.",
    )
    revision: int = Field(
        default=0, ge=0, le=1_000_000, description="The report's `revision` you read (0 if none)."
    )


class CorrectionRecord(BaseModel):
    question: str = Field(description="A question id, or `incident_type` for a reclassification.")
    old: Any
    new: Any
    by: str
    at: str
    reason: str


class WarningView(BaseModel):
    """A screening rule the answers meet: online, it would have stopped the resident."""

    rule: str
    reason: str


class CorrectionsView(BaseModel):
    id: str
    revision: int = Field(description="Send it back with the next correction.")
    incident_type: str
    corrections: list[CorrectionRecord] = Field(
        description="All the report's corrections (GET), or the ones just made (POST)."
    )
    warnings: list[WarningView]


def warning_views(warnings: list[ScreeningWarning]) -> list[WarningView]:
    return [WarningView(rule=warning.rule, reason=warning.reason) for warning in warnings]


@staff_route(
    "/api/staff/reports/{report_id}/corrections",
    "review",
    on=blueprint,
    methods=["GET"],
    summary="A report's corrections, its revision to correct from, and its screening warnings",
    answers={200: CorrectionsView},
    refusals=(409,),
)
def corrections_of(report_id: str) -> Response:
    staff_member("review")
    shown = services.current().corrections.form(report_id)
    return json_response(
        CorrectionsView(
            id=shown.report.report_id,
            revision=int(shown.report.answers_revision or 0),
            incident_type=shown.report.incident_type,
            corrections=[
                CorrectionRecord.model_validate(c) for c in shown.report.corrections or []
            ],
            warnings=warning_views(shown.warnings),
        )
    )


@staff_route(
    "/api/staff/reports/{report_id}/corrections",
    "review",
    on=blueprint,
    methods=["POST"],
    summary="Correct a report's answers or reclassify it before deciding (with the reason)",
    body=CorrectionRequest,
    answers={200: CorrectionsView},
    refusals=(409,),
    follow_ups=("report_for_review",),
)
def correct(report_id: str) -> Response:
    """Checked as the resident's answers are; screening rules the answers meet come back as
    `warnings`. A stale `revision` is 409 with `conflicts` (yours and the current value of each
    field); a decided report is 409."""
    member = staff_member("review")
    body = json_body(blueprint.current_request, CorrectionRequest)
    done = services.current().corrections.correct(
        member, report_id, body.answers, body.incident_type, body.reason, body.revision
    )
    return json_response(corrected_view(done))


def corrected_view(done: Corrected) -> CorrectionsView:
    return CorrectionsView(
        id=done.report.report_id,
        revision=done.revision,
        incident_type=done.report.incident_type,
        corrections=[CorrectionRecord.model_validate(c) for c in done.corrections],
        warnings=warning_views(done.warnings),
    )


# -- the page ------------------------------------------------------------------------------------


def form_page(
    member: StaffMember,
    shown: CorrectionForm,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    reason: str = "",
    conflicts: dict[str, dict[str, Any]] | None = None,
    saved: bool = False,
    revision: object = None,
    status: int = 200,
) -> Response:
    """`revision` is the one the clerk's form was read at (kept through a refused or reloaded
    form, so that a colleague's edit in between is still caught); by default the report's."""
    agency = services.current().agency
    return staff_page(
        "pages/staff/corrections.html",
        member,
        status,
        report=shown.report,
        incident_type=shown.incident_type,
        steps=agency.steps_for(shown.incident_type),
        values=values,
        errors=errors or {},
        reason=reason,
        revision=int(shown.report.answers_revision or 0) if revision is None else revision,
        warnings=shown.warnings,
        conflicts=conflicts or {},
        saved=saved,
    )


@staff_page_route("/staff/reports/{report_id}/corrections", on=blueprint, methods=["GET"])
def correction_form(member: StaffMember, report_id: str) -> Response:
    request = blueprint.current_request
    shown = services.current().corrections.form(report_id)
    return form_page(
        member, shown, dict(shown.report.answers or {}), saved=query_param(request, "saved") == "1"
    )


@staff_page_route("/staff/reports/{report_id}/corrections", on=blueprint, methods=["POST"], **FORM)
def save_corrections(member: StaffMember, report_id: str) -> Response:
    form = form_body(blueprint.current_request)
    corrections = services.current().corrections
    chosen = form.get("incident_type") or None
    try:
        shown = corrections.form(report_id, chosen)
    except InvalidInput as error:  # an incident type the agency does not have
        shown = corrections.form(report_id)
        return form_page(
            member, shown, dict(shown.report.answers or {}), errors=error.fields, status=422
        )
    typed = {q.id: answer_from_form(q, form) for q in shown.questions.values()}
    values = {**(shown.report.answers or {}), **typed}
    reason = form.get("reason", "")
    action = form.get("action", "save")
    revision_text = form.get("revision", "")
    revision: object = int(revision_text) if revision_text.isdigit() else revision_text
    if action == "type":  # show the questions of the chosen type, keeping what was typed
        return form_page(member, shown, values, reason=reason, revision=revision)
    if action == "add" or action.startswith("remove-"):
        for step in services.current().agency.steps_for(shown.incident_type):
            values.update(edit_items(step, typed, action))
        return form_page(member, shown, values, reason=reason, revision=revision)
    try:
        done = corrections.correct(member, report_id, typed, chosen, reason, revision)
    except StaleEdit as error:
        current = corrections.form(report_id)
        return form_page(
            member,
            current,
            dict(current.report.answers or {}),
            errors={"corrections": error.message},
            reason=reason,
            conflicts=error.conflicts,
            status=409,
        )
    except InvalidInput as error:
        return form_page(
            member,
            shown,
            values,
            errors=error.fields or {"corrections": error.message},
            reason=reason,
            revision=revision,
            status=422,
        )
    report_path = f"/staff/reports/{done.report.report_id}"
    if done.warnings:  # the form page shows them, with the answers as they now stand
        return go(f"{report_path}/corrections?saved=1")
    return go(f"{report_path}?done=corrected")
