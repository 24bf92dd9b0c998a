"""Moderation rules the chat path applies: a muted sender's refusal, blocked authors marked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from domain.errors import Forbidden

if TYPE_CHECKING:
    from domain.chat import Message  # domain.chat imports this module
    from domain.ports import UnitOfWork, UnitOfWorkFactory


class Muted(Forbidden):
    """A muted member's send. REST answers 403 `muted`; the socket ack says `forbidden` with
    `details.reason = "muted"` (api-realtime.md), so the transports read `ack_code`."""

    code = "muted"
    ack_code = "forbidden"

    def __init__(self, until: datetime) -> None:
        stamp = until.isoformat().replace("+00:00", "Z")
        super().__init__(
            "A group leader muted you here until " + stamp,
            {"reason": "muted", "until": stamp},
        )
        self.until = until


def mark_blocked(messages: Iterable[Message], blocked: frozenset[int]) -> list[Message]:
    """The viewer's copy: messages by users they blocked carry `hidden_by_block`."""
    if not blocked:
        return list(messages)
    return [
        replace(message, hidden_by_block=True) if message.user_id in blocked else message
        for message in messages
    ]


async def drop_blockers(uow: UnitOfWork, message: Message, recipients: list[int]) -> list[int]:
    """The mention filter (domain/threads.py MentionFilter): a member who blocked the author
    hears nothing of their mentions. One indexed query, in the send's transaction."""
    if message.user_id is None:  # a deleted account's message: nobody blocked it
        return recipients
    blockers = await uow.blocks.blockers_among(message.user_id, recipients)
    return [user_id for user_id in recipients if user_id not in blockers]


def blocked_either_way(uow: UnitOfWorkFactory) -> Callable[[int], Awaitable[frozenset[int]]]:
    """Matching's `excluded_ids`: the users this user blocked or was blocked by."""

    async def related(user_id: int) -> frozenset[int]:
        async with uow() as tx:
            return await tx.blocks.related_ids(user_id)

    return related
