"""The profile's nibrs section switched on for a test, and a stand-in for the NIBRS builder
(`chalicelib.nibrs.nibrs_document`) whose verdict a test decides."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

import pytest

from chalicelib import nibrs
from chalicelib.agency import AgencyProfile, NibrsProfile
from chalicelib.models import Report
from chalicelib.services import Services

BUILT_FROM_AGENCY = ("export", "desk", "review_steps", "nibrs_documents")
"""The services that keep the profile they were built with."""

SERIAL_MISSING = nibrs.NibrsProblem(
    element="Property description (element 15)",
    message="Every stolen item needs its serial number for the records system to match it.",
    question="stolen_items",
    path="nibrs:Report/nibrs:Item",
)


def with_nibrs(agency: AgencyProfile, *, approve_invalid: bool = False) -> AgencyProfile:
    """The profile with a nibrs section (its own, if it has one), `approve_invalid` as given."""
    section = (
        agency.nibrs.model_copy(update={"approve_invalid": approve_invalid})
        if agency.nibrs is not None
        else NibrsProfile(ori="RI0060000", approve_invalid=approve_invalid)
    )
    return agency.model_copy(update={"nibrs": section})


@contextmanager
def profile_of(services: Services, profile: AgencyProfile) -> Iterator[None]:
    """`services` (and the app, through `services.current()`) read `profile` until the end."""
    before = services.__dict__.get("agency")
    services.__dict__["agency"] = profile
    for name in BUILT_FROM_AGENCY:
        services.__dict__.pop(name, None)
    try:
        yield
    finally:
        if before is None:
            services.__dict__.pop("agency", None)
        else:
            services.__dict__["agency"] = before
        for name in BUILT_FROM_AGENCY:
            services.__dict__.pop(name, None)


@dataclass
class StandIn:
    """`problems` as given; or, with `serials`, one problem while any stolen item has no
    serial number (a clerk's correction fixes it). `reportable` False: no document."""

    problems: tuple[nibrs.NibrsProblem, ...] = ()
    serials: bool = False
    reportable: bool = True
    calls: list[str | None] = field(default_factory=list)

    def __call__(
        self, report: Report, agency: AgencyProfile, *, case_number: str | None, now: datetime
    ) -> nibrs.NibrsDocument:
        self.calls.append(case_number)
        if not self.reportable:
            return nibrs.NibrsDocument(
                reportable=False, xml=None, problems=(), reason="Lost property is not a crime."
            )
        problems = self.problems
        if self.serials:
            items: list[dict[str, Any]] = (report.answers or {}).get("stolen_items") or []
            problems = (SERIAL_MISSING,) if any(not item.get("serial") for item in items) else ()
        number = escape(case_number or report.report_id)
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<nibrs:Submission xmlns:nibrs="http://fbi.gov/cjis/nibrs/4.2">'
            f"<nibrs:IncidentNumber>{number}</nibrs:IncidentNumber></nibrs:Submission>"
        ).encode()
        return nibrs.NibrsDocument(reportable=True, xml=xml, problems=problems)


def stand_in(monkeypatch: pytest.MonkeyPatch, builder: StandIn) -> StandIn:
    monkeypatch.setattr(nibrs, "nibrs_document", builder)
    return builder
