"""Push subscriptions, per-group notification levels, and who a push should reach."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.push_records import NewSubscription, PushTarget
from storage.repositories.moderation import _insert_ignore
from storage.tables import group_members, notification_levels, push_subscriptions, user_blocks
from storage.types import new_id, utcnow

_TARGET_COLUMNS = (
    push_subscriptions.c.id,
    push_subscriptions.c.user_id,
    push_subscriptions.c.platform,
    push_subscriptions.c.endpoint,
    push_subscriptions.c.p256dh,
    push_subscriptions.c.auth,
)


def endpoint_digest(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


class SqlPushRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def subscribe(self, user_id: int, new: NewSubscription) -> tuple[int, bool]:
        """(subscription id, created). An endpoint already stored moves to this user with the
        new keys (one browser profile, another account)."""
        digest = endpoint_digest(new.endpoint)
        values = {
            "user_id": user_id,
            "platform": new.platform,
            "endpoint": new.endpoint,
            "p256dh": new.p256dh,
            "auth": new.auth,
        }
        result = await self._db.execute(
            _insert_ignore(self._db, push_subscriptions),
            values | {"endpoint_sha256": digest, "created_at": utcnow()},
        )
        if result.rowcount:
            return new_id(result), True
        await self._db.execute(
            update(push_subscriptions)
            .where(push_subscriptions.c.endpoint_sha256 == digest)
            .values(**values)
        )
        query = select(push_subscriptions.c.id).where(
            push_subscriptions.c.endpoint_sha256 == digest
        )
        return int((await self._db.execute(query)).scalar_one()), False

    async def unsubscribe(self, user_id: int, endpoint: str) -> bool:
        result = await self._db.execute(
            delete(push_subscriptions).where(
                push_subscriptions.c.endpoint_sha256 == endpoint_digest(endpoint),
                push_subscriptions.c.user_id == user_id,
            )
        )
        return bool(result.rowcount)

    async def drop(self, subscription_id: int) -> None:
        await self._db.execute(
            delete(push_subscriptions).where(push_subscriptions.c.id == subscription_id)
        )

    async def count_for(self, user_id: int) -> int:
        query = select(func.count()).where(push_subscriptions.c.user_id == user_id)
        return int((await self._db.execute(query)).scalar_one())

    async def set_level(self, group_id: int, user_id: int, level: str) -> None:
        changed = await self._db.execute(
            update(notification_levels)
            .where(
                notification_levels.c.group_id == group_id,
                notification_levels.c.user_id == user_id,
            )
            .values(level=level)
        )
        if not changed.rowcount:
            values = {"group_id": group_id, "user_id": user_id, "level": level}
            inserted = await self._db.execute(_insert_ignore(self._db, notification_levels), values)
            if not inserted.rowcount:  # a concurrent PATCH inserted first; the later one wins
                await self.set_level(group_id, user_id, level)

    async def level(self, group_id: int, user_id: int) -> str:
        query = select(notification_levels.c.level).where(
            notification_levels.c.group_id == group_id, notification_levels.c.user_id == user_id
        )
        return (await self._db.execute(query)).scalar_one_or_none() or "all"

    async def group_targets(
        self, group_id: int, actor_id: int | None, levels: Collection[str]
    ) -> list[PushTarget]:
        """Subscriptions of the group's active members (the actor excluded) whose level for
        the group is in `levels` and who have not blocked the actor: one query."""
        query = _member_subscriptions(levels, *_TARGET_COLUMNS).where(
            group_members.c.group_id == group_id
        )
        if actor_id is not None:
            blocked = select(user_blocks.c.id).where(
                user_blocks.c.blocker_id == group_members.c.user_id,
                user_blocks.c.blocked_id == actor_id,
            )
            query = query.where(group_members.c.user_id != actor_id, ~blocked.exists())
        return [PushTarget(*row) for row in await self._db.execute(query)]

    async def group_targets_many(
        self, keys: Collection[tuple[int, int | None]], levels: Collection[str]
    ) -> dict[tuple[int, int | None], list[PushTarget]]:
        """`group_targets` for many (group, actor) pairs: one query for the groups' candidate
        subscriptions, one more for the blocks among them (only when there are candidates)."""
        if not keys:
            return {}
        query = (
            _member_subscriptions(levels, group_members.c.group_id, *_TARGET_COLUMNS)
            .where(group_members.c.group_id.in_(sorted({group for group, _ in keys})))
            .order_by(push_subscriptions.c.id)
        )
        by_group: dict[int, list[PushTarget]] = {}
        for group_id, *target in await self._db.execute(query):
            by_group.setdefault(group_id, []).append(PushTarget(*target))
        blocked = await self._blocks_between(
            {t.user_id for ts in by_group.values() for t in ts},
            {actor for _, actor in keys if actor is not None},
        )
        return {
            (group, actor): [
                t
                for t in by_group.get(group, [])
                if actor is None or (t.user_id != actor and (t.user_id, actor) not in blocked)
            ]
            for group, actor in keys
        }

    async def _blocks_between(
        self, blockers: Collection[int], blocked: Collection[int]
    ) -> set[tuple[int, int]]:
        if not blockers or not blocked:
            return set()
        query = select(user_blocks.c.blocker_id, user_blocks.c.blocked_id).where(
            user_blocks.c.blocker_id.in_(sorted(blockers)),
            user_blocks.c.blocked_id.in_(sorted(blocked)),
        )
        return {(row[0], row[1]) for row in await self._db.execute(query)}

    async def user_targets(
        self, user_id: int, group_id: int | None, levels: Collection[str]
    ) -> list[PushTarget]:
        """The user's subscriptions, unless their level for `group_id` is not in `levels`."""
        if group_id is not None and await self.level(group_id, user_id) not in levels:
            return []
        query = select(*_TARGET_COLUMNS).where(push_subscriptions.c.user_id == user_id)
        return [PushTarget(*row) for row in await self._db.execute(query)]


def _member_subscriptions(levels: Collection[str], *columns: Any) -> Select[Any]:
    """Push subscriptions of active group members whose level for the group is in `levels`
    (no level stored: "all"); the caller narrows it to its groups."""
    level = func.coalesce(notification_levels.c.level, literal("all"))
    return (
        select(*columns)
        .select_from(
            group_members.join(
                push_subscriptions, push_subscriptions.c.user_id == group_members.c.user_id
            ).outerjoin(
                notification_levels,
                (notification_levels.c.group_id == group_members.c.group_id)
                & (notification_levels.c.user_id == group_members.c.user_id),
            )
        )
        .where(group_members.c.status == "active", level.in_(list(levels)))
    )
