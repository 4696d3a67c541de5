"""The HTTP edge: request parsing, responses, and the one translation of domain errors."""

from __future__ import annotations

import functools
import hmac
import inspect
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from ..errors import (
    Conflict,
    DeliveryFailed,
    DomainError,
    InvalidInput,
    LinkAlreadyUsed,
    LinkExpired,
    LinkNotRecognised,
    MalformedRequest,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    RateLimited,
    StaleEdit,
    TooLarge,
)
from ..json_text import MAX_DEPTH, UnreadableJson, parse_json
from ..tokens import digest, new_token
from .contract import Answer, Operation, QueryParameter, Security, declare

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
SESSION_COOKIE = "sr_session"

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    MalformedRequest: 400,
    NotAuthenticated: 401,
    LinkNotRecognised: 401,
    NotPermitted: 403,
    NotFound: 404,
    Conflict: 409,
    LinkExpired: 410,
    LinkAlreadyUsed: 410,
    TooLarge: 413,
    InvalidInput: 422,
    RateLimited: 429,
    DeliveryFailed: 503,
}

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def upload_page_policy(bucket_origin: str) -> str:
    """`PAGE_POLICY` for the pages that upload files: their forms post to the bucket, and their
    script (ours, served by the site) sends files there with progress. Nothing more."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {bucket_origin}; form-action 'self' {bucket_origin}; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


FORM_COOKIE = "sr_form"
FORM_FIELD = "form_token"
FORGED_FORM = {
    "cross_site": "This form was sent from another site, so it was not accepted.",
    "stale_form": "This page is out of date: reload it, then send the form again.",
}

Body = TypeVar("Body", bound=BaseModel)
View = Callable[..., Response]


def with_security_headers(
    request: Request, get_response: Callable[[Request], Response]
) -> Response:
    """Chalice middleware for every route: pages, JSON, redirects, the stylesheet and Chalice's
    own refusals (415, 405) all carry the same security headers."""
    response = get_response(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def with_api_error_shape(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """Chalice's own refusals of an `/api/` request (405 for a method the route lacks, 415 for a
    body that is not JSON) in the contract's error shape, like every other refusal."""
    response = get_response(request)
    body = response.body
    if (
        response.status_code >= 400
        and request.path.startswith("/api/")
        and isinstance(body, dict)
        and set(body) == {"Code", "Message"}
    ):
        code = re.sub(r"(?<!^)(?=[A-Z])", "_", str(body["Code"]).removesuffix("Error")).lower()
        response.body = json.dumps({"error": {"code": code, "message": str(body["Message"])}})
        response.headers["Content-Type"] = "application/json"
    return response


def status_for(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def error_headers(error: DomainError) -> dict[str, str]:
    if isinstance(error, RateLimited):
        return {"Retry-After": str(error.retry_after_seconds)}
    return {}


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """`body` is a response model (written without the members it leaves unset) or plain JSON."""
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json", exclude_unset=True)
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )


def json_error(status: int, code: str, message: str, **extra: object) -> Response:
    return json_response({"error": {"code": code, "message": message, **extra}}, status)


def domain_error_response(error: DomainError) -> Response:
    extra: dict[str, object] = {"fields": error.fields} if error.fields else {}
    if isinstance(error, StaleEdit):
        extra |= {"conflicts": error.conflicts, "revision": error.revision}
    return json_response(
        {"error": {"code": error.code, "message": error.message, **extra}},
        status_for(error),
        error_headers(error),
    )


def html_response(
    html: str, status: int = 200, headers: dict[str, str] | None = None, *, cache: bool = False
) -> Response:
    return Response(
        body=html,
        status_code=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": PAGE_POLICY,
            "Cache-Control": "public, max-age=300" if cache else "no-store",
            **(headers or {}),
        },
    )


def redirect(location: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body="",
        status_code=303,
        headers={
            "Location": location,
            "Content-Type": "text/plain; charset=utf-8",
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )


def json_route(blueprint: Blueprint, path: str, **options: Any) -> Callable[[View], View]:
    """Register a JSON route whose domain errors become `{"error": {...}}` responses."""

    def register(view: View) -> View:
        @functools.wraps(view)
        def handler(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except DomainError as error:
                return domain_error_response(error)
            except Exception:  # logged in full; the client gets the contract's shape
                log.exception("unhandled error", extra={"route": path})
                return json_error(500, "internal_error", "Something went wrong on our side.")

        blueprint.route(path, **options)(handler)
        return view

    return register


def api_route(
    blueprint: Blueprint,
    path: str,
    *,
    methods: list[str],
    summary: str,
    answers: Mapping[int, Answer],
    security: Security = "none",
    body: type[BaseModel] | None = None,
    refusals: Iterable[int] = (),
    query: tuple[QueryParameter, ...] = (),
    permission: str | None = None,
    follow_ups: tuple[str, ...] = (),
) -> Callable[[View], View]:
    """A JSON route of the public contract: registered, and declared for the OpenAPI document."""

    def register(view: View) -> View:
        for method in methods:
            declare(
                Operation(
                    method=method,
                    path=path,
                    operation_id=view.__name__
                    if len(methods) == 1
                    else f"{view.__name__}_{method.lower()}",
                    summary=summary,
                    description=inspect.getdoc(view) or "",
                    security=security,
                    body=body,
                    answers=dict(answers),
                    refusals=frozenset(refusals),
                    query=query,
                    permission=permission,
                    follow_ups=follow_ups,
                )
            )
        return json_route(blueprint, path, methods=methods)(view)

    return register


def raw_body(request: Request) -> bytes:
    body = request.raw_body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge(f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    return body


def json_body(request: Request, model: type[Body]) -> Body:
    body = raw_body(request)
    if not body.strip():
        raise MalformedRequest("Send a JSON object as the request body.")
    try:
        document = parse_json(body)
    except UnreadableJson:
        raise MalformedRequest(
            f"The request body is not valid JSON (UTF-8, nested at most {MAX_DEPTH} levels)."
        ) from None
    if not isinstance(document, dict):
        raise MalformedRequest("The request body must be a JSON object.")
    try:
        return model.model_validate(document)
    except ValidationError as error:
        fields = {
            ".".join(str(part) for part in issue["loc"]) or "body": issue["msg"]
            for issue in error.errors(include_input=False)
        }
        raise InvalidInput("Some fields are not valid.", fields=fields) from None


def form_body(request: Request) -> dict[str, str]:
    try:
        parsed = parse_qs(raw_body(request).decode("utf-8"), max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise MalformedRequest("The form could not be read.") from None
    return {name: values[0] for name, values in parsed.items()}


def query_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name) if request.query_params else None
    return value if isinstance(value, str) else None


def client_address(request: Request) -> str:
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def bearer_token(request: Request) -> str | None:
    header = str(request.headers.get("authorization", ""))
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def cookie(request: Request, name: str) -> str | None:
    try:
        jar = SimpleCookie(request.headers.get("cookie", ""))
    except CookieError:
        return None
    morsel = jar.get(name)
    return str(morsel.value) if morsel else None


def set_cookie(
    name: str,
    value: str,
    *,
    path: str,
    secure: bool,
    same_site: str,
    http_only: bool = True,
    max_age: int | None = None,
    expires_at: datetime | None = None,
) -> str:
    """One `Set-Cookie` value; with neither `max_age` nor `expires_at` it deletes the cookie."""
    jar: SimpleCookie = SimpleCookie()
    jar[name] = value
    morsel = jar[name]
    morsel["path"] = path or "/"
    morsel["samesite"] = same_site
    if http_only:
        morsel["httponly"] = True
    if secure:
        morsel["secure"] = True
    if expires_at is not None:
        morsel["expires"] = expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    else:
        morsel["max-age"] = max_age if max_age is not None else 0
    return morsel.OutputString()


def session_cookie(value: str, expires_at: datetime | None, *, path: str, secure: bool) -> str:
    return set_cookie(
        SESSION_COOKIE, value, path=path, secure=secure, same_site="Lax", expires_at=expires_at
    )


# -- forms: a per-session token, and no request from another site ---------------------------------


def new_form_secret() -> str:
    return new_token()


def form_token(form_secret: str, session: str | None) -> str:
    """What a page's forms carry: bound to the browser's form cookie and to its session, so a
    form another site makes cannot know it, and a page from before a sign-in goes stale."""
    return digest(f"form:{form_secret}:{session or ''}")


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def from_another_site(request: Request, site_url: str) -> bool:
    """`Origin`, else `Referer`, names a site other than ours. Our own pages send
    `Referrer-Policy: no-referrer`, with which browsers send `Origin: null` on our own forms."""
    ours = origin_of(site_url)
    origin = str(request.headers.get("origin") or "").strip()
    if origin and origin != "null":
        return origin_of(origin) != ours
    referer = str(request.headers.get("referer") or "").strip()
    return bool(referer) and origin_of(referer) != ours


def forged_form(
    request: Request, form: dict[str, str], site_url: str, session: str | None
) -> Literal["cross_site", "stale_form"] | None:
    """Why a state-changing form is refused (403), or None: another site, or a wrong token."""
    if from_another_site(request, site_url):
        return "cross_site"
    secret = cookie(request, FORM_COOKIE)
    sent = form.get(FORM_FIELD, "")
    if not secret or not sent or not hmac.compare_digest(sent, form_token(secret, session)):
        return "stale_form"
    return None


def form_cookie(secret: str, *, path: str, secure: bool) -> str:
    return set_cookie(
        FORM_COOKIE, secret, path=path, secure=secure, same_site="Lax", max_age=365 * 24 * 3600
    )
