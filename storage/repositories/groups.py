from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, exc, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.chat import Message
from domain.errors import Conflict
from domain.groups import Group, GroupDetails, Member, Membership, MyGroup
from storage.repositories.chat import load_messages
from storage.tables import group_members, messages, study_groups, users
from storage.types import new_id, utcnow

_active_count = (
    select(func.count())
    .where(group_members.c.group_id == study_groups.c.id, group_members.c.status == "active")
    .correlate(study_groups)
    .scalar_subquery()
)
_GROUP_QUERY = select(
    study_groups, users.c.name.label("leader_name"), _active_count.label("current_members")
).join(users, users.c.id == study_groups.c.leader_id)


def _group(row: Any) -> Group:
    m = row._mapping
    return Group(
        id=m["id"],
        title=m["title"],
        subject=m["subject"],
        description=m["description"],
        schedule=m["schedule"],
        location=m["location"],
        max_members=m["max_members"],
        join_policy=m["join_policy"],
        status=m["status"],
        leader_id=m["leader_id"],
        leader_name=m["leader_name"],
        current_members=m["current_members"],
        created_at=m["created_at"],
    )


def _membership(row: Any) -> Membership:
    m = row._mapping
    return Membership(
        m["group_id"],
        m["user_id"],
        m["role"],
        m["status"],
        m["joined_at"],
        m["last_read_message_id"],
    )


_MEMBER_QUERY = select(
    group_members.c.user_id,
    users.c.name,
    users.c.major,
    group_members.c.role,
    group_members.c.status,
    group_members.c.joined_at,
).join(users, users.c.id == group_members.c.user_id)


class SqlGroupRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def create(self, leader_id: int, details: GroupDetails) -> Group:
        now = utcnow()
        result = await self._db.execute(
            insert(study_groups).values(
                **details.detail_values(),
                leader_id=leader_id,
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
        group_id = new_id(result)
        await self.add_member(group_id, leader_id, "leader", "active")
        group = await self.get(group_id)
        assert group is not None
        return group

    async def get(self, group_id: int, lock: bool = False) -> Group | None:
        if lock:
            # Serialises joins and approvals of one group (capacity checks); SQLite's
            # BEGIN IMMEDIATE already serialises every writer.
            await self._db.execute(
                select(study_groups.c.id).where(study_groups.c.id == group_id).with_for_update()
            )
        row = (await self._db.execute(_GROUP_QUERY.where(study_groups.c.id == group_id))).first()
        return _group(row) if row else None

    async def membership(self, group_id: int, user_id: int) -> Membership | None:
        query = select(group_members).where(
            group_members.c.group_id == group_id, group_members.c.user_id == user_id
        )
        row = (await self._db.execute(query)).first()
        return _membership(row) if row else None

    async def add_member(self, group_id: int, user_id: int, role: str, status: str) -> None:
        try:
            async with self._db.begin_nested():
                await self._db.execute(
                    insert(group_members).values(
                        group_id=group_id,
                        user_id=user_id,
                        role=role,
                        status=status,
                        joined_at=utcnow(),
                    )
                )
        except exc.IntegrityError as error:
            raise Conflict("Already a member of this group") from error

    async def member(self, group_id: int, user_id: int) -> Member:
        query = _MEMBER_QUERY.where(
            group_members.c.group_id == group_id, group_members.c.user_id == user_id
        )
        return Member(*(await self._db.execute(query)).one())

    async def members(self, group_id: int, status: str = "active") -> list[Member]:
        query = _MEMBER_QUERY.where(
            group_members.c.group_id == group_id, group_members.c.status == status
        ).order_by(group_members.c.joined_at, group_members.c.id)
        return [Member(*row) for row in await self._db.execute(query)]

    async def count_active(self, group_id: int) -> int:
        query = select(func.count()).where(
            group_members.c.group_id == group_id, group_members.c.status == "active"
        )
        return int((await self._db.execute(query)).scalar_one())

    async def set_status(self, group_id: int, user_id: int, status: str) -> None:
        await self._db.execute(
            update(group_members)
            .where(group_members.c.group_id == group_id, group_members.c.user_id == user_id)
            .values(status=status, joined_at=utcnow())
        )

    async def remove_member(self, group_id: int, user_id: int) -> None:
        await self._db.execute(
            delete(group_members).where(
                group_members.c.group_id == group_id, group_members.c.user_id == user_id
            )
        )

    async def longest_standing_member(self, group_id: int) -> int | None:
        query = (
            select(group_members.c.user_id)
            .where(group_members.c.group_id == group_id, group_members.c.status == "active")
            .order_by(group_members.c.joined_at, group_members.c.id)
            .limit(1)
        )
        return (await self._db.execute(query)).scalar_one_or_none()

    async def set_leader(self, group_id: int, user_id: int) -> None:
        await self._db.execute(
            update(study_groups)
            .where(study_groups.c.id == group_id)
            .values(leader_id=user_id, updated_at=utcnow())
        )
        await self._db.execute(
            update(group_members)
            .where(group_members.c.group_id == group_id, group_members.c.user_id == user_id)
            .values(role="leader")
        )

    async def close(self, group_id: int) -> None:
        await self._db.execute(delete(group_members).where(group_members.c.group_id == group_id))
        await self._db.execute(
            update(study_groups)
            .where(study_groups.c.id == group_id)
            .values(status="closed", updated_at=utcnow())
        )

    async def active_group_ids(self, user_id: int) -> list[int]:
        query = select(group_members.c.group_id).where(
            group_members.c.user_id == user_id, group_members.c.status == "active"
        )
        return [row[0] for row in await self._db.execute(query)]

    async def mine(self, user_id: int) -> list[MyGroup]:
        """The caller's groups with unread counts and last messages, in four queries."""
        rows = (
            await self._db.execute(
                _GROUP_QUERY.add_columns(*[c.label(f"m_{c.name}") for c in group_members.c])
                .join(group_members, group_members.c.group_id == study_groups.c.id)
                .where(group_members.c.user_id == user_id, study_groups.c.status == "active")
                .order_by(study_groups.c.id)
            )
        ).all()
        active = [row for row in rows if row._mapping["m_status"] == "active"]
        unread = await self._unread_counts(user_id, [row.id for row in active])
        last = await self._last_messages([row.id for row in active])
        result = []
        for row in rows:
            m = row._mapping
            membership = Membership(
                m["m_group_id"],
                m["m_user_id"],
                m["m_role"],
                m["m_status"],
                m["m_joined_at"],
                m["m_last_read_message_id"],
            )
            result.append(MyGroup(_group(row), membership, unread.get(row.id, 0), last.get(row.id)))
        return result

    async def _unread_counts(self, user_id: int, group_ids: list[int]) -> dict[int, int]:
        if not group_ids:
            return {}
        query = (
            select(messages.c.group_id, func.count())
            .join(
                group_members,
                and_(
                    group_members.c.group_id == messages.c.group_id,
                    group_members.c.user_id == user_id,
                ),
            )
            .where(
                messages.c.group_id.in_(group_ids),
                messages.c.user_id != user_id,
                messages.c.id > func.coalesce(group_members.c.last_read_message_id, 0),
            )
            .group_by(messages.c.group_id)
        )
        return {group_id: count for group_id, count in await self._db.execute(query)}

    async def _last_messages(self, group_ids: list[int]) -> dict[int, Message]:
        if not group_ids:
            return {}
        newest = (
            select(func.max(messages.c.id))
            .where(messages.c.group_id.in_(group_ids))
            .group_by(messages.c.group_id)
        )
        ids = [row[0] for row in await self._db.execute(newest)]
        return {message.group_id: message for message in await load_messages(self._db, ids)}
