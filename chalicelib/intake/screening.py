"""Screening: the answers that mean the police must take the report directly."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..agency import AgencyProfile, ScreeningRule
from .answers import amount, date_bounds


def first_rule_that_fires(
    profile: AgencyProfile, answers: Mapping[str, Any], today: date
) -> ScreeningRule | None:
    """The first rule (in profile order) that holds for the answers given so far."""
    return next((rule for rule in profile.screening if fires(rule, profile, answers, today)), None)


def fires(
    rule: ScreeningRule, profile: AgencyProfile, answers: Mapping[str, Any], today: date
) -> bool:
    given = [answers[question] for question in rule.questions if answers.get(question) is not None]
    if not given:
        return False
    match rule.operator:
        case "is":
            return any(answer == rule.value for answer in given)
        case "in":
            values = rule.value if isinstance(rule.value, tuple) else (rule.value,)
            return any(answer in values for answer in given)
        case "older_than_days":
            assert isinstance(rule.value, int)
            oldest = today - timedelta(days=rule.value)
            return any(
                (day := latest_known(answer)) is not None and day < oldest for answer in given
            )
        case "sum_above":
            assert isinstance(rule.value, int)
            return sum((amount(answer) for answer in given), Decimal(0)) > rule.value
        case "outside_jurisdiction":
            return any(not inside_jurisdiction(profile, answer) for answer in given)


def latest_known(answer: Any) -> date | None:
    """The last day it can have happened: a range's end, else its start (or the one day)."""
    start, end = date_bounds(answer)
    return end or start


def inside_jurisdiction(profile: AgencyProfile, address: Any) -> bool:
    if not isinstance(address, Mapping):
        return True
    zip_code = str(address.get("zip", ""))[:5]
    city = str(address.get("city", "")).strip().casefold()
    cities = {name.casefold() for name in profile.jurisdiction.cities}
    return zip_code in profile.jurisdiction.zip_codes or city in cities
