"""The profile's ready-made texts: a rejection reason or a question, in every language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib.agency import PROFILES_DIR, AgencyProfileError, load_profile, load_profile_file


def demo_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PROFILES_DIR / "demo.yaml").read_text())
    return document


def written(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "agency.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    return path


def test_the_demo_has_three_reasons_and_three_questions_in_english_and_spanish() -> None:
    profile = load_profile("demo")
    texts = profile.review.ready_texts

    assert sorted(text.kind for text in texts) == ["reject"] * 3 + ["request_info"] * 3
    for text in texts:
        assert set(text.text) == {"en", "es"} and text.title
        assert text.text["en"] != text.text["es"]
    assert profile.review.ready_text("serial_number") is texts[4]
    assert profile.review.ready_text("nothing") is None


def test_a_ready_text_missing_a_language_of_the_profile_is_refused(tmp_path: Path) -> None:
    document = demo_document()
    del document["review"]["ready_texts"][1]["text"]["es"]

    with pytest.raises(
        AgencyProfileError, match=r"ready_texts\[needs_an_officer\].text has no text in es"
    ):
        load_profile_file(written(tmp_path, document))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"id": "where_exactly"}, "ready text id 'where_exactly' is used twice"),
        ({"kind": "approve"}, "kind"),
        ({"text": {}}, "text"),
        ({"text": {"en": "x" * 1001, "es": "y"}}, "text"),
    ],
)
def test_a_ready_text_must_be_well_formed(
    tmp_path: Path, change: dict[str, Any], problem: str
) -> None:
    document = demo_document()
    document["review"]["ready_texts"][0].update(change)

    with pytest.raises(AgencyProfileError, match=problem):
        load_profile_file(written(tmp_path, document))
