"""The resident JSON API's attachments: the upload form, the list, and removal."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import services
from .api import signed_in_resident
from .contract import NoContent, Timestamp
from .edge import api_route, json_body, json_response

blueprint = Blueprint(__name__)


class NewAttachment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(max_length=1000, description="The file's name on the resident's device.")
    type: str = Field(max_length=100, description="Its media type, one of `accepted_types`.")


class UploadFormView(BaseModel):
    """POST the file to `url` as `multipart/form-data`: every member of `fields`, then the file
    as `file`, before `expires_at`. Then list the attachments to see it checked."""

    id: str
    url: str
    fields: dict[str, str]
    expires_at: Timestamp


class AttachmentView(BaseModel):
    """`waiting` until the file has arrived and been checked; then `accepted` (with its type,
    size and SHA-256) or `refused` (with `reason_code` and `reason` in words)."""

    id: str
    name: str
    state: Literal["waiting", "accepted", "refused"]
    reason_code: str | None = None
    reason: str | None = None
    media_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    created_at: Timestamp
    form_expires_at: Timestamp


class AttachmentsView(BaseModel):
    items: list[AttachmentView]
    max_files: int
    max_bytes: int
    accepted_types: list[str]


def attachment_view(entry: dict[str, Any]) -> AttachmentView:
    return AttachmentView(
        **{
            **{k: v for k, v in entry.items() if k in AttachmentView.model_fields},
            "created_at": datetime.fromisoformat(entry["created_at"]),
            "form_expires_at": datetime.fromisoformat(entry["form_expires_at"]),
        }
    )


@api_route(
    blueprint,
    "/api/reports/{report_id}/attachments",
    methods=["POST"],
    summary="Attach a photo or document: the form to upload it straight to storage",
    security="resident",
    body=NewAttachment,
    answers={201: UploadFormView},
    refusals=(409, 422),
)
def offer_attachment(report_id: str) -> Response:
    """Until a decision is made, at most `max_files` files (refused ones do not count); 409
    once decided or at the limit, 422 for a type not accepted."""
    body = json_body(blueprint.current_request, NewAttachment)
    form = services.current().attachments.offer(
        signed_in_resident(), report_id, body.name, body.type
    )
    return json_response(
        UploadFormView(id=form.id, url=form.url, fields=form.fields, expires_at=form.expires_at),
        201,
    )


@api_route(
    blueprint,
    "/api/reports/{report_id}/attachments",
    methods=["GET"],
    summary="The report's attachments, each file checked once it has arrived",
    security="resident",
    answers={200: AttachmentsView},
)
def list_attachments(report_id: str) -> Response:
    listed = services.current().attachments.entries(signed_in_resident(), report_id)
    return json_response(
        AttachmentsView(
            items=[attachment_view(entry) for entry in listed.items],
            max_files=listed.max_files,
            max_bytes=listed.max_bytes,
            accepted_types=list(listed.accepted_types),
        )
    )


@api_route(
    blueprint,
    "/api/reports/{report_id}/attachments/{attachment_id}",
    methods=["DELETE"],
    summary="Remove an attachment before the report is submitted",
    security="resident",
    answers={204: NoContent},
    refusals=(409,),
)
def remove_attachment(report_id: str, attachment_id: str) -> Response:
    services.current().attachments.remove(signed_in_resident(), report_id, attachment_id)
    return Response(body="", status_code=204)
