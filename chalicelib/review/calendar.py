"""Business days in the agency's time zone, without weekends and the agency's holidays."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from ..agency import AgencyProfile


class ReviewCalendar:
    def __init__(self, profile: AgencyProfile) -> None:
        self._profile = profile
        self._zone = profile.zone

    @cached_property
    def _public_holidays(self) -> Any:
        import holidays  # imported on first use: the country tables are large

        review = self._profile.review
        return holidays.country_holidays(review.holiday_country, subdiv=review.holiday_subdivision)

    def is_business_day(self, day: date) -> bool:
        return (
            day.weekday() < 5
            and day not in self._public_holidays
            and day not in self._profile.review.extra_holidays
        )

    def add_business_days(self, start: date, days: int) -> date:
        day = start
        while days > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                days -= 1
        return day

    def due(self, submitted_at: datetime) -> datetime:
        """The end of the last business day the agency promised for a review."""
        local_day = submitted_at.astimezone(self._zone).date()
        last_day = self.add_business_days(local_day, self._profile.review.business_days)
        return datetime.combine(last_day, time(23, 59, 59), tzinfo=self._zone)

    def is_past_due(self, submitted_at: datetime, now: datetime) -> bool:
        return now > self.due(submitted_at)
