"""The NIBRS Group A incident report of one resident's report, checked against the FBI's schema.

The shape of this module is shared with the workflow and the staff pages; the builder lives in
`chalicelib/nibrs/builder.py` and is imported here lazily, so importing this package costs
nothing (lxml is loaded only when a document is built or checked).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .document import NibrsDocument, NibrsProblem

if TYPE_CHECKING:
    from ..agency import AgencyProfile
    from ..models import Report


def nibrs_document(
    report: Report, agency: AgencyProfile, *, case_number: str | None, now: datetime
) -> NibrsDocument:
    """The NIBRS Group A incident report for `report` (case_number None: a preview, whose
    incident number is the report's reference). Pure: no AWS, no HTTP; imports lxml lazily."""
    from .builder import build_document

    return build_document(report, agency, case_number=case_number, now=now)


__all__ = ["NibrsDocument", "NibrsProblem", "nibrs_document"]
