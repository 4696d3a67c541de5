"""The JSON API's contract, declared where each route is registered.

Every `/api/` route names its request body, what it answers on success, and the refusals its
domain can raise beyond the ones its shape implies. `openapi.py` turns these declarations and
the pydantic models into the OpenAPI document, so the document is never a hand-kept copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, RootModel, WithJsonSchema

Security = Literal["none", "resident", "staff"]

Timestamp = Annotated[
    datetime,
    PlainSerializer(lambda moment: moment.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A moment as the API has always written it: ISO 8601 with its UTC offset (`+00:00`)."""


class ErrorDetail(BaseModel):
    model_config = ConfigDict(title="ErrorDetail")

    code: str
    message: str
    fields: dict[str, str] | None = None
    conflicts: dict[str, dict[str, Any]] | None = Field(
        default=None,
        description="A stale edit (409): for each field it changed, `yours` (what it would "
        "have written) and `current` (what someone saved first).",
    )
    revision: int | None = Field(
        default=None, description="A stale edit (409): the revision now stored, to edit from."
    )


class ErrorBody(BaseModel):
    """Every refusal: a machine-readable code, a message for people, and per field problems."""

    error: ErrorDetail


class AnyObject(RootModel[dict[str, Any]]):
    """A JSON object whose members the route does not fix (such as the OpenAPI document)."""


class NoContent:
    """A success without a body (204)."""


class Redirect:
    """A success that is a `Location` to follow (302)."""


class XmlDocument:
    """A success whose body is an XML document (`application/xml`), not JSON."""


Answer = type[BaseModel] | type[NoContent] | type[Redirect] | type[XmlDocument]


@dataclass(frozen=True)
class QueryParameter:
    name: str
    description: str
    max_length: int | None = None
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    description: str
    security: Security
    body: type[BaseModel] | None
    answers: Mapping[int, Answer]
    refusals: frozenset[int]
    query: tuple[QueryParameter, ...] = ()
    permission: str | None = None
    follow_ups: tuple[str, ...] = field(default=())
    """Operations (by id) that take the answer's `id` as their `report_id`: OpenAPI links."""

    @property
    def path_parameters(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    def statuses(self) -> dict[int, Answer | None]:
        """Every status the route can answer: its successes, then each refusal (`None`).

        Every route reads or writes AWS, so each can answer 503 (busy, try again) and, for a
        defect, 500; and each refuses a `Content-Type` other than JSON (415)."""
        refused = set(self.refusals) | {415, 500, 503}
        if self.body is not None:
            refused |= {400, 413, 422}
        if self.security != "none":
            refused.add(401)
        if self.security == "staff":
            refused.add(403)
        if self.path_parameters:
            refused.add(404)
        return {**self.answers, **{status: None for status in sorted(refused - set(self.answers))}}


OPERATIONS: list[Operation] = []
"""Every declared operation, in the order the routes were registered."""


def declare(operation: Operation) -> None:
    if any(
        (known.method, known.path) == (operation.method, operation.path) for known in OPERATIONS
    ):
        raise ValueError(f"{operation.method} {operation.path} is declared twice")
    OPERATIONS.append(operation)
