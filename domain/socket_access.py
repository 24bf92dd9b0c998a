"""Who may open a /chat socket, decided with one token decode and one database query.

A connect needs the token's claims, the user's token version, name and email verification,
whether the token id is on the denylist, and the user's active group ids (their rooms).
`UserService.authenticate` plus `GroupService.active_group_ids` read those in two transactions
and decode the token twice (once more for its id); `SocketAuthenticator` reads them in one
statement and applies the same rules: logged-out tokens, tokens of deleted users and tokens of a
revoked version ("log out everywhere") are refused, and so are unverified accounts when
`[accounts] require_verified_email` is on. Measured in docs/benchmarks.md ("Connect path and
idle connections").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol

from domain.errors import EmailUnverified, Unauthorized
from domain.revocation import RevokedTokenCache
from domain.security import TokenClaims, TokenIssuer

TOKEN_LOGGED_OUT = "This token has been logged out"
TOKEN_INVALID = "Invalid authentication token"
VERIFY_FIRST = "Verify your email address first (see the mail we sent, or ask for a new one)"


@dataclass(frozen=True, slots=True)
class SocketAccount:
    """What a socket keeps of its user: read once, at connect."""

    user_id: int
    name: str
    token_version: int
    email_verified: bool
    group_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SocketGrant:
    """An admitted connect: the account and the claims of the token it used."""

    account: SocketAccount
    claims: TokenClaims


class SocketAccessRepository(Protocol):
    async def for_socket(
        self, user_id: int, token_id: str, now: datetime
    ) -> tuple[SocketAccount | None, bool]:
        """The account (None: no such user) and whether `token_id` is on the denylist."""
        ...


class SocketAccessUnitOfWork(Protocol):
    """The part of a unit of work (storage/uow.py SqlUnitOfWork) the connect path uses."""

    @property
    def socket_access(self) -> SocketAccessRepository: ...

    async def __aenter__(self) -> SocketAccessUnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class SocketAuthenticator:
    def __init__(
        self,
        uow: Callable[[], SocketAccessUnitOfWork],
        tokens: TokenIssuer,
        revoked: RevokedTokenCache,
        require_verified: bool,
    ) -> None:
        self._uow = uow
        self._tokens = tokens
        self._revoked = revoked
        self.require_verified = require_verified

    async def authenticate(self, token: str) -> SocketGrant:
        """Unauthorized for a bad, expired, logged-out or revoked token or a deleted user;
        EmailUnverified for an unverified account when verification is required."""
        claims = self._tokens.decode(token)
        if claims.token_id and self._revoked.is_known(claims.token_id):
            raise Unauthorized(TOKEN_LOGGED_OUT)
        async with self._uow() as uow:
            account, revoked = await uow.socket_access.for_socket(
                claims.user_id, claims.token_id, datetime.now(UTC)
            )
        if revoked:
            self._revoked.remember(claims.token_id, claims.expires_at)
            raise Unauthorized(TOKEN_LOGGED_OUT)
        if account is None or account.token_version != claims.version:
            raise Unauthorized(TOKEN_INVALID)
        if self.require_verified and not account.email_verified:
            raise EmailUnverified(VERIFY_FIRST)
        return SocketGrant(account, claims)
