"""Every screening rule of the demo profile, and the rule operators themselves."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chalicelib.agency import ScreeningRule, load_profile
from chalicelib.intake.screening import advice, first_rule_that_fires, inside_jurisdiction
from tests.support.answers import theft_answers

TODAY = date(2026, 11, 2)
PROFILE = load_profile("demo")


def fired(**changes: Any) -> str | None:
    rule = first_rule_that_fires(PROFILE, {**theft_answers(TODAY), **changes}, TODAY)
    return rule.id if rule else None


def test_an_ordinary_theft_passes() -> None:
    assert fired() is None


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"happening_now": True}, "happening_now"),
        ({"anyone_injured": True}, "injury"),
        ({"weapon_involved": True}, "weapon"),
        ({"suspect_known": True}, "known_suspect"),
        (
            {"incident_location": {"line1": "1 Broad St", "city": "Bridgeport", "zip": "06604"}},
            "outside_jurisdiction",
        ),
        (
            {"stolen_items": [{"description": "Laptop", "serial": "", "value": "2500.01"}]},
            "loss_above_limit",
        ),
        ({"incident_date": "2025-11-01"}, "too_old"),
    ],
)
def test_each_rule_stops_the_report(changes: dict[str, Any], rule: str) -> None:
    assert fired(**changes) == rule


def test_a_loss_exactly_at_the_limit_is_accepted() -> None:
    assert fired(stolen_items=[{"description": "Laptop", "serial": "", "value": "2500.00"}]) is None


def test_losses_add_up_across_questions() -> None:
    assert fired(
        fraud_amount="2000.00", stolen_items=[{"description": "x", "value": "600.00"}]
    ) == ("loss_above_limit")


def test_the_jurisdiction_needs_the_city_and_the_zip_code_to_agree() -> None:
    lordship = {"line1": "1 Shore Rd", "city": " lordship ", "zip": "06615"}

    assert fired(incident_location=lordship) is None
    assert inside_jurisdiction(PROFILE, lordship)
    assert not inside_jurisdiction(PROFILE, {"city": "New York", "zip": "10004"})


@pytest.mark.parametrize(
    ("city", "zip_code"), [("Riverton", "10004"), ("New York", "06600"), ("Riverton", "06615")]
)
def test_a_city_and_zip_code_that_disagree_are_not_screened_out(city: str, zip_code: str) -> None:
    """One of them is ours: a typo, asked about as a field error (test_answers.py), rather than
    a report stopped and its answers deleted."""
    assert fired(incident_location={"line1": "1 Main St", "city": city, "zip": zip_code}) is None


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_rule_s_instructions_agree_with_its_reason(language: str) -> None:
    told = {rule.id: advice(PROFILE, rule, language) for rule in PROFILE.screening}

    for rule in PROFILE.screening:
        assert told[rule.id].reason and told[rule.id].instructions
        assert told[rule.id].call in told[rule.id].instructions
    outside = told["outside_jurisdiction"]
    assert "officer will take your report" not in outside.instructions
    assert "un agente" not in outside.instructions
    assert outside.call == PROFILE.contacts.non_emergency
    assert told["happening_now"].call == "911"
    assert told["injury"].call == PROFILE.contacts.non_emergency


def test_the_outside_area_advice_in_english() -> None:
    rule = next(rule for rule in PROFILE.screening if rule.id == "outside_jurisdiction")

    assert advice(PROFILE, rule, "en").instructions == (
        "Contact the police department for the place where it happened. If you do not know"
        " which one it is, call our non-emergency line, (555) 010-4400, and we will tell you."
    )


def test_a_rule_may_carry_its_own_instructions() -> None:
    rule = ScreeningRule(
        id="federal",
        questions=("identity_misuse",),
        operator="is",
        value="benefits_taxes",
        reason="The federal government handles this.",
        contact="another_agency",
        instructions={
            "en": "Report it at IdentityTheft.gov.",
            "es": "Repórtelo en IdentityTheft.gov.",
        },
    )

    assert advice(PROFILE, rule, "es").instructions == "Repórtelo en IdentityTheft.gov."


def test_the_first_rule_in_profile_order_wins() -> None:
    assert fired(anyone_injured=True, happening_now=True) == "happening_now"


def test_unanswered_questions_fire_nothing() -> None:
    assert first_rule_that_fires(PROFILE, {}, TODAY) is None
