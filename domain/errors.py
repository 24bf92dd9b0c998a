"""Domain errors: each carries a stable code that the transports map to HTTP statuses and acks."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(DomainError):
    code = "invalid_input"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class Gone(DomainError):
    """The thing existed but can no longer be used (an expired, revoked or used-up invite)."""

    code = "gone"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int, details: Any = None) -> None:
        super().__init__(message, details)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A backing service is down; nothing was stored, so the caller may retry."""

    code = "unavailable"


class Busy(DomainError):
    """Too much queued work (e.g. password hashing): nothing was done; retry after a pause."""

    code = "busy"

    def __init__(self, message: str, retry_after: int, details: Any = None) -> None:
        super().__init__(message, details)
        self.retry_after = retry_after


class ModelLoading(DomainError):
    code = "model_loading"
