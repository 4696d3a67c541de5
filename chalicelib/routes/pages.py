"""The resident's way in: the home page, the email address, the emailed link, signing out."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from .. import services
from ..errors import (
    DomainError,
    InvalidInput,
    LinkAlreadyUsed,
    LinkExpired,
    LinkNotRecognised,
    RateLimited,
)
from ..intake.verification import Resident
from ..rendering import render
from ..tokens import looks_like_token
from .edge import (
    client_address,
    error_headers,
    form_body,
    query_param,
    status_for,
    with_api_error_shape,
    with_security_headers,
)
from .html import (
    FORM,
    go_to,
    page,
    page_language,
    page_routes,
    resident_destination,
    session_cookie_header,
    signed_in_resident,
)
from .report_pages import step_path

blueprint = Blueprint(__name__)
page_route = page_routes(blueprint)
# A blueprint's middleware applies to the whole app: every response gets the security headers,
# and every refusal of an API request the contract's error shape.
blueprint.register_middleware(with_security_headers, "http")
blueprint.register_middleware(with_api_error_shape, "http")


@page_route("/", methods=["GET"])
def home() -> Response:
    return page(blueprint.current_request, "pages/home.html")


@page_route("/start", methods=["GET"])
def email_form() -> Response:
    request = blueprint.current_request
    destination = resident_destination(query_param(request, "next"))
    return page(
        request, "pages/start.html", errors={}, email="", notice=None, destination=destination
    )


@page_route("/start", methods=["POST"], **FORM)
def send_link() -> Response:
    request = blueprint.current_request
    form = form_body(request)
    email = form.get("email", "")
    language = form.get("language") or page_language(request)
    destination = resident_destination(form.get("next"))
    try:
        services.current().verification.send_link(
            email, language, client_address(request), destination
        )
    except (InvalidInput, RateLimited) as error:
        return page(
            request,
            "pages/start.html",
            status_for(error),
            error_headers(error),
            errors=error.fields or {"email": error.message},
            email=email,
            notice=None,
            destination=destination,
        )
    minutes = services.current().settings.verification_ttl_seconds // 60
    return page(request, "pages/check_email.html", email=email.strip(), minutes=minutes)


@page_route("/verify", methods=["GET"])
def confirm_link() -> Response:
    """The emailed link only shows a button: a mail scanner that follows it consumes nothing,
    and a resident already signed in is told before anything changes."""
    request = blueprint.current_request
    token = query_param(request, "token")
    if token is None or not looks_like_token(token):
        return link_refused(
            LinkNotRecognised("This link is not valid. Request a new one."), "invalid"
        )
    resident = signed_in_resident(request)
    destination = resident_destination(query_param(request, "next"))
    return page(
        request,
        "pages/verify.html",
        token=token,
        resident=resident,
        destination=destination,
        choosing=offers_choice(token, resident, destination),
    )


def offers_choice(token: str, resident: Resident | None, destination: str | None) -> bool:
    """A new resident with nowhere else to go may choose what to report on the link's page, so
    that one press confirms the address and starts the report. Someone going to a page, or with
    a report to continue, or signed in already, is only asked to confirm."""
    if destination is not None or resident is not None:
        return False
    current = services.current()
    address = current.verification.address_awaiting(token)
    return address is not None and not current.reports.has_drafts(address)


@page_route("/verify", methods=["POST"], **FORM)
def verify() -> Response:
    request = blueprint.current_request
    before = signed_in_resident(request)
    form = form_body(request)
    destination = resident_destination(form.get("next"))
    current = services.current()
    chosen = form.get("incident_type")  # none chosen: the incident types come next, as before
    if chosen is not None and current.agency.incident_type(chosen) is None:
        chosen = None
    try:
        opened = current.verification.open_session(form.get("token"))
    except LinkAlreadyUsed as error:
        if before is not None:
            return go_to(destination or "/report")
        return link_refused(error, "used")
    except LinkExpired as error:
        return link_refused(error, "expired")
    except DomainError as error:
        if status_for(error) >= 500:
            raise
        return link_refused(error, "invalid")
    if before is not None:
        current.verification.end_session(before)
    cookie = session_cookie_header(opened.session, opened.expires_at)
    if chosen is not None:
        return go_to(started_report(opened.resident, chosen), cookie)
    return go_to(destination or "/report?confirmed=1", cookie)


def started_report(resident: Resident, incident_type: str) -> str:
    """The first step of a new report; the incident types again if it cannot be started (the
    resident keeps too many drafts): that page explains why."""
    language = page_language(blueprint.current_request, resident)
    try:
        state = services.current().reports.start(resident, incident_type, language)
    except (InvalidInput, RateLimited):
        return "/report?confirmed=1"
    return step_path(state)


def link_refused(error: DomainError, reason: str) -> Response:
    return page(
        blueprint.current_request,
        "pages/link_refused.html",
        status_for(error),
        reason=reason,
        minutes=services.current().settings.verification_ttl_seconds // 60,
    )


@page_route("/sign-out", methods=["GET"])
def sign_out_page() -> Response:
    return go_to("/")


@page_route("/sign-out", methods=["POST"], **FORM)
def sign_out() -> Response:
    resident = signed_in_resident(blueprint.current_request)
    if resident is not None:
        services.current().verification.end_session(resident)
    return go_to("/", session_cookie_header(None, None))


@page_route("/assets/site.css", methods=["GET"])
def stylesheet() -> Response:
    css = render("assets/site.css", agency=services.current().agency)
    return Response(
        body=css,
        status_code=200,
        headers={
            "Content-Type": "text/css; charset=utf-8",
            "Cache-Control": "public, max-age=3600",
        },
    )


@page_route("/assets/uploads.js", methods=["GET"])
def upload_script() -> Response:
    """The upload pages' progressive enhancement: several files at once, with progress."""
    return Response(
        body=render("assets/uploads.js"),
        status_code=200,
        headers={
            "Content-Type": "text/javascript; charset=utf-8",
            "Cache-Control": "public, max-age=3600",
        },
    )
