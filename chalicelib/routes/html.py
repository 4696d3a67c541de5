"""What every resident page shares: rendering in the resident's language, sign-in, errors."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from chalice.app import Blueprint, Request, Response

from .. import services
from ..errors import DomainError, NotAuthenticated
from ..i18n import Translate, translator
from ..intake.verification import Resident
from ..rendering import render
from .edge import (
    FORM_COOKIE,
    SESSION_COOKIE,
    cookie,
    error_headers,
    forged_form,
    form_body,
    form_cookie,
    form_token,
    html_response,
    new_form_secret,
    query_param,
    redirect,
    session_cookie,
    set_cookie,
    status_for,
)

log = logging.getLogger(__name__)

LANGUAGE_COOKIE = "sr_lang"
FORM: dict[str, Any] = {"content_types": ["application/x-www-form-urlencoded"]}
View = Callable[..., Response]


def signed_in_resident(request: Request) -> Resident | None:
    session = cookie(request, SESSION_COOKIE)
    if session is None:
        return None
    try:
        return services.current().verification.resident(session)
    except NotAuthenticated:
        return None


def page_language(request: Request, resident: Resident | None = None) -> str:
    """The language chosen with the switch, else the resident's, else the agency's first."""
    agency = services.current().agency
    for candidate in (
        query_param(request, "lang"),
        cookie(request, LANGUAGE_COOKIE),
        resident.language if resident else None,
    ):
        if candidate in agency.languages:
            return str(candidate)
    return agency.default_language


def gettext_for(request: Request) -> Translate:
    return translator(page_language(request))


def page(
    request: Request,
    template: str,
    status: int = 200,
    headers: dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    current = services.current()
    language = page_language(request, context.get("resident"))
    headers = dict(headers or {})
    html = render(
        template,
        language,
        agency=current.agency,
        base_path=current.settings.base_path,
        current_path=request.context.get("path") or "/",
        switch_query=switch_query(request),
        form_token=page_form_token(request, headers, cookie(request, SESSION_COOKIE)),
        **context,
    )
    if query_param(request, "lang") == language:
        add_cookie(headers, language_cookie(language))
    return html_response(html, status, headers)


def refused_form(
    request: Request, session_cookie: str
) -> Literal["cross_site", "stale_form"] | None:
    """Why a POST to a page is refused before its view runs (403), or None: the form came from
    another site, or lacks the token bound to this browser and its session (`session_cookie`)."""
    if request.method != "POST":
        return None
    settings = services.current().settings
    return forged_form(
        request, form_body(request), settings.base_url, cookie(request, session_cookie)
    )


def page_form_token(request: Request, headers: dict[str, Any], session: str | None) -> str:
    """The token for the page's forms; a browser without the form cookie is given one."""
    secret = cookie(request, FORM_COOKIE)
    if not secret:
        secret = new_form_secret()
        settings = services.current().settings
        add_cookie(
            headers,
            form_cookie(secret, path=settings.base_path or "/", secure=settings.cookies_need_tls),
        )
    return form_token(secret, session)


def switch_query(request: Request) -> str:
    """The page's query string without `lang`, to which the language switch adds its own."""
    params = {k: v for k, v in (request.query_params or {}).items() if k != "lang"}
    return urlencode(params) + "&" if params else ""


def add_cookie(headers: dict[str, Any], value: str) -> None:
    existing = headers.get("Set-Cookie")
    if existing is None:
        headers["Set-Cookie"] = value
    else:
        headers["Set-Cookie"] = [*([existing] if isinstance(existing, str) else existing), value]


def language_cookie(language: str) -> str:
    settings = services.current().settings
    return set_cookie(
        LANGUAGE_COOKIE,
        language,
        path=settings.base_path or "/",
        secure=settings.cookies_need_tls,
        same_site="Lax",
        http_only=False,
        max_age=365 * 24 * 3600,
    )


def session_cookie_header(session: str | None, expires_at: datetime | None) -> dict[str, Any]:
    """The session cookie outlives the session: the server decides, and extends, its end."""
    settings = services.current().settings
    keep_until = (
        expires_at + timedelta(days=services.current().agency.retention.draft_days)
        if expires_at
        else None
    )
    return {
        "Set-Cookie": session_cookie(
            session or "",
            keep_until if session else None,
            path=settings.base_path or "/",
            secure=settings.cookies_need_tls,
        )
    }


def go_to(path: str, headers: dict[str, Any] | None = None) -> Response:
    return redirect(services.current().settings.url(path), headers)


# Where a resident may be sent after signing in: their own pages, by a relative path only.
_REFERENCE = r"[A-Z]{2,6}-[A-Z0-9]{4}-[A-Z0-9]{4}"
_DESTINATION = re.compile(
    rf"/reports|/report(\?draft={_REFERENCE})?"
    rf"|/report/{_REFERENCE}(/check|/submitted|/stopped|/copy|/step/[a-z][a-z0-9_]{{1,39}})?"
)
MAX_DESTINATION = 120
_RESUMED_ON = {"/submit": "/check", "/supplement": ""}


def resident_destination(candidate: object) -> str | None:
    """`candidate` if it is one of the resident's own pages as a same-site relative path, else
    None: never another site (`//host`, a scheme, a backslash), never anything but these pages."""
    if not isinstance(candidate, str) or len(candidate) > MAX_DESTINATION:
        return None
    return candidate if _DESTINATION.fullmatch(candidate) else None


def destination_of(request: Request) -> str | None:
    """The page a signed-out resident asked for, to come back to once signed in."""
    path = str(request.context.get("path") or "")
    base_path = services.current().settings.base_path
    if base_path and path.startswith(base_path + "/"):
        path = path.removeprefix(base_path)
    if request.method == "GET" and path == "/report":
        draft = query_param(request, "draft")
        path += f"?draft={draft}" if draft else ""
    for posted, shown in _RESUMED_ON.items():  # a form's POST resumes on its page
        if path.endswith(posted):
            path = path.removesuffix(posted) + shown
    return resident_destination(path)


def sign_in_again(request: Request) -> Response:
    _ = gettext_for(request)
    return page(
        request,
        "pages/start.html",
        401,
        errors={},
        email="",
        language_choice=None,
        destination=destination_of(request),
        notice=_("To continue, confirm your email address again. Anything you saved is kept."),
    )


def page_routes(blueprint: Blueprint) -> Callable[..., Callable[[View], View]]:
    """A `route` for `blueprint` whose unexpected errors render as a calm, readable page."""

    def page_route(path: str, **options: Any) -> Callable[[View], View]:
        def register(view: View) -> View:
            @functools.wraps(view)
            def handler(*args: Any, **kwargs: Any) -> Response:
                request = blueprint.current_request
                try:
                    forged = refused_form(request, SESSION_COOKIE)
                    if forged is not None:
                        return page(request, "pages/problem.html", 403, problem=forged)
                    return view(*args, **kwargs)
                except DomainError as error:
                    return page(
                        request,
                        "pages/problem.html",
                        status_for(error),
                        error_headers(error),
                        problem=error.code,
                        explanation=error.message,
                    )
                except Exception:  # logged in full; the resident gets a calm page
                    log.exception("unhandled error", extra={"route": path})
                    return page(request, "pages/problem.html", 500, problem="broken")

            blueprint.route(path, **options)(handler)
            return view

        return register

    return page_route
