"""Who holds a report, and staff's internal notes on it: the staff API and the report page's
forms (each page form goes back to the report, with the queue it was opened from)."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import services
from ..errors import Conflict, InvalidInput, NotPermitted
from ..review.claims import MAX_USERNAME, Holding
from ..review.notes import MAX_NOTE, Note
from ..review.staff import StaffMember
from .contract import QueryParameter, Timestamp
from .edge import form_body, json_body, json_response, query_param, status_for
from .html import FORM
from .staff_api import NoteView, staff_member, staff_route
from .staff_pages import go, queue_context, report_page, report_path, staff_page_route

blueprint = Blueprint(__name__)

CLAIM = "/api/staff/reports/{report_id}/claim"
SEEN = "seen_holder"
"""The page forms' field for who held the report as the page showed it (`holder` is the
queue's filter, carried with the queue context)."""


class Assignment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: str = Field(
        min_length=1, max_length=MAX_USERNAME, description="Who is to hold the report."
    )
    holder: str | None = Field(
        default=None,
        max_length=MAX_USERNAME,
        description='Who holds it as you saw it ("": nobody); refused (409) if that changed. '
        "Left out: whoever holds it.",
    )


class NewNote(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(max_length=MAX_NOTE, description="The note: never shown to the resident.")


class HoldingView(BaseModel):
    id: str
    claimed_by: str | None = Field(description="Who holds the report now; null: nobody.")
    claimed_at: Timestamp | None


def holding_view(holding: Holding) -> HoldingView:
    return HoldingView(id=holding.report_id, claimed_by=holding.holder, claimed_at=holding.since)


def note_view(note: Note) -> NoteView:
    return NoteView(at=note.at, by=note.by, text=note.text)


# -- the API -------------------------------------------------------------------------------------


@staff_route(
    CLAIM,
    "review",
    on=blueprint,
    methods=["POST"],
    summary='Hold a report waiting for a decision ("I\'m on it")',
    answers={200: HoldingView},
    refusals=(409,),
)
def claim(report_id: str) -> Response:
    """Of two claims at once, one wins; the other is refused (409, naming who holds it)."""
    member = staff_member("review")
    return json_response(holding_view(services.current().claims.claim(member, report_id)))


@staff_route(
    CLAIM,
    "assign",
    on=blueprint,
    methods=["PUT"],
    summary="Assign a report to a member of staff (supervisors)",
    body=Assignment,
    answers={200: HoldingView},
    refusals=(409,),
)
def assign(report_id: str) -> Response:
    member = staff_member("assign")
    body = json_body(blueprint.current_request, Assignment)
    holding = services.current().claims.assign(member, report_id, body.username, body.holder)
    return json_response(holding_view(holding))


@staff_route(
    CLAIM,
    "review",
    on=blueprint,
    methods=["DELETE"],
    summary="Release a report: your own claim, or (supervisors) anyone's",
    answers={200: HoldingView},
    refusals=(409, 422),
    query=(
        QueryParameter(
            "holder", "Who holds it as you saw it (supervisors); refused if that changed.", 128
        ),
    ),
)
def release(report_id: str) -> Response:
    member = staff_member("review")
    holder = query_param(blueprint.current_request, "holder")
    if holder is not None and not holder.strip():
        raise InvalidInput("Name who holds the report, or leave holder out.", fields={"holder": ""})
    holding = services.current().claims.release(member, report_id, holder)
    return json_response(holding_view(holding))


@staff_route(
    "/api/staff/reports/{report_id}/notes",
    "review",
    on=blueprint,
    methods=["POST"],
    summary="Add an internal note to a report (never shown to the resident)",
    body=NewNote,
    answers={201: NoteView},
)
def add_note(report_id: str) -> Response:
    member = staff_member("review")
    body = json_body(blueprint.current_request, NewNote)
    return json_response(note_view(services.current().notes.add(member, report_id, body.text)), 201)


# -- the report page's forms -------------------------------------------------------------------


def _claim_form(member: StaffMember, report_id: str, change: str) -> Response:
    form = form_body(blueprint.current_request)
    context = queue_context(form)
    claims = services.current().claims
    try:
        if change == "claimed":
            claims.claim(member, report_id)
        elif change == "assigned":
            claims.assign(member, report_id, form.get("username", ""), form.get(SEEN, ""))
        else:
            claims.release(member, report_id, form.get(SEEN) or None)
    except (Conflict, InvalidInput, NotPermitted) as error:
        field = "assign-username" if error.fields.get("username") else "claim"
        return report_page(
            member, report_id, {field: error.message}, None, status_for(error), context=context
        )
    return go(report_path(report_id, context, claim=change) + "#claim")


@staff_page_route("/staff/reports/{report_id}/claim", on=blueprint, methods=["POST"], **FORM)
def claim_page(member: StaffMember, report_id: str) -> Response:
    return _claim_form(member, report_id, "claimed")


@staff_page_route("/staff/reports/{report_id}/release", on=blueprint, methods=["POST"], **FORM)
def release_page(member: StaffMember, report_id: str) -> Response:
    return _claim_form(member, report_id, "released")


@staff_page_route(
    "/staff/reports/{report_id}/assign", "assign", on=blueprint, methods=["POST"], **FORM
)
def assign_page(member: StaffMember, report_id: str) -> Response:
    return _claim_form(member, report_id, "assigned")


@staff_page_route("/staff/reports/{report_id}/notes", on=blueprint, methods=["POST"], **FORM)
def note_page(member: StaffMember, report_id: str) -> Response:
    form = form_body(blueprint.current_request)
    context = queue_context(form)
    try:
        services.current().notes.add(member, report_id, form.get("text", ""))
    except InvalidInput as error:
        return report_page(
            member,
            report_id,
            {"note": error.fields.get("text") or error.message},
            None,
            422,
            context=context,
            form={"note": form.get("text", "")},
        )
    return go(report_path(report_id, context, noted="yes") + "#notes")
