"""The NIBRS Group A incident report of each demo incident type, checked by the FBI's own XSD
and the edit rules chosen in docs/nibrs.md; the FBI's samples pass the same check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from chalicelib.agency import PROFILES_DIR, AgencyProfile, load_profile
from chalicelib.nibrs import NibrsDocument, nibrs_document
from chalicelib.nibrs.builder import to_xml
from chalicelib.nibrs.document import Incident, Property
from chalicelib.nibrs.validation import NS, check_file, schema_problems
from tests.support.answers import demographics_answers, theft_answers
from tests.support.deployment import START
from tests.support.reports import approved_report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nibrs"
NOW = START + timedelta(days=1)
TODAY = START.date()

TYPE_ANSWERS: dict[str, dict[str, Any]] = {
    "theft": {"stolen_items": theft_answers(TODAY)["stolen_items"]},
    "theft_from_vehicle": {
        "vehicle_description": "Silver Honda Civic",
        "vehicle_plate": "AB 1234",
        "vehicle_was_locked": True,
        "stolen_items": [
            {"description": "Laptop bag", "serial": "", "value": "120", "kind": "purse_wallet"},
            {"description": "Dell laptop", "serial": "CN-0X1", "value": "900", "kind": "computer"},
        ],
    },
    "stolen_bicycle": {
        "bicycle_description": "Blue Trek FX 2",
        "bicycle_serial": "WTU123456",
        "bicycle_value": "650",
    },
    "lost_property": {
        "lost_items": [{"description": "Brown wallet", "serial": "", "value": "40"}],
    },
    "vandalism": {"damage_description": "Two windows broken.", "damage_cost": "480"},
    "graffiti": {"graffiti_surface": "fence", "graffiti_cost": "150"},
    "harassing_messages": {"message_channel": "text_messages", "message_count": 12},
    "identity_theft": {"identity_misuse": "bank_card", "identity_loss": "1250.40"},
    "fraud": {
        "fraud_contact": "phone",
        "fraud_payment": "gift_cards",
        "fraud_amount": "500",
        "incident_place": None,
    },
    "hit_and_run_damage": {
        "collision_vehicle": "Red Ford Focus, CT 123-ABC",
        "collision_cost": "900",
        "other_vehicle": "",
    },
}
NOT_REPORTABLE = {"lost_property", "harassing_messages", "hit_and_run_damage"}


def answers_for(incident_type: str) -> dict[str, Any]:
    answers = {k: v for k, v in theft_answers(TODAY).items() if k != "stolen_items"}
    return answers | demographics_answers() | TYPE_ANSWERS[incident_type]


def document(
    incident_type: str = "theft",
    answers: dict[str, Any] | None = None,
    agency: AgencyProfile | None = None,
    case_number: str | None = "RPD-2026-000007",
) -> NibrsDocument:
    report = approved_report(
        incident_type=incident_type,
        answers=answers if answers is not None else answers_for(incident_type),
    )
    return nibrs_document(report, agency or load_profile("demo"), case_number=case_number, now=NOW)


def text(xml: bytes | None, path: str) -> list[str]:
    assert xml is not None
    return [str(node.text) for node in etree.fromstring(xml).iterfind(path, NS)]


def profile_with(change: Callable[[dict[str, Any]], None]) -> AgencyProfile:
    data = yaml.safe_load((PROFILES_DIR / "demo.yaml").read_text(encoding="utf-8"))
    change(data)
    return AgencyProfile.model_validate(data)


def test_every_demo_incident_type_is_mapped() -> None:
    agency = load_profile("demo")

    assert agency.nibrs is not None
    assert set(TYPE_ANSWERS) == {t.id for t in agency.incident_types} == set(agency.nibrs.types)


@pytest.mark.parametrize("incident_type", sorted(set(TYPE_ANSWERS) - NOT_REPORTABLE))
def test_each_reportable_type_makes_a_document_the_fbis_schema_accepts(incident_type: str) -> None:
    made = document(incident_type)

    assert made.reportable and made.xml is not None
    assert schema_problems(made.xml) == ()
    assert made.problems == ()
    assert made.valid
    offense = load_profile("demo").incident_type(incident_type)
    assert offense is not None
    assert text(made.xml, ".//nibrs:OffenseUCRCode") == [offense.offense_code]


@pytest.mark.parametrize("incident_type", sorted(NOT_REPORTABLE))
def test_types_without_a_group_a_offense_make_no_document_and_say_why(incident_type: str) -> None:
    made = document(incident_type)

    assert not made.reportable and not made.valid
    assert made.xml is None and made.problems == ()
    assert made.reason and "Group B" in made.reason


def test_the_fbis_own_samples_pass_the_same_check() -> None:
    for sample in ("nibrs_GroupAIncident_Sample.xml", "nibrs_AllFields_Sample.xml"):
        assert check_file(FIXTURES / sample) == (), sample


def test_a_theft_says_what_the_resident_answered_in_the_fbis_codes() -> None:
    xml = document("theft").xml
    day = (TODAY - timedelta(days=2)).isoformat()

    assert text(xml, ".//nibrs:ReportingAgency//nc:IdentificationID") == ["CT0060000"]
    assert text(xml, ".//nibrs:ReportActionCategoryCode") == ["I"]
    assert text(xml, ".//nc:ActivityIdentification/nc:IdentificationID") == ["2026-000007"]
    assert text(xml, ".//nc:ActivityDate/nc:DateTime") == [f"{day}T21:00:00"]
    assert text(xml, ".//nibrs:ReportDate/nc:YearMonthDate") == ["2026-11"]
    assert text(xml, ".//j:OffenseAttemptedIndicator") == ["false"]
    assert text(xml, ".//nibrs:LocationCategoryCode") == ["20"]  # "A home or its yard"
    assert text(xml, ".//cjis:ItemStatusCode") == ["STOLEN", "STOLEN"]
    assert text(xml, ".//j:ItemCategoryNIBRSPropertyCategoryCode") == ["04", "77"]
    assert text(xml, ".//nc:Amount") == ["450", "36"]  # whole dollars, as NIBRS counts them
    assert text(xml, ".//nc:PersonAgeMeasure/nc:MeasureIntegerValue") == ["34"]
    assert text(xml, ".//j:PersonSexCode") == ["F"]
    assert text(xml, ".//j:PersonRaceNDExCode") == ["U"]  # "Prefer not to say"
    assert text(xml, ".//j:PersonEthnicityCode") == ["H"]
    assert text(xml, ".//j:PersonResidentCode") == ["R"]
    assert text(xml, ".//j:VictimCategoryCode") == ["I"]
    assert text(xml, ".//j:Subject/j:SubjectSequenceNumberText") == ["00"]  # offender unknown


def test_unanswered_demographics_are_the_fbis_unknown_codes() -> None:
    answers = answers_for("theft")
    for question in ("victim_age", "victim_sex", "victim_race", "victim_ethnicity"):
        answers.pop(question)
    answers["victim_resident"] = "prefer_not"

    xml = document("theft", answers).xml

    assert text(xml, ".//nc:PersonAgeMeasure/nc:MeasureValueText") == ["UNKNOWN"]
    assert [text(xml, f".//j:{e}") for e in ("PersonSexCode", "PersonRaceNDExCode")] == [
        ["U"],
        ["U"],
    ]
    assert text(xml, ".//j:PersonResidentCode") == ["U"]
    assert schema_problems(xml or b"") == ()


def test_a_preview_is_numbered_by_the_reference() -> None:
    xml = document("theft", case_number=None).xml

    assert text(xml, ".//nc:ActivityIdentification/nc:IdentificationID") == ["7K4M-Q2XH"]


def test_a_date_range_gives_its_first_day_and_no_hour() -> None:
    answers = answers_for("vandalism") | {
        "incident_date": {"from": "2026-10-20", "to": "2026-10-25"},
        "incident_time": "08:00",
    }

    made = document("vandalism", answers)

    assert text(made.xml, ".//nc:ActivityDate/nc:Date") == ["2026-10-20"]
    assert text(made.xml, ".//cjis:IncidentReportDateIndicator") == ["false"]
    assert made.valid


def test_an_unknown_first_day_is_sent_as_the_report_date_flagged_so() -> None:
    answers = answers_for("graffiti") | {"incident_date": {"from": None, "to": "2026-10-25"}}

    made = document("graffiti", answers)

    assert text(made.xml, ".//nc:ActivityDate/nc:Date") == [NOW.date().isoformat()]
    assert text(made.xml, ".//cjis:IncidentReportDateIndicator") == ["true"]
    assert made.valid


def test_choices_map_to_codes_per_type() -> None:
    fraud = document("fraud").xml
    graffiti = document("graffiti").xml

    assert text(fraud, ".//nibrs:LocationCategoryCode") == ["58"]  # by phone: cyberspace
    assert text(fraud, ".//j:ItemCategoryNIBRSPropertyCategoryCode") == ["21"]  # gift cards
    assert text(graffiti, ".//j:ItemCategoryNIBRSPropertyCategoryCode") == ["35"]
    assert text(graffiti, ".//cjis:ItemStatusCode") == ["DESTROYED_DAMAGED_VANDALIZED"]


def test_identity_theft_with_nothing_lost_has_no_property_loss() -> None:
    made = document("identity_theft", answers_for("identity_theft") | {"identity_loss": "0"})

    assert text(made.xml, ".//cjis:ItemStatusCode") == ["NONE"]
    assert text(made.xml, ".//nc:Amount") == []
    assert made.valid


def test_cards_and_ids_are_valued_at_zero_as_the_fbi_records_them() -> None:
    answers = answers_for("theft") | {
        "stolen_items": [
            {"description": "Bank card", "serial": "", "value": "5", "kind": "cards"},
            {"description": "Wallet", "serial": "", "value": "60", "kind": "purse_wallet"},
        ]
    }

    made = document("theft", answers)

    assert text(made.xml, ".//nc:Amount") == ["0", "60"]
    assert made.valid


def test_a_wrong_code_fails_the_schema_with_a_readable_reason() -> None:
    agency = load_profile("demo")
    theft = agency.incident_types[0].model_copy(update={"offense_code": "99X"})
    unchecked = agency.model_copy(update={"incident_types": (theft, *agency.incident_types[1:])})

    made = document("theft", agency=unchecked)

    assert made.reportable and not made.valid and made.xml is not None
    [problem] = made.problems
    assert problem.element == "Offense code (element 6)"
    assert problem.message.startswith("'99X' is not one of the FBI's codes for this element.")
    assert problem.question is None  # the profile's, not an answer
    assert problem.path == "nibrs:Report/j:Offense/nibrs:OffenseUCRCode"


def test_a_wrong_answer_code_names_the_question_that_feeds_it() -> None:
    incident = Incident(
        ori="CT0060000",
        incident_number="2026-000007",
        offense="23H",
        attempted=False,
        day=TODAY,
        hour=None,
        date_question="incident_date",
        report_date=TODAY,
        location="99",
        location_question="incident_place",
        victim="S",
        properties=(
            Property(
                loss="STOLEN",
                value=None,
                description="4",
                question="stolen_items",
                description_question="stolen_items",
            ),
        ),
    )

    problems = schema_problems(to_xml(incident, message_id="1", now=NOW), incident)

    assert [(p.element, p.question) for p in problems] == [
        ("Location type (element 9)", "incident_place"),
        ("Property description (element 15)", "stolen_items"),
    ]
    assert all("is not one of the FBI's codes" in p.message for p in problems)


def test_edit_rule_the_incident_date_is_not_after_the_report_date() -> None:
    later = (NOW.date() + timedelta(days=3)).isoformat()

    made = document("vandalism", answers_for("vandalism") | {"incident_date": later})

    [problem] = made.problems
    assert problem.element == "Incident date (element 3)"
    assert problem.question == "incident_date"
    assert "after the report date" in problem.message


def test_edit_rule_stolen_property_is_worth_more_than_zero() -> None:
    answers = answers_for("theft") | {
        "stolen_items": [{"description": "Old phone", "serial": "", "value": "0", "kind": "phone"}]
    }

    [problem] = document("theft", answers).problems

    assert problem.element == "Value of property (element 16)"
    assert problem.question == "stolen_items"
    assert "Item 1 (Old phone) is worth $0" in problem.message
    assert "above zero" in problem.message
    assert problem.path == "nibrs:Report/nc:Item[1]/nc:ItemValue/nc:ItemValueAmount/nc:Amount"


def test_edit_rule_every_stolen_item_has_a_description() -> None:
    def no_fallback(data: dict[str, Any]) -> None:
        data["nibrs"]["types"]["theft"]["property"] = {"items": "stolen_items"}

    answers = answers_for("theft") | {
        "stolen_items": [{"description": "Something", "serial": "", "value": "30"}]
    }

    [problem] = document("theft", answers, agency=profile_with(no_fallback)).problems

    assert problem.element == "Property description (element 15)"
    assert problem.question == "stolen_items"
    assert "Item 1 (Something) has no property description" in problem.message


def test_edit_rule_the_incident_number_fits_nibrs() -> None:
    [problem] = document("theft", case_number="RPD-2026-LONGER-NUMBER").problems

    assert problem.element == "Incident number (element 2)"
    assert problem.question is None
    assert "1 to 12 characters" in problem.message and "case_number_format" in problem.message


def test_no_nibrs_section_no_document() -> None:
    agency = load_profile("demo").model_copy(update={"nibrs": None})

    made = document("theft", agency=agency)

    assert not made.reportable and made.xml is None and made.reason
