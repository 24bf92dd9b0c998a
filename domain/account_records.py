"""Records of the account lifecycle: mail tokens, refresh tokens, and the tokens a sign-in gets."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from domain.models import User

VERIFY = "verify"
RESET = "reset"


def new_secret() -> str:
    """A URL-safe token of 256 random bits (the contract asks for at least 128)."""
    return secrets.token_urlsafe(32)


def secret_hash(token: str) -> str:
    """What storage keeps of a token: its SHA-256 (the tokens are random, so no salt or slow
    hash is needed; a database leak gives nobody a usable token)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RefreshRecord:
    user_id: int
    family_id: str
    expires_at: datetime
    spent_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedAccess:
    """An access token remembered with its refresh token: revoking a family denylists it."""

    token_id: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str
    refresh_token: str
