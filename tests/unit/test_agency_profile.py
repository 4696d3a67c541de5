from __future__ import annotations

from pathlib import Path
from typing import cast

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
