"""Blocks, reports, holds (messages hidden pending review) and mutes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.moderation_records import BlockedUser, Mute, Report
from domain.notifications import NewNotification, Notification
from storage.tables import (
    group_mutes,
    message_holds,
    message_reports,
    messages,
    notifications,
    user_blocks,
    users,
)
from storage.types import new_id, utcnow

EXCERPT_CHARS = 140


def _insert_ignore(db: AsyncConnection, table: Any) -> Any:
    """An INSERT that skips a row hitting a unique key, instead of failing the transaction."""
    if db.dialect.name == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing()
    return insert(table).prefix_with("IGNORE")


class SqlBlockRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(self, blocker_id: int, blocked_id: int) -> bool:
        """True when the block is new."""
        values = {"blocker_id": blocker_id, "blocked_id": blocked_id, "created_at": utcnow()}
        result = await self._db.execute(_insert_ignore(self._db, user_blocks), values)
        return bool(result.rowcount)

    async def remove(self, blocker_id: int, blocked_id: int) -> bool:
        result = await self._db.execute(
            delete(user_blocks).where(
                user_blocks.c.blocker_id == blocker_id, user_blocks.c.blocked_id == blocked_id
            )
        )
        return bool(result.rowcount)

    async def blocked_by(self, blocker_id: int) -> list[BlockedUser]:
        query = (
            select(user_blocks.c.blocked_id, users.c.name, user_blocks.c.created_at)
            .join(users, users.c.id == user_blocks.c.blocked_id)
            .where(user_blocks.c.blocker_id == blocker_id)
            .order_by(user_blocks.c.id.desc())
        )
        return [BlockedUser(*row) for row in await self._db.execute(query)]

    async def blocked_ids(self, blocker_id: int) -> frozenset[int]:
        query = select(user_blocks.c.blocked_id).where(user_blocks.c.blocker_id == blocker_id)
        return frozenset(row[0] for row in await self._db.execute(query))

    async def related_ids(self, user_id: int) -> frozenset[int]:
        """Users this user blocked or is blocked by (matching keeps them apart both ways)."""
        query = select(user_blocks.c.blocker_id, user_blocks.c.blocked_id).where(
            or_(user_blocks.c.blocker_id == user_id, user_blocks.c.blocked_id == user_id)
        )
        rows = await self._db.execute(query)
        return frozenset(a if b == user_id else b for a, b in rows)

    async def blockers_among(self, blocked_id: int, user_ids: Collection[int]) -> frozenset[int]:
        """Which of `user_ids` have blocked `blocked_id` (their mentions and pushes drop)."""
        if not user_ids:
            return frozenset()
        query = select(user_blocks.c.blocker_id).where(
            user_blocks.c.blocked_id == blocked_id, user_blocks.c.blocker_id.in_(list(user_ids))
        )
        return frozenset(row[0] for row in await self._db.execute(query))


class SqlModerationRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def lock_message(self, message_id: int) -> tuple[int, int, str] | None:
        """(group id, author id, content) of the message, its row locked until commit, so
        reports of one message are counted one transaction at a time."""
        query = (
            select(messages.c.group_id, messages.c.user_id, messages.c.content)
            .where(messages.c.id == message_id)
            .with_for_update()
        )
        row = (await self._db.execute(query)).first()
        return None if row is None else (row[0], row[1], row[2])

    async def add_report(
        self, message_id: int, group_id: int, reporter_id: int, reason: str, note: str
    ) -> int | None:
        """The new report's id; None when this member already reported the message."""
        values = {
            "message_id": message_id,
            "group_id": group_id,
            "reporter_id": reporter_id,
            "reason": reason,
            "note": note,
            "created_at": utcnow(),
        }
        result = await self._db.execute(_insert_ignore(self._db, message_reports), values)
        return new_id(result) if result.rowcount else None

    async def open_reporters(self, message_id: int) -> int:
        query = select(func.count()).where(
            message_reports.c.message_id == message_id, message_reports.c.resolution.is_(None)
        )
        return int((await self._db.execute(query)).scalar_one())

    async def hold(self, message_id: int) -> bool:
        """Hide the message pending review; True only for the call that hid it."""
        values = {"message_id": message_id, "created_at": utcnow()}
        result = await self._db.execute(_insert_ignore(self._db, message_holds), values)
        return bool(result.rowcount)

    async def release(self, message_id: int) -> bool:
        result = await self._db.execute(
            delete(message_holds).where(message_holds.c.message_id == message_id)
        )
        return bool(result.rowcount)

    async def is_held(self, message_id: int) -> bool:
        query = select(message_holds.c.message_id).where(message_holds.c.message_id == message_id)
        return (await self._db.execute(query)).first() is not None

    async def resolve_reports(self, message_id: int, resolution: str) -> None:
        await self._db.execute(
            update(message_reports)
            .where(
                message_reports.c.message_id == message_id, message_reports.c.resolution.is_(None)
            )
            .values(resolution=resolution)
        )

    async def reports(self, open_only: bool, before: int | None, limit: int) -> list[Report]:
        held = select(message_holds.c.message_id).where(
            message_holds.c.message_id == message_reports.c.message_id
        )
        query = (
            select(
                message_reports,
                users.c.name.label("reporter_name"),
                held.exists().label("held"),
                messages.c.content,
            )
            .join(users, users.c.id == message_reports.c.reporter_id)
            .outerjoin(messages, messages.c.id == message_reports.c.message_id)
            .order_by(message_reports.c.id.desc())
            .limit(limit)
        )
        if open_only:
            query = query.where(message_reports.c.resolution.is_(None))
        if before is not None:
            query = query.where(message_reports.c.id < before)
        return [
            Report(
                id=row.id,
                message_id=row.message_id,
                group_id=row.group_id,
                reporter_id=row.reporter_id,
                reporter_name=row.reporter_name,
                reason=row.reason,
                note=row.note,
                resolution=row.resolution,
                created_at=row.created_at,
                message_hidden=bool(row.held),
                excerpt=(row.content or "")[:EXCERPT_CHARS],
            )
            for row in await self._db.execute(query)
        ]

    async def report(self, report_id: int) -> Report | None:
        query = select(message_reports.c.id).where(message_reports.c.id == report_id)
        if (await self._db.execute(query)).first() is None:
            return None
        found = await self.reports(False, report_id + 1, 1)
        return found[0] if found else None

    async def set_mute(self, group_id: int, user_id: int, muted_by: int, until: datetime) -> None:
        """Insert or replace: a second mute sets a new end."""
        existing = await self._db.execute(
            update(group_mutes)
            .where(group_mutes.c.group_id == group_id, group_mutes.c.user_id == user_id)
            .values(until=until, muted_by=muted_by)
        )
        if existing.rowcount:
            return
        values = {
            "group_id": group_id,
            "user_id": user_id,
            "muted_by": muted_by,
            "until": until,
            "created_at": utcnow(),
        }
        result = await self._db.execute(_insert_ignore(self._db, group_mutes), values)
        if not result.rowcount:  # a concurrent mute inserted first: ours is the later one
            await self._db.execute(
                update(group_mutes)
                .where(group_mutes.c.group_id == group_id, group_mutes.c.user_id == user_id)
                .values(until=until, muted_by=muted_by)
            )

    async def clear_mute(self, group_id: int, user_id: int) -> bool:
        result = await self._db.execute(
            delete(group_mutes).where(
                group_mutes.c.group_id == group_id, group_mutes.c.user_id == user_id
            )
        )
        return bool(result.rowcount)

    async def mute(self, group_id: int, user_id: int) -> Mute | None:
        query = select(group_mutes.c.until).where(
            group_mutes.c.group_id == group_id, group_mutes.c.user_id == user_id
        )
        until = (await self._db.execute(query)).scalar_one_or_none()
        return None if until is None else Mute(group_id, user_id, until)

    async def add_notifications(
        self, user_ids: Sequence[int], note: NewNotification
    ) -> list[Notification]:
        """One row per user, returned as stored (the caller publishes NotificationCreated)."""
        now = utcnow()
        stored = []
        for user_id in dict.fromkeys(user_ids):
            values: dict[str, Any] = {
                "user_id": user_id,
                "type": note.type,
                "title": note.title[:200],
                "message": note.message[:500],
                "data": note.data,
                "read": False,
                "created_at": now,
            }
            result = await self._db.execute(insert(notifications), values)
            stored.append(
                Notification(
                    id=new_id(result),
                    user_id=user_id,
                    type=note.type,
                    title=values["title"],
                    message=values["message"],
                    data=dict(note.data),
                    read=False,
                    created_at=now,
                )
            )
        return stored
