"""A report's NIBRS document for staff: the stored one once approved, the preview before."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from .. import services
from ..review.nibrs_check import NibrsDownload
from ..review.staff import StaffMember
from .contract import XmlDocument
from .edge import SECURITY_HEADERS
from .staff_api import staff_member, staff_route
from .staff_pages import staff_page_route

blueprint = Blueprint(__name__)


def xml_response(document: NibrsDownload) -> Response:
    headers: dict[str, str | list[str]] = {
        "Content-Type": "application/xml; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{document.filename}"',
        "Cache-Control": "private, no-store",
        **SECURITY_HEADERS,
    }
    if document.preview:
        headers["X-NIBRS-Preview"] = "true"
        headers["X-NIBRS-Problems"] = str(document.problems)
    return Response(body=document.xml.decode("utf-8"), status_code=200, headers=headers)


@staff_route(
    "/api/staff/reports/{report_id}/nibrs.xml",
    "review",
    on=blueprint,
    methods=["GET"],
    summary="The report's NIBRS incident XML: as sent to the records system once approved, "
    "a preview before (404 when its incident type makes none)",
    answers={200: XmlDocument},
)
def nibrs_xml(report_id: str) -> Response:
    """A preview is returned even when it is not valid, since a clerk may want to read it:
    `X-NIBRS-Preview: true`, and `X-NIBRS-Problems` counts its problems (see the report's
    `nibrs` member for them in words)."""
    staff_member("review")
    return xml_response(services.current().nibrs_documents.download(report_id))


@staff_page_route("/staff/reports/{report_id}/nibrs.xml", on=blueprint, methods=["GET"])
def nibrs_xml_page(member: StaffMember, report_id: str) -> Response:
    return xml_response(services.current().nibrs_documents.download(report_id))
