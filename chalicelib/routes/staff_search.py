"""Search, from every staff page: the JSON route and the results page. The query is personal
(a name, an address, a phone number): it is never logged, and the page shows it only back to
the member of staff who typed it."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel, Field

from .. import services
from ..errors import InvalidInput
from ..review.search import MAX_QUERY, SearchPage, SearchResult
from ..review.staff import StaffMember
from ..status import ReportStatus
from .contract import QueryParameter, Timestamp
from .edge import json_response, query_param
from .staff_api import staff_member, staff_route
from .staff_pages import staff_page, staff_page_route

blueprint = Blueprint(__name__)

SEARCH_PAGE = "pages/staff/search.html"
KINDS = ("reference", "case_number", "email", "phone", "name")


class SearchItem(BaseModel):
    id: str
    reference: str
    status: ReportStatus
    incident_type: str
    submitted_at: Timestamp | None
    case_number: str | None
    claimed_by: str | None = Field(
        description="The member of staff who holds the report, if anyone does."
    )


class SearchPageView(BaseModel):
    searched_for: str = Field(
        description="What the query was read as: a reference, a case number, an email "
        "address, a phone number or the words of a name.",
        json_schema_extra={"enum": list(KINDS)},
    )
    items: list[SearchItem]
    next_cursor: str | None = Field(
        description="Send as `cursor`, with the same `q`, for the next page; null at the end."
    )


def item_view(result: SearchResult) -> SearchItem:
    return SearchItem(
        id=result.report_id,
        reference=result.report_id,
        status=result.status,
        incident_type=result.incident_type,
        submitted_at=result.submitted_at,
        case_number=result.case_number,
        claimed_by=result.claimed_by,
    )


def page_view(page: SearchPage) -> SearchPageView:
    return SearchPageView(
        searched_for=page.kind,
        items=[item_view(result) for result in page.items],
        next_cursor=page.next_cursor,
    )


@staff_route(
    "/api/staff/search",
    "review",
    on=blueprint,
    methods=["GET"],
    summary="Find a report by reference, case number, email, phone or the resident's name",
    answers={200: SearchPageView},
    refusals=(422,),
    query=(
        QueryParameter(
            "q",
            "A reference or case number (exact), the resident's email address or phone number "
            "(any case, any formatting), or whole words of their name (any order, case and "
            "accents). Required.",
            max_length=MAX_QUERY,
        ),
        QueryParameter("cursor", "The `next_cursor` of the page before.", max_length=1000),
    ),
)
def search() -> Response:
    """Reports newest first, 25 a page; drafts and screened-out reports are never found. At
    most two AWS calls beyond the staff session's."""
    staff_member("review")
    request = blueprint.current_request
    page = services.current().search.search(
        query_param(request, "q"), query_param(request, "cursor")
    )
    return json_response(page_view(page))


@staff_page_route("/staff/search", on=blueprint, methods=["GET"])
def search_page(member: StaffMember) -> Response:
    request = blueprint.current_request
    query = query_param(request, "q") or ""
    try:
        page = services.current().search.search(query, query_param(request, "cursor"))
    except InvalidInput as error:  # the form again, saying what to type
        return staff_page(
            SEARCH_PAGE, member, 422, page=None, search_query=query, error=error.message
        )
    return staff_page(SEARCH_PAGE, member, page=page, search_query=page.query, error=None)
