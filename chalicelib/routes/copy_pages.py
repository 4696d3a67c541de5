"""Checking a copy: `/copies/verify`, the page the QR code on every copy opens (no sign-in), with
a small form to type a code, and its JSON twin. Both say only whether the agency issued a copy
with that code, and its case number, incident type and date of issue."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from .. import services
from ..agency import localise
from ..copy_codes import MAX_TYPED, show_code
from ..errors import InvalidInput, NotFound, RateLimited
from .contract import QueryParameter, Timestamp
from .edge import (
    api_route,
    client_address,
    error_headers,
    form_body,
    json_response,
    query_param,
    status_for,
)
from .html import FORM, page, page_language, page_routes

blueprint = Blueprint(__name__)
page_route = page_routes(blueprint)
TEMPLATE = "pages/copies/verify.html"


@page_route("/copies/verify", methods=["GET"])
def verify_copy_page() -> Response:
    """The QR code's link carries the code; without one, the form."""
    request = blueprint.current_request
    code = query_param(request, "code")
    if code is None:
        return page(request, TEMPLATE, errors={}, code="", checked=None, outcome=None)
    return _checked(code)


@page_route("/copies/verify", methods=["POST"], **FORM)
def verify_copy_form() -> Response:
    return _checked(form_body(blueprint.current_request).get("code", ""))


def _checked(code: str) -> Response:
    request = blueprint.current_request
    language = page_language(request)
    shown = code[:MAX_TYPED]
    try:
        checked = services.current().copy_checks.check(code, client_address(request), language)
    except InvalidInput as error:
        return page(
            request, TEMPLATE, 422, errors=error.fields, code=shown, checked=None, outcome=None
        )
    except (NotFound, RateLimited) as error:
        outcome = "not_found" if isinstance(error, NotFound) else "rate_limited"
        return page(
            request,
            TEMPLATE,
            status_for(error),
            error_headers(error),
            errors={},
            code=shown,
            checked=None,
            outcome=outcome,
            explanation=error.message,
        )
    return page(
        request,
        TEMPLATE,
        errors={},
        code=show_code(checked.code),
        checked=checked,
        outcome="issued",
    )


class CheckedCopyView(BaseModel):
    """A copy the agency issued: what anyone may know about it, and nothing personal."""

    issued: bool
    agency: str
    case_number: str
    incident_type: str
    incident_type_label: str
    issued_at: Timestamp


@api_route(
    blueprint,
    "/api/copies/verify",
    methods=["GET"],
    summary="Check that a copy of a report is genuine",
    answers={200: CheckedCopyView},
    refusals=(404, 422, 429),
    query=(
        QueryParameter("code", "The verification code printed on the copy.", max_length=MAX_TYPED),
    ),
)
def check_copy() -> Response:
    """Whether the agency issued a copy with this verification code (no sign-in): its case
    number, incident type and date of issue. 404 for a code never issued, 422 for one that
    cannot be a code, 429 (with `Retry-After`) when one client checks too many."""
    request = blueprint.current_request
    current = services.current()
    language = page_language(request)
    checked = current.copy_checks.check(
        query_param(request, "code"), client_address(request), language
    )
    incident = checked.incident_type
    return json_response(
        CheckedCopyView(
            issued=True,
            agency=current.agency.name,
            case_number=checked.case_number,
            incident_type=incident.id if incident else "",
            incident_type_label=localise(incident.label, language) if incident else "",
            issued_at=checked.issued_at,
        )
    )
