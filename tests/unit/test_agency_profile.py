from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from chalicelib.agency import (
    PROFILES_DIR,
    AgencyProfileError,
    load_profile,
    load_profile_file,
    main,
)


def test_the_demo_profile_is_valid_and_realistic() -> None:
    profile = load_profile("demo")

    assert profile.name == "Riverton Police Department"
    assert len(profile.incident_types) == 10
    assert profile.contacts.emergency == "911"
    assert {incident.id for incident in profile.incident_types} >= {"theft", "vandalism", "fraud"}


def test_the_public_view_holds_what_a_resident_needs_and_nothing_internal() -> None:
    view = load_profile("demo").public_view()

    assert view["name"] == "Riverton Police Department"
    assert cast("dict[str, str]", view["contacts"])["non_emergency"] == "(555) 010-4400"
    assert len(cast("list[object]", view["incident_types"])) == 10
    assert "sender" not in view


def write_profile(tmp_path: Path, change: dict[str, object]) -> Path:
    document = yaml.safe_load((PROFILES_DIR / "demo.yaml").read_text())
    document.update(change)
    path = tmp_path / "agency.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_an_error_names_the_file_and_the_exact_field(tmp_path: Path) -> None:
    path = write_profile(
        tmp_path, {"branding": {"primary_colour": "blue", "logo_text": "Riverton Police"}}
    )

    with pytest.raises(AgencyProfileError) as raised:
        load_profile_file(path)

    assert str(path) in str(raised.value)
    assert "branding.primary_colour" in str(raised.value)


def test_unknown_fields_are_refused_so_typos_do_not_pass_silently(tmp_path: Path) -> None:
    path = write_profile(tmp_path, {"langauges": ["en"]})

    with pytest.raises(AgencyProfileError, match="langauges"):
        load_profile_file(path)


def test_incident_type_ids_must_be_unique(tmp_path: Path) -> None:
    document = yaml.safe_load((PROFILES_DIR / "demo.yaml").read_text())
    path = write_profile(tmp_path, {"incident_types": document["incident_types"] * 2})

    with pytest.raises(AgencyProfileError, match="used twice"):
        load_profile_file(path)


def test_a_file_that_is_not_yaml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed")

    with pytest.raises(AgencyProfileError, match="not valid YAML"):
        load_profile_file(path)


def test_the_validation_command_reports_each_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = write_profile(tmp_path, {"short_code": "riverton"})

    assert main([str(PROFILES_DIR / "demo.yaml")]) == 0
    assert main([str(broken)]) == 1
    captured = capsys.readouterr()
    assert "valid (Riverton Police Department, 10 incident types)" in captured.out
    assert "short_code" in captured.err


def demo_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PROFILES_DIR / "demo.yaml").read_text())
    return document


def question_of(document: dict[str, Any], question_id: str) -> dict[str, Any]:
    return next(
        q for step in document["steps"] for q in step["questions"] if q["id"] == question_id
    )


def test_the_jurisdiction_maps_each_zip_code_to_its_cities() -> None:
    jurisdiction = load_profile("demo").jurisdiction

    assert jurisdiction.cities == ("Riverton", "Lordship")
    assert jurisdiction.place(" riverton ", "06600-1234") == "inside"
    assert jurisdiction.place("Riverton", "10004") == "other_zip"
    assert jurisdiction.place("New York", "06600") == "other_city"
    assert jurisdiction.place("Riverton", "06615") == "other_city"
    assert jurisdiction.place("New York", "10004") == "outside"


def test_an_older_profile_with_lists_of_cities_and_zip_codes_still_loads(tmp_path: Path) -> None:
    path = write_profile(
        tmp_path, {"jurisdiction": {"cities": ["Riverton", "Lordship"], "zip_codes": ["06600"]}}
    )

    jurisdiction = load_profile_file(path).jurisdiction

    assert jurisdiction.zip_codes == {"06600": ("Riverton", "Lordship")}
    assert jurisdiction.place("Lordship", "06600") == "inside"


def test_a_jurisdiction_by_city_alone_reads_the_city(tmp_path: Path) -> None:
    path = write_profile(tmp_path, {"jurisdiction": {"cities": ["Riverton"]}})

    jurisdiction = load_profile_file(path).jurisdiction

    assert jurisdiction.place("Riverton", "99999") == "inside"
    assert jurisdiction.place("Bridgeport", "06600") == "outside"


@pytest.mark.parametrize(
    ("jurisdiction", "message"),
    [
        ({"zip_codes": {6600: ["Riverton"]}}, "must be quoted"),
        ({"zip_codes": {"6600": ["Riverton"]}}, "zip_codes"),
        ({"cities": ["Riverton"], "zip_codes": {"06600": []}}, "names no city"),
        ({"cities": ["Riverton"], "zip_codes": {"06600": ["Rivertown"]}}, "Rivertown"),
        ({"cities": ["Riverton", "Lordship"], "zip_codes": {"06600": ["Riverton"]}}, "Lordship"),
    ],
)
def test_a_jurisdiction_that_cannot_be_read_is_refused(
    tmp_path: Path, jurisdiction: dict[str, Any], message: str
) -> None:
    path = write_profile(tmp_path, {"jurisdiction": jurisdiction})

    with pytest.raises(AgencyProfileError, match=message):
        load_profile_file(path)


def test_every_demo_question_names_itself_in_its_messages_in_every_language() -> None:
    profile = load_profile("demo")

    for step in profile.steps:
        for question in step.questions:
            assert question.error, question.id
            for text in (question.error.missing, question.error.subject):
                assert isinstance(text, dict) and set(text) == {"en", "es"}, question.id


def test_two_questions_of_one_step_may_not_share_an_error_message(tmp_path: Path) -> None:
    document = demo_document()
    question_of(document, "weapon_involved")["error"] = question_of(document, "anyone_injured")[
        "error"
    ]
    path = tmp_path / "agency.yaml"
    path.write_text(yaml.safe_dump(document))

    with pytest.raises(AgencyProfileError, match="'anyone_injured' and 'weapon_involved'"):
        load_profile_file(path)


def test_without_error_texts_the_labels_tell_questions_apart(tmp_path: Path) -> None:
    document = demo_document()
    for step in document["steps"]:
        for question in step["questions"]:
            question.pop("error", None)
    path = tmp_path / "agency.yaml"
    path.write_text(yaml.safe_dump(document))

    assert load_profile_file(path).steps[0].questions[0].error is None


def test_a_time_names_a_date_question(tmp_path: Path) -> None:
    document = demo_document()
    question_of(document, "incident_time")["date_question"] = "incident_location"
    path = tmp_path / "agency.yaml"
    path.write_text(yaml.safe_dump(document))

    with pytest.raises(AgencyProfileError, match="is not a date question"):
        load_profile_file(path)


def test_the_phone_region_is_checked(tmp_path: Path) -> None:
    with pytest.raises(AgencyProfileError, match="phone_region"):
        load_profile_file(write_profile(tmp_path, {"phone_region": "usa"}))
    path = write_profile(tmp_path, {"phone_region": "ZZ", "id": "agency"})

    assert main([str(path)]) == 1


def test_a_screening_rule_says_whom_to_contact(tmp_path: Path) -> None:
    document = demo_document()
    document["screening"][0]["contact"] = "the_mayor"
    path = tmp_path / "agency.yaml"
    path.write_text(yaml.safe_dump(document))

    with pytest.raises(AgencyProfileError, match="contact"):
        load_profile_file(path)


def test_the_attachment_limits_default_to_ten_files_of_20_mb_photos_and_pdf() -> None:
    limits = load_profile("demo").attachments

    assert (limits.max_files, limits.max_megabytes) == (10, 20)
    assert limits.max_bytes == 20 * 1024 * 1024
    assert set(limits.accepted_types) == {
        "image/jpeg", "image/png", "image/heic", "image/heif", "image/webp", "application/pdf",
    }  # fmt: skip
    assert limits.incident_types is None, "every incident type offers the step"


@pytest.mark.parametrize(
    ("attachments", "message"),
    [
        ({"accepted_types": ["image/gif"]}, "image/gif cannot be accepted"),
        ({"accepted_types": ["image/png", "image/png"]}, "used twice"),
        ({"max_files": 0}, "attachments.max_files"),
        ({"incident_types": ["arson"]}, "attachments.incident_types names unknown type 'arson'"),
    ],
)
def test_attachment_settings_the_service_cannot_honour_are_refused(
    tmp_path: Path, attachments: dict[str, object], message: str
) -> None:
    path = write_profile(tmp_path, {"attachments": attachments})

    with pytest.raises(AgencyProfileError, match=message):
        load_profile_file(path)


def test_the_demo_places_the_photos_step_after_the_story() -> None:
    profile = load_profile("demo")
    theft = profile.incident_type("theft")
    assert theft is not None

    steps = [step.id for step in profile.steps_for(theft)]
    at = profile.attachments_at(theft)

    assert "attachments" not in steps, "the page asks no questions"
    assert at is not None and steps[at - 1] == "narrative" and steps[at] == "reporter"


def test_the_photos_step_is_offered_only_to_the_listed_types(tmp_path: Path) -> None:
    profile = load_profile_file(
        write_profile(tmp_path, {"attachments": {"incident_types": ["theft"]}})
    )
    theft, fraud = profile.incident_type("theft"), profile.incident_type("fraud")
    assert theft is not None and fraud is not None

    assert profile.attachments_at(theft) is not None
    assert profile.attachments_at(fraud) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"flow": {"before": ["urgency", "when", "attachments"], "after": ["attachments"]}},
            "placed more than once",
        ),
        (
            {"flow": {"before": ["attachments", "urgency", "when"], "after": ["reporter"]}},
            "must come after at least one step with questions",
        ),
        ({"flow": {"before": ["urgency", "when"], "after": ["photos"]}}, "names step 'photos'"),
    ],
)
def test_a_misplaced_photos_step_is_refused_clearly(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    with pytest.raises(AgencyProfileError, match=message):
        load_profile_file(write_profile(tmp_path, change))


def test_the_photos_step_id_cannot_be_defined_as_a_step(tmp_path: Path) -> None:
    document = demo_document()
    document["steps"][-1]["id"] = "attachments"
    path = tmp_path / "agency.yaml"
    path.write_text(yaml.safe_dump(document))

    with pytest.raises(AgencyProfileError, match="'attachments' is reserved"):
        load_profile_file(path)
