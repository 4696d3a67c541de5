"""Rate limits counted in DynamoDB, since every Lambda instance must see the count: fixed windows
of actions (`count`: the caller decides what a count refuses), and runs of failures that lock a
key out for a while (`count_failure`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, GetError, UpdateError

from .errors import DeliveryFailed
from .models import RateLimitWindow


@dataclass(frozen=True)
class Limit:
    key: str
    allowed: int
    window: timedelta


@dataclass(frozen=True)
class Count:
    """How many actions a window holds, this one included, and when the window ends (seconds)."""

    hits: int
    window_ends_in: int


@dataclass(frozen=True)
class Lockout:
    """A run of failures for one key locks it: `allowed` failures, each no later than `period`
    after the one before, and the key is refused until `period` after the last of them. A failure
    more than `period` after the last one starts a new run; `forget` ends the run at once."""

    key: str
    allowed: int
    period: timedelta


@dataclass(frozen=True)
class Standing:
    """A key's run of failures as it stands: how many, and for how long it is locked (0: not)."""

    failures: int
    locked_for: int

    @property
    def locked(self) -> bool:
        return self.locked_for > 0


CLEAR = Standing(failures=0, locked_for=0)
BUSY = "The service is busy. Please try again shortly."


def _updated(counter: RateLimitWindow, actions: list[Any], condition: Any = None) -> bool:
    """Apply one UpdateItem; False when its condition refused it."""
    try:
        counter.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise DeliveryFailed(BUSY) from error
    return True


class RateLimiter:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def count(self, limit: Limit) -> Count:
        """Count one action in the limit's current window (one atomic `UpdateItem`, ADD)."""
        now = self._clock().timestamp()
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
            raise DeliveryFailed(BUSY) from error
        return Count(int(counter.hits), window_end - int(now))

    # -- runs of failures -------------------------------------------------------------------------
    # One item per key (in the same table as the windows, keys never alike): `hits` counts the
    # failures of the current run and `expires_at` is when the run ends, `period` after its last
    # failure. The run is read from the item, not trusted to TTL (which deletes late).

    def standing(self, lockout: Lockout) -> Standing:
        """One consistent GetItem: a failure counted a moment ago is seen."""
        try:
            counter = RateLimitWindow.get(lockout.key, consistent_read=True)
        except DoesNotExist:
            return CLEAR
        except GetError as error:
            raise DeliveryFailed(BUSY) from error
        return self._standing(counter, lockout)

    def count_failure(self, lockout: Lockout) -> Standing:
        """Count one failure, atomically: one UpdateItem while the run lasts (ADD), a second when
        the last run is over and this failure starts a new one."""
        now = self._clock()
        ends = now + lockout.period
        counter = RateLimitWindow(window_key=lockout.key)
        lasts = RateLimitWindow.expires_at > now
        count = [RateLimitWindow.hits.add(1), RateLimitWindow.expires_at.set(ends)]
        restart = [RateLimitWindow.hits.set(1), RateLimitWindow.expires_at.set(ends)]
        if not (
            _updated(counter, count, RateLimitWindow.window_key.does_not_exist() | lasts)
            or _updated(counter, restart, RateLimitWindow.expires_at <= now)
        ):
            _updated(counter, count)  # another failure began the new run just now
        return self._standing(counter, lockout)

    def forget(self, lockout: Lockout) -> None:
        """End the key's run: its failures no longer count."""
        try:
            RateLimitWindow(window_key=lockout.key).delete()
        except DeleteError as error:
            raise DeliveryFailed(BUSY) from error

    def _standing(self, counter: RateLimitWindow, lockout: Lockout) -> Standing:
        remaining = int((counter.expires_at - self._clock()).total_seconds())
        if remaining <= 0:
            return CLEAR  # the run is over, whatever it counted
        failures = int(counter.hits)
        return Standing(failures, remaining if failures >= lockout.allowed else 0)
