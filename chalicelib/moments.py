"""Moments as the agency's clocks showed them, with the zone named: the copy, the staff pages
and the print view all say the same time (never UTC to a clerk in New York).

Nothing large is imported here: babel only when a date is spelled out in words.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo


def clock_time(moment: datetime | time, language: str) -> str:
    """ "2:38 a.m." in English, "2:38 a. m." in Spanish (the forms the profile's hours use)."""
    hour = moment.hour % 12 or 12
    morning = moment.hour < 12
    if language == "es":
        suffix = "a. m." if morning else "p. m."
    else:
        suffix = "a.m." if morning else "p.m."
    return f"{hour}:{moment.minute:02d} {suffix}"


def long_day(day: date, language: str) -> str:
    from babel.dates import format_date  # large: imported on first use

    return str(format_date(day, format="long", locale=language))


def local_moment(moment: datetime, zone: ZoneInfo, language: str) -> str:
    """A moment as the agency's clocks showed it, with the zone: "November 4, 2026, 9:30 a.m.
    EST" / "4 de noviembre de 2026, 9:30 a. m. EST". The staff pages show the same moment."""
    local = moment.astimezone(zone)
    return f"{long_day(local.date(), language)}, {clock_time(local, language)} {local.tzname()}"


def local_day(moment: datetime, zone: ZoneInfo, language: str) -> str:
    return long_day(moment.astimezone(zone).date(), language)


def as_moment(value: datetime | str) -> datetime:
    """A stored moment: a datetime, or the ISO text the reports keep in lists (supplements)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def agency_stamp(value: datetime | str, zone: ZoneInfo, seconds: bool = False) -> str:
    """A moment for a clerk's table, sortable at a glance: "2026-12-01 09:05 EST"."""
    local = as_moment(value).astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def agency_date(value: datetime | str, zone: ZoneInfo) -> str:
    """The day a moment fell on in the agency's zone: "2026-12-04"."""
    return as_moment(value).astimezone(zone).strftime("%Y-%m-%d")
