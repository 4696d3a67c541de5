"""The FBI's NIBRS edit rules that apply to what a resident reports online (docs/nibrs.md).

The XSD checks shapes and codes; the FBI's data-quality edits (the NIBRS Technical
Specification's error numbers) check what the values mean together, and a state repository
refuses a submission that breaks them. Only those a resident's answers can break are kept
here: the rest concern arrests, weapons, injuries and offenders, which an online report never
carries, or what the profile already guarantees.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .document import NibrsProblem

if TYPE_CHECKING:
    from .document import Incident

_INCIDENT_NUMBER = re.compile(r"^[A-Z0-9-]{1,12}$")
ZERO_ALLOWED = frozenset({"09", "22", "48", "65", "66", "77", "99"})
"""Descriptions whose value may be zero: the builder writes zero for the first five."""
LOSSES_WITH_VALUE = frozenset({"STOLEN", "DESTROYED_DAMAGED_VANDALIZED", "BURNED", "RECOVERED"})
"""Loss types whose items need a description and a value."""
ITEM_PATH = "nibrs:Report/nc:Item"


def _sentence(words: str) -> str:
    return words[:1].upper() + words[1:]


def edit_rule_problems(incident: Incident) -> tuple[NibrsProblem, ...]:
    problems: list[NibrsProblem] = []
    if not _INCIDENT_NUMBER.match(incident.incident_number):
        problems.append(
            NibrsProblem(
                "Incident number (element 2)",
                f"The incident number {incident.incident_number!r} must be 1 to 12 characters, "
                "capital letters, digits and hyphens only. It comes from the "
                "case number: make the profile's review.case_number_format shorter.",
                None,
                "nibrs:Report/nc:Incident/nc:ActivityIdentification/nc:IdentificationID",
            )
        )
    if incident.day is not None and incident.day > incident.report_date:
        problems.append(
            NibrsProblem(
                "Incident date (element 3)",
                f"The incident date {incident.day.isoformat()} is after the report date "
                f"{incident.report_date.isoformat()}: an incident cannot be reported before "
                "it happens. Correct the date it happened.",
                incident.date_question,
                "nibrs:Report/nc:Incident/nc:ActivityDate",
            )
        )
    for index, prop in enumerate(incident.properties, start=1):
        if prop.loss not in LOSSES_WITH_VALUE:
            continue
        path = f"{ITEM_PATH}[{index}]"
        if prop.description is None:
            problems.append(
                NibrsProblem(
                    "Property description (element 15)",
                    f"{_sentence(prop.label)} has no property description: the FBI needs "
                    "one for every item that was stolen or damaged. Choose what "
                    "the item is.",
                    prop.description_question,
                    f"{path}/j:ItemCategoryNIBRSPropertyCategoryCode",
                )
            )
        if prop.value is None:
            problems.append(
                NibrsProblem(
                    "Value of property (element 16)",
                    f"{_sentence(prop.label)} has no value: the FBI needs the value of "
                    "every item that was stolen or damaged. Enter its value.",
                    prop.question,
                    f"{path}/nc:ItemValue/nc:ItemValueAmount/nc:Amount",
                )
            )
        elif prop.value <= 0 and prop.description not in ZERO_ALLOWED:
            problems.append(
                NibrsProblem(
                    "Value of property (element 16)",
                    f"{_sentence(prop.label)} is worth ${prop.value}: the FBI needs a value "
                    "above zero for stolen or damaged property of this kind. "
                    "Enter its estimated value; $1 if it is not known.",
                    prop.question,
                    f"{path}/nc:ItemValue/nc:ItemValueAmount/nc:Amount",
                )
            )
    return tuple(problems)
