"""Staff pages: sign-in, the queue, a report with its decision form and audit trail, metrics.

The cookie holds the Cognito ID token (HttpOnly, SameSite=Strict); it lapses after the profile's
idle minutes (every page sets it again) and never outlives the token itself. The server keeps the
session too (`StaffSessions`): every page checks it, signing out ends it, and a token whose
session has ended or idled is refused even by a browser that kept the cookie.

Signing in may take more than one page: each of Cognito's challenges (a new password in place
of the emailed temporary one, an authenticator app to set up, a code from it) has its own,
which carries the username and Cognito's session in hidden fields to the next.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from chalice.app import Blueprint, Response
from markupsafe import Markup

from .. import services
from ..errors import (
    Conflict,
    DeliveryFailed,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotPermitted,
    RateLimited,
)
from ..intake.references import REFERENCE
from ..models import Report
from ..review.claims import HeldByAnother
from ..review.desk import HOLDERS, ORDERS, QUEUE_STATUSES
from ..review.nibrs_check import nibrs_check
from ..review.notes import notes_in
from ..review.staff import (
    MFA_SETUP,
    NEW_PASSWORD_REQUIRED,
    PASSWORD_RULES,
    SOFTWARE_TOKEN_MFA,
    Challenge,
    SignedIn,
    SignInExpired,
    StaffMember,
    is_totp_secret,
    otpauth_uri,
    secret_groups,
)
from ..status import Decision, ReportStatus
from .edge import (
    FORGED_FORM,
    client_address,
    cookie,
    error_headers,
    form_body,
    html_response,
    query_param,
    redirect,
    set_cookie,
    status_for,
)
from .html import FORM, page_form_token, refused_form

log = logging.getLogger(__name__)
blueprint = Blueprint(__name__)

STAFF_COOKIE = "sr_staff"
View = Callable[..., Response]


def staff_cookie(token: str | None, expires_at: datetime | None) -> str:
    """The idle timeout, never past the token's own expiry; no token deletes the cookie."""
    current = services.current()
    settings = current.settings
    max_age = 0
    if token and expires_at:
        idle = timedelta(minutes=current.agency.limits.staff_idle_minutes)
        remaining = (expires_at - current.clock()).total_seconds()
        max_age = int(max(0, min(idle.total_seconds(), remaining)))
    return set_cookie(
        STAFF_COOKIE,
        token or "",
        path=(settings.base_path or "") + "/staff",
        secure=settings.cookies_need_tls,
        same_site="Strict",
        max_age=max_age,
    )


def staff_page(
    template: str,
    member: StaffMember | None,
    status: int = 200,
    headers: dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    from ..rendering import render

    current = services.current()
    request = blueprint.current_request
    headers = dict(headers or {})
    if member is not None and "Set-Cookie" not in headers:
        token = cookie(request, STAFF_COOKIE)
        headers["Set-Cookie"] = staff_cookie(token, member.expires_at)
    html = render(
        template,
        "en",
        agency=current.agency,
        base_path=current.settings.base_path,
        member=member,
        current_path=request.context.get("path") or "/",
        form_token=page_form_token(request, headers, cookie(request, STAFF_COOKIE)),
        **context,
    )
    return html_response(html, status, headers)


def go(path: str, headers: dict[str, Any] | None = None) -> Response:
    return redirect(services.current().settings.url(path), headers)


def staff_page_route(
    path: str, permission: str | None = "review", *, on: Blueprint = blueprint, **options: Any
) -> Callable[[View], View]:
    """A staff page (of this module's blueprint, or of the feature module's `on`): the cookie's
    token and its session are checked first; errors render as pages, and a refused token
    (forged, expired, signed out, idle) is sent to sign in again."""

    def register(view: View) -> View:
        @functools.wraps(view)
        def handler(*args: Any, **kwargs: Any) -> Response:
            request = blueprint.current_request
            try:
                forged = refused_form(request, STAFF_COOKIE)
                if forged is not None:
                    return staff_page(
                        "pages/staff/problem.html", None, 403, message=FORGED_FORM[forged]
                    )
                member = None
                if permission is not None:
                    token = cookie(request, STAFF_COOKIE)
                    if not token:
                        raise NotAuthenticated("Sign in to continue.")
                    member = services.current().staff_sessions.require(token, permission)
                return view(member, *args, **kwargs)
            except NotAuthenticated:
                return go("/staff?expired=1", {"Set-Cookie": staff_cookie(None, None)})
            except NotPermitted as error:
                return staff_page("pages/staff/problem.html", None, 403, message=error.message)
            except DomainError as error:
                return staff_page(
                    "pages/staff/problem.html", None, status_for(error), message=error.message
                )
            except Exception:  # logged in full; the clerk gets a calm page
                log.exception("unhandled error", extra={"route": path})
                return staff_page(
                    "pages/staff/problem.html", None, 500, message="Something went wrong."
                )

        on.route(path, **options)(handler)
        return view

    return register


@staff_page_route("/staff", permission=None, methods=["GET"])
def sign_in_form(member: None) -> Response:
    expired = query_param(blueprint.current_request, "expired") == "1"
    return staff_page("pages/staff/sign_in.html", None, errors={}, expired=expired, username="")


@staff_page_route("/staff", permission=None, methods=["POST"], **FORM)
def sign_in(member: None) -> Response:
    request = blueprint.current_request
    form = form_body(request)
    username = form.get("username", "")
    try:
        outcome = services.current().staff_sign_in.sign_in(
            username, form.get("password", ""), client_address(request)
        )
    except (InvalidInput, NotAuthenticated, RateLimited) as error:
        return sign_in_again(username, error)
    return signed_in(username, outcome)


@staff_page_route("/staff/mfa", permission=None, methods=["POST"], **FORM)
def answer_mfa(member: None) -> Response:
    request = blueprint.current_request
    form = form_body(request)
    username, session = form.get("username", ""), form.get("session", "")
    try:
        outcome = services.current().staff_sign_in.answer_challenge(
            username, session, form.get("code", ""), client_address(request)
        )
    except (SignInExpired, RateLimited) as error:
        return sign_in_again(username, error)
    except (InvalidInput, NotAuthenticated) as error:
        challenge = Challenge(name=SOFTWARE_TOKEN_MFA, session=session)
        return challenge_page(username, challenge, status_for(error), field_errors(error, "code"))
    return signed_in(username, outcome)


@staff_page_route("/staff/new-password", permission=None, methods=["POST"], **FORM)
def choose_password(member: None) -> Response:
    request = blueprint.current_request
    form = form_body(request)
    username, session = form.get("username", ""), form.get("session", "")
    new_password, again = form.get("new_password", ""), form.get("confirm_password", "")
    challenge = Challenge(name=NEW_PASSWORD_REQUIRED, session=session)
    if new_password and again != new_password:
        message = "Type the same new password again" if again else "Type your new password again"
        return challenge_page(username, challenge, 422, {"confirm_password": message})
    try:
        outcome = services.current().staff_sign_in.choose_password(
            username, session, new_password, client_address(request)
        )
    except (SignInExpired, RateLimited) as error:
        return sign_in_again(username, error)
    except (InvalidInput, NotAuthenticated) as error:
        errors = field_errors(error, "new_password")
        return challenge_page(username, challenge, status_for(error), errors)
    return signed_in(username, outcome)


@staff_page_route("/staff/mfa-setup", permission=None, methods=["POST"], **FORM)
def set_up_authenticator(member: None) -> Response:
    request = blueprint.current_request
    form = form_body(request)
    username, session = form.get("username", ""), form.get("session", "")
    secret = form.get("secret", "")
    sign_in = services.current().staff_sign_in
    try:
        outcome = sign_in.set_up_authenticator(
            username, session, form.get("code", ""), client_address(request)
        )
    except (SignInExpired, RateLimited) as error:
        return sign_in_again(username, error)
    except (InvalidInput, NotAuthenticated) as error:
        if not is_totp_secret(secret):  # the page's own hidden field, altered: start afresh
            return sign_in_again(username, SignInExpired())
        challenge = Challenge(
            name=MFA_SETUP,
            session=session,
            secret=secret,
            otpauth_uri=otpauth_uri(sign_in.issuer, username.strip(), secret),
        )
        return challenge_page(username, challenge, status_for(error), field_errors(error, "code"))
    return signed_in(username, outcome)


def field_errors(error: DomainError, field: str) -> dict[str, str]:
    return dict(error.fields) if error.fields else {field: error.message}


def sign_in_again(username: str, error: DomainError) -> Response:
    """The sign-in page again, saying why: the credentials, or the challenge's session, failed,
    or too many attempts did (429, with Retry-After)."""
    return staff_page(
        "pages/staff/sign_in.html",
        None,
        status_for(error),
        error_headers(error),
        errors={"username": error.message},
        expired=False,
        username=username.strip(),
    )


CHALLENGE_PAGES = {
    SOFTWARE_TOKEN_MFA: "pages/staff/mfa.html",
    NEW_PASSWORD_REQUIRED: "pages/staff/new_password.html",
    MFA_SETUP: "pages/staff/mfa_setup.html",
}


def challenge_page(
    username: str,
    challenge: Challenge,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    """The page that answers `challenge`; one this service does not answer is refused."""
    template = CHALLENGE_PAGES.get(challenge.name)
    if template is None:
        return staff_page(
            "pages/staff/problem.html",
            None,
            403,
            message="Your account asks for a sign-in step this service does not offer. "
            "Ask an administrator to set your account up for an authenticator app.",
        )
    context: dict[str, Any] = {}
    if challenge.name == NEW_PASSWORD_REQUIRED:
        context["rules"] = PASSWORD_RULES
    elif challenge.name == MFA_SETUP:
        if not challenge.secret or not challenge.otpauth_uri:
            return sign_in_again(username, SignInExpired())
        context.update(
            secret=challenge.secret,
            secret_groups=secret_groups(challenge.secret),
            otpauth_uri=challenge.otpauth_uri,
            qr_code=qr_code(challenge.otpauth_uri),
        )
    return staff_page(
        template,
        None,
        status,
        username=username.strip(),
        session=challenge.session,
        errors=errors or {},
        **context,
    )


def qr_code(uri: str) -> Markup:
    """The key URI as a QR code in inline SVG: no script, no style, no request, so the pages'
    strict Content-Security-Policy holds."""
    import segno  # only the authenticator set-up page draws one: no cold start pays for it

    svg = segno.make(uri, error="m").svg_inline(
        scale=5,
        dark="#0b0c0c",
        light="#ffffff",
        title="QR code that adds your account to an authenticator app",
        svgclass="qr-code",
        lineclass=None,
    )
    # the SVG holds path data drawn from the URI's bits and our own title: no text anyone typed
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704


def signed_in(username: str, outcome: SignedIn | Challenge) -> Response:
    if isinstance(outcome, Challenge):
        return challenge_page(username, outcome)
    return go("/staff/queue", {"Set-Cookie": staff_cookie(outcome.token, outcome.expires_at)})


@staff_page_route("/staff/sign-out", permission=None, methods=["POST"], **FORM)
def sign_out(member: None) -> Response:
    """Ends the cookie's session on the server (and its Cognito tokens), then the cookie."""
    services.current().staff_sessions.end(cookie(blueprint.current_request, STAFF_COOKIE))
    return go("/staff", {"Set-Cookie": staff_cookie(None, None)})


QUEUE_CONTEXT = ("status", "incident_type", "holder", "order")
"""The queue a report is opened from: its links carry these, so the report's page can go on to
the next report of the same queue."""


@staff_page_route("/staff/queue", methods=["GET"])
def queue(member: StaffMember) -> Response:
    request = blueprint.current_request
    status = query_param(request, "status") or ReportStatus.SUBMITTED
    incident_type = query_param(request, "incident_type") or None
    holder = query_param(request, "holder") or None  # the form's "Everyone" sends it empty
    order = query_param(request, "order") or "oldest"
    page = services.current().desk.queue(
        status,
        incident_type,
        query_param(request, "cursor"),
        holder=holder,
        order=order,
        member=member,
        counted=True,
    )
    chosen = {"status": status, "incident_type": incident_type, "holder": holder, "order": order}
    return staff_page(
        "pages/staff/queue.html",
        member,
        page=page,
        selected_status=status,
        incident_type=incident_type,
        holder=holder,
        order=order,
        queue_statuses=QUEUE_STATUSES,
        queue_context={name: value for name, value in chosen.items() if value},
        last_decided=query_param(request, "done") == "last",
    )


MAX_NEXT_PAGES = 3


def queue_context(values: Mapping[str, str | None]) -> dict[str, str]:
    """The queue named by a report page's query or a form (as the queue's link wrote it): only
    the names and values a queue takes, so the page can link back and on to it."""
    agency = services.current().agency
    allowed: dict[str, Callable[[str], bool]] = {
        "status": lambda value: value in QUEUE_STATUSES,
        "incident_type": lambda value: agency.incident_type(value) is not None,
        "holder": lambda value: value in HOLDERS,
        "order": lambda value: value in ORDERS,
    }
    return {
        name: value
        for name in QUEUE_CONTEXT
        if (value := values.get(name)) and allowed[name](value)
    }


def report_path(report_id: str, context: Mapping[str, str], **extra: str) -> str:
    query = urlencode({**context, **extra})
    return f"/staff/reports/{report_id}" + (f"?{query}" if query else "")


@staff_page_route("/staff/reports/{report_id}", methods=["GET"])
def report(member: StaffMember, report_id: str) -> Response:
    request = blueprint.current_request
    params = {name: query_param(request, name) for name in (*QUEUE_CONTEXT, "decided", "previous")}
    return report_page(
        member,
        report_id,
        errors={},
        notice=query_param(request, "done"),
        context=queue_context(params),
        ready_text=query_param(request, "ready_text"),
        notices={
            "claim": query_param(request, "claim"),
            "noted": query_param(request, "noted"),
            # the report just decided, as the decision's redirect names it: nothing else shown
            "decided": params["decided"] if params["decided"] in tuple(Decision) else None,
            "previous": params["previous"]
            if REFERENCE.fullmatch(params["previous"] or "")
            else None,
        },
    )


def report_context(found: Report) -> dict[str, Any]:
    """What the report's page and its print view show beside the report itself."""
    from ..attachments.viewing import for_staff

    current = services.current()
    incident_type = current.agency.incident_type(found.incident_type)
    return {
        "attachments": for_staff(found),
        "report": found,
        "incident_type": incident_type,
        "steps": current.agency.steps_for(incident_type) if incident_type else (),
        "due": current.calendar.due(found.listed_at) if found.listed_at else None,
        "nibrs": nibrs_check(current.agency, found, current.clock()),
    }


def report_page(
    member: StaffMember,
    report_id: str,
    errors: dict[str, str],
    notice: str | None,
    status: int = 200,
    *,
    context: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    ready_text: str | None = None,
    notices: Mapping[str, str | None] | None = None,
    confirm_holder: str | None = None,
) -> Response:
    """The report with its decision form; `form` is what was sent (shown again after a
    refusal), `ready_text` a ready-made text to edit, pre-filled in the resident's language."""
    found, history = services.current().desk.report(member, report_id)
    agency = services.current().agency
    form = dict(form or {})
    ready = agency.review.ready_text(ready_text or form.get("ready_text") or "")
    if ready is not None and ready_text:  # "Edit this text first": its decision, its words
        form.setdefault("decision", ready.kind)
        form.setdefault("ready_text", ready.id)
        form.setdefault(
            "reason", ready.text.get(found.language) or ready.text[agency.default_language]
        )
    return staff_page(
        "pages/staff/report.html",
        member,
        status,
        history=history,
        errors=errors,
        notice=notice,
        queue_context=dict(context or {}),
        sent=form,
        ready=ready,
        ready_texts=agency.review.ready_texts,
        notes=notes_in(history),
        page_notices=dict(notices or {}),
        confirm_holder=confirm_holder,
        **report_context(found),
    )


@staff_page_route("/staff/reports/{report_id}/print", methods=["GET"])
def print_view(member: StaffMember, report_id: str) -> Response:
    """The whole report for the paper file; opening it is a view like the report's page."""
    current = services.current()
    found, history = current.desk.report(member, report_id)
    return staff_page(
        "pages/staff/print.html",
        member,
        history=history,
        printed_at=current.clock(),
        notes=notes_in(history),
        **report_context(found),
    )


@staff_page_route("/staff/reports/{report_id}/decision", methods=["POST"], **FORM)
def decide(member: StaffMember, report_id: str) -> Response:
    """Records the decision; "Decide and open the next" (`next`) then opens the first other
    report of the queue it came from, or that queue, saying that was the last one."""
    form = form_body(blueprint.current_request)
    context = queue_context(form)
    desk = services.current().desk
    again = functools.partial(report_page, member, report_id, context=context, form=form)
    try:
        desk.decide(
            member,
            report_id,
            form.get("decision"),
            form.get("reason"),
            ready_text=form.get("ready_text") or None,
            confirm_claimed=form.get("confirm_claimed") == "yes",
        )
    except HeldByAnother as error:
        return again({"decision": error.message}, None, 409, confirm_holder=error.holder)
    except InvalidInput as error:
        return again(error.fields or {"decision": error.message}, None, 422)
    except DomainError as error:
        return again({"decision": error.message}, None, status_for(error))
    decision = form.get("decision") or ""
    if form.get("next") != "yes":
        return go(report_path(report_id, context, done=decision))
    try:
        following = desk.next_after(
            member,
            report_id,
            context.get("status"),
            context.get("incident_type"),
            holder=context.get("holder"),
            order=context.get("order", "oldest"),
            max_pages=MAX_NEXT_PAGES,
        )
    except InvalidInput:  # a queue context no queue has: the decision stands, back to the queue
        following = None
    if following is None:
        return go("/staff/queue?" + urlencode({**context, "done": "last"}))
    return go(report_path(following, context, previous=report_id, decided=decision))


@staff_page_route("/staff/reports/{report_id}/export", "administer", methods=["POST"], **FORM)
def repush_export(member: StaffMember, report_id: str) -> Response:
    services.current().desk.repush_export(member, report_id)
    return go(f"/staff/reports/{report_id}?done=export")


@staff_page_route("/staff/reports/{report_id}/retry", "administer", methods=["POST"], **FORM)
def retry(member: StaffMember, report_id: str) -> Response:
    try:
        services.current().desk.retry(member, report_id)
    except (Conflict, DeliveryFailed) as error:
        return report_page(member, report_id, {"retry": error.message}, None, status_for(error))
    return go(f"/staff/reports/{report_id}?done=retry")


@staff_page_route("/staff/metrics", permission="metrics", methods=["GET"])
def metrics(member: StaffMember) -> Response:
    return staff_page("pages/staff/metrics.html", member, metrics=services.current().desk.metrics())
