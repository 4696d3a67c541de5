"""The report wizard: one step per page, check your answers, submit. No JavaScript needed."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from chalice.app import Blueprint, Response

from .. import services
from ..agency import ATTACHMENTS_STEP, Question, Step
from ..attachments.uploads import OPEN, AttachmentList, UploadForm
from ..errors import DomainError, InvalidInput
from ..intake.references import normalise_reference
from ..intake.reports import ReportState
from ..intake.verification import Resident
from ..status import WITHDRAWABLE, ReportStatus
from .edge import (
    form_body,
    json_error,
    json_response,
    query_param,
    status_for,
    upload_page_policy,
)
from .html import (
    FORM,
    gettext_for,
    go_to,
    page,
    page_language,
    page_routes,
    sign_in_again,
    signed_in_resident,
)

blueprint = Blueprint(__name__)
page_route = page_routes(blueprint)

_ITEM_FIELD = re.compile(
    r"^(?P<question>[a-z0-9_]+)\.(?P<index>\d{1,2})\.(?P<part>description|kind|serial|value)$"
)
ADDRESS_PARTS = ("line1", "line2", "city", "zip")
# What the "is that answer right?" page sends itself, not again from what was typed.
RESENT_BY_THE_PAGE = frozenset({"form_token", "action", "screening"})


def resident_or_none() -> Resident | None:
    return signed_in_resident(blueprint.current_request)


def render_page(template: str, status: int = 200, **context: Any) -> Response:
    return page(blueprint.current_request, template, status, **context)


def upload_headers() -> dict[str, Any]:
    return {
        "Content-Security-Policy": upload_page_policy(services.current().attachment_files.origin)
    }


def attachments_of(state: ReportState) -> AttachmentList | None:
    """The report's attachments (each arrived file checked now) when its page offers uploads:
    the profile places the step for its type and no decision is made yet."""
    if state.progress.attachments_at is None or state.report.status not in OPEN:
        return None
    return services.current().attachments.entries_of(state.report)


def uploaded_notice(before: ReportState, key: str | None) -> str | None:
    """Words for a file S3 redirected back with: a form used again (its entry was checked
    before this upload arrived, so the new file stays in quarantine, unread, until the
    bucket's lifecycle removes it) or one for another report."""
    if key is None:
        return None
    _ = gettext_for(blueprint.current_request)
    prefix = f"quarantine/{before.report.report_id}/"
    entry = next(
        (
            e
            for e in before.report.attachments or []
            if key.startswith(prefix) and e["id"] == key.removeprefix(prefix)
        ),
        None,
    )
    if entry is None:
        return _("That upload form is not for this report: the file was not added.")
    if entry["state"] != "waiting":
        return _(
            "That upload form was already used: the file was not added. "
            "Choose “Add a photo or document” to send another."
        )
    return None


@page_route("/report", methods=["GET"])
def choose_incident_type() -> Response:
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(blueprint.current_request)
    reports = services.current().reports
    draft_id = query_param(blueprint.current_request, "draft")
    draft = reports.own(resident, draft_id) if draft_id else None
    drafts = [r for r in reports.list_own(resident) if r.status == ReportStatus.DRAFT]
    return render_page(
        "pages/report/choose.html",
        resident=resident,
        drafts=[] if draft else drafts,
        draft=draft,
        errors={},
        chosen=draft.incident_type if draft else None,
        confirmed=query_param(blueprint.current_request, "confirmed") == "1",
    )


@page_route("/report", methods=["POST"], **FORM)
def start_report() -> Response:
    request = blueprint.current_request
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(request)
    form = form_body(request)
    chosen, draft_id = form.get("incident_type"), form.get("draft")
    reports = services.current().reports
    language = page_language(request, resident)
    try:
        if draft_id:
            state = reports.change_type(resident, draft_id, chosen, language)
        else:
            state = reports.start(resident, chosen, language)
    except InvalidInput as error:
        draft = reports.own(resident, draft_id) if draft_id else None
        drafts = [r for r in reports.list_own(resident) if r.status == ReportStatus.DRAFT]
        return render_page(
            "pages/report/choose.html",
            422,
            resident=resident,
            drafts=[] if draft else drafts,
            draft=draft,
            errors=error.fields,
            chosen=chosen,
        )
    return go_to(step_path(state))


def step_path(state: ReportState) -> str:
    report_id = state.report.report_id
    if state.report.status == ReportStatus.SCREENED_OUT:
        return f"/report/{report_id}/stopped"
    if state.report.status != ReportStatus.DRAFT:
        return f"/report/{report_id}"
    next_step = state.progress.next_step
    return f"/report/{report_id}/step/{next_step.id}" if next_step else f"/report/{report_id}/check"


def own_state(resident: Resident, report_id: str) -> ReportState:
    reports = services.current().reports
    return reports.state(reports.own(resident, report_id))


@page_route("/reports", methods=["GET"])
def my_reports() -> Response:
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(blueprint.current_request)
    reports = services.current().reports.list_own(resident)
    return render_page("pages/report/mine.html", resident=resident, reports=reports)


@page_route("/report/{report_id}/step/{step_id}", methods=["GET"])
def show_step(report_id: str, step_id: str) -> Response:
    if step_id == ATTACHMENTS_STEP:
        return attachments_step(report_id)
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(blueprint.current_request)
    state = own_state(resident, report_id)
    step = state.progress.step(step_id)
    if (
        state.report.status != ReportStatus.DRAFT
        or step is None
        or not state.progress.may_open(step_id)
    ):
        return go_to(step_path(state))
    values = dict(state.report.answers or {})
    return step_page(
        state,
        step,
        values,
        errors={},
        changing=query_param(blueprint.current_request, "change") == "1",
    )


@page_route("/report/{report_id}/step/{step_id}", methods=["POST"], **FORM)
def save_step(report_id: str, step_id: str) -> Response:
    if step_id == ATTACHMENTS_STEP:
        return attachments_action(report_id)
    request = blueprint.current_request
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(request)
    state = own_state(resident, report_id)
    step = state.progress.step(step_id)
    if (
        state.report.status != ReportStatus.DRAFT
        or step is None
        or not state.progress.may_open(step_id)
    ):
        return go_to(step_path(state))
    form = form_body(request)
    changing = form.get("change") == "1"
    answers = answers_from_form(step, form)
    action = form.get("action", "continue")
    if form.get("screening") == "back":  # "Go back and change my answer": nothing was kept
        return step_page(state, step, {**(state.report.answers or {}), **answers}, {}, changing)
    if action == "add" or action.startswith("remove-"):
        return step_page(
            state,
            step,
            {**(state.report.answers or {}), **edit_items(step, answers, action)},
            {},
            changing,
        )
    try:
        saved = services.current().reports.save_answers(
            resident,
            report_id,
            answers,
            page_language(request, resident),
            ask_first=form.get("screening") != "confirmed",
        )
    except InvalidInput as error:
        return step_page(
            state,
            step,
            {**(state.report.answers or {}), **answers},
            error.fields,
            changing,
            status_for(error),
        )
    if saved.would_screen_out is not None:
        return render_page(
            "pages/report/screening.html",
            state=saved,
            step=step,
            rule=saved.would_screen_out,
            typed={k: v for k, v in form.items() if k not in RESENT_BY_THE_PAGE},
        )
    if changing and saved.progress.complete and saved.report.status == ReportStatus.DRAFT:
        return go_to(f"/report/{saved.report.report_id}/check")
    before_attachments = saved.progress.before_attachments()
    if (
        saved.report.status == ReportStatus.DRAFT
        and before_attachments is not None
        and before_attachments.id == step.id
        and saved.progress.may_open_attachments()
    ):
        return go_to(f"/report/{saved.report.report_id}/step/attachments")
    return go_to(step_path(saved))


def step_page(
    state: ReportState,
    step: Step,
    values: dict[str, Any],
    errors: dict[str, str],
    changing: bool,
    status: int = 200,
) -> Response:
    previous = state.progress.previous(step.id)
    report_id = state.report.report_id
    after_attachments = state.progress.after_attachments()
    back = (
        f"/report/{report_id}/check"
        if changing
        else f"/report/{report_id}/step/attachments"
        if after_attachments is not None and after_attachments.id == step.id
        else f"/report/{report_id}/step/{previous.id}"
        if previous
        else f"/report?draft={report_id}"
    )
    return render_page(
        "pages/report/step.html",
        status,
        state=state,
        step=step,
        values=values,
        errors=errors,
        changing=changing,
        back=back,
        position=state.progress.position(step.id),
        total=state.progress.total,
    )


def answers_from_form(step: Step, form: dict[str, str]) -> dict[str, Any]:
    """The raw answers of one step, as the domain's validators take them."""
    answers: dict[str, Any] = {}
    for question in step.questions:
        answers[question.id] = answer_from_form(question, form)
    return answers


def answer_from_form(question: Question, form: dict[str, str]) -> Any:
    if question.kind == "address":
        return {part: form.get(f"{question.id}.{part}", "") for part in ADDRESS_PARTS}
    if question.kind == "date_range":
        return {side: form.get(f"{question.id}.{side}", "") for side in ("from", "to")}
    if question.kind == "items":
        rows: dict[int, dict[str, str]] = {}
        for name, value in form.items():
            match = _ITEM_FIELD.match(name)
            if match and match["question"] == question.id:
                rows.setdefault(int(match["index"]), {})[match["part"]] = value
        return [rows[index] for index in sorted(rows)]
    return form.get(question.id)


def edit_items(step: Step, answers: dict[str, Any], action: str) -> dict[str, Any]:
    """Add a blank row, or remove one, without saving: the form keeps what was typed."""
    edited = dict(answers)
    for question in step.questions:
        if question.kind != "items":
            continue
        rows = list(edited.get(question.id) or [])
        if action == "add" and len(rows) < question.max_items:
            rows.append({"description": "", "serial": "", "value": ""})
        elif action.startswith("remove-") and action.removeprefix("remove-").isdigit():
            index = int(action.removeprefix("remove-"))
            if index < len(rows):
                rows.pop(index)
        edited[question.id] = rows
    return edited


@page_route("/report/{report_id}/check", methods=["GET"])
def check_answers(report_id: str) -> Response:
    return _check_page(report_id, errors={})


def _check_page(report_id: str, errors: dict[str, str], status: int = 200) -> Response:
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(blueprint.current_request)
    state = own_state(resident, report_id)
    if state.report.status != ReportStatus.DRAFT or not state.progress.complete:
        return go_to(step_path(state))
    return render_page(
        "pages/report/check.html",
        status,
        state=state,
        errors=errors,
        listing=attachments_of(state),
    )


@page_route("/report/{report_id}/submit", methods=["POST"], **FORM)
def submit(report_id: str) -> Response:
    request = blueprint.current_request
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(request)
    if form_body(request).get("declaration") != "yes":
        _ = gettext_for(request)
        message = _("Confirm that your report is true to continue")
        return _check_page(report_id, {"declaration": message}, 422)
    state = services.current().reports.submit(resident, report_id, page_language(request, resident))
    return go_to(f"/report/{state.report.report_id}/submitted")


@page_route("/report/{report_id}/submit", methods=["GET"])
def submit_page(report_id: str) -> Response:
    """A language switch on the refused-submit page lands here: show the check page again."""
    language = query_param(blueprint.current_request, "lang")
    offered = language in services.current().agency.languages
    path = f"/report/{normalise_reference(report_id)}/check"
    return go_to(path + (f"?lang={language}" if offered else ""))


@page_route("/report/{report_id}/submitted", methods=["GET"])
def submitted(report_id: str) -> Response:
    return _report_page(report_id, "pages/report/submitted.html")


@page_route("/report/{report_id}/stopped", methods=["GET"])
def stopped(report_id: str) -> Response:
    return _report_page(report_id, "pages/report/stopped.html")


@page_route("/report/{report_id}", methods=["GET"])
def report_status(report_id: str) -> Response:
    return _report_page(report_id, "pages/report/status.html")


@page_route("/report/{report_id}/copy", methods=["GET"])
def download_copy(report_id: str) -> Response:
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(blueprint.current_request)
    current = services.current()
    report = current.reports.own(resident, report_id)
    return Response(
        body="",
        status_code=302,
        headers={"Location": current.copies.link(report), "Cache-Control": "no-store"},
    )


def _report_page(
    report_id: str,
    template: str,
    errors: dict[str, str] | None = None,
    status: int = 200,
    answer: str = "",
) -> Response:
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(blueprint.current_request)
    state = own_state(resident, report_id)
    if state.report.status == ReportStatus.DRAFT and not template.endswith("status.html"):
        return go_to(step_path(state))
    request = blueprint.current_request
    on_status = template.endswith("status.html")
    events = services.current().audit.timeline_of(state.report) if on_status else []
    # The notice reads the entries as they were before this request checked the new file.
    notice = uploaded_notice(state, query_param(request, "key"))
    listing = (
        attachments_of(state) if on_status and state.report.status != ReportStatus.DRAFT else None
    )
    notice = notice if listing else None
    errors = {**(errors or {}), **({"files": notice} if notice else {})}
    return page(
        request,
        template,
        status,
        upload_headers() if listing else None,
        state=state,
        errors=errors,
        events=events,
        done=query_param(request, "done") if status == 200 else None,
        answer=answer,
        listing=listing,
    )


@page_route("/report/{report_id}/supplement", methods=["POST"], **FORM)
def answer_question(report_id: str) -> Response:
    request = blueprint.current_request
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(request)
    text = form_body(request).get("text", "")
    try:
        state = services.current().reports.answer_information_request(
            resident, report_id, text, page_language(request, resident)
        )
    except InvalidInput as error:
        return _report_page(report_id, "pages/report/status.html", error.fields, 422, text)
    return go_to(f"/report/{state.report.report_id}?done=answered")


@page_route("/report/{report_id}/withdraw", methods=["GET"])
def confirm_withdrawal(report_id: str) -> Response:
    """Are you sure? A report that can no longer be withdrawn goes back to its status page."""
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(blueprint.current_request)
    state = own_state(resident, report_id)
    if state.report.status not in WITHDRAWABLE:
        return go_to(f"/report/{state.report.report_id}")
    return render_page("pages/report/withdraw.html", resident=resident, state=state)


@page_route("/report/{report_id}/withdraw", methods=["POST"], **FORM)
def withdraw(report_id: str) -> Response:
    request = blueprint.current_request
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(request)
    state = services.current().reports.withdraw(
        resident, report_id, page_language(request, resident)
    )
    return go_to(f"/report/{state.report.report_id}?done=withdrawn")


# -- photos or documents ------------------------------------------------------------------------


def _page_path(report_id: str, status: str) -> str:
    if status == ReportStatus.DRAFT:
        return f"/report/{report_id}/step/attachments"
    return f"/report/{report_id}"


def attachments_step(report_id: str) -> Response:
    """The "Photos or documents" page (the reserved step id `attachments`); S3 sends the
    browser of a plain upload back here, and a decided or submitted report on to its status
    page, which lists and checks the file."""
    request = blueprint.current_request
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(request)
    state = own_state(resident, report_id)
    key = query_param(request, "key")
    if state.report.status != ReportStatus.DRAFT:
        suffix = f"?key={quote(key, safe='/')}#files" if key else ""
        return go_to(f"/report/{state.report.report_id}{suffix}")
    if state.progress.attachments_at is None or not state.progress.may_open_attachments():
        return go_to(step_path(state))
    notice = uploaded_notice(state, key)  # before the check below changes the entries
    listing = attachments_of(state)
    changing = query_param(request, "change") == "1" and state.progress.complete
    return page(
        request,
        "pages/report/attachments.html",
        200,
        upload_headers(),
        state=state,
        listing=listing,
        errors={"files": notice} if notice else {},
        back=f"/report/{state.report.report_id}/check"
        if changing
        else _back(state.report.report_id, state.progress.before_attachments()),
        changing=changing,
    )


def _back(report_id: str, before: object) -> str:
    step_id = getattr(before, "id", None)
    return f"/report/{report_id}/step/{step_id}" if step_id else f"/report?draft={report_id}"


def attachments_action(report_id: str) -> Response:
    """Add (the plain upload form), offer (uploads.js, answered as JSON), remove, continue."""
    request = blueprint.current_request
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(request)
    form = form_body(request)
    action = form.get("action", "continue")
    attachments = services.current().attachments
    if action == "offer":  # uploads.js: one form per chosen file, answered as JSON
        try:
            offered = attachments.offer(resident, report_id, form.get("name"), form.get("type"))
        except DomainError as error:
            return json_error(status_for(error), error.code, error.message)
        return json_response(_form_view(offered), 201)
    state = own_state(resident, report_id)
    report_id = state.report.report_id
    if action == "add":
        offered = attachments.offer(
            resident,
            report_id,
            None,
            None,
            redirect=services.current().settings.url(f"/report/{report_id}/step/attachments"),
        )
        parts = urlsplit(offered.url)
        return page(
            request,
            "pages/report/upload.html",
            200,
            {"Content-Security-Policy": upload_page_policy(f"{parts.scheme}://{parts.netloc}")},
            state=state,
            upload=offered,
            back=_page_path(report_id, state.report.status),
            accept=",".join(services.current().agency.attachments.accepted_types),
        )
    if action.startswith("remove-"):
        attachments.remove(resident, report_id, action.removeprefix("remove-"))
        return go_to(f"/report/{report_id}/step/attachments")
    if state.report.status != ReportStatus.DRAFT:
        return go_to(f"/report/{report_id}")
    progress = state.progress
    following = progress.after_attachments()
    if form.get("change") == "1" and progress.complete:
        return go_to(f"/report/{report_id}/check")
    if following is not None and progress.may_open(following.id):
        return go_to(f"/report/{report_id}/step/{following.id}")
    return go_to(step_path(state))


def _form_view(offered: UploadForm) -> dict[str, object]:
    return {
        "id": offered.id,
        "url": offered.url,
        "fields": offered.fields,
        "expires_at": offered.expires_at.isoformat(),
    }
