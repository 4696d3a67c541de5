"""The copy of an approved report: a PDF a resident can download or collect at the records desk,
and that anyone it is shown to can check at `/copies/verify` with the code printed on it.

fpdf2 is imported when a copy is rendered, never at cold start: it costs ~400 ms to import.

Every character a resident can type is printed: DejaVu Sans covers the Latin, Greek, Cyrillic,
Hebrew and Arabic scripts; Noto Emoji (SIL OFL 1.1, one static weight cut from the variable
font, see fonts/LICENSE-NotoEmoji.txt) is the fallback for emoji; anything neither has is shown
as its code point, "[U+4E2D]", never dropped. Right-to-left runs are put in visual order here
(fpdf2 does it only with its HarfBuzz text shaping, a native dependency the package does without).
"""

from __future__ import annotations

import io
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .agency import AgencyProfile, Question, localise
from .copy_codes import show_code
from .i18n import translator
from .intake.answers import date_bounds, items_total
from .moments import clock_time, local_day, local_moment, long_day
from .rendering import dollars, plain

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS_DIR = Path(__file__).parent / "fonts"
COPIES_PREFIX = "copies/"
TEXT_FONT = "DejaVu"
FALLBACK_FONT = "NotoEmoji"
FONT_FILES = {
    (TEXT_FONT, ""): "DejaVuSans.ttf",
    (TEXT_FONT, "B"): "DejaVuSans-Bold.ttf",
    (FALLBACK_FONT, ""): "NotoEmoji-Regular.ttf",
}
# Invisible by definition (joiners, variation selectors, tags): never a substitute for these.
_IGNORABLE_RANGES = ((0xFE00, 0xFE0F), (0xE0000, 0xE007F), (0xE0100, 0xE01EF))
_RTL_CLASSES = frozenset({"R", "AL"})


def copy_key(report_id: str) -> str:
    """Where a report's copy lives: its reference, which holds no personal data."""
    return f"{COPIES_PREFIX}{report_id}.pdf"


@dataclass(frozen=True)
class CorrectionInWords:
    """One change staff made to a report, as the resident reads it: never who made it."""

    label: str
    was: str
    now: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class AttachmentInCopy:
    """A file the resident attached and the police accepted, as the copy lists it."""

    name: str
    media_type: str
    size: int
    sha256: str
    pages: int | None = None
    thumbnail: bytes | None = None
    """A JPEG of at most 320 pixels a side, for images."""


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
    supplements: Sequence[Mapping[str, Any]] = ()
    """The resident's answers to staff's questions: `text` and `at`, with `question` and
    `asked_at` where the report kept them."""
    corrections: Sequence[CorrectionInWords] = ()
    """What staff corrected before approving it (the answers above are the corrected ones)."""
    verification_code: str = ""
    verify_url: str = ""
    """The page that checks the code, with the code in its query: the QR code's content."""
    issued_at: datetime | None = None
    attachments: Sequence[AttachmentInCopy] = ()


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


def answer_in_words(question: Question, value: Any, language: str) -> str:
    """An answer in plain words on a line or two (a correction's old or new value)."""
    _ = translator(language)
    if value is None:
        return _("Not given")
    if question.kind == "items" and isinstance(value, list):
        return "; ".join(
            f"{plain(item.get('description', ''))}: {dollars(item.get('value') or 0)}"
            for item in value
            if isinstance(item, Mapping)
        )
    if question.kind in ("date", "date_range") and isinstance(value, str):
        try:
            return long_day(date.fromisoformat(value), language)
        except ValueError:
            return plain(value)
    return answer_text(question, value, language)


def corrections_in_words(
    agency: AgencyProfile, corrections: Sequence[Mapping[str, Any]], language: str
) -> list[CorrectionInWords]:
    """A report's corrections (`Report.corrections`) as the resident reads them, in order."""
    _ = translator(language)
    questions = {q.id: q for step in agency.steps for q in step.questions}

    def incident_label(value: object) -> str:
        chosen = agency.incident_type(value) if isinstance(value, str) else None
        return localise(chosen.label, language) if chosen else _("Not given")

    shown = []
    for correction in corrections:
        question_id, old, new = (
            correction.get("question"),
            correction.get("old"),
            correction.get("new"),
        )
        question = questions.get(str(question_id))
        if question_id == "incident_type":
            label, was, now = _("What happened"), incident_label(old), incident_label(new)
        elif question is not None:
            label = localise(question.label, language)
            was, now = (
                answer_in_words(question, old, language),
                answer_in_words(question, new, language),
            )
        else:  # a question the profile no longer asks
            label, was, now = str(question_id), plain(old), plain(new)
        shown.append(
            CorrectionInWords(
                label=label,
                was=was,
                now=now,
                reason=plain(correction.get("reason", "")),
                at=datetime.fromisoformat(str(correction.get("at"))),
            )
        )
    return shown


# -- moments, in the agency's zone ----------------------------------------------------------------


def wall_time(value: str, on: object, zone: ZoneInfo, language: str) -> str:
    """A time the resident gave ("21:30"), on the day they gave if any: "9:30 p.m. EDT"."""
    try:
        given = time.fromisoformat(str(value))
    except ValueError:
        return plain(value)
    try:
        day = date.fromisoformat(str(on))
    except ValueError:
        return clock_time(given, language)
    zone_name = datetime.combine(day, given, tzinfo=zone).tzname()
    return f"{clock_time(given, language)} {zone_name}"


# -- every character printed ----------------------------------------------------------------------


@cache
def _covered(font_file: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    font = TTFont(FONTS_DIR / font_file, lazy=True)
    return frozenset(font.getBestCmap())


def _ignorable(code: int) -> bool:
    return unicodedata.category(chr(code)) == "Cf" or any(
        low <= code <= high for low, high in _IGNORABLE_RANGES
    )


def printable(text: str, bold: bool = False, fallback: bool = True) -> str:
    """`text` as it can be printed: each character the fonts lack as its code point."""
    ours = _covered(FONT_FILES[(TEXT_FONT, "B" if bold else "")])
    emoji = _covered(FONT_FILES[(FALLBACK_FONT, "")]) if fallback else frozenset()
    shown: list[str] = []
    for character in text:
        code = ord(character)
        if character == "\n" or code in ours or code in emoji:
            shown.append(character)
        elif _ignorable(code) or unicodedata.category(character).startswith("M"):
            continue  # a joiner or a mark the fonts lack: its base is printed, or substituted
        else:
            shown.append(f"[U+{code:04X}]")
    return visual_order("".join(shown))


def needs_fallback(content: CopyContent) -> bool:
    """Whether anything the resident typed has a character only the fallback font has."""
    typed = json.dumps(
        [
            content.answers,
            list(content.supplements),
            list(content.corrections),
            [attached.name for attached in content.attachments],
        ],
        ensure_ascii=False,
        default=str,
    )
    ours = _covered(FONT_FILES[(TEXT_FONT, "")]) & _covered(FONT_FILES[(TEXT_FONT, "B")])
    return any(ord(character) not in ours for character in set(typed))


def visual_order(text: str) -> str:
    """Each line with its right-to-left runs in the order they are read on paper."""
    if not any(unicodedata.bidirectional(c) in _RTL_CLASSES for c in text):
        return text
    from fpdf.bidi import BidiParagraph, auto_detect_base_direction
    from fpdf.enums import TextDirection

    lines = []
    for line in text.split("\n"):
        direction = auto_detect_base_direction(line)
        fragments = BidiParagraph(text=line, base_direction=direction).get_bidi_fragments()
        runs = [
            run[::-1] if run_direction == TextDirection.RTL else run
            for run, run_direction in fragments
        ]
        lines.append("".join(reversed(runs) if direction == TextDirection.RTL else runs))
    return "\n".join(lines)


# -- the document ---------------------------------------------------------------------------------

PAGE_MARGIN = 18.0
FOOTER_HEIGHT = 16.0
BAND_HEIGHT = 24.0
ROW = 4.2

INK = (33, 37, 41)
MUTED = (90, 97, 104)
RULE = (200, 205, 210)


def rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def tint(colour: tuple[int, int, int], share: float) -> tuple[int, int, int]:
    """`colour` mixed with white: `share` of the colour is left."""
    r, g, b = colour
    return (
        round(255 - (255 - r) * share),
        round(255 - (255 - g) * share),
        round(255 - (255 - b) * share),
    )


def qr_png(content: str) -> io.BytesIO:
    import segno

    image = io.BytesIO()
    segno.make(content, error="m").save(image, kind="png", scale=8, border=0)
    image.seek(0)
    return image


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

    return _CopyDocument(FPDF, content).render()


class _CopyDocument:
    def __init__(self, fpdf_class: type[FPDF], content: CopyContent) -> None:
        self.content = content
        self.agency = content.agency
        self.language = content.language
        self._ = translator(content.language)
        self.colour = rgb(content.agency.branding.primary_colour)
        footer = self._footer
        header = self._header

        class Document(fpdf_class):  # type: ignore[misc, valid-type]
            def header(self) -> None:
                header()

            def footer(self) -> None:
                footer()

        self.pdf: FPDF = Document(format="Letter", unit="mm")
        self.fallback = needs_fallback(content)

    # -- page furniture -----------------------------------------------------------------------

    def _header(self) -> None:
        pdf, _ = self.pdf, self._
        pdf.set_fill_color(*self.colour)
        if pdf.page_no() == 1:
            pdf.rect(0, 0, pdf.w, BAND_HEIGHT, style="F")
            pdf.set_text_color(255, 255, 255)
            pdf.set_xy(PAGE_MARGIN, 5.5)
            self._font(17, "B")
            pdf.cell(0, 8, self._printable(self.agency.name, bold=True))
            pdf.set_xy(PAGE_MARGIN, 14)
            self._font(10.5)
            pdf.cell(0, 6, _("Copy of a police report made online"))
            pdf.set_y(BAND_HEIGHT + 6)
        else:
            pdf.rect(0, 0, pdf.w, 4, style="F")
            pdf.set_xy(PAGE_MARGIN, 8)
            pdf.set_text_color(*MUTED)
            self._font(8.5)
            pdf.cell(
                0,
                5,
                _("%(agency)s, case %(case)s (continued)")
                % {"agency": self.agency.name, "case": self.content.case_number},
            )
            pdf.set_y(18)
        pdf.set_text_color(*INK)

    def _footer(self) -> None:
        pdf, _, content = self.pdf, self._, self.content
        records = self.agency.contacts.records
        pdf.set_y(-FOOTER_HEIGHT + 2)
        pdf.set_draw_color(*RULE)
        pdf.line(PAGE_MARGIN, pdf.get_y(), pdf.w - PAGE_MARGIN, pdf.get_y())
        pdf.ln(1.5)
        pdf.set_text_color(*MUTED)
        self._font(7.5)
        contact = _("Records division: %(address)s") % {"address": records.address}
        if records.phone:
            contact += f" · {records.phone}"
        width = pdf.w - 2 * PAGE_MARGIN
        pdf.cell(width * 0.75, 4, self._printable(contact))
        pdf.cell(
            width * 0.25,
            4,
            _("Page %(page)s of %(pages)s") % {"page": pdf.page_no(), "pages": "{nb}"},
            align="R",
        )
        pdf.ln(4)
        ident = _("Case %(case)s · Reference %(reference)s") % {
            "case": content.case_number,
            "reference": content.report_id,
        }
        if content.verification_code:
            ident += " · " + _("Verification code %(code)s") % {
                "code": show_code(content.verification_code)
            }
        pdf.cell(width, 4, ident)
        pdf.set_text_color(*INK)

    # -- building blocks ----------------------------------------------------------------------

    def _printable(self, text: str, bold: bool = False) -> str:
        return printable(text, bold, fallback=self.fallback)

    def _font(self, size: float, style: str = "") -> None:
        self.pdf.set_font(TEXT_FONT, style, size)

    def _text(self, text: str, size: float = 9.5, style: str = "", height: float = 0) -> None:
        pdf = self.pdf
        self._font(size, style)
        pdf.set_x(PAGE_MARGIN)
        pdf.multi_cell(
            pdf.epw,
            height or size * 0.48,
            self._printable(text, bold="B" in style),
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )

    def _heading(self, text: str) -> None:
        pdf = self.pdf
        if pdf.will_page_break(18):
            pdf.add_page()
        pdf.ln(1.6)
        pdf.set_text_color(*self.colour)
        self._text(text, 10.5, "B")
        pdf.set_text_color(*INK)
        pdf.set_draw_color(*tint(self.colour, 0.45))
        pdf.set_line_width(0.35)
        y = pdf.get_y() + 0.8
        pdf.line(PAGE_MARGIN, y, pdf.w - PAGE_MARGIN, y)
        pdf.set_line_width(0.2)
        pdf.set_y(y + 1.3)

    def _pair(self, label: str, value: str, strong: bool = False) -> None:
        """A label and its value side by side; the taller of the two sets the row. A row is
        never split: if it would not fit, it starts the next page."""
        pdf = self.pdf
        width = pdf.epw
        label_text = self._printable(label, bold=True)
        value_text = self._printable(value, bold=strong)
        value_style = "B" if strong else ""
        self._font(9, "B")
        label_lines = self._lines(width * 0.40, label_text)
        self._font(9.5, value_style)
        value_lines = self._lines(width * 0.58, value_text)
        height = max(label_lines, value_lines) * ROW
        if height < pdf.h - 2 * FOOTER_HEIGHT - 20 and pdf.will_page_break(height + 0.6):
            pdf.add_page()
        top = pdf.get_y()
        pdf.set_text_color(*MUTED)
        self._font(9, "B")
        pdf.set_xy(PAGE_MARGIN, top)
        pdf.multi_cell(width * 0.40, ROW, label_text, align="L", new_x="LMARGIN", new_y="NEXT")
        label_bottom, page = pdf.get_y(), pdf.page_no()
        pdf.set_text_color(*INK)
        self._font(9.5, value_style)
        pdf.set_xy(PAGE_MARGIN + width * 0.42, top)
        pdf.multi_cell(width * 0.58, ROW, value_text, align="L", new_x="LMARGIN", new_y="NEXT")
        # A value longer than a page went on to the next: its end is where the row ends.
        bottom = max(label_bottom, pdf.get_y()) if pdf.page_no() == page else pdf.get_y()
        pdf.set_y(bottom + 0.6)

    def _lines(self, width: float, text: str) -> int:
        lines = self.pdf.multi_cell(width, ROW, text, dry_run=True, output="LINES")
        return len(lines) if isinstance(lines, list) else 1

    # -- the parts ----------------------------------------------------------------------------

    def render(self) -> bytes:
        content, agency, pdf = self.content, self.agency, self.pdf
        pdf.set_title(f"{agency.name} {content.case_number}")
        pdf.set_author(agency.name)
        pdf.set_subject(self._("Copy of a police report made online"))
        pdf.set_lang(self.language)
        pdf.set_creation_date(content.issued_at or content.decided_at)
        for (family, style), file_name in FONT_FILES.items():
            if family == TEXT_FONT:
                pdf.add_font(family, style, str(FONTS_DIR / file_name))
        if self.fallback:  # parsing and embedding it costs a third of the time
            pdf.add_font(FALLBACK_FONT, "", str(FONTS_DIR / FONT_FILES[(FALLBACK_FONT, "")]))
            pdf.set_fallback_fonts([FALLBACK_FONT], exact_match=False)
        pdf.set_margins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        pdf.set_auto_page_break(auto=True, margin=FOOTER_HEIGHT + 4)
        pdf.alias_nb_pages("{nb}")
        pdf.add_page()
        self._case_box()
        self._notice()
        self._summary()
        self._answers()
        self._supplements()
        self._corrections()
        self._attachments()
        return bytes(pdf.output())

    def _case_box(self) -> None:
        pdf, _, content = self.pdf, self._, self.content
        top = pdf.get_y()
        height = 32.0 if content.verification_code else 22.0
        pdf.set_fill_color(*tint(self.colour, 0.08))
        pdf.set_draw_color(*tint(self.colour, 0.5))
        pdf.rect(PAGE_MARGIN, top, pdf.epw, height, style="DF")
        pdf.set_xy(PAGE_MARGIN + 5, top + 4)
        pdf.set_text_color(*MUTED)
        self._font(8, "B")
        pdf.cell(0, 4, _("Case number").upper())
        pdf.set_xy(PAGE_MARGIN + 5, top + 8.5)
        pdf.set_text_color(*self.colour)
        self._font(19, "B")
        pdf.cell(0, 10, content.case_number)
        pdf.set_xy(PAGE_MARGIN + 5, top + 19.5)
        pdf.set_text_color(*INK)
        self._font(9)
        pdf.cell(0, 4, _("Reference %(reference)s") % {"reference": content.report_id})
        if content.verification_code:
            qr = 26.0
            qr_x = pdf.w - PAGE_MARGIN - 4 - qr
            pdf.image(qr_png(content.verify_url), x=qr_x, y=top + 4, w=qr, h=qr)
            left = PAGE_MARGIN + pdf.epw * 0.5
            text_width = qr_x - 4 - left
            pdf.set_xy(left, top + 4)
            pdf.set_text_color(*MUTED)
            self._font(8, "B")
            pdf.cell(text_width, 4, _("Check this copy").upper())
            pdf.set_xy(left, top + 8.5)
            pdf.set_text_color(*INK)
            self._font(12.5, "B")
            pdf.cell(text_width, 7, show_code(content.verification_code))
            pdf.set_xy(left, top + 16.5)
            self._font(8)
            pdf.multi_cell(text_width, 3.6, _("Scan the QR code, or enter the code at:"), align="L")
            page = content.verify_url.split("?", 1)[0]
            size = 8.0
            self._font(size, "B")
            while size > 5.5 and pdf.get_string_width(page) > text_width:
                size -= 0.25
                self._font(size, "B")
            pdf.set_x(left)
            pdf.cell(text_width, 4, page)
        pdf.set_y(top + height + 4)

    def _notice(self) -> None:
        pdf, _, content = self.pdf, self._, self.content
        top = pdf.get_y()
        self._font(9)
        text = _(
            "This is a copy of a report made online to %(agency)s: the facts in it are as "
            "the person who made the report gave them. A records reviewer accepted it on %(date)s."
        ) % {
            "agency": self.agency.name,
            "date": local_day(content.decided_at, self.agency.zone, self.language),
        }
        pdf.set_x(PAGE_MARGIN + 4)
        pdf.multi_cell(
            pdf.epw - 4, 4.4, self._printable(text), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_fill_color(*self.colour)
        pdf.rect(PAGE_MARGIN, top, 1.4, pdf.get_y() - top, style="F")
        pdf.ln(3)

    def _summary(self) -> None:
        _, content, zone, language = self._, self.content, self.agency.zone, self.language
        incident_type = self.agency.incident_type(content.incident_type_id)
        if incident_type is not None:
            label = localise(incident_type.label, language)
            self._pair(_("What happened"), f"{label} ({incident_type.offense_code})")
        self._pair(_("Reported on"), local_moment(content.submitted_at, zone, language))
        self._pair(
            _("Reviewed by"), _("Records reviewer, %(agency)s") % {"agency": self.agency.name}
        )
        self._pair(_("Accepted on"), local_moment(content.decided_at, zone, language))
        if content.issued_at is not None:
            self._pair(_("Copy issued on"), local_moment(content.issued_at, zone, language))
        if content.contact_email:
            self._pair(_("Reporter's email"), content.contact_email)

    def _answers(self) -> None:
        _, content, language = self._, self.content, self.language
        incident_type = self.agency.incident_type(content.incident_type_id)
        steps = self.agency.steps_for(incident_type) if incident_type else ()
        for step in steps:
            self._heading(localise(step.title, language))
            for question in step.questions:
                value = content.answers.get(question.id)
                if value is None and not question.required:
                    continue  # an optional question left unanswered says nothing on paper
                if question.kind == "items":
                    self._items(question, value or [])
                else:
                    self._pair(localise(question.label, language), self._shown(question, value))

    def _shown(self, question: Question, value: Any) -> str:
        if question.kind == "time" and value:
            day = next(
                (
                    self.content.answers.get(q.id)
                    for step in self.agency.steps
                    for q in step.questions
                    if q.kind in ("date", "date_range") and q.records_field == "incident_date"
                ),
                None,
            )
            start, end = date_bounds(day)
            on = start or end  # a time given with a range is taken on its first known day
            return wall_time(
                str(value), on.isoformat() if on else None, self.agency.zone, self.language
            )
        if question.kind == "date" and isinstance(value, str):
            try:
                return long_day(date.fromisoformat(value), self.language)
            except ValueError:
                pass
        return answer_text(question, value, self.language)

    def _items(self, question: Question, items: list[dict[str, Any]]) -> None:
        _ = self._
        if not items:
            self._pair(localise(question.label, self.language), "—")
            return
        for number, item in enumerate(items, start=1):
            serial = (
                f"\n{_('serial %(serial)s') % {'serial': plain(item['serial'])}}"
                if item.get("serial")
                else ""
            )
            self._pair(
                f"{localise(question.label, self.language)} {number}",
                f"{plain(item['description'])}: {dollars(item['value'])}{serial}",
            )
        self._pair(_("Total value:").rstrip(":"), dollars(items_total(items)), strong=True)

    def _supplements(self) -> None:
        _, zone, language = self._, self.agency.zone, self.language
        if not self.content.supplements:
            return
        self._heading(_("Information added at the department's request"))
        for supplement in self.content.supplements:
            question, asked_at = supplement.get("question"), _moment(supplement.get("asked_at"))
            if question:
                when = f"\n({local_moment(asked_at, zone, language)})" if asked_at else ""
                self._pair(_("Question asked"), plain(question) + when)
            answered_at = _moment(supplement.get("at"))
            when = f"\n({local_moment(answered_at, zone, language)})" if answered_at else ""
            self._pair(_("Answer given"), plain(supplement.get("text", "")) + when)

    def _corrections(self) -> None:
        _, zone, language = self._, self.agency.zone, self.language
        if not self.content.corrections:
            return
        self._heading(_("Changes made by the police"))
        for correction in self.content.corrections:
            self._pair(
                correction.label,
                "\n".join(
                    [
                        _("Was: %(value)s") % {"value": correction.was},
                        _("Now: %(value)s") % {"value": correction.now},
                        _("Reason: %(reason)s") % {"reason": correction.reason},
                        f"({local_moment(correction.at, zone, language)})",
                    ]
                ),
            )

    def _attachments(self) -> None:
        pdf, _ = self.pdf, self._
        if not self.content.attachments:
            return
        if pdf.will_page_break(48):  # the heading, its sentence and one file together
            pdf.add_page()
        self._heading(_("Photos and documents attached"))
        self._text(
            _(
                "The files below were attached to the report. The police keep them; each can be "
                "checked against its SHA-256 fingerprint."
            ),
            8.5,
        )
        pdf.ln(1.5)
        side = 24.0
        for attached in self.content.attachments:
            if pdf.will_page_break(side + 2):
                pdf.add_page()
            top = pdf.get_y()
            if attached.thumbnail:
                width, height = _fitted(attached.thumbnail, side)
                pdf.image(io.BytesIO(attached.thumbnail), x=PAGE_MARGIN, y=top, w=width, h=height)
            else:  # a document's tile
                pdf.set_draw_color(*tint(self.colour, 0.6))
                pdf.set_fill_color(*tint(self.colour, 0.08))
                pdf.rect(PAGE_MARGIN + 3, top, side - 6, side, style="DF")
                pdf.set_text_color(*self.colour)
                self._font(9, "B")
                pdf.set_xy(PAGE_MARGIN + 3, top + side / 2 - 2)
                pdf.cell(
                    side - 6,
                    4,
                    "PDF" if attached.media_type == "application/pdf" else "",
                    align="C",
                )
                pdf.set_text_color(*INK)
            left = PAGE_MARGIN + side + 4
            width = pdf.w - PAGE_MARGIN - left
            pdf.set_xy(left, top)
            self._font(9.5, "B")
            pdf.multi_cell(width, ROW, self._printable(plain(attached.name), bold=True), align="L")
            pdf.set_x(left)
            self._font(9)
            facts = f"{attachment_kind(attached.media_type, self.language)} · "
            facts += size_words(attached.size, self.language)
            if attached.pages:
                facts += " · " + _("Pages: %(count)d") % {"count": attached.pages}
            pdf.multi_cell(width, ROW, facts, align="L")
            pdf.set_x(left)
            pdf.set_text_color(*MUTED)
            self._font(7.5)
            pdf.multi_cell(width, ROW, f"SHA-256 {attached.sha256}", align="L")
            pdf.set_text_color(*INK)
            pdf.set_y(max(pdf.get_y(), top + side) + 3)


def _fitted(jpeg: bytes, side: float) -> tuple[float, float]:
    """The picture's width and height within a `side` square, its proportions kept."""
    from PIL import Image  # fpdf2 reads images with Pillow already

    with Image.open(io.BytesIO(jpeg)) as picture:
        width, height = picture.size
    scale = side / max(width, height, 1)
    return width * scale, height * scale


def attachment_kind(media_type: str, language: str) -> str:
    """A stored file's type in words, in the resident's language."""
    _ = translator(language)
    kinds = {
        "image/jpeg": _("JPEG image"),
        "image/png": _("PNG image"),
        "image/webp": _("WebP image"),
        "application/pdf": _("PDF document"),
    }
    return kinds.get(media_type, media_type)


def size_words(size: int, language: str) -> str:
    from .attachments.viewing import size_words as in_words

    return in_words(size, language)


def _moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
