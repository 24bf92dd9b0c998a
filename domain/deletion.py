"""DELETE /api/auth/me and GET /api/auth/me/export.

Deletion is one transaction: the user leaves every group (a group they lead passes to its
longest-standing member, or closes), their messages are purged or kept anonymous, then the
user row goes and the database removes the rest (every foreign key to users.id is ON DELETE
CASCADE, or SET NULL for messages, whose author becomes "Deleted user"). Events follow the
commit: members hear of the departure and of purged messages, the sockets are closed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from domain.events import (
    MemberLeft,
    MembershipChanged,
    MessageDeleted,
    ProfileChanged,
    TokensRevoked,
)
from domain.models import User
from domain.ports import Publisher, UnitOfWork, UnitOfWorkFactory

DELETED_USER_NAME = "Deleted user"


@dataclass(frozen=True)
class _Departure:
    left: list[tuple[int, bool]]  # (group id, was an active member)
    purged: list[tuple[int, int]]  # (group id, message id)


class AccountDeletion:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        check_password: Callable[[User, str], Awaitable[None]],  # rate limited, 401 if wrong
        publisher: Publisher,
    ) -> None:
        self._uow = uow
        self._check_password = check_password
        self._publisher = publisher

    async def delete(self, user: User, password: str, purge_messages: bool) -> None:
        await self._check_password(user, password)
        departure = await self._uow.run(lambda uow: self._delete(uow, user.id, purge_messages))
        events: list[object] = [TokensRevoked(user.id), ProfileChanged(user.id)]
        for group_id, was_active in departure.left:
            events.append(MembershipChanged(user.id, group_id, False))
            if was_active:
                events.append(MemberLeft(group_id, user.id))
        events.extend(MessageDeleted(group, message) for group, message in departure.purged)
        await self._publisher.publish(*events)

    async def _delete(self, uow: UnitOfWork, user_id: int, purge: bool) -> _Departure:
        left = []
        for group_id, status in await uow.account_data.memberships(user_id):
            await self._leave(uow, user_id, group_id)
            left.append((group_id, status == "active"))
        purged = await uow.account_data.authored_messages(user_id) if purge else []
        if purge:
            await uow.account_data.delete_messages_of(user_id)
        await uow.account_data.delete_user(user_id)
        await uow.commit()
        return _Departure(left, purged)

    @staticmethod
    async def _leave(uow: UnitOfWork, user_id: int, group_id: int) -> None:
        """As GroupService.leave, inside the deletion's transaction."""
        group = await uow.groups.get(group_id, lock=True)
        await uow.groups.remove_member(group_id, user_id)
        if group is None or group.leader_id != user_id or group.status != "active":
            return
        successor = await uow.groups.longest_standing_member(group_id)
        if successor is None:
            await uow.groups.close(group_id)
        else:
            await uow.groups.set_leader(group_id, successor)

    async def export(self, user_id: int) -> dict[str, Any]:
        async with self._uow() as uow:
            return await uow.account_data.export(user_id)
