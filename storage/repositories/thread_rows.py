"""Reply parents and mentions of a page of messages: one query each, whatever the page size."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.threads import ReplyRef, excerpt
from storage.tables import message_mentions, message_replies, messages, users

_parents = messages.alias("parent")


async def replies_by_message(db: AsyncConnection, ids: Sequence[int]) -> dict[int, ReplyRef]:
    query = (
        select(
            message_replies.c.message_id,
            message_replies.c.parent_id,
            message_replies.c.parent_user_id,
            users.c.name,
            _parents.c.content,
        )
        .select_from(
            message_replies.outerjoin(
                _parents, _parents.c.id == message_replies.c.parent_id
            ).outerjoin(users, users.c.id == message_replies.c.parent_user_id)
        )
        .where(message_replies.c.message_id.in_(ids))
    )
    found: dict[int, ReplyRef] = {}
    for row in await db.execute(query):
        if row.parent_id is None:  # the parent was deleted
            found[row.message_id] = ReplyRef(None, row.parent_user_id, row.name, None, True)
        else:
            found[row.message_id] = ReplyRef(
                row.parent_id, row.parent_user_id, row.name, excerpt(row.content)
            )
    return found


async def mentions_by_message(
    db: AsyncConnection, ids: Sequence[int]
) -> dict[int, tuple[int, ...]]:
    query = (
        select(message_mentions.c.message_id, message_mentions.c.user_id)
        .where(message_mentions.c.message_id.in_(ids))
        .order_by(message_mentions.c.message_id, message_mentions.c.user_id)
    )
    grouped: dict[int, list[int]] = {}
    for message_id, user_id in await db.execute(query):
        grouped.setdefault(message_id, []).append(user_id)
    return {message_id: tuple(user_ids) for message_id, user_ids in grouped.items()}
