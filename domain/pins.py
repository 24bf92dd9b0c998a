"""Pinned messages: the group leader pins and unpins; members read the pins list."""

from __future__ import annotations

from domain.chat import Message
from domain.errors import Forbidden, NotFound
from domain.events import MessagePinned
from domain.groups import GroupService
from domain.ports import Publisher, UnitOfWork, UnitOfWorkFactory

MAX_PINS_LISTED = 100


class PinService:
    def __init__(self, uow: UnitOfWorkFactory, publisher: Publisher) -> None:
        self._uow = uow
        self._publisher = publisher

    async def set_pinned(self, user_id: int, message_id: int, pinned: bool) -> int:
        """Pin or unpin (the leader of the message's group only); the group's id. Pinning a
        pinned message (or unpinning an unpinned one) changes nothing and tells no one."""

        async def change(uow: UnitOfWork) -> tuple[int, bool]:
            message = await uow.chat.get(message_id)
            if message is None:
                raise NotFound("Message not found")
            membership = await GroupService.active_membership(uow, user_id, message.group_id)
            if membership.role != "leader":
                raise Forbidden("Only the group leader can pin messages")
            if pinned:
                changed = await uow.threads.pin(message.group_id, message_id, user_id)
            else:
                changed = await uow.threads.unpin(message_id)
            await uow.commit()
            return message.group_id, changed

        group_id, changed = await self._uow.run(change)
        if changed:
            await self._publisher.publish(MessagePinned(group_id, message_id, pinned))
        return group_id

    async def pins(self, user_id: int, group_id: int) -> list[Message]:
        """The group's pinned messages (active members only), the most recently pinned first."""
        async with self._uow() as uow:
            await GroupService.active_membership(uow, user_id, group_id)
            return await uow.threads.pinned(group_id, MAX_PINS_LISTED)
