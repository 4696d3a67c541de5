"""Every screening rule of the demo profile, and the rule operators themselves."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chalicelib.agency import load_profile
from chalicelib.intake.screening import first_rule_that_fires
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


def test_the_jurisdiction_accepts_a_known_zip_or_a_known_city() -> None:
    inside_by_zip = {"line1": "1 Shore Rd", "city": "Lordship Beach", "zip": "06615"}
    inside_by_city = {"line1": "1 Shore Rd", "city": " riverton ", "zip": "06699"}

    assert fired(incident_location=inside_by_zip) is None
    assert fired(incident_location=inside_by_city) is None


def test_the_first_rule_in_profile_order_wins() -> None:
    assert fired(anyone_injured=True, happening_now=True) == "happening_now"


def test_unanswered_questions_fire_nothing() -> None:
    assert first_rule_that_fires(PROFILE, {}, TODAY) is None
