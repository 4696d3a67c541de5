"""Staff open a report's attached files: each only after the session and group are checked,
through a link to the bucket that lapses in 60 seconds; its thumbnail served from here."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel, Field

from .. import services
from ..review.staff import StaffMember
from .contract import Timestamp
from .edge import json_response, redirect
from .staff_api import staff_member, staff_route
from .staff_pages import staff_page_route

blueprint = Blueprint(__name__)

FILE_PAGE = "/staff/reports/{report_id}/attachments/{attachment_id}"


class AttachmentLinkView(BaseModel):
    """Where to GET the file itself, until `expires_at` (60 seconds): it comes with its checked
    type; a PDF as a download."""

    url: str = Field(description="A short-lived link to the stored file.")
    expires_at: Timestamp


@staff_route(
    "/api/staff/reports/{report_id}/attachments/{attachment_id}",
    "review",
    on=blueprint,
    methods=["GET"],
    summary="A short-lived link to one of a report's accepted files (recorded in its trail)",
    answers={200: AttachmentLinkView},
)
def attachment_link(report_id: str, attachment_id: str) -> Response:
    member = staff_member("review")
    link = services.current().staff_attachments.open(member, report_id, attachment_id)
    return json_response(AttachmentLinkView(url=link.url, expires_at=link.expires_at))


@staff_page_route(FILE_PAGE, on=blueprint, methods=["GET"])
def open_attachment(member: StaffMember, report_id: str, attachment_id: str) -> Response:
    link = services.current().staff_attachments.open(member, report_id, attachment_id)
    return redirect(link.url)


@staff_page_route(FILE_PAGE + "/thumbnail", on=blueprint, methods=["GET"])
def thumbnail(member: StaffMember, report_id: str, attachment_id: str) -> Response:
    data = services.current().staff_attachments.thumbnail(member, report_id, attachment_id)
    return Response(
        body=data,
        status_code=200,
        headers={"Content-Type": "image/jpeg", "Cache-Control": "private, no-store"},
    )
