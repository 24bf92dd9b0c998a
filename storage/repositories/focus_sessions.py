"""Focus session storage. A status changes only by a conditional update, so exactly one
transaction wins each transition."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.progress_records import FocusSession, SessionView
from storage.repositories.progress_rows import (
    ATTEMPT_COLUMNS,
    PERSON_COLUMNS,
    SESSION_COLUMNS,
    attempt_row,
    new_id,
    one_or_none,
    person_row,
    session_row,
)
from storage.tables import constellation_attempts as attempts
from storage.tables import focus_sessions, users


class SqlFocusSessionRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(self, user_id: int, attempt_id: int, minutes: int, now: datetime) -> int:
        result = await self._db.execute(
            insert(focus_sessions).values(
                user_id=user_id,
                constellation_attempt_id=attempt_id,
                minutes=minutes,
                status="pending",
                created_at=now,
            )
        )
        return new_id(result)

    async def get(self, session_id: int, lock: bool = False) -> FocusSession | None:
        query = select(*SESSION_COLUMNS).where(focus_sessions.c.id == session_id)
        return await one_or_none(self._db, query, lock, session_row)

    def _session_query(self) -> Any:
        return (
            select(*SESSION_COLUMNS, *ATTEMPT_COLUMNS, *PERSON_COLUMNS)
            .join(attempts, attempts.c.id == focus_sessions.c.constellation_attempt_id)
            .join(users, users.c.id == focus_sessions.c.user_id)
        )

    @staticmethod
    def _session_view(m: RowMapping) -> SessionView:
        return SessionView(session_row(m), person_row(m), attempt_row(m))

    async def views(self, session_ids: Sequence[int]) -> list[SessionView]:
        query = self._session_query().where(focus_sessions.c.id.in_(session_ids))
        rows = await self._db.execute(query.order_by(focus_sessions.c.id))
        return [self._session_view(row._mapping) for row in rows]

    async def views_of(
        self, user_id: int, attempt_id: int | None, after: int | None, limit: int
    ) -> list[SessionView]:
        query = (
            self._session_query()
            .where(focus_sessions.c.user_id == user_id)
            .order_by(focus_sessions.c.id)
            .limit(limit)
        )
        if attempt_id is not None:
            query = query.where(focus_sessions.c.constellation_attempt_id == attempt_id)
        if after is not None:
            query = query.where(focus_sessions.c.id > after)
        return [self._session_view(row._mapping) for row in await self._db.execute(query)]

    async def transition(
        self, session_id: int, old: str, new: str, completed_at: datetime | None
    ) -> bool:
        """Conditional status change: True only for the one transaction that made it."""
        result = await self._db.execute(
            update(focus_sessions)
            .where(focus_sessions.c.id == session_id, focus_sessions.c.status == old)
            .values(status=new, completed_at=completed_at)
        )
        return result.rowcount == 1

    async def delete(self, session_id: int) -> None:
        await self._db.execute(delete(focus_sessions).where(focus_sessions.c.id == session_id))

    async def completed_times(self, user_id: int) -> list[tuple[datetime, int]]:
        query = select(focus_sessions.c.completed_at, focus_sessions.c.minutes).where(
            focus_sessions.c.user_id == user_id,
            focus_sessions.c.status == "completed",
            focus_sessions.c.completed_at.is_not(None),
        )
        return [(row[0], row[1]) for row in await self._db.execute(query)]

    async def completed_minutes(self, attempt_id: int) -> int:
        query = select(func.coalesce(func.sum(focus_sessions.c.minutes), 0)).where(
            focus_sessions.c.constellation_attempt_id == attempt_id,
            focus_sessions.c.status == "completed",
        )
        return int((await self._db.execute(query)).scalar_one())
