from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.chat import Author, Message, NewMessage, Reaction
from domain.deletion import DELETED_USER_NAME
from domain.uploads import MessageImage
from storage.repositories.thread_rows import mentions_by_message, replies_by_message
from storage.repositories.uploads import SqlUploadRepository, images_by_message
from storage.tables import (
    group_members,
    group_mutes,
    message_holds,
    message_reactions,
    messages,
    study_groups,
    users,
)
from storage.types import new_id, utcnow

# The send path's statements are built once: constructing and cache-keying a fresh statement
# object per message costs more CPU than the round trip to the database.
# The mute (issue 17) rides along on the same unique (group, user) key: no extra round trip.
_AUTHOR_QUERY = (
    select(users.c.name, group_members.c.role, group_members.c.status, group_mutes.c.until)
    .select_from(
        group_members.join(users, users.c.id == group_members.c.user_id).outerjoin(
            group_mutes,
            (group_mutes.c.group_id == group_members.c.group_id)
            & (group_mutes.c.user_id == group_members.c.user_id),
        )
    )
    .where(group_members.c.group_id == bindparam("g"), group_members.c.user_id == bindparam("u"))
)
# The same, for a batch of sends: one query for every (group, user) pair of the batch.
_AUTHORS_QUERY = (
    select(
        group_members.c.group_id,
        group_members.c.user_id,
        users.c.name,
        group_members.c.role,
        group_members.c.status,
        group_mutes.c.until,
    )
    .select_from(_AUTHOR_QUERY.get_final_froms()[0])
    # Groups × users, filtered to the wanted pairs after: plain IN lists use the unique
    # (group, user) index on every backend, a row-value IN may not.
    .where(
        group_members.c.group_id.in_(bindparam("groups", expanding=True)),
        group_members.c.user_id.in_(bindparam("users", expanding=True)),
    )
)
_INSERT_MESSAGE = insert(messages)
_INSERT_MESSAGE_IF_NEW = {
    "sqlite": sqlite_insert(messages).on_conflict_do_nothing(),
    # IGNORE also skips a row whose group or user vanished (foreign keys): the caller finds
    # no message under that clientId and reports the group gone.
    "mysql": insert(messages).prefix_with("IGNORE"),
}
_INSERT_REACTION_IF_NEW = {
    "sqlite": sqlite_insert(message_reactions).on_conflict_do_nothing(),
    "mysql": insert(message_reactions).prefix_with("IGNORE"),
}
# Outer join: a deleted author's messages stay (user_id NULL) under DELETED_USER_NAME.
_MESSAGE_QUERY = select(
    messages, func.coalesce(users.c.name, DELETED_USER_NAME).label("user_name")
).outerjoin(users, users.c.id == messages.c.user_id)


async def load_messages(db: AsyncConnection, ids: Sequence[int]) -> list[Message]:
    """Messages by id, oldest first, with reactions, reply parents and mentions: four queries
    whatever the count."""
    if not ids:
        return []
    rows = (
        await db.execute(_MESSAGE_QUERY.where(messages.c.id.in_(ids)).order_by(messages.c.id))
    ).all()
    reactions = await _reactions_by_message(db, ids)
    replies = await replies_by_message(db, ids)
    mentions = await mentions_by_message(db, ids)
    images = await images_by_message(db, [row.id for row in rows if row.message_type == "image"])
    return [
        Message(
            id=row.id,
            group_id=row.group_id,
            user_id=row.user_id,
            user_name=row.user_name,
            content=row.content,
            message_type=row.message_type,
            image_url=row.image_url,
            client_id=row.client_id,
            created_at=row.created_at,
            edited_at=row.edited_at,
            reactions=tuple(reactions.get(row.id, ())),
            reply_to=replies.get(row.id),
            mentions=mentions.get(row.id, ()),
            image=images.get(row.id),
        )
        for row in rows
    ]


async def _reactions_by_message(
    db: AsyncConnection, ids: Sequence[int]
) -> dict[int, list[Reaction]]:
    query = (
        select(
            message_reactions.c.message_id, message_reactions.c.emoji, message_reactions.c.user_id
        )
        .where(message_reactions.c.message_id.in_(ids))
        .order_by(message_reactions.c.id)
    )
    grouped: dict[int, dict[str, list[int]]] = {}
    for message_id, emoji, user_id in await db.execute(query):
        grouped.setdefault(message_id, {}).setdefault(emoji, []).append(user_id)
    return {
        message_id: [Reaction(emoji, len(ids_), tuple(ids_)) for emoji, ids_ in by_emoji.items()]
        for message_id, by_emoji in grouped.items()
    }


class SqlChatRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def lock_groups(self, group_ids: Collection[int]) -> None:
        """Hold these groups' rows until commit, taken in id order (no deadlock between two
        batches). Sends to one group then commit in the order their ids were given, so a reader
        that has seen id N has already been able to see every older id. SQLite needs no lock:
        its write transactions (BEGIN IMMEDIATE) already run one at a time."""
        if self._db.dialect.name == "sqlite" or not group_ids:
            return
        query = (
            select(study_groups.c.id)
            .where(study_groups.c.id.in_(sorted(group_ids)))
            .order_by(study_groups.c.id)
            .with_for_update()
        )
        await self._db.execute(query)

    async def author(self, group_id: int, user_id: int) -> Author | None:
        """The sender's name and membership of the group, in one query (None: not a member)."""
        row = (await self._db.execute(_AUTHOR_QUERY, {"g": group_id, "u": user_id})).first()
        return None if row is None else Author(row.name, row.role, row.status, row.until)

    async def authors(self, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], Author]:
        """`author` for many (group, user) pairs in one query (domain/send_batch.py); a pair
        that is no membership is missing from the answer."""
        if not keys:
            return {}
        groups, users_ = sorted({g for g, _ in keys}), sorted({u for _, u in keys})
        rows = await self._db.execute(_AUTHORS_QUERY, {"groups": groups, "users": users_})
        return {
            (row.group_id, row.user_id): Author(row.name, row.role, row.status, row.until)
            for row in rows
            if (row.group_id, row.user_id) in keys
        }

    async def add(
        self,
        user_id: int,
        user_name: str,
        new: NewMessage,
        content: str,
        image: MessageImage | None = None,
    ) -> Message | None:
        """Insert and return the stored message, built from the inserted values (a new message
        has no reactions and no edit). None when (group, user, clientId) already exists; that
        row may be newer than this transaction's snapshot, so read it in a fresh one."""
        created_at = utcnow()
        values = {
            "group_id": new.group_id,
            "user_id": user_id,
            "content": content,
            "message_type": new.message_type,
            "image_url": new.image_url,
            "client_id": new.client_id,
            "created_at": created_at,
        }
        if new.client_id is None:
            result = await self._db.execute(_INSERT_MESSAGE, values)
        else:
            # Skip, not fail, on a used clientId: the transaction (a batch of sends) goes on.
            statement = _INSERT_MESSAGE_IF_NEW[self._db.dialect.name]
            result = await self._db.execute(statement, values)
            if result.rowcount == 0:
                return None
        message_id = new_id(result)
        if new.upload_id is not None:
            await SqlUploadRepository(self._db).attach(message_id, new.upload_id)
        return Message(
            id=message_id,
            group_id=new.group_id,
            user_id=user_id,
            user_name=user_name,
            content=content,
            message_type=new.message_type,
            image_url=new.image_url,
            client_id=new.client_id,
            created_at=created_at,
            edited_at=None,
            image=image,
        )

    async def get(self, message_id: int) -> Message | None:
        found = await load_messages(self._db, [message_id])
        return found[0] if found else None

    async def by_client_id(self, group_id: int, user_id: int, client_id: str) -> Message | None:
        query = select(messages.c.id).where(
            messages.c.group_id == group_id,
            messages.c.user_id == user_id,
            messages.c.client_id == client_id,
        )
        message_id = (await self._db.execute(query)).scalar_one_or_none()
        return None if message_id is None else await self.get(message_id)

    async def page(
        self, group_id: int, after: int | None, before: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        # Messages held for review (issue 17) are left out of every history page.
        held = select(message_holds.c.message_id).where(message_holds.c.message_id == messages.c.id)
        query = (
            select(messages.c.id)
            .where(messages.c.group_id == group_id, ~held.exists())
            .limit(limit + 1)
        )
        if after is not None:
            query = query.where(messages.c.id > after).order_by(messages.c.id)
        else:
            if before is not None:
                query = query.where(messages.c.id < before)
            query = query.order_by(messages.c.id.desc())
        ids = [row[0] for row in await self._db.execute(query)]
        has_more = len(ids) > limit
        return await load_messages(self._db, ids[:limit]), has_more

    async def toggle_reaction(self, message_id: int, user_id: int, emoji: str) -> None:
        """Add the reaction, or remove it when it was there. Insert first, keyed on the unique
        (message, user, emoji) row: a DELETE of a row that is not there takes a gap lock on
        MariaDB, and concurrent toggles then deadlock on each other's INSERTs."""
        values = {
            "message_id": message_id,
            "user_id": user_id,
            "emoji": emoji,
            "created_at": utcnow(),
        }
        inserted = await self._db.execute(_INSERT_REACTION_IF_NEW[self._db.dialect.name], values)
        if inserted.rowcount:
            return
        await self._db.execute(
            delete(message_reactions).where(
                message_reactions.c.message_id == message_id,
                message_reactions.c.user_id == user_id,
                message_reactions.c.emoji == emoji,
            )
        )

    async def reactions(self, message_id: int) -> list[Reaction]:
        return (await _reactions_by_message(self._db, [message_id])).get(message_id, [])

    async def edit(self, message_id: int, content: str) -> Message:
        await self._db.execute(
            update(messages)
            .where(messages.c.id == message_id)
            .values(content=content, edited_at=utcnow())
        )
        edited = await self.get(message_id)
        assert edited is not None
        return edited

    async def delete(self, message_id: int) -> None:
        await self._db.execute(delete(messages).where(messages.c.id == message_id))

    async def mark_read(self, group_id: int, user_id: int, message_id: int) -> None:
        marker = group_members.c.last_read_message_id
        await self._db.execute(
            update(group_members)
            .where(
                group_members.c.group_id == group_id,
                group_members.c.user_id == user_id,
                or_(marker.is_(None), marker < message_id),
            )
            .values(last_read_message_id=message_id)
        )

    async def unread_count(self, group_id: int, user_id: int) -> int:
        marker = (
            select(func.coalesce(group_members.c.last_read_message_id, 0))
            .where(group_members.c.group_id == group_id, group_members.c.user_id == user_id)
            .scalar_subquery()
        )
        query = select(func.count()).where(
            messages.c.group_id == group_id, messages.c.user_id != user_id, messages.c.id > marker
        )
        return int((await self._db.execute(query)).scalar_one())
