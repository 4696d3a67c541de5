"""Domain errors. They know nothing of HTTP: the web edge maps each class to a status once."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class InvalidInput(DomainError):
    code = "invalid_input"


class MalformedRequest(DomainError):
    code = "malformed_request"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, retry_after_seconds)


class NotAuthenticated(DomainError):
    code = "not_authenticated"


class LinkNotRecognised(DomainError):
    code = "invalid_token"


class LinkExpired(DomainError):
    code = "token_expired"


class LinkAlreadyUsed(DomainError):
    code = "token_used"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class StaleEdit(Conflict):
    """Someone saved an edit first: for each field the refused edit changed, the value it
    would have written (`yours`) and the one now stored (`current`)."""

    def __init__(
        self,
        message: str,
        *,
        fields: Mapping[str, str] | None = None,
        conflicts: Mapping[str, Mapping[str, object]],
        revision: int,
    ) -> None:
        super().__init__(message, fields=fields)
        self.conflicts = {name: dict(values) for name, values in conflicts.items()}
        self.revision = revision


class DeliveryFailed(DomainError):
    """An AWS dependency refused or failed; the request may be retried later."""

    code = "temporarily_unavailable"


class TooLarge(DomainError):
    code = "too_large"


class NotPermitted(DomainError):
    code = "forbidden"
