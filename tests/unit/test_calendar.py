"""The demo agency's review calendar: business days in New York, US/CT and its own holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.agency import load_profile
from chalicelib.review.calendar import ReviewCalendar

NEW_YORK = ZoneInfo("America/New_York")
CALENDAR = ReviewCalendar(load_profile("demo"))


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=NEW_YORK)


def in_new_york(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 10, 16), True),  # Friday
        (date(2026, 10, 17), False),  # Saturday
        (date(2026, 10, 18), False),  # Sunday
        (date(2026, 10, 19), True),  # Monday
        (date(2026, 11, 26), False),  # Thanksgiving
        (date(2026, 11, 27), True),  # the Friday after: open
        (date(2026, 12, 24), False),  # the agency's own holiday
        (date(2026, 12, 25), False),  # Christmas
        (date(2026, 12, 31), False),  # the agency's own holiday
        (date(2027, 1, 1), False),  # New Year's Day
        (date(2026, 2, 12), False),  # Lincoln's Birthday, a Connecticut holiday
    ],
)
def test_business_days(day: date, business: bool) -> None:
    assert CALENDAR.is_business_day(day) is business


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 10, 16), 1, date(2026, 10, 19)),  # Friday → Monday
        (date(2026, 10, 17), 1, date(2026, 10, 19)),  # Saturday → Monday
        (date(2026, 10, 16), 5, date(2026, 10, 23)),
        (date(2026, 11, 25), 1, date(2026, 11, 27)),  # over Thanksgiving
        (date(2026, 12, 23), 1, date(2026, 12, 28)),  # over 24, 25 December and a weekend
        (date(2026, 12, 30), 1, date(2027, 1, 4)),  # over 31 December, New Year, a weekend
        (date(2026, 10, 19), 0, date(2026, 10, 19)),
    ],
)
def test_adding_business_days_skips_weekends_and_holidays(
    start: date, days: int, expected: date
) -> None:
    assert CALENDAR.add_business_days(start, days) == expected


def test_a_friday_submission_is_due_at_the_end_of_the_next_friday() -> None:
    assert CALENDAR.due(in_new_york(date(2026, 10, 16), 14)) == end_of(date(2026, 10, 23))


def test_a_friday_submission_before_thanksgiving_is_due_a_day_later() -> None:
    # Mon 23, Tue 24, Wed 25, (Thanksgiving), Fri 27, Mon 30
    assert CALENDAR.due(in_new_york(date(2026, 11, 20), 9)) == end_of(date(2026, 11, 30))


def test_the_due_time_is_the_last_second_of_the_day_in_new_york() -> None:
    due = CALENDAR.due(datetime(2026, 10, 16, 18, 0, tzinfo=UTC))

    assert due.utcoffset() == timedelta(hours=-4)  # daylight saving time
    assert due.astimezone(UTC) == datetime(2026, 10, 24, 3, 59, 59, tzinfo=UTC)


def test_two_in_the_morning_utc_on_saturday_is_still_friday_in_new_york() -> None:
    saturday_utc = datetime(2026, 10, 17, 2, 0, tzinfo=UTC)  # Friday 22:00 in New York

    assert saturday_utc.astimezone(NEW_YORK).date() == date(2026, 10, 16)
    assert CALENDAR.due(saturday_utc) == CALENDAR.due(in_new_york(date(2026, 10, 16), 10))
    assert CALENDAR.due(saturday_utc) == end_of(date(2026, 10, 23))


@pytest.mark.parametrize(
    ("submitted", "due_day"),
    [
        # Friday 02:00 UTC is Thursday in New York: due Thursday, not Friday
        (datetime(2026, 10, 16, 2, 0, tzinfo=UTC), date(2026, 10, 22)),
        # Monday 02:00 UTC is Sunday in New York: due that Friday, not the next Monday
        (datetime(2026, 10, 19, 2, 0, tzinfo=UTC), date(2026, 10, 23)),
        # In winter New York is five hours behind: 04:30 UTC is still Monday there
        (datetime(2026, 12, 1, 4, 30, tzinfo=UTC), date(2026, 12, 7)),
        (datetime(2026, 12, 1, 5, 0, tzinfo=UTC), date(2026, 12, 8)),
    ],
)
def test_the_day_of_submission_is_the_day_in_new_york(submitted: datetime, due_day: date) -> None:
    assert CALENDAR.due(submitted) == end_of(due_day)


def test_a_report_is_past_due_only_after_the_last_second_of_its_due_day() -> None:
    submitted = in_new_york(date(2026, 10, 16), 14)
    due = end_of(date(2026, 10, 23))

    assert not CALENDAR.is_past_due(submitted, datetime(2026, 10, 24, 2, 0, tzinfo=UTC))
    assert not CALENDAR.is_past_due(submitted, due)
    assert CALENDAR.is_past_due(submitted, due + timedelta(seconds=1))


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2027, 12, 20),
        timezones=st.just(UTC),
    )
)
def test_every_due_date_is_five_business_days_after_the_local_day(submitted: datetime) -> None:
    due = CALENDAR.due(submitted)
    local_day = submitted.astimezone(NEW_YORK).date()
    between = [
        local_day + timedelta(days=n)
        for n in range(1, (due.date() - local_day).days + 1)
        if CALENDAR.is_business_day(local_day + timedelta(days=n))
    ]

    assert due > submitted
    assert CALENDAR.is_business_day(due.date())
    assert len(between) == 5 and between[-1] == due.date()
    assert (due.hour, due.minute, due.second) == (23, 59, 59)
