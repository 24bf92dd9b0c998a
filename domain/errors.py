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


class EmailUnverified(Forbidden):
    """[accounts] require_verified_email is on and the caller has not verified their email."""

    code = "email_unverified"


class TokenReused(Unauthorized):
    """A spent refresh token came back: its whole family has been revoked."""

    code = "token_reused"


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


class PayloadTooLarge(DomainError):
    """More bytes than the route accepts (an upload over `[uploads] max_bytes`)."""

    code = "payload_too_large"


class UnsupportedMedia(DomainError):
    """Content of a kind the route does not accept (an upload that is no PNG/JPEG/GIF/WebP)."""

    code = "unsupported_media_type"
