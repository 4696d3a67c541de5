"""The resident's "Photos or documents" page and the upload forms it and the status page use.

Without JavaScript, "Add a photo or document" (a form of ours, with its token) creates the
waiting entry and answers a plain multipart form whose `action` is S3's presigned POST; S3
stores the file and sends the browser back here (`success_action_redirect`), where the file
is checked as the list is read. With JavaScript (`/assets/uploads.js`) the same page asks this
route for one form per chosen file and posts each to S3 with a progress bar.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from chalice.app import Blueprint, Response

from .. import services
from ..attachments.uploads import UploadForm
from ..errors import DomainError
from ..status import ReportStatus
from .edge import form_body, json_error, json_response, query_param, status_for, upload_page_policy
from .html import FORM, go_to, page, page_routes, sign_in_again
from .report_pages import (
    attachments_of,
    own_state,
    resident_or_none,
    step_path,
    upload_headers,
    uploaded_notice,
)

blueprint = Blueprint(__name__)
page_route = page_routes(blueprint)


def _page_path(report_id: str, status: str) -> str:
    if status == ReportStatus.DRAFT:
        return f"/report/{report_id}/attachments"
    return f"/report/{report_id}"


@page_route("/report/{report_id}/attachments", methods=["GET"])
def attachments_step(report_id: str) -> Response:
    request = blueprint.current_request
    resident = resident_or_none()
    if resident is None:
        return sign_in_again(request)
    state = own_state(resident, report_id)
    key = query_param(request, "key")
    if state.report.status != ReportStatus.DRAFT:
        # S3 brings every plain upload back here; the status page lists and checks it.
        suffix = f"?key={key}#files" if key else ""
        return go_to(f"/report/{state.report.report_id}{suffix}")
    if state.progress.attachments_at is None or not state.progress.may_open_attachments():
        return go_to(step_path(state))
    listing = attachments_of(resident, state)
    notice = uploaded_notice(state, key)
    return page(
        request,
        "pages/report/attachments.html",
        200,
        upload_headers(),
        state=state,
        listing=listing,
        errors={"files": notice} if notice else {},
        back=_back(state.report.report_id, state.progress.before_attachments()),
        changing=query_param(request, "change") == "1",
    )


def _back(report_id: str, before: object) -> str:
    step_id = getattr(before, "id", None)
    return f"/report/{report_id}/step/{step_id}" if step_id else f"/report?draft={report_id}"


@page_route("/report/{report_id}/attachments", methods=["POST"], **FORM)
def attachments_action(report_id: str) -> Response:
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
            redirect=services.current().settings.url(f"/report/{report_id}/attachments"),
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
        return go_to(f"/report/{report_id}/attachments")
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
