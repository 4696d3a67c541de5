"""Fixed-window rate limits counted in DynamoDB, since every Lambda instance must see the count."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import UpdateError

from .errors import DeliveryFailed, RateLimited
from .models import RateLimitWindow


@dataclass(frozen=True)
class Limit:
    key: str
    allowed: int
    window: timedelta


class RateLimiter:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def hit(self, limits: Sequence[Limit], message: str) -> None:
        """Count one action against every limit; refuse it if any limit is exceeded.

        Each limit costs one atomic `UpdateItem` (ADD), so concurrent requests are all counted.
        """
        now = self._clock().timestamp()
        retry_after = 0
        for limit in limits:
            window = int(limit.window.total_seconds())
            index = int(now) // window
            window_end = (index + 1) * window
            counter = RateLimitWindow(window_key=f"{limit.key}#{window}#{index}")
            try:
                counter.update(
                    actions=[
                        RateLimitWindow.hits.add(1),
                        RateLimitWindow.expires_at.set(
                            datetime.fromtimestamp(window_end + window, tz=UTC)
                        ),
                    ]
                )
            except UpdateError as error:
                raise DeliveryFailed("The service is busy. Please try again shortly.") from error
            if counter.hits > limit.allowed:
                retry_after = max(retry_after, window_end - int(now))
        if retry_after:
            raise RateLimited(message, retry_after_seconds=retry_after)
