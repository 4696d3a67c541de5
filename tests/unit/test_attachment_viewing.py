"""The words and headers staff's view of an attachment is made of."""

from __future__ import annotations

import pytest

from chalicelib.attachments.viewing import disposition, size_words


@pytest.mark.parametrize(
    ("size", "language", "words"),
    [
        (840, "en", "840 B"),
        (18_400, "en", "18 KB"),
        (2_516_582, "en", "2.4 MB"),
        (2_516_582, "es", "2,4 MB"),
        (None, "en", "0 B"),
    ],
)
def test_sizes_read_as_people_say_them(size: object, language: str, words: str) -> None:
    assert size_words(size, language) == words


def test_an_image_opens_inline_and_a_name_in_any_script_is_kept_in_full() -> None:
    shown = disposition({"name": "ventana rota ñ.jpg", "media_type": "image/jpeg"})
    assert shown == (
        "inline; filename=\"ventana rota _.jpg\"; filename*=UTF-8''ventana%20rota%20%C3%B1.jpg"
    )


def test_a_document_is_downloaded_and_no_name_can_add_a_header() -> None:
    shown = disposition({"name": 'a";\r\nSet-Cookie: x=1.pdf', "media_type": "application/pdf"})
    assert shown.startswith("attachment; ")
    assert "\r" not in shown and "\n" not in shown
    assert shown.count('"') == 2
