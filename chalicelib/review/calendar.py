"""Business days in the agency's time zone, without weekends and the agency's holidays."""

from __future__ import annotations

from collections.abc import Callable
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


class ReviewTimings:
    """How long a new review's workflow waits for staff and for a resident, in seconds.

    Staff have until the end of the promised business days; a stage may set either wait
    outright (the local stack and the tests do, to see the reminders happen).
    """

    def __init__(
        self,
        calendar: ReviewCalendar,
        *,
        info_request_days: int,
        clock: Callable[[], datetime],
        sla_seconds: int | None = None,
        info_seconds: int | None = None,
    ) -> None:
        self._calendar = calendar
        self._info_request_days = info_request_days
        self._clock = clock
        self._sla_seconds = sla_seconds
        self._info_seconds = info_seconds

    def for_new_review(self) -> dict[str, int]:
        if self._sla_seconds:
            sla = self._sla_seconds
        else:
            now = self._clock()
            sla = int((self._calendar.due(now) - now).total_seconds())
        info = self._info_seconds or self._info_request_days * 86400
        return {"sla_seconds": max(sla, 1), "info_seconds": info}
