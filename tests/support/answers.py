"""Complete, valid answers for a simple theft report, as a resident would give them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

THEFT_STEPS = ["urgency", "when", "stolen_items", "narrative", "reporter"]
THEFT_PAGES = ["urgency", "when", "stolen_items", "narrative", "attachments", "reporter"]
"""The wizard's pages for a theft: its question steps, and the demo's photos or documents page
after the story."""


def theft_answers(today: date | None = None) -> dict[str, Any]:
    day = (today or date.today()) - timedelta(days=2)
    return {
        "happening_now": False,
        "anyone_injured": False,
        "weapon_involved": False,
        "suspect_known": False,
        "incident_date": day.isoformat(),
        "incident_time": "21:30",
        "incident_location": {
            "line1": "12 Elm Street",
            "line2": "",
            "city": "Riverton",
            "zip": "06600",
        },
        "incident_place": "home",
        "stolen_items": [
            {
                "description": "Black Trek bicycle",
                "serial": "WTU123456",
                "value": "450",
                "kind": "bicycle",
            },
            {"description": "Bike lock", "serial": "", "value": "35.50", "kind": "other"},
        ],
        "narrative": "My bicycle was taken from the rack outside my building overnight.",
        "reporter_name": "Zoë Łukasz-Muñoz",
        "reporter_phone": "(203) 555-0142",
        "reporter_address": {
            "line1": "12 Elm Street",
            "line2": "Apt 3",
            "city": "Riverton",
            "zip": "06600",
        },
        # the optional questions for the FBI's statistics, left unanswered as most residents
        # leave them (demographics_answers() answers them)
        "victim_age": None,
        "victim_sex": None,
        "victim_race": None,
        "victim_ethnicity": None,
        "victim_resident": None,
    }


def demographics_answers() -> dict[str, Any]:
    """The optional victim questions answered, one of them declined."""
    return {
        "victim_age": 34,
        "victim_sex": "female",
        "victim_race": "prefer_not",
        "victim_ethnicity": "hispanic",
        "victim_resident": "resident",
    }
