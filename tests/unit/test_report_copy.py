"""The PDF copy: what a resident, an insurer or a clerk reads in it, read back with pypdf and
rendered with pdftoppm (the picture is kept under test-artifacts/copies/ to look at)."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from pypdf import PdfReader

from chalicelib.agency import load_profile
from chalicelib.documents import CopyContent, copy_key, printable, render_copy, visual_order
from tests.support.answers import theft_answers
from tests.support.local_stack import PROJECT_DIR

ARTIFACTS = PROJECT_DIR / "test-artifacts" / "copies"
CODE = "7K4MQ2XHABCD"
VERIFY_URL = f"https://report.example.org/copies/verify?code={CODE}"
QUESTION = {
    "question": "Please tell us the serial number of the lock.",
    "asked_at": "2026-11-03T14:00:00+00:00",
    "text": "It has none, sorry 🙏.",
    "at": "2026-11-03T18:12:00+00:00",
}


def copy_of(
    language: str = "en", supplements: tuple[dict[str, Any], ...] = (), **changes: object
) -> bytes:
    answers = {**theft_answers(datetime(2026, 11, 3).date()), **changes}
    return render_copy(
        CopyContent(
            agency=load_profile("demo"),
            report_id="RPD-7K4M-Q2XH",
            case_number="RPD-2026-000123",
            incident_type_id="theft",
            language=language,
            answers=answers,
            submitted_at=datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
            decided_at=datetime(2026, 11, 4, 14, 30, tzinfo=UTC),
            contact_email="zoe@example.com",
            supplements=supplements,
            verification_code=CODE,
            verify_url=VERIFY_URL,
            issued_at=datetime(2026, 11, 4, 14, 31, tzinfo=UTC),
        )
    )


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def text_of(pdf: bytes) -> str:
    return "\n".join(pages_of(pdf))


def test_the_copy_holds_the_case_number_reference_items_and_names() -> None:
    text = text_of(copy_of())

    for expected in (
        "Riverton Police Department",
        "Copy of a police report made online",
        "RPD-2026-000123",
        "RPD-7K4M-Q2XH",
        "Something was stolen (23H)",
        "Black Trek bicycle",
        "WTU123456",
        "$450.00",
        "Total value $485.50",
        "Zoë Łukasz-Muñoz",
        "12 Elm Street",
        "Records reviewer, Riverton Police Department",
        "Page 1 of 1",
    ):
        assert expected in text, expected


def test_every_time_is_shown_in_the_agency_zone_with_the_zone() -> None:
    english, spanish = text_of(copy_of()), text_of(copy_of("es"))

    assert "Reported on November 2, 2026, 10:00 a.m. EST" in english
    assert "Accepted on November 4, 2026, 9:30 a.m. EST" in english
    assert "November 4, 2026, 9:31 a.m. EST" in english  # the copy's date of issue
    assert "9:30 p.m. EST" in english  # the time the resident gave, on the day they gave
    assert "4 de noviembre de 2026, 9:30 a. m. EST" in spanish
    assert "Página 1 de 1" in spanish
    assert "UTC" not in english and "14:30" not in english


def test_the_verification_code_and_the_page_that_checks_it_are_printed() -> None:
    pdf = copy_of()
    text = text_of(pdf)

    assert "7K4M-Q2XH-ABCD" in text
    assert "https://report.example.org/copies/verify" in text
    assert "Verification code 7K4M-Q2XH-ABCD" in text  # in every page's footer
    [page] = PdfReader(io.BytesIO(pdf)).pages
    assert len(page.images) == 1, "the QR code"


def test_answers_to_staff_questions_are_printed_with_the_question() -> None:
    text = text_of(copy_of(supplements=(QUESTION, {"text": "An older answer.", "at": ""})))

    assert "Information added at the department's request" in text
    assert "Question asked Please tell us the serial number of the lock." in text
    assert "(November 3, 2026, 9:00 a.m. EST)" in text
    assert "Answer given It has none, sorry 🙏." in text
    assert "(November 3, 2026, 1:12 p.m. EST)" in text
    assert "An older answer." in text


def test_emoji_and_other_scripts_are_printed_never_dropped() -> None:
    narrative = "Un grafiti 🎨 enorme. Family 👨‍👩‍👧 ❤️ here. I <3 it. Hebrew שלום. 中文."
    pdf = copy_of(narrative=narrative)
    text = text_of(pdf)
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in PdfReader(io.BytesIO(pdf)).pages
        for font in cast(Any, page["/Resources"])["/Font"].values()
    }

    assert "Un grafiti 🎨 enorme." in text
    assert "👨" in text and "👩" in text and "👧" in text and "❤" in text
    assert "I <3 it." in text
    assert "[U+4E2D][U+6587]." in text  # no font here has them: their code points
    assert any(name.endswith("+NotoEmoji") for name in fonts), fonts
    assert not any(line.strip() in {".", "", "—"} for line in text.splitlines())


def embedded_fonts(pdf: bytes) -> set[str]:
    return {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in PdfReader(io.BytesIO(pdf)).pages
        for font in cast(Any, page["/Resources"])["/Font"].values()
    }


def test_the_fallback_font_is_embedded_only_when_something_needs_it() -> None:
    assert "NotoEmoji" not in embedded_fonts(copy_of())
    assert "NotoEmoji" in embedded_fonts(copy_of(supplements=(QUESTION,)))  # its 🙏


def test_what_no_font_has_is_substituted_and_joiners_are_not() -> None:
    assert printable("a\u0915b") == "a[U+0915]b"
    assert printable("\U0001f468\u200d\U0001f469\ufe0f") == "\U0001f468\u200d\U0001f469\ufe0f"
    assert printable("x\U000e0100y") == "xy"  # a variation selector: invisible anyway


def test_right_to_left_text_is_put_in_reading_order() -> None:
    assert visual_order("bike שלום") == "bike םולש"
    assert visual_order("שלום 12 bike") == "bike 12 םולש"
    assert visual_order("plain text") == "plain text"


def test_typed_markup_and_control_characters_are_plain_text() -> None:
    text = text_of(copy_of(narrative="<b>bold</b> claim\x07 with a bell\u202eand an override"))

    assert "<b>bold</b> claim" in text
    assert "\x07" not in text and "\u202e" not in text


def test_a_long_report_flows_onto_numbered_pages() -> None:
    items = [
        {"description": f"Item number {n}", "serial": f"SN{n:04d}", "value": "1.00"}
        for n in range(120)
    ]

    pages = pages_of(copy_of(stolen_items=items, narrative="A long story. " * 200))

    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
    assert "(continued)" in pages[-1]
    assert "Total value $120.00" in "\n".join(pages)


FURNITURE = (
    "Records division:",
    "Case RPD-2026-000123 · Reference",
    "Riverton Police Department, case",
)


@pytest.mark.parametrize("sentences", range(0, 64, 3))
def test_no_page_is_blank_whatever_the_length(sentences: int) -> None:
    """The footer is in the bottom margin, and a row never starts a page it would not fit."""
    pages = pages_of(copy_of(supplements=(QUESTION,), narrative="A sentence or so. " * sentences))

    for page in pages:
        content = [
            line for line in page.splitlines() if line.strip() and not line.startswith(FURNITURE)
        ]
        assert content, f"a page holds only its header and footer:\n{page}"


def test_a_typical_report_is_one_page() -> None:
    assert len(pages_of(copy_of())) == 1


def test_the_copy_key_holds_no_personal_data() -> None:
    assert copy_key("RPD-7K4M-Q2XH") == "copies/RPD-7K4M-Q2XH.pdf"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed")
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_first_page_renders_to_an_image_kept_as_an_artifact(language: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = f"copy-{language}"
    pdf_path = ARTIFACTS / f"{name}.pdf"
    pdf_path.write_bytes(
        copy_of(
            language,
            supplements=(QUESTION,),
            narrative="Someone drew a huge grafiti 🎨 on the rack 👨‍👩‍👧. Sign: שלום.",
        )
    )
    png = ARTIFACTS / f"{name}.png"
    png.unlink(missing_ok=True)

    first_page = ["-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run(
        ["pdftoppm", *first_page, str(pdf_path), str(ARTIFACTS / name)],
        check=True,
        timeout=60,
    )

    assert png.read_bytes().startswith(b"\x89PNG")
    assert png.stat().st_size > 10_000
