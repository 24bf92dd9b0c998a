from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Insert,
    and_,
    func,
    insert,
    literal_column,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.group_sessions import GroupSession
from storage.tables import group_sessions, session_rsvps, users
from storage.types import UTCDateTime, new_id

_SESSION_QUERY = select(group_sessions, users.c.name.label("created_by_name")).join(
    users, users.c.id == group_sessions.c.created_by
)


def _session(row: Any, counts: dict[str, int], my_rsvp: str | None) -> GroupSession:
    m = row._mapping
    return GroupSession(
        id=m["id"],
        group_id=m["group_id"],
        title=m["title"],
        description=m["description"],
        location=m["location"],
        scheduled_time=m["scheduled_time"],
        duration_minutes=m["duration_minutes"],
        status=m["status"],
        created_by=m["created_by"],
        created_by_name=m["created_by_name"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        going=counts.get("going", 0),
        maybe=counts.get("maybe", 0),
        not_going=counts.get("not_going", 0),
        my_rsvp=my_rsvp,
    )


class SqlGroupSessionRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(
        self, group_id: int, created_by: int, fields: dict[str, Any], now: datetime
    ) -> int:
        result = await self._db.execute(
            insert(group_sessions).values(
                **fields,
                group_id=group_id,
                created_by=created_by,
                status="scheduled",
                created_at=now,
                updated_at=now,
            )
        )
        return new_id(result)

    async def get(
        self, session_id: int, viewer_id: int | None = None, lock: bool = False
    ) -> GroupSession | None:
        if lock:
            # Serialises changes of one session (SQLite's BEGIN IMMEDIATE already does).
            await self._db.execute(
                select(group_sessions.c.id)
                .where(group_sessions.c.id == session_id)
                .with_for_update()
            )
        row = (
            await self._db.execute(_SESSION_QUERY.where(group_sessions.c.id == session_id))
        ).first()
        if row is None:
            return None
        return (await self._with_rsvps([row], viewer_id))[0]

    async def update(self, session_id: int, changes: dict[str, Any]) -> None:
        await self._db.execute(
            update(group_sessions).where(group_sessions.c.id == session_id).values(**changes)
        )

    async def page(
        self,
        group_id: int,
        viewer_id: int,
        when: str,
        now: datetime,
        cursor: GroupSession | None,
        limit: int,
    ) -> list[GroupSession]:
        start, key = group_sessions.c.scheduled_time, group_sessions.c.id
        query = _SESSION_QUERY.where(group_sessions.c.group_id == group_id)
        if when == "upcoming":
            query = query.where(self._ends_after(now))
        elif when == "past":
            query = query.where(~self._ends_after(now))
        newest_first = when == "past"
        if cursor is not None:
            at = cursor.scheduled_time
            if newest_first:
                query = query.where(or_(start < at, and_(start == at, key < cursor.id)))
            else:
                query = query.where(or_(start > at, and_(start == at, key > cursor.id)))
        order = (start.desc(), key.desc()) if newest_first else (start, key)
        rows = (await self._db.execute(query.order_by(*order).limit(limit))).all()
        return await self._with_rsvps(rows, viewer_id)

    async def for_feed(self, group_id: int, since: datetime, limit: int) -> list[GroupSession]:
        query = (
            _SESSION_QUERY.where(
                group_sessions.c.group_id == group_id, group_sessions.c.scheduled_time >= since
            )
            .order_by(group_sessions.c.scheduled_time, group_sessions.c.id)
            .limit(limit)
        )
        rows = (await self._db.execute(query)).all()
        return await self._with_rsvps(rows, None)

    async def upsert_rsvp(self, session_id: int, user_id: int, status: str, now: datetime) -> None:
        """One row per (session, user), kept by the unique constraint: insert or update."""
        values = {"session_id": session_id, "user_id": user_id, "status": status, "updated_at": now}
        statement: Insert
        if self._db.dialect.name == "mysql":
            mysql_row = mysql.insert(session_rsvps).values(**values)
            statement = mysql_row.on_duplicate_key_update(
                status=mysql_row.inserted.status, updated_at=mysql_row.inserted.updated_at
            )
        else:
            sqlite_row = sqlite.insert(session_rsvps).values(**values)
            statement = sqlite_row.on_conflict_do_update(
                index_elements=["session_id", "user_id"],
                set_={
                    "status": sqlite_row.excluded.status,
                    "updated_at": sqlite_row.excluded.updated_at,
                },
            )
        await self._db.execute(statement)

    async def user_id_by_calendar_token(self, token: str) -> int | None:
        query = select(users.c.id).where(users.c.calendar_token == token)
        return (await self._db.execute(query)).scalar_one_or_none()

    def _ends_after(self, now: datetime) -> Any:
        """SQL for "the session ends after `now`" (start + duration, per dialect)."""
        start, minutes = group_sessions.c.scheduled_time, group_sessions.c.duration_minutes
        if self._db.dialect.name == "mysql":
            end = func.timestampadd(literal_column("MINUTE"), minutes, start)
            return type_coerce(end, UTCDateTime()) > now
        # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff"; strftime's %f gives "SS.SSS".
        end = func.strftime("%Y-%m-%d %H:%M:%f", start, func.printf("+%d minutes", minutes))
        moment = now.astimezone(UTC)
        return end > moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"

    async def _with_rsvps(self, rows: Sequence[Any], viewer_id: int | None) -> list[GroupSession]:
        """Attach RSVP counts (and the viewer's own RSVP) to a page of rows in two queries."""
        ids = [row._mapping["id"] for row in rows]
        counts: dict[int, dict[str, int]] = {}
        mine: dict[int, str] = {}
        if ids:
            query = (
                select(session_rsvps.c.session_id, session_rsvps.c.status, func.count())
                .where(session_rsvps.c.session_id.in_(ids))
                .group_by(session_rsvps.c.session_id, session_rsvps.c.status)
            )
            for session_id, status, count in await self._db.execute(query):
                counts.setdefault(session_id, {})[status] = int(count)
            if viewer_id is not None:
                query = select(session_rsvps.c.session_id, session_rsvps.c.status).where(
                    session_rsvps.c.session_id.in_(ids), session_rsvps.c.user_id == viewer_id
                )
                mine = {session_id: status for session_id, status in await self._db.execute(query)}
        return [
            _session(row, counts.get(row._mapping["id"], {}), mine.get(row._mapping["id"]))
            for row in rows
        ]
