"""What the account lifecycle reads and writes about a user as a whole: verification, password,
deletion (the database's ON DELETE rules do the rest) and the export registry's sections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repositories.account_export import EXPORT_SECTIONS
from storage.tables import group_members, messages, study_groups, users
from storage.types import utcnow


class SqlAccountDataRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def mark_verified(self, user_id: int, now: datetime) -> None:
        await self._db.execute(
            update(users)
            .where(users.c.id == user_id, users.c.email_verified_at.is_(None))
            .values(email_verified_at=now)
        )

    async def set_password(self, user_id: int, password_hash: str) -> None:
        """The new hash and a new token version: every token issued before stops working."""
        await self._db.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(
                password_hash=password_hash,
                token_version=users.c.token_version + 1,
                updated_at=utcnow(),
            )
        )

    async def password_hash(self, user_id: int) -> str | None:
        query = select(users.c.password_hash).where(users.c.id == user_id)
        return (await self._db.execute(query)).scalar_one_or_none()

    async def memberships(self, user_id: int) -> list[tuple[int, str]]:
        """(group id, status) of every group the user is in or asked to join, locked."""
        query = (
            select(group_members.c.group_id, group_members.c.status)
            .where(group_members.c.user_id == user_id)
            .order_by(group_members.c.group_id)
            .with_for_update()
        )
        return [(row.group_id, row.status) for row in await self._db.execute(query)]

    async def authored_messages(self, user_id: int) -> list[tuple[int, int]]:
        """(group id, message id) of every message the user wrote."""
        query = select(messages.c.group_id, messages.c.id).where(messages.c.user_id == user_id)
        return [(row.group_id, row.id) for row in await self._db.execute(query)]

    async def delete_messages_of(self, user_id: int) -> None:
        await self._db.execute(delete(messages).where(messages.c.user_id == user_id))

    async def delete_user(self, user_id: int) -> bool:
        """Delete the account row. Groups the user still leads (closed ones: nobody was left)
        go first, as study_groups.leader_id is the one RESTRICT key; everything else that refers
        to users.id cascades or is set to NULL."""
        await self._db.execute(delete(study_groups).where(study_groups.c.leader_id == user_id))
        result = await self._db.execute(delete(users).where(users.c.id == user_id))
        return result.rowcount == 1

    async def export(self, user_id: int) -> dict[str, Any]:
        return {name: await section(self._db, user_id) for name, section in EXPORT_SECTIONS.items()}
