"""The profile's nibrs section: codes only from the FBI's lists (codes.json, generated from the
vendored XSD), each refusal naming the field; and the cold start stays without lxml."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from chalicelib.agency import PROFILES_DIR, AgencyProfile
from chalicelib.nibrs.codes import CODES_FILE, generate, render
from tests.support.cold_start import cold_import


def demo_with(change: Callable[[dict[str, Any]], None]) -> AgencyProfile:
    data = yaml.safe_load((PROFILES_DIR / "demo.yaml").read_text(encoding="utf-8"))
    change(data)
    return AgencyProfile.model_validate(data)


def refusal(change: Callable[[dict[str, Any]], None]) -> str:
    with pytest.raises(ValidationError) as raised:
        demo_with(change)
    return "\n".join(
        f"{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}"
        for issue in raised.value.errors()
    )


def test_the_code_lists_file_is_what_the_vendored_xsd_says() -> None:
    assert CODES_FILE.read_text(encoding="utf-8") == render(generate()), "run make nibrs-codes"


def test_the_code_lists_hold_the_fbis_codes() -> None:
    lists = generate()

    assert len(lists["offense"]) == 63 and lists["offense"]["23H"] == "All Other Larceny"
    assert lists["property_description"]["04"] == "bicycles"
    assert lists["location_type"]["58"] == "Cyberspace"
    assert set(lists["sex"]) == {"F", "M", "U"}
    assert "STOLEN" in lists["property_loss"] and "U" in lists["race"]


def test_a_location_code_not_in_the_fbis_list_is_refused_naming_the_field() -> None:
    def change(data: dict[str, Any]) -> None:
        data["nibrs"]["location"]["codes"]["home"] = "99"

    message = refusal(change)

    assert "nibrs.location.codes.home" in message
    assert "'99' is not a NIBRS location type (element 9) code" in message


def test_a_property_description_not_in_the_fbis_list_is_refused_naming_the_field() -> None:
    def change(data: dict[str, Any]) -> None:
        data["nibrs"]["property_descriptions"]["bicycle"] = "4"

    assert "nibrs.property_descriptions.bicycle" in refusal(change)


def test_a_property_loss_not_in_the_fbis_list_is_refused_naming_the_field() -> None:
    def change(data: dict[str, Any]) -> None:
        data["nibrs"]["types"]["vandalism"]["property_loss"] = "DAMAGED"

    message = refusal(change)

    assert "nibrs.types.vandalism.property_loss" in message
    assert "type of property loss (element 14)" in message


def test_a_demographic_code_not_in_the_fbis_list_is_refused_naming_the_option() -> None:
    def change(data: dict[str, Any]) -> None:
        data["nibrs"]["demographics"]["sex"]["codes"]["prefer_not"] = "X"

    assert "sex.codes.prefer_not: 'X' is not a NIBRS sex of victim" in refusal(change)


def test_an_offense_code_not_in_the_fbis_list_is_refused_naming_the_type() -> None:
    def change(data: dict[str, Any]) -> None:
        data["incident_types"][0]["offense_code"] = "23Z"

    assert "incident type 'theft': offense_code '23Z' is not a NIBRS offense code" in refusal(
        change
    )


def test_a_group_b_offense_cannot_be_reportable() -> None:
    def change(data: dict[str, Any]) -> None:
        data["nibrs"]["types"]["lost_property"] = {"property_loss": "NONE"}

    assert "nibrs.types.lost_property: offense_code 90Z is a Group B offense" in refusal(change)


def test_every_type_needs_its_mapping_and_a_reason_when_not_reportable() -> None:
    def unmapped(data: dict[str, Any]) -> None:
        del data["nibrs"]["types"]["fraud"]

    def no_reason(data: dict[str, Any]) -> None:
        data["nibrs"]["types"]["lost_property"] = {"reportable": False}

    assert "nibrs.types.fraud: incident type 'fraud' has no NIBRS mapping" in refusal(unmapped)
    assert "needs its `reason`" in refusal(no_reason)


def test_a_mapping_names_questions_of_the_right_kind_and_their_options() -> None:
    def wrong_kind(data: dict[str, Any]) -> None:
        data["nibrs"]["types"]["vandalism"]["property"]["value"] = "damage_description"

    def unknown_option(data: dict[str, Any]) -> None:
        data["nibrs"]["location"]["codes"]["castle"] = "20"

    def unmapped_kind(data: dict[str, Any]) -> None:
        del data["nibrs"]["property_descriptions"]["tools"]

    assert "question 'damage_description' is a text question, not money" in refusal(wrong_kind)
    assert "castle is not an option of 'incident_place'" in refusal(unknown_option)
    assert "item kind tools of 'stolen_items' has no property description code" in refusal(
        unmapped_kind
    )


def test_a_profile_without_a_nibrs_section_is_still_valid() -> None:
    def change(data: dict[str, Any]) -> None:
        del data["nibrs"]

    assert demo_with(change).nibrs is None


def test_the_ori_has_nine_characters() -> None:
    def change(data: dict[str, Any]) -> None:
        data["nibrs"]["ori"] = "CT00600"

    assert "nibrs.ori" in refusal(change)


COLD_PROBE = """
import sys
import app
from chalicelib import nibrs, workflow
from chalicelib.agency import load_profile
agency = load_profile("demo")
assert agency.nibrs is not None
assert "lxml" not in sys.modules, "lxml is loaded at cold start"
from datetime import datetime, timezone
from chalicelib.models import Report
report = Report(report_id="RPD-AAAA-BBBB", incident_type="theft", answers={})
made = nibrs.nibrs_document(report, agency, case_number=None, now=datetime.now(timezone.utc))
assert "lxml" in sys.modules
print("lazy", made.reportable)
"""


def test_lxml_is_loaded_only_when_a_document_is_built() -> None:
    result = cold_import(COLD_PROBE)

    assert result.returncode == 0, result.stderr
    assert "lazy True" in result.stdout


def test_an_items_kind_is_kept_when_it_is_one_of_the_drop_downs_and_refused_in_words_if_not() -> (
    None
):
    from datetime import date

    from chalicelib.agency import load_profile
    from chalicelib.intake.answers import FieldProblems, validate_answer

    question = next(
        q for step in load_profile("demo").steps for q in step.questions if q.id == "stolen_items"
    )
    rows = [
        {"description": "Trek bicycle", "value": "450", "kind": "bicycle"},
        {"description": "Lock", "value": "30", "kind": ""},
    ]

    kept = validate_answer(question, rows, today=date(2026, 11, 2), _=str)

    assert [row.get("kind") for row in kept] == ["bicycle", None]
    with pytest.raises(FieldProblems) as raised:
        validate_answer(question, [{**rows[0], "kind": "castle"}], today=date(2026, 11, 2), _=str)
    assert raised.value.problems == {"stolen_items.0.kind": "Select what item 1 is from the list"}
