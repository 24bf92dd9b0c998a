"""Sign-in tokens: a short access token (JWT) plus a refresh token, one family per sign-in.

Each refresh spends its token and issues the next one of the same family (rotation). A spent
token that comes back means two holders: the whole family is revoked, with the access tokens
issued to it, and the caller gets 401 `token_reused`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from domain.account_records import IssuedAccess, SignedIn, new_secret, secret_hash
from domain.errors import TokenReused, Unauthorized
from domain.events import TokensRevoked
from domain.models import User
from domain.ports import Publisher, UnitOfWork, UnitOfWorkFactory
from domain.revocation import RevokedTokenCache
from domain.security import TokenIssuer


class SignInTokens:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        tokens: TokenIssuer,
        refresh_lifetime: timedelta,
        publisher: Publisher,
        revoked: RevokedTokenCache,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._tokens = tokens
        self._lifetime = refresh_lifetime
        self._publisher = publisher
        self._revoked = revoked
        self._clock = clock

    async def issue(self, uow: UnitOfWork, user: User, family_id: str | None = None) -> SignedIn:
        """An access token and a refresh token of `family_id` (a new family: a new sign-in),
        stored in the caller's transaction."""
        token, token_id, expires = self._tokens.issue_with_id(
            user.id, user.email, user.token_version
        )
        refresh = new_secret()
        now = self._clock()
        await uow.account_tokens.add_refresh(
            user.id,
            family_id or uuid.uuid4().hex,
            secret_hash(refresh),
            IssuedAccess(token_id, datetime.fromtimestamp(expires, UTC)),
            now + self._lifetime,
            now,
        )
        return SignedIn(user, token, refresh)

    async def refresh(self, refresh_token: str) -> SignedIn:
        """Run as one retried transaction: two parallel refreshes of one token can deadlock on
        MariaDB (the winner's insert against the loser's wait); the retry then sees the spent
        token like any later reuse."""
        hashed = secret_hash(refresh_token)
        outcome = await self._uow.run(lambda uow: self._rotate(uow, hashed))
        if isinstance(outcome, SignedIn):
            return outcome
        user_id, revoked = outcome
        await self.announce(user_id, revoked)
        raise TokenReused(
            "This refresh token was used before: every session of this sign-in is revoked; "
            "sign in again"
        )

    async def _rotate(
        self, uow: UnitOfWork, hashed: str
    ) -> SignedIn | tuple[int, list[IssuedAccess]]:
        """The next tokens, or (user id, revoked access tokens) when the token was reused."""
        now = self._clock()
        spent = await uow.account_tokens.spend_refresh(hashed, now)
        record = await uow.account_tokens.refresh_by_hash(hashed)
        if record is None:
            raise Unauthorized("Invalid refresh token")
        if not spent:
            if record.spent_at is None or record.revoked_at is not None:
                raise _dead(record.revoked_at is not None)
            revoked = await self.revoke(uow, record.user_id, record.family_id)
            await uow.commit()
            return record.user_id, revoked
        user = await uow.users.get(record.user_id)
        if user is None:
            raise Unauthorized("Invalid refresh token")
        signed_in = await self.issue(uow, user, record.family_id)
        await uow.commit()
        return signed_in

    async def revoke(
        self, uow: UnitOfWork, user_id: int, family_id: str | None
    ) -> list[IssuedAccess]:
        """Revoke one family (None: every family of the user) and denylist its live access
        tokens, in the caller's transaction; `announce` after commit."""
        alive = await uow.account_tokens.revoke_families(user_id, family_id, self._clock())
        for access in alive:
            await uow.revocations.add(access.token_id, access.expires_at)
        return alive

    async def announce(self, user_id: int, revoked: list[IssuedAccess]) -> None:
        for access in revoked:
            self._revoked.remember(access.token_id, access.expires_at.timestamp())
        await self._publisher.publish(
            *(TokensRevoked(user_id, access.token_id) for access in revoked)
        )


def _dead(revoked: bool) -> Unauthorized:
    if revoked:
        return Unauthorized("This refresh token has been revoked; sign in again")
    return Unauthorized("This refresh token has expired; sign in again")
