"""The connect path's read (domain/socket_access.py): the user's token version, name and email
verification, the token's denylist entry and the active group ids, in one statement."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.socket_access import SocketAccount
from storage.tables import group_members, revoked_tokens, users


class SqlSocketAccessRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def for_socket(
        self, user_id: int, token_id: str, now: datetime
    ) -> tuple[SocketAccount | None, bool]:
        """One row per active group (one with a NULL group when there is none)."""
        revoked = (
            exists()
            .where(revoked_tokens.c.token_id == token_id, revoked_tokens.c.expires_at > now)
            .label("revoked")
        )
        active = and_(group_members.c.user_id == users.c.id, group_members.c.status == "active")
        query = (
            select(
                users.c.name,
                users.c.token_version,
                users.c.email_verified_at,
                revoked,
                group_members.c.group_id,
            )
            .select_from(users.outerjoin(group_members, active))
            .where(users.c.id == user_id)
            .order_by(group_members.c.group_id)
        )
        rows = (await self._db.execute(query)).all()
        if not rows:
            return None, False
        first = rows[0]
        account = SocketAccount(
            user_id=user_id,
            name=first.name,
            token_version=first.token_version,
            email_verified=first.email_verified_at is not None,
            group_ids=tuple(row.group_id for row in rows if row.group_id is not None),
        )
        return account, bool(first.revoked)
