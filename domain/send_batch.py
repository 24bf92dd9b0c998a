"""One group commit of chat sends (ChatService.send queues them; see its docstring).

A batch runs in three steps inside one transaction: (1) check every send — the authors'
memberships in one query, then each send's mute, role, rate, reply parent, mentions and upload;
(2) take the row locks of the groups the accepted sends go to, in id order; (3) insert them and
commit. The locks are what makes a group's messages commit in id order across workers
(docs/reliability.md), so they are taken only after the reads: a worker's batch holds them for
its inserts and its commit, not for its checks, and the other worker's batch waits that much
less.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from domain.errors import DomainError, Forbidden, RateLimited
from domain.groups import GroupService
from domain.moderation_rules import Muted
from domain.notifications import Notification
from domain.ports import UnitOfWork
from domain.threads import MentionFilter, ReplyRef, check_mentions, check_reply, notify_mentions
from domain.throttle import Reservation, retry_after_seconds
from domain.uploads import MessageImage, attachable_upload

if TYPE_CHECKING:
    from domain.chat import Author, Message, NewMessage

AuthorKey = tuple[int, int]  # (group id, user id)
Notes = list[Notification]


@dataclass
class PendingSend:
    user_id: int
    new: NewMessage
    content: str
    rate: Reservation  # taken before queueing; a refused one is answered inside the batch
    notifications: Notes = field(default_factory=list)  # stored with the message
    done: asyncio.Future[tuple[Message, bool] | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


# One send of a batch: stored (message, created), its clientId used before (None), or refused.
Outcome = tuple["Message", bool] | None | DomainError


@dataclass
class _Accepted:
    """A send that passed its checks, with what they found."""

    pending: PendingSend
    author: Author
    new: NewMessage
    reply: ReplyRef | None
    mentions: tuple[int, ...]
    image: MessageImage | None


async def store_batch(
    uow: UnitOfWork, batch: list[PendingSend], mention_filter: MentionFilter | None
) -> list[tuple[PendingSend, Outcome, Notes]]:
    """Checks, locks and inserts a batch, then commits; a deadlock re-runs all of it, so
    every outcome and note is built afresh here."""
    keys = {(pending.new.group_id, pending.user_id) for pending in batch}
    authors = await uow.chat.authors(keys)
    decided: dict[int, Outcome] = {}
    accepted: list[_Accepted] = []
    for pending in batch:
        author = authors.get((pending.new.group_id, pending.user_id))
        try:
            checked = await _check(uow, pending, author)
        except DomainError as error:  # this send's own refusal
            decided[id(pending)] = error
            continue
        if isinstance(checked, _Accepted):
            accepted.append(checked)
        else:
            decided[id(pending)] = checked  # a rate-limited retry of a stored message
    await uow.chat.lock_groups({send.new.group_id for send in accepted})
    notes: dict[int, Notes] = {}
    for send in accepted:
        try:
            decided[id(send.pending)] = await _insert(uow, send, notes, mention_filter)
        except DomainError as error:
            decided[id(send.pending)] = error
    await uow.commit()
    return [(p, decided[id(p)], notes.get(id(p), [])) for p in batch]


async def _check(
    uow: UnitOfWork, pending: PendingSend, author: Author | None
) -> _Accepted | tuple[Message, bool]:
    user_id, new = pending.user_id, pending.new
    if author is None or author.status != "active":
        await GroupService.active_membership(uow, user_id, new.group_id)  # names why
        raise Forbidden("Only active members of this group can do that")
    if author.muted_until is not None and author.muted_until > datetime.now(UTC):
        raise Muted(author.muted_until)
    if new.message_type == "announcement" and author.role != "leader":
        raise Forbidden("Only the group leader can post announcements")
    if not pending.rate.granted:
        if new.client_id:  # a retry of a stored message is answered, not limited
            existing = await uow.chat.by_client_id(new.group_id, user_id, new.client_id)
            if existing is not None:
                return existing, False
        retry = retry_after_seconds(pending.rate.retry_after)
        raise RateLimited(f"You are sending too fast; wait {retry} seconds", retry)
    reply = await check_reply(uow, new.group_id, new.reply_to)
    mentions = await check_mentions(uow, new.group_id, new.mentions)
    image = None
    if new.upload_id is not None:
        image = (await attachable_upload(uow, user_id, new.upload_id)).as_message_image()
        new = replace(new, image_url=image.url)
    return _Accepted(pending, author, new, reply, mentions, image)


async def _insert(
    uow: UnitOfWork, send: _Accepted, notes: dict[int, Notes], mention_filter: MentionFilter | None
) -> Outcome:
    """None: its clientId was used before (the unique key skipped the row)."""
    pending = send.pending
    message = await uow.chat.add(
        pending.user_id, send.author.name, send.new, pending.content, send.image
    )
    if message is None:
        return None
    if send.reply is not None or send.mentions:
        message = await uow.threads.add(message, send.reply, send.mentions)
        notes[id(pending)] = await notify_mentions(uow, message, mention_filter)
    return message, True
