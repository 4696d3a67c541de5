"""The resident's pages: server-rendered HTML that works without JavaScript."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

from .. import services
from ..errors import (
    DomainError,
    InvalidInput,
    LinkAlreadyUsed,
    LinkExpired,
    NotAuthenticated,
    RateLimited,
)
from ..intake.verification import Resident
from ..rendering import render
from .edge import (
    SESSION_COOKIE,
    client_address,
    cookie,
    error_headers,
    form_body,
    html_response,
    query_param,
    redirect,
    session_cookie,
    status_for,
)

log = logging.getLogger(__name__)
blueprint = Blueprint(__name__)

LANGUAGE_NAMES = {"en": "English", "es": "Español"}
FORM = {"content_types": ["application/x-www-form-urlencoded"]}

View = Callable[..., Response]


def page(
    template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> Response:
    current = services.current()
    if not context.get("language"):
        context["language"] = current.agency.default_language
    html = render(
        template,
        agency=current.agency,
        base_path=current.settings.base_path,
        language_names=LANGUAGE_NAMES,
        **context,
    )
    return html_response(html, status, headers)


def problem(error: DomainError) -> Response:
    return page(
        "pages/problem.html",
        status_for(error),
        error_headers(error),
        heading="Sorry, we could not do that",
        explanation=error.message,
    )


def page_route(path: str, **options: Any) -> Callable[[View], View]:
    """Register a page whose unexpected domain errors render as a readable page."""

    def register(view: View) -> View:
        @functools.wraps(view)
        def handler(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except DomainError as error:
                return problem(error)
            except Exception:  # logged in full; the resident gets a calm page
                log.exception("unhandled error", extra={"route": path})
                return page(
                    "pages/problem.html",
                    500,
                    heading="Sorry, there is a problem with the service",
                    explanation="Please try again later. Nothing you saved has been lost.",
                )

        blueprint.route(path, **options)(handler)
        return view

    return register


def signed_in_resident() -> Resident | None:
    session = cookie(blueprint.current_request, SESSION_COOKIE)
    if session is None:
        return None
    try:
        return services.current().verification.resident(session)
    except NotAuthenticated:
        return None


def _set_session_cookie(session: str | None, resident_expires: Any = None) -> dict[str, str]:
    settings = services.current().settings
    return {
        "Set-Cookie": session_cookie(
            session or "",
            resident_expires if session else None,
            path=settings.base_path or "/",
            secure=settings.cookies_need_tls,
        )
    }


@page_route("/", methods=["GET"])
def home() -> Response:
    return page("pages/home.html")


@page_route("/start", methods=["GET"])
def email_form() -> Response:
    return page("pages/start.html", errors={}, email="", notice=None)


@page_route("/start", methods=["POST"], **FORM)
def send_link() -> Response:
    request = blueprint.current_request
    form = form_body(request)
    email = form.get("email", "")
    language = form.get("language") or None
    verification = services.current().verification
    try:
        verification.send_link(email, language, client_address(request))
    except InvalidInput as error:
        return page(
            "pages/start.html",
            422,
            errors=error.fields or {"email": error.message},
            email=email,
            language=language,
            notice=None,
        )
    except RateLimited as error:
        return page(
            "pages/start.html",
            429,
            error_headers(error),
            errors={"email": error.message},
            email=email,
            language=language,
            notice=None,
        )
    return page(
        "pages/check_email.html",
        email=email.strip(),
        minutes=services.current().settings.verification_ttl_seconds // 60,
    )


@page_route("/verify", methods=["GET"])
def verify() -> Response:
    token = query_param(blueprint.current_request, "token")
    settings = services.current().settings
    try:
        opened = services.current().verification.open_session(token)
    except LinkAlreadyUsed as error:
        if signed_in_resident() is not None:
            return redirect(settings.url("/report"))
        return _link_refused(
            error,
            "This link has already been used",
            "Each link works only once, to keep your report private.",
        )
    except LinkExpired as error:
        return _link_refused(
            error,
            "This link has expired",
            f"Links work for {settings.verification_ttl_seconds // 60} minutes, "
            "to keep your report private.",
        )
    except DomainError as error:
        if status_for(error) >= 500:
            raise
        return _link_refused(
            error,
            "This link is not valid",
            "It may be incomplete: check that you opened the whole link from the email.",
        )
    return redirect(settings.url("/report"), _set_session_cookie(opened.session, opened.expires_at))


def _link_refused(error: DomainError, heading: str, explanation: str) -> Response:
    return page(
        "pages/link_refused.html", status_for(error), heading=heading, explanation=explanation
    )


@page_route("/report", methods=["GET"])
def report_start() -> Response:
    resident = signed_in_resident()
    if resident is None:
        return page(
            "pages/start.html",
            401,
            errors={},
            email="",
            notice="To continue, confirm your email address again. Anything you saved is kept.",
        )
    return page("pages/signed_in.html", resident=resident, language=resident.language)


@page_route("/sign-out", methods=["POST"], **FORM)
def sign_out() -> Response:
    resident = signed_in_resident()
    if resident is not None:
        services.current().verification.end_session(resident)
    return redirect(services.current().settings.url("/"), _set_session_cookie(None))


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
