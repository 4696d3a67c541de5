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
        "stolen_items": [
            {"description": "Black Trek bicycle", "serial": "WTU123456", "value": "450"},
            {"description": "Bike lock", "serial": "", "value": "35.50"},
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
    }
