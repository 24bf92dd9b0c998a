from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.notifications import NewNotification, Notification
from storage.tables import notifications
from storage.types import utcnow


class SqlNotificationRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(self, user_id: int, note: NewNotification) -> Notification:
        return (await self.add_many([user_id], note))[0]

    async def add_many(self, user_ids: Sequence[int], note: NewNotification) -> list[Notification]:
        """One notification per user, in a single multi-row INSERT … RETURNING (SQLite 3.35+,
        MariaDB 10.5+); the stored rows, in the order of `user_ids`."""
        if not user_ids:
            return []
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {
                "user_id": user_id,
                "type": note.type,
                "title": note.title[:200],
                "message": note.message[:500],
                "data": note.data,
                "read": False,
                "created_at": now,
            }
            for user_id in user_ids
        ]
        statement = insert(notifications).returning(*notifications.c, sort_by_parameter_order=True)
        result = await self._db.execute(statement, rows)
        return [Notification(**row._mapping) for row in result]

    async def list_for(self, user_id: int, before: int | None, limit: int) -> list[Notification]:
        query = (
            select(notifications)
            .where(notifications.c.user_id == user_id)
            .order_by(notifications.c.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(notifications.c.id < before)
        return [Notification(**row._mapping) for row in await self._db.execute(query)]

    async def unread_count(self, user_id: int) -> int:
        query = select(func.count()).where(
            notifications.c.user_id == user_id, notifications.c.read.is_(False)
        )
        return int((await self._db.execute(query)).scalar_one())

    async def mark_read(self, user_id: int, notification_id: int) -> bool:
        result = await self._db.execute(
            update(notifications)
            .where(notifications.c.id == notification_id, notifications.c.user_id == user_id)
            .values(read=True)
        )
        return result.rowcount > 0
