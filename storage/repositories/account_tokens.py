"""Mail tokens (verification, reset) and refresh tokens, both stored as SHA-256 hashes.

Spending a token is one conditional UPDATE: of two requests with the same token, exactly one
changes the row, whatever the engine."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.account_records import IssuedAccess, RefreshRecord
from storage.tables import account_tokens, refresh_tokens


class SqlAccountTokenRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    # ---- single-use mail tokens ------------------------------------------------------------

    async def add_once(
        self, user_id: int, purpose: str, token_hash: str, expires_at: datetime, now: datetime
    ) -> None:
        await self._db.execute(
            insert(account_tokens).values(
                user_id=user_id,
                purpose=purpose,
                token_hash=token_hash,
                expires_at=expires_at,
                created_at=now,
            )
        )

    async def use_once(self, purpose: str, token_hash: str, now: datetime) -> int | None:
        """Spend a live token: its user's id, or None (unknown, expired or already used)."""
        t = account_tokens.c
        result = await self._db.execute(
            update(account_tokens)
            .where(
                t.token_hash == token_hash,
                t.purpose == purpose,
                t.used_at.is_(None),
                t.expires_at > now,
            )
            .values(used_at=now)
        )
        if result.rowcount != 1:
            return None
        query = select(t.user_id).where(t.token_hash == token_hash)
        return (await self._db.execute(query)).scalar_one()

    async def use_all_once(self, user_id: int, purpose: str, now: datetime) -> None:
        """Spend every live token of this purpose (a reset kills the other reset links)."""
        t = account_tokens.c
        await self._db.execute(
            update(account_tokens)
            .where(t.user_id == user_id, t.purpose == purpose, t.used_at.is_(None))
            .values(used_at=now)
        )

    # ---- refresh tokens ----------------------------------------------------------------------

    async def add_refresh(
        self,
        user_id: int,
        family_id: str,
        token_hash: str,
        access: IssuedAccess,
        expires_at: datetime,
        now: datetime,
    ) -> None:
        await self._db.execute(
            insert(refresh_tokens).values(
                user_id=user_id,
                family_id=family_id,
                token_hash=token_hash,
                access_token_id=access.token_id,
                access_expires_at=access.expires_at,
                expires_at=expires_at,
                created_at=now,
            )
        )

    async def spend_refresh(self, token_hash: str, now: datetime) -> bool:
        """Spend a live refresh token; False when it is unknown, spent, revoked or expired."""
        t = refresh_tokens.c
        result = await self._db.execute(
            update(refresh_tokens)
            .where(
                t.token_hash == token_hash,
                t.spent_at.is_(None),
                t.revoked_at.is_(None),
                t.expires_at > now,
            )
            .values(spent_at=now)
        )
        return result.rowcount == 1

    async def refresh_by_hash(self, token_hash: str) -> RefreshRecord | None:
        t = refresh_tokens.c
        query = select(t.user_id, t.family_id, t.expires_at, t.spent_at, t.revoked_at).where(
            t.token_hash == token_hash
        )
        row = (await self._db.execute(query)).first()
        if row is None:
            return None
        return RefreshRecord(
            row.user_id, row.family_id, row.expires_at, row.spent_at, row.revoked_at
        )

    async def family_of_access(self, access_token_id: str) -> str | None:
        t = refresh_tokens.c
        query = select(t.family_id).where(t.access_token_id == access_token_id).limit(1)
        return (await self._db.execute(query)).scalar_one_or_none()

    async def revoke_families(
        self, user_id: int, family_id: str | None, now: datetime
    ) -> list[IssuedAccess]:
        """Revoke one family of the user (or all with None); returns the access tokens issued
        with them that are still alive, for the denylist."""
        t = refresh_tokens.c
        scope = [t.user_id == user_id]
        if family_id is not None:
            scope.append(t.family_id == family_id)
        rows = await self._db.execute(
            select(t.access_token_id, t.access_expires_at).where(
                *scope, t.access_expires_at > now
            )
        )
        alive = [IssuedAccess(row.access_token_id, row.access_expires_at) for row in rows]
        await self._db.execute(
            update(refresh_tokens).where(*scope, t.revoked_at.is_(None)).values(revoked_at=now)
        )
        return alive
