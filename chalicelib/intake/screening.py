"""Screening: the answers that mean the police must take the report directly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..agency import AgencyProfile, ScreeningRule, localise
from ..i18n import translator
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
    """Outside only when neither the city nor the ZIP code is ours: an address with one of them
    ours and the other not is refused as mistyped before screening (answers.validate_answers)."""
    if not isinstance(address, Mapping):
        return True
    place = profile.jurisdiction.place(str(address.get("city", "")), str(address.get("zip", "")))
    return place != "outside"


@dataclass(frozen=True)
class Advice:
    """What a screened-out resident reads: why, what to do, and the number to call."""

    rule: str
    reason: str
    instructions: str
    call: str


def advice(profile: AgencyProfile, rule: ScreeningRule, language: str) -> Advice:
    """The rule's reason and instructions, in one language: the instructions follow from the
    rule's `contact`, or are its own `instructions`, and never contradict the reason."""
    _ = translator(language)
    contacts = profile.contacts
    number = contacts.emergency if rule.contact == "emergency" else contacts.non_emergency
    # The stopped page (pages/report/stopped.html) says the same, with the number as a link.
    if rule.instructions:
        instructions = localise(rule.instructions, language)
    elif rule.contact == "emergency":
        instructions = _("Call %(number)s now.") % {"number": number}
    elif rule.contact == "another_agency":
        instructions = _(
            "Contact the police department for the place where it happened. If you do not know"
            " which one it is, call our non-emergency line, %(number)s, and we will tell you."
        ) % {"number": number}
    else:
        instructions = _(
            "Call the non-emergency line, %(number)s, and an officer will take your report."
        ) % {"number": number}
    return Advice(rule.id, localise(rule.reason, language), instructions, number)
