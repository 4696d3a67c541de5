"""How many wrong passwords and codes staff sign-in takes before it stops listening (CJIS 5.5.3).

Two runs of failures are counted (`RateLimiter.count_failure`, in the rate-limits table):

- per username, case ignored and stored as a digest: the profile's `staff_sign_in_failures`
  (5) in a row lock that name for `staff_lockout_minutes` (15); a completed sign-in forgets them;
- per client address, also a digest: a higher bound (`STAFF_SIGN_IN_FAILURES_PER_CLIENT`, 20),
  for one address trying many names. A success does not forget these: one account the guesser
  holds must not reset them.

A failure counts when it is more than the lockout period after the one before. Whether a name
exists plays no part: an unknown name is counted, locked and answered exactly as a known one.
While locked, an attempt is refused before Cognito is asked, with one message and one status
(429, with the seconds to wait) for every name; refused attempts do not extend the lock, so
someone who knows a colleague's name cannot keep the colleague out for longer than the period
after each five tries. Cognito's own lockout in AWS stays a second layer.
"""

from __future__ import annotations

import math
from datetime import timedelta

from ..errors import RateLimited
from ..ratelimit import Lockout, RateLimiter, Standing
from ..tokens import digest
from .audit import AuditTrail

LOCKED = "Too many attempts to sign in. Try again in {wait}."


class SignInLockout:
    def __init__(
        self,
        *,
        limiter: RateLimiter,
        audit: AuditTrail,
        failures_per_username: int,
        failures_per_client: int,
        period: timedelta,
    ) -> None:
        self._limiter = limiter
        self._audit = audit
        self._per_username = failures_per_username
        self._per_client = failures_per_client
        self._period = period

    def admit(self, username: str, client: str, action: str) -> Standing:
        """Before an attempt (two GetItems): refuse it while the name or the address is locked,
        audited; otherwise the name's failures so far, for `succeeded`."""
        name, address = self._lockouts(username, client)
        by_name, by_address = self._limiter.standing(name), self._limiter.standing(address)
        if by_name.locked or by_address.locked:
            self._audit.record(
                f"staff#{username}", username, action, "locked", _which(by_name, by_address)
            )
            raise _refusal(max(by_name.locked_for, by_address.locked_for))
        return by_name

    def failed(self, username: str, client: str, action: str) -> None:
        """After a wrong password or code (already audited as refused): count it against the
        name and the address. The failure that locks either is answered as the lockout."""
        name, address = self._lockouts(username, client)
        by_name = self._limiter.count_failure(name)
        by_address = self._limiter.count_failure(address)
        if by_name.failures == name.allowed or by_address.failures == address.allowed:
            self._audit.record(
                f"staff#{username}",
                username,
                "sign_in_lockout",
                "started",
                _which(by_name, by_address),
            )
        if by_name.locked or by_address.locked:
            raise _refusal(max(by_name.locked_for, by_address.locked_for))

    def succeeded(self, username: str, before: Standing) -> None:
        """A completed sign-in forgets the name's failures (no call when there were none)."""
        if before.failures:
            self._limiter.forget(
                Lockout(self._name_key(username), self._per_username, self._period)
            )

    def _lockouts(self, username: str, client: str) -> tuple[Lockout, Lockout]:
        return (
            Lockout(self._name_key(username), self._per_username, self._period),
            Lockout(f"staff-client#{digest(client)}", self._per_client, self._period),
        )

    @staticmethod
    def _name_key(username: str) -> str:
        return f"staff-name#{digest(username.strip().casefold())}"


def _which(by_name: Standing, by_address: Standing) -> dict[str, str]:
    """What the audit event says locked: the name, the address, or both (never the address)."""
    parts = [
        label
        for label, standing in (("username", by_name), ("client", by_address))
        if standing.locked
    ]
    return {"by": "+".join(parts) or "none"}


def _refusal(seconds: int) -> RateLimited:
    minutes = max(1, math.ceil(seconds / 60))
    wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    return RateLimited(LOCKED.format(wait=wait), retry_after_seconds=seconds)
