"""Replies and mentions: a message's reply parent, who it mentions, and who hears of a mention.

The checks and the writes run inside the send's transaction (domain/chat.py `_store`); the
mention notifications are stored there too and published by the chat service after commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.errors import InvalidInput
from domain.notifications import NewNotification, Notification

if TYPE_CHECKING:
    from domain.chat import Message
    from domain.ports import UnitOfWork

EXCERPT_CHARS = 140
MAX_MENTIONS = 50


@dataclass(frozen=True)
class ReplyRef:
    """The message a reply answers. A deleted parent keeps no id, text or excerpt
    (`deleted`); its author's id and name stay while their account does."""

    id: int | None
    user_id: int | None
    user_name: str | None
    excerpt: str | None
    deleted: bool = False


@dataclass(frozen=True)
class Parent:
    """A candidate reply parent as the send path checks it."""

    id: int
    group_id: int
    user_id: int
    user_name: str
    content: str


def excerpt(content: str) -> str:
    """At most EXCERPT_CHARS characters of the text, on one line."""
    text = " ".join(content.split())
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[: EXCERPT_CHARS - 1].rstrip() + "…"


def reply_ref(parent: Parent) -> ReplyRef:
    return ReplyRef(parent.id, parent.user_id, parent.user_name, excerpt(parent.content))


# (uow, the stored message, the members it would notify) -> the members to notify. The safety
# work plugs its block rule in here (wiring/services.py passes it to ChatService).
MentionFilter = Callable[["UnitOfWork", "Message", list[int]], Awaitable[list[int]]]


async def check_reply(uow: UnitOfWork, group_id: int, reply_to: int | None) -> ReplyRef | None:
    if reply_to is None:
        return None
    parent = await uow.threads.parent(reply_to)
    if parent is None or parent.group_id != group_id:
        raise InvalidInput(
            "replyTo must be a message of this group", {"replyTo": "not a message of this group"}
        )
    return reply_ref(parent)


async def check_mentions(
    uow: UnitOfWork, group_id: int, mentions: Sequence[int]
) -> tuple[int, ...]:
    """The distinct mentioned ids, ascending; each must be an active member of the group."""
    wanted = sorted(set(mentions))
    if len(wanted) > MAX_MENTIONS:
        raise InvalidInput(
            f"At most {MAX_MENTIONS} mentions", {"mentions": f"at most {MAX_MENTIONS} users"}
        )
    if not wanted:
        return ()
    active = await uow.threads.active_members_among(group_id, wanted)
    strangers = [user_id for user_id in wanted if user_id not in active]
    if strangers:
        raise InvalidInput(
            "Only active members of this group can be mentioned",
            {"mentions": f"not active members: {strangers}"},
        )
    return tuple(wanted)


def mention_recipients(message: Message) -> list[int]:
    """Who a mention notifies before any filter: every mentioned member but the author."""
    return [user_id for user_id in message.mentions if user_id != message.user_id]


async def notify_mentions(
    uow: UnitOfWork, message: Message, mention_filter: MentionFilter | None
) -> list[Notification]:
    """Store one `mention` notification per recipient (in the send's transaction)."""
    recipients = mention_recipients(message)
    if recipients and mention_filter is not None:
        recipients = await mention_filter(uow, message, recipients)
    if not recipients:
        return []
    group = await uow.groups.get(message.group_id)
    where = group.title if group is not None else "your group"
    note = NewNotification(
        "mention",
        f"{message.user_name} mentioned you in {where}",
        excerpt(message.content) or "(image)",
        {
            "groupId": message.group_id,
            "messageId": message.id,
            "actor": {"id": message.user_id, "name": message.user_name},
        },
    )
    return await uow.notifications.add_many(recipients, note)
