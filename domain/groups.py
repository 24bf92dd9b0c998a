"""Study groups: creation, membership (open or approval), leadership and member lists."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.errors import Conflict, Forbidden, NotFound
from domain.events import (
    MemberJoined,
    MemberLeft,
    MemberRequested,
    MembershipChanged,
    NotificationCreated,
)
from domain.notifications import NewNotification, Notification
from domain.ports import Publisher, UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:
    from domain.chat import Message  # domain.chat imports this module


@dataclass(frozen=True, kw_only=True)
class GroupDetails:
    """What a group's creator chooses; the stored group, its matching card and the demo plan
    all carry these fields."""

    title: str
    subject: str
    description: str
    schedule: str
    location: str
    max_members: int
    join_policy: str  # "open" | "approval"

    def detail_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in GROUP_DETAIL_FIELDS}


GROUP_DETAIL_FIELDS = tuple(f.name for f in fields(GroupDetails))


@dataclass(frozen=True, kw_only=True)
class Group(GroupDetails):
    id: int
    status: str
    leader_id: int
    leader_name: str
    current_members: int
    created_at: datetime


@dataclass(frozen=True)
class Membership:
    group_id: int
    user_id: int
    role: str
    status: str
    joined_at: datetime
    last_read_message_id: int | None


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str
    major: str
    role: str
    status: str
    joined_at: datetime


@dataclass(frozen=True)
class MyGroup:
    group: Group
    membership: Membership
    unread_count: int
    last_message: Message | None


@dataclass(frozen=True)
class JoinResult:
    status: str  # "active" | "pending"
    changed: bool  # False when the caller was already in that state


class GroupService:
    def __init__(self, uow: UnitOfWorkFactory, publisher: Publisher) -> None:
        self._uow = uow
        self._publisher = publisher

    async def create(self, leader_id: int, details: GroupDetails) -> Group:
        async with self._uow() as uow:
            group = await uow.groups.create(leader_id, details)
            await uow.commit()
        await self._publisher.publish(MembershipChanged(leader_id, group.id, True))
        return group

    async def mine(self, user_id: int) -> list[MyGroup]:
        async with self._uow() as uow:
            return await uow.groups.mine(user_id)

    async def details(
        self, user_id: int, group_id: int
    ) -> tuple[Group, Membership | None, list[Member]]:
        """Active members see the member list; everyone else sees the public fields only."""
        async with self._uow() as uow:
            group = await self._open_group(uow, group_id)
            membership = await uow.groups.membership(group_id, user_id)
            members = []
            if membership is not None and membership.status == "active":
                members = await uow.groups.members(group_id)
        return group, membership, members

    @staticmethod
    async def active_membership(uow: UnitOfWork, user_id: int, group_id: int) -> Membership:
        membership = await uow.groups.membership(group_id, user_id)
        if membership is None or membership.status != "active":
            if await uow.groups.get(group_id) is None:
                raise NotFound("Group not found")
            raise Forbidden("Only active members of this group can do that")
        return membership

    async def active_group_ids(self, user_id: int) -> list[int]:
        async with self._uow() as uow:
            return await uow.groups.active_group_ids(user_id)

    async def join(self, user_id: int, group_id: int) -> JoinResult:
        async with self._uow() as uow:
            group = await self._open_group(uow, group_id, lock=True)
            existing = await uow.groups.membership(group_id, user_id)
            if existing is not None:
                return JoinResult(existing.status, changed=False)
            if group.join_policy == "open":
                await self._require_room(uow, group)
            status = "active" if group.join_policy == "open" else "pending"
            await uow.groups.add_member(group_id, user_id, "member", status)
            member = await uow.groups.member(group_id, user_id)
            notes: list[Notification] = []
            if status == "pending":
                notes = await uow.notifications.add_many(
                    [group.leader_id],
                    NewNotification(
                        "join_request",
                        "New join request",
                        f"{member.name} asked to join {group.title}",
                        {"groupId": group_id, "requesterId": user_id, "id": user_id},
                    ),
                )
            await uow.commit()
        if status == "active":
            await self._announce_joined(group_id, member)
        else:
            await self._publisher.publish(
                MemberRequested(group_id, group.leader_id, member),
                *map(NotificationCreated, notes),
            )
        return JoinResult(status, changed=True)

    async def decide(self, leader_id: int, group_id: int, user_id: int, approve: bool) -> None:
        async with self._uow() as uow:
            group = await self._open_group(uow, group_id, lock=True)
            self._require_leader(group, leader_id)
            request = await uow.groups.membership(group_id, user_id)
            if request is None or request.status != "pending":
                raise NotFound("No pending request from this user")
            if approve:
                await self._require_room(uow, group)
                await uow.groups.set_status(group_id, user_id, "active")
                member = await uow.groups.member(group_id, user_id)
            else:
                await uow.groups.remove_member(group_id, user_id)
            verb = "approved" if approve else "declined"
            notes = await uow.notifications.add_many(
                [user_id],
                NewNotification(
                    "request_approved" if approve else "request_rejected",
                    f"Request {verb}",
                    f"Your request to join {group.title} was {verb}",
                    {"groupId": group_id},
                ),
            )
            await uow.commit()
        if approve:
            await self._announce_joined(group_id, member)
        await self._publisher.publish(*map(NotificationCreated, notes))

    async def leave(self, user_id: int, group_id: int) -> None:
        async with self._uow() as uow:
            group = await self._open_group(uow, group_id, lock=True)
            membership = await uow.groups.membership(group_id, user_id)
            if membership is None:
                raise NotFound("You are not in this group")
            await uow.groups.remove_member(group_id, user_id)
            if group.leader_id == user_id:
                successor = await uow.groups.longest_standing_member(group_id)
                if successor is None:
                    await uow.groups.close(group_id)
                else:
                    await uow.groups.set_leader(group_id, successor)
            await uow.commit()
        await self._announce_left(group_id, user_id, was_active=membership.status == "active")

    async def remove_member(self, leader_id: int, group_id: int, user_id: int) -> None:
        async with self._uow() as uow:
            group = await self._open_group(uow, group_id, lock=True)
            self._require_leader(group, leader_id)
            if user_id == leader_id:
                raise Conflict("The leader leaves with POST /api/groups/<id>/leave")
            membership = await uow.groups.membership(group_id, user_id)
            if membership is None:
                raise NotFound("This user is not in the group")
            await uow.groups.remove_member(group_id, user_id)
            await uow.commit()
        await self._announce_left(group_id, user_id, was_active=membership.status == "active")

    async def _announce_joined(self, group_id: int, member: Member) -> None:
        await self._publisher.publish(
            # Sockets move first, so the newcomer's own sockets hear of the join too.
            MembershipChanged(member.user_id, group_id, True),
            MemberJoined(group_id, member),
        )

    async def _announce_left(self, group_id: int, user_id: int, was_active: bool) -> None:
        await self._publisher.publish(MembershipChanged(user_id, group_id, False))
        if was_active:
            await self._publisher.publish(MemberLeft(group_id, user_id))

    @staticmethod
    async def _open_group(uow: UnitOfWork, group_id: int, lock: bool = False) -> Group:
        group = await uow.groups.get(group_id, lock=lock)
        if group is None or group.status != "active":
            raise NotFound("Group not found")
        return group

    @staticmethod
    async def _require_room(uow: UnitOfWork, group: Group) -> None:
        if await uow.groups.count_active(group.id) >= group.max_members:
            raise Conflict("This group is full", {"maxMembers": group.max_members})

    @staticmethod
    def _require_leader(group: Group, user_id: int) -> None:
        if group.leader_id != user_id:
            raise Forbidden("Only the group leader can do that")
