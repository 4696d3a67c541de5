"""Builds and checks the NIBRS document (implementation follows)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from . import NibrsDocument

if TYPE_CHECKING:
    from ..agency import AgencyProfile
    from ..models import Report


def build_document(
    report: Report, agency: AgencyProfile, *, case_number: str | None, now: datetime
) -> NibrsDocument:
    raise NotImplementedError("the NIBRS builder is not written yet")
