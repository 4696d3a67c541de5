"""The copy of an approved report: a PDF a resident can download or collect at the records desk.

fpdf2 is imported when a copy is rendered, never at cold start: it costs ~400 ms to import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .agency import AgencyProfile, Question, localise
from .i18n import translator
from .intake.answers import date_bounds, items_total
from .rendering import dollars, plain

FONTS_DIR = Path(__file__).parent / "fonts"
COPIES_PREFIX = "copies/"


def copy_key(report_id: str) -> str:
    """Where a report's copy lives: its reference, which holds no personal data."""
    return f"{COPIES_PREFIX}{report_id}.pdf"


@dataclass(frozen=True)
class CopyContent:
    agency: AgencyProfile
    report_id: str
    case_number: str
    incident_type_id: str
    language: str
    answers: Mapping[str, Any]
    submitted_at: datetime
    decided_at: datetime
    contact_email: str


def answer_text(question: Question, value: Any, language: str) -> str:
    _ = translator(language)
    if value is None:
        return "—"
    if question.kind == "yes_no":
        return _("Yes") if value else _("No")
    if question.kind == "choice":
        return next(
            (localise(o.label, language) for o in question.options if o.value == value), str(value)
        )
    if question.kind == "money":
        return dollars(value)
    if question.kind == "date_range":
        return date_range_text(value, language)
    if question.kind == "address":
        parts = [value.get("line1"), value.get("line2"), value.get("city"), value.get("zip")]
        return ", ".join(plain(part) for part in parts if part)
    return plain(value)


def date_range_text(value: Any, language: str) -> str:
    """One day, "Between … and …", "On or after …" or "On or before …", in words."""
    from babel.dates import format_date  # imported on first use: it is large

    _ = translator(language)
    start, end = date_bounds(value)
    start_text, end_text = (
        format_date(day, format="long", locale=language) if day else "" for day in (start, end)
    )
    if start and end:
        if start == end:
            return str(start_text)
        return _("Between %(start)s and %(end)s") % {"start": start_text, "end": end_text}
    if start:
        return _("On or after %(date)s") % {"date": start_text}
    if end:
        return _("On or before %(date)s") % {"date": end_text}
    return plain(value)


def render_copy(content: CopyContent) -> bytes:
    from fpdf import FPDF  # heavy: only the copy step needs it
    from fpdf.enums import XPos, YPos

    agency, language = content.agency, content.language
    _ = translator(language)
    incident_type = agency.incident_type(content.incident_type_id)
    pdf = FPDF(format="Letter")
    pdf.set_title(f"{agency.name} {content.case_number}")
    pdf.set_author(agency.name)
    pdf.set_creation_date(content.decided_at)
    pdf.add_font("DejaVu", "", str(FONTS_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: int = 10, style: str = "", gap: float = 1.5) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(width, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)

    def pair(label: str, value: str) -> None:
        """A label and its value side by side; the taller of the two sets the row."""
        if pdf.will_page_break(10):
            pdf.add_page()
        top, left = pdf.get_y(), pdf.l_margin
        pdf.set_font("DejaVu", "B", 9)
        pdf.multi_cell(width * 0.36, 5, label, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        label_bottom = pdf.get_y()
        pdf.set_xy(left + width * 0.38, top)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(width * 0.62, 5, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(label_bottom, pdf.get_y()) + 1)

    line(agency.name, 16, "B", 0.5)
    line(_("Copy of a police report made online"), 11, "", 4)
    pair(_("Case number"), content.case_number)
    pair(_("Reference"), content.report_id)
    if incident_type is not None:
        pair(
            _("What happened"),
            f"{localise(incident_type.label, language)} ({incident_type.offense_code})",
        )
    pair(_("Reported on"), content.submitted_at.astimezone(agency.zone).strftime("%Y-%m-%d %H:%M"))
    pair(_("Accepted on"), content.decided_at.astimezone(agency.zone).strftime("%Y-%m-%d %H:%M"))
    pair(_("Reporter's email"), content.contact_email)
    pdf.ln(3)
    steps = agency.steps_for(incident_type) if incident_type else ()
    for step in steps:
        line(localise(step.title, language), 12, "B", 1)
        for question in step.questions:
            value = content.answers.get(question.id)
            if question.kind == "items":
                line(localise(question.label, language), 9, "B", 0.5)
                for item in value or []:
                    serial = (
                        f" ({_('serial %(serial)s') % {'serial': plain(item['serial'])}})"
                        if item.get("serial")
                        else ""
                    )
                    line(
                        f"• {plain(item['description'])}{serial}: {dollars(item['value'])}",
                        9,
                        "",
                        0.5,
                    )
                line(f"{_('Total value:')} {dollars(items_total(value))}", 9, "B", 1.5)
            else:
                pair(localise(question.label, language), answer_text(question, value, language))
        pdf.ln(2)
    pdf.ln(2)
    line(
        _("This copy was produced by %(agency)s online reporting. Records division: %(address)s.")
        % {"agency": agency.name, "address": agency.contacts.records.address},
        8,
    )
    return bytes(pdf.output())
