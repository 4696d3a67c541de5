"""Routes that exist only on a developer's machine (the local stack)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from .. import services
from ..mail import RecordingOutbox
from .edge import json_error, json_response, json_route

blueprint = Blueprint(__name__)


@json_route(blueprint, "/_local/outbox", methods=["GET"])
def outbox() -> Response:
    """Every email sent since the local stack started, newest last."""
    current = services.current()
    if not current.settings.is_local or not isinstance(current.outbox, RecordingOutbox):
        return json_error(404, "not_found", "Not found.")
    return json_response(current.outbox.as_json())
