"""Replies, mentions and pins (issue 16)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.chat import Message
from domain.threads import Parent, ReplyRef
from storage.repositories.chat import load_messages
from storage.tables import (
    group_members,
    message_mentions,
    message_pins,
    message_replies,
    messages,
    users,
)
from storage.types import utcnow

_INSERT_PIN_IF_NEW = {
    "sqlite": sqlite_insert(message_pins).on_conflict_do_nothing(),
    "mysql": insert(message_pins).prefix_with("IGNORE"),
}


class SqlThreadRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def parent(self, message_id: int) -> Parent | None:
        query = (
            select(
                messages.c.id,
                messages.c.group_id,
                messages.c.user_id,
                users.c.name,
                messages.c.content,
            )
            .join(users, users.c.id == messages.c.user_id)
            .where(messages.c.id == message_id)
        )
        row = (await self._db.execute(query)).first()
        return None if row is None else Parent(*row)

    async def active_members_among(self, group_id: int, user_ids: Sequence[int]) -> set[int]:
        query = select(group_members.c.user_id).where(
            group_members.c.group_id == group_id,
            group_members.c.user_id.in_(user_ids),
            group_members.c.status == "active",
        )
        return {row[0] for row in await self._db.execute(query)}

    async def add(
        self, message: Message, reply: ReplyRef | None, mentions: tuple[int, ...]
    ) -> Message:
        """Store a just-inserted message's reply parent and mentions; the message with them."""
        if reply is not None:
            await self._db.execute(
                insert(message_replies),
                {
                    "message_id": message.id,
                    "parent_id": reply.id,
                    "parent_user_id": reply.user_id,
                },
            )
        if mentions:
            await self._db.execute(
                insert(message_mentions),
                [{"message_id": message.id, "user_id": user_id} for user_id in mentions],
            )
        return dataclasses.replace(message, reply_to=reply, mentions=mentions)

    async def pin(self, group_id: int, message_id: int, user_id: int) -> bool:
        """True when the message was not pinned before."""
        values = {
            "message_id": message_id,
            "group_id": group_id,
            "pinned_by": user_id,
            "pinned_at": utcnow(),
        }
        result = await self._db.execute(_INSERT_PIN_IF_NEW[self._db.dialect.name], values)
        return bool(result.rowcount)

    async def unpin(self, message_id: int) -> bool:
        """True when the message was pinned."""
        result = await self._db.execute(
            delete(message_pins).where(message_pins.c.message_id == message_id)
        )
        return bool(result.rowcount)

    async def pinned(self, group_id: int, limit: int) -> list[Message]:
        """The group's pinned messages, the most recently pinned first."""
        query = (
            select(message_pins.c.message_id)
            .where(message_pins.c.group_id == group_id)
            .order_by(message_pins.c.pinned_at.desc(), message_pins.c.message_id.desc())
            .limit(limit)
        )
        ids = [row[0] for row in await self._db.execute(query)]
        by_id = {message.id: message for message in await load_messages(self._db, ids)}
        return [by_id[message_id] for message_id in ids if message_id in by_id]
