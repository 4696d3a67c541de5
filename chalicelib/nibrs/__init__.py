"""The NIBRS Group A incident report of one resident's report, checked against the FBI's schema.

The shape of this module is shared with the workflow and the staff pages; the builder lives in
`chalicelib/nibrs/builder.py` and is imported here lazily, so importing this package costs
nothing (lxml is loaded only when a document is built or checked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..agency import AgencyProfile
    from ..models import Report


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


def nibrs_document(
    report: Report, agency: AgencyProfile, *, case_number: str | None, now: datetime
) -> NibrsDocument:
    """The NIBRS Group A incident report for `report` (case_number None: a preview, whose
    incident number is the report's reference). Pure: no AWS, no HTTP; imports lxml lazily."""
    from .builder import build_document

    return build_document(report, agency, case_number=case_number, now=now)


__all__ = ["NibrsDocument", "NibrsProblem", "nibrs_document"]
