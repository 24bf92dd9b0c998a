"""The group directory and invite links (expiry, max uses, revocation, capacity)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.errors import Conflict, Forbidden, Gone, NotFound
from domain.events import MemberJoined, MembershipChanged
from domain.groups import Group, Member, Membership
from domain.ports import Publisher, UnitOfWork, UnitOfWorkFactory

# 24 random bytes: 192 bits, 32 URL-safe characters. The code is the capability.
INVITE_CODE_BYTES = 24
DEFAULT_EXPIRY_HOURS = 24 * 7


@dataclass(frozen=True)
class Invite:
    code: str
    group_id: int
    created_by: int
    max_uses: int | None  # None: unlimited until it expires
    uses: int
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime

    def unusable_reason(self, now: datetime) -> str | None:
        if self.revoked_at is not None:
            return "This invite link was revoked"
        if self.expires_at <= now:
            return "This invite link has expired"
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "This invite link has been used up"
        return None


@dataclass(frozen=True)
class DirectoryFilter:
    text: str | None  # in the title or subject, case-insensitive
    subject: str | None  # the subject exactly, case-insensitive
    open_only: bool
    before: int | None  # a group id: the page just older than it
    limit: int


@dataclass(frozen=True)
class InviteCard:
    group: Group
    invite: Invite
    membership: Membership | None


@dataclass(frozen=True)
class Accepted:
    group: Group
    changed: bool  # False: the caller was already an active member (no use was counted)


def _now() -> datetime:
    return datetime.now(UTC)


class InviteService:
    def __init__(self, uow: UnitOfWorkFactory, publisher: Publisher) -> None:
        self._uow = uow
        self._publisher = publisher

    async def directory(self, wanted: DirectoryFilter) -> tuple[list[Group], bool]:
        async with self._uow() as uow:
            return await uow.invites.directory(wanted)

    async def create(
        self, leader_id: int, group_id: int, max_uses: int | None, expires_hours: int | None
    ) -> Invite:
        hours = DEFAULT_EXPIRY_HOURS if expires_hours is None else expires_hours
        async with self._uow() as uow:
            await self._led_group(uow, group_id, leader_id)
            code = secrets.token_urlsafe(INVITE_CODE_BYTES)
            expires_at = _now() + timedelta(hours=hours)
            invite = await uow.invites.add(code, group_id, leader_id, max_uses, expires_at)
            await uow.commit()
        return invite

    async def for_group(self, leader_id: int, group_id: int) -> list[Invite]:
        async with self._uow() as uow:
            await self._led_group(uow, group_id, leader_id)
            return await uow.invites.for_group(group_id)

    async def revoke(self, leader_id: int, code: str) -> Invite:
        async with self._uow() as uow:
            invite = await self._invite(uow, code)
            await self._led_group(uow, invite.group_id, leader_id)
            if invite.revoked_at is None:
                await uow.invites.revoke(code, _now())
            await uow.commit()
        return invite

    async def card(self, user_id: int, code: str) -> InviteCard:
        """What the invite landing page shows: any signed-in user holding a usable code."""
        async with self._uow() as uow:
            invite = await self._usable_invite(uow, code)
            group = await self._open_group(uow, invite.group_id)
            membership = await uow.groups.membership(group.id, user_id)
        return InviteCard(group, invite, membership)

    async def accept(self, user_id: int, code: str) -> Accepted:
        """Join as an active member, even in an approval group; a pending request is approved.
        Capacity still applies. The use is counted by one conditional UPDATE in the same
        transaction as the membership, under the group's lock: parallel accepts of the last
        use cannot both win."""

        async def join(uow: UnitOfWork) -> tuple[Accepted, Member | None]:
            invite = await self._usable_invite(uow, code, lock=True)
            group = await self._open_group(uow, invite.group_id, lock=True)
            existing = await uow.groups.membership(group.id, user_id)
            if existing is not None and existing.status == "active":
                return Accepted(group, changed=False), None
            if await uow.groups.count_active(group.id) >= group.max_members:
                raise Conflict("This group is full", {"maxMembers": group.max_members})
            if not await uow.invites.use(code, _now()):
                raise Gone("This invite link is no longer valid")
            if existing is None:
                await uow.groups.add_member(group.id, user_id, "member", "active")
            else:
                await uow.groups.set_status(group.id, user_id, "active")
            member = await uow.groups.member(group.id, user_id)
            joined = await uow.groups.get(group.id)
            await uow.commit()
            return Accepted(joined or group, changed=True), member

        accepted, member = await self._uow.run(join)
        if member is not None:
            await self._publisher.publish(
                # Sockets move first, so the newcomer's own sockets hear of the join too.
                MembershipChanged(user_id, accepted.group.id, True),
                MemberJoined(accepted.group.id, member),
            )
        return accepted

    @staticmethod
    async def _invite(uow: UnitOfWork, code: str, lock: bool = False) -> Invite:
        invite = await uow.invites.get(code, lock=lock)
        if invite is None:
            raise NotFound("Invite not found")
        return invite

    @classmethod
    async def _usable_invite(cls, uow: UnitOfWork, code: str, lock: bool = False) -> Invite:
        invite = await cls._invite(uow, code, lock)
        reason = invite.unusable_reason(_now())
        if reason is not None:
            raise Gone(reason)
        return invite

    @staticmethod
    async def _open_group(uow: UnitOfWork, group_id: int, lock: bool = False) -> Group:
        group = await uow.groups.get(group_id, lock=lock)
        if group is None or group.status != "active":
            raise Gone("This group is closed")
        return group

    @classmethod
    async def _led_group(cls, uow: UnitOfWork, group_id: int, leader_id: int) -> Group:
        group = await uow.groups.get(group_id)
        if group is None or group.status != "active":
            raise NotFound("Group not found")
        if group.leader_id != leader_id:
            raise Forbidden("Only the group leader can manage invite links")
        return group
