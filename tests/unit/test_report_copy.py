"""The PDF copy: what a resident, an insurer or a clerk reads in it."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from chalicelib.agency import load_profile
from chalicelib.documents import CopyContent, copy_key, render_copy
from tests.support.answers import theft_answers
from tests.support.local_stack import PROJECT_DIR

ARTIFACTS = PROJECT_DIR / "test-artifacts" / "copies"


def copy_of(**changes: object) -> bytes:
    answers = {**theft_answers(), **changes}
    return render_copy(
        CopyContent(
            agency=load_profile("demo"),
            report_id="RPD-7K4M-Q2XH",
            case_number="RPD-2026-000123",
            incident_type_id="theft",
            language="en",
            answers=answers,
            submitted_at=datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
            decided_at=datetime(2026, 11, 4, 14, 30, tzinfo=UTC),
            contact_email="zoe@example.com",
        )
    )


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_copy_holds_the_case_number_reference_items_and_names() -> None:
    text = text_of(copy_of())

    for expected in (
        "Riverton Police Department",
        "RPD-2026-000123",
        "RPD-7K4M-Q2XH",
        "Something was stolen (23H)",
        "Black Trek bicycle",
        "WTU123456",
        "$450.00",
        "Total value: $485.50",
        "Zoë Łukasz-Muñoz",
        "12 Elm Street",
        "2026-11-04 09:30",  # the decision, in the agency's time zone
    ):
        assert expected in text, expected


def test_typed_markup_and_control_characters_are_plain_text() -> None:
    text = text_of(copy_of(narrative="<b>bold</b> claim\x07 with a bell\u202eand an override"))

    assert "<b>bold</b> claim" in text
    assert "\x07" not in text and "\u202e" not in text


def test_a_long_report_flows_onto_more_pages() -> None:
    items = [
        {"description": f"Item number {n}", "serial": f"SN{n:04d}", "value": "1.00"}
        for n in range(120)
    ]

    pdf = copy_of(stolen_items=items, narrative="A long story. " * 200)

    assert len(PdfReader(io.BytesIO(pdf)).pages) > 1
    assert "Total value: $120.00" in text_of(pdf)


def test_the_copy_key_holds_no_personal_data() -> None:
    assert copy_key("RPD-7K4M-Q2XH") == "copies/RPD-7K4M-Q2XH.pdf"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed")
def test_the_first_page_renders_to_an_image_kept_as_an_artifact() -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf_path = ARTIFACTS / "copy.pdf"
    pdf_path.write_bytes(copy_of())

    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "72",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf_path),
            str(ARTIFACTS / "copy"),
        ],
        check=True,
        timeout=60,
    )

    [png] = ARTIFACTS.glob("copy-*1.png")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert png.stat().st_size > 10_000
