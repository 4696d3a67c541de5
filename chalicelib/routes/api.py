"""The resident JSON API (DESIGN §5)."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import services
from ..errors import NotAuthenticated
from ..intake.verification import Resident
from .edge import api_route, bearer_token, client_address, json_body, json_response

blueprint = Blueprint(__name__)


class VerificationRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: str = Field(max_length=320)
    language: str | None = Field(default=None, max_length=10)


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    token: str = Field(max_length=200)


def signed_in_resident() -> Resident:
    session = bearer_token(blueprint.current_request)
    if session is None:
        raise NotAuthenticated("Send your session as 'Authorization: Bearer <session>'.")
    return services.current().verification.resident(session)


@api_route(blueprint, "/api/agency", methods=["GET"])
def public_agency_profile() -> Response:
    return json_response(services.current().agency.public_view())


@api_route(blueprint, "/api/verifications", methods=["POST"])
def request_verification() -> Response:
    request = blueprint.current_request
    body = json_body(request, VerificationRequest)
    services.current().verification.send_link(body.email, body.language, client_address(request))
    return json_response(
        {"status": "sent", "message": "If the address can receive email, a link is on its way."},
        202,
    )


@api_route(blueprint, "/api/sessions", methods=["POST"])
def open_session() -> Response:
    body = json_body(blueprint.current_request, SessionRequest)
    opened = services.current().verification.open_session(body.token)
    return json_response(
        {
            "session": opened.session,
            "expires_at": opened.expires_at.isoformat(),
            "language": opened.language,
        },
        201,
    )


@api_route(blueprint, "/api/session", methods=["GET"])
def current_session() -> Response:
    resident = signed_in_resident()
    return json_response(
        {
            "email": resident.email,
            "language": resident.language,
            "expires_at": resident.expires_at.isoformat(),
        }
    )


@api_route(blueprint, "/api/session", methods=["DELETE"])
def end_session() -> Response:
    resident = signed_in_resident()
    services.current().verification.end_session(resident)
    return Response(body="", status_code=204)
