"""The token denylist: ids of tokens logged out one by one, until they would have expired."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import revoked_tokens

_INSERT_IF_NEW = {
    "sqlite": sqlite_insert(revoked_tokens).on_conflict_do_nothing(),
    "mysql": insert(revoked_tokens).prefix_with("IGNORE"),
}


class SqlRevocationRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(self, token_id: str, expires_at: datetime) -> None:
        """Idempotent: logging the same token out twice stores one row."""
        statement = _INSERT_IF_NEW[self._db.dialect.name]
        await self._db.execute(statement, {"token_id": token_id, "expires_at": expires_at})

    async def prune(self, now: datetime) -> int:
        """Forget tokens that have expired anyway; returns how many rows went."""
        result = await self._db.execute(
            delete(revoked_tokens).where(revoked_tokens.c.expires_at <= now)
        )
        return result.rowcount or 0
