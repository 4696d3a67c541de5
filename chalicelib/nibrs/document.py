"""What a NIBRS document is, and what it says before it is XML (no lxml here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class NibrsProblem:
    element: str
    """The NIBRS data element in words, e.g. "Offense code (element 6)"."""
    message: str
    """Why, in words a records clerk understands."""
    question: str | None
    """The question whose answer feeds the element; None when it is the profile's."""
    path: str | None
    """Where in the XML, e.g. "nibrs:Report/j:Offense/nibrs:OffenseUCRCode", if known."""


@dataclass(frozen=True)
class NibrsDocument:
    reportable: bool
    """False: the incident type has no NIBRS Group A offense; no document, `reason` says why."""
    xml: bytes | None
    """UTF-8 XML of one nibrs:Submission (also when problems exist); None when not reportable."""
    problems: tuple[NibrsProblem, ...]
    """Empty: valid against the XSD and the chosen edit rules."""
    reason: str | None = None

    @property
    def valid(self) -> bool:
        return self.reportable and not self.problems


@dataclass(frozen=True)
class Property:
    """One nc:Item: its loss type, and (unless NONE) its value and description."""

    loss: str
    value: Decimal | None = None
    description: str | None = None
    label: str = ""
    """Which item, in words, for the edit rules' messages ("item 2", "the bicycle")."""
    question: str | None = None
    description_question: str | None = None


@dataclass(frozen=True)
class Incident:
    """What the document says, before it is XML: the edit rules read this."""

    ori: str
    incident_number: str
    offense: str
    attempted: bool
    day: date | None
    hour: int | None
    date_question: str | None
    report_date: date
    location: str
    location_question: str | None
    victim: str
    properties: tuple[Property, ...]
    person: dict[str, str] = field(default_factory=dict)
    person_questions: dict[str, str | None] = field(default_factory=dict)
