"""Group chat: messages (idempotent by clientId), history by cursor, reactions, read markers."""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import emoji

from domain.bulkhead import KeyedBulkhead
from domain.errors import DomainError, Forbidden, InvalidInput, NotFound, RateLimited
from domain.events import (
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    NotificationCreated,
    ReactionsChanged,
)
from domain.groups import GroupService
from domain.moderation_rules import mark_blocked
from domain.ports import Publisher, UnitOfWork, UnitOfWorkFactory
from domain.send_batch import Notes, Outcome, PendingSend, store_batch
from domain.text import forbidden_character, is_blank, is_invisible_char
from domain.threads import MentionFilter, ReplyRef
from domain.throttle import Reservation, WindowCounter, retry_after_seconds
from domain.uploads import MessageImage

MESSAGE_TYPES = ("text", "image", "announcement")
# api-realtime.md says 16 bytes, but a family (25 bytes), a tag flag such as England's (28) or a
# kiss with two skin tones (35, the longest emoji today) are real emoji users pick: the bound
# only keeps the lookup cheap. The column holds 32 characters; the longest emoji is 10.
MAX_EMOJI_BYTES = 64
MAX_IMAGE_URL_CHARS = 2048


@dataclass(frozen=True)
class Reaction:
    emoji: str
    count: int
    user_ids: tuple[int, ...]


@dataclass(frozen=True)
class Message:
    id: int
    group_id: int
    user_id: int | None  # None: the author deleted their account ("Deleted user")
    user_name: str
    content: str
    message_type: str
    image_url: str | None
    client_id: str | None
    created_at: datetime
    edited_at: datetime | None
    reactions: tuple[Reaction, ...] = ()
    reply_to: ReplyRef | None = None
    mentions: tuple[int, ...] = ()
    image: MessageImage | None = None  # an uploaded image (sent with uploadId)
    hidden_by_block: bool = False  # the viewer blocked the author (issue 17)


@dataclass(frozen=True)
class Author:
    """A sender as the send path needs them: name, and their membership in the group."""

    name: str
    role: str
    status: str
    muted_until: datetime | None = None


@dataclass(frozen=True)
class NewMessage:
    group_id: int
    content: str
    message_type: str = "text"
    image_url: str | None = None
    client_id: str | None = None
    reply_to: int | None = None
    mentions: tuple[int, ...] = ()
    upload_id: int | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


def is_single_emoji(text: str) -> bool:
    """One emoji as the emoji package (Unicode's emoji data) knows it: keycaps, ZWJ families,
    skin tones and tag flags included; an emoji with anything else attached is refused."""
    if not text or len(text.encode("utf-8")) > MAX_EMOJI_BYTES:
        return False
    return bool(emoji.is_emoji(unicodedata.normalize("NFC", text)))


def validate_image_url(url: str) -> str:
    """An absolute http(s) URL with a host, nothing invisible or out of band in it."""
    problem = None
    if len(url) > MAX_IMAGE_URL_CHARS:
        problem = f"at most {MAX_IMAGE_URL_CHARS} characters"
    elif any(char.isspace() or is_invisible_char(char) for char in url) or forbidden_character(url):
        problem = "must not contain spaces or control characters"
    else:
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:
            parts, host = None, None
        if parts is None or parts.scheme not in ("http", "https") or not host:
            problem = "must be an absolute http(s) URL with a host"
    if problem:
        raise InvalidInput("An image message needs an http(s) imageUrl", {"imageUrl": problem})
    return url


def validate_content(
    content: str,
    message_type: str,
    image_url: str | None,
    max_chars: int,
    upload_id: int | None = None,
) -> str:
    content = content.strip()
    if message_type not in MESSAGE_TYPES:
        raise InvalidInput("Unknown message type", {"messageType": f"one of {MESSAGE_TYPES}"})
    if upload_id is not None and message_type != "image":
        raise InvalidInput(
            "An uploadId is accepted only on image messages",
            {"uploadId": "allowed only when messageType is image"},
        )
    if message_type == "image":
        if upload_id is None or image_url is not None:
            validate_image_url(image_url or "")
    elif image_url is not None:
        raise InvalidInput(
            "An imageUrl is accepted only on image messages",
            {"imageUrl": "allowed only when messageType is image"},
        )
    elif is_blank(content):
        raise InvalidInput("A message cannot be empty", {"content": "must not be blank"})
    if forbidden_character(content, multi_line=True) is not None:
        raise InvalidInput(
            "A message cannot contain control characters",
            {"content": "must not contain control characters"},
        )
    if len(content) > max_chars:
        raise InvalidInput(
            f"A message is at most {max_chars} characters",
            {"content": f"at most {max_chars} characters"},
        )
    return content


def _consume_outcome(done: asyncio.Future[tuple[Message, bool] | None]) -> None:
    """Retrieve the outcome of a send whose caller went away (no 'never retrieved' log)."""
    if not done.cancelled():
        done.exception()


class ChatService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publisher: Publisher,
        send_counter: WindowCounter,
        sends_per_minute: int,
        max_chars: int,
        history_reads: KeyedBulkhead | None = None,
        mention_filter: MentionFilter | None = None,
    ) -> None:
        self._uow = uow
        self._publisher = publisher
        self._sends = send_counter
        self._sends_per_minute = sends_per_minute
        self.max_chars = max_chars
        # Per user: a storm of big pages must not hold the event loop from everyone else.
        self.history_reads = history_reads or KeyedBulkhead(2, 32, "history reads")
        self._queue: list[PendingSend] = []
        self._writer: asyncio.Future[None] | None = None
        self._mention_filter = mention_filter

    async def send(self, user_id: int, new: NewMessage) -> tuple[Message, bool]:
        """Commit, then broadcast. A repeated clientId returns the stored message, unbroadcast.

        Sends are group-committed: while one transaction is being written, the sends that
        arrive queue up and go into the next one together (one commit, so one log flush, for
        all of them). Each send is still checked and answered on its own; a send alone waits
        for nothing. Per send: one query for the author's membership and name, one INSERT (a
        repeated clientId is skipped by the unique constraint), and no re-read: the stored
        message is built from what was inserted."""
        content = validate_content(
            new.content, new.message_type, new.image_url, self.max_chars, new.upload_id
        )
        rate_key = f"send:{user_id}"
        rate = await self._sends.reserve(rate_key, self._sends_per_minute)
        if not rate.granted and not new.client_id:  # nothing stored to answer with: refuse now
            retry = retry_after_seconds(rate.retry_after)
            raise RateLimited(f"You are sending too fast; wait {retry} seconds", retry)
        pending = PendingSend(user_id, new, content, rate)
        self._queue.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write_queued())
        try:
            # Shielded: a caller that goes away must not cancel the shared future, or the batch
            # would store the message, fail to answer it and leave the sends after it hanging.
            outcome = await asyncio.shield(pending.done)
        except asyncio.CancelledError:
            pending.done.add_done_callback(_consume_outcome)
            raise  # the send may still be stored: its slot stays taken
        except BaseException:
            await self._release(rate_key, rate)  # the batch failed: nothing was stored
            raise
        if outcome is None or not outcome[1]:
            await self._release(rate_key, rate)  # nothing new was stored
        if outcome is None:
            # The clientId was used before. That row may postdate the batch's snapshot (a
            # concurrent retry; REPEATABLE READ on MariaDB): read it in a fresh transaction.
            assert new.client_id is not None  # add() skips only a used clientId
            async with self._uow() as uow:
                existing = await uow.chat.by_client_id(new.group_id, user_id, new.client_id)
            if existing is None:  # the conflict was the group vanishing meanwhile
                raise NotFound("Group not found")
            return existing, False
        message, created = outcome
        if created:
            await self._publisher.publish(
                MessagePosted(message), *map(NotificationCreated, pending.notifications)
            )
        return message, created

    async def _release(self, rate_key: str, rate: Reservation) -> None:
        if rate.granted:
            await self._sends.release(rate_key, rate.slot)

    async def _write_queued(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            await self._write_batch(batch)

    async def _write_batch(self, batch: list[PendingSend]) -> None:
        async def store(uow: UnitOfWork) -> list[tuple[PendingSend, Outcome, Notes]]:
            return await store_batch(uow, batch, self._mention_filter)

        try:
            outcomes = await self._uow.run(store)  # a deadlock re-runs the whole batch
        except BaseException as error:  # nothing of the batch was stored
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        for pending, outcome, notes in outcomes:
            if pending.done.done():
                continue
            pending.notifications = notes
            if isinstance(outcome, DomainError):
                pending.done.set_exception(outcome)
            else:
                pending.done.set_result(outcome)

    async def history(
        self, user_id: int, group_id: int, after: int | None, before: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        """Oldest first. `after`: the next messages after that id (catch-up); `before`: the
        ones just older; neither: the newest `limit`. At most a few per user at once (more
        wait in a short queue, then RateLimited)."""
        async with self.history_reads.slot(user_id), self._uow() as uow:
            await GroupService.active_membership(uow, user_id, group_id)
            page, has_more = await uow.chat.page(group_id, after, before, limit)
            blocked = await uow.blocks.blocked_ids(user_id)
        return mark_blocked(page, blocked), has_more

    async def _own_message(self, uow: UnitOfWork, user_id: int, message_id: int) -> Message:
        message = await uow.chat.get(message_id)
        if message is None:
            raise NotFound("Message not found")
        await GroupService.active_membership(uow, user_id, message.group_id)
        return message

    async def react(self, user_id: int, message_id: int, emoji: str) -> tuple[int, list[Reaction]]:
        if not is_single_emoji(emoji):
            raise InvalidInput("Send exactly one emoji", {"emoji": "must be one emoji"})

        async def toggle(uow: UnitOfWork) -> tuple[Message, list[Reaction]]:
            message = await self._own_message(uow, user_id, message_id)
            await uow.chat.toggle_reaction(message_id, user_id, emoji)
            reactions = await uow.chat.reactions(message_id)
            await uow.commit()
            return message, reactions

        message, reactions = await self._uow.run(toggle)
        await self._publisher.publish(
            ReactionsChanged(message.group_id, message_id, tuple(reactions))
        )
        return message.group_id, reactions

    async def edit(self, user_id: int, message_id: int, content: str) -> Message:
        content = validate_content(content, "text", None, self.max_chars)

        async def change(uow: UnitOfWork) -> Message:
            message = await self._own_message(uow, user_id, message_id)
            if message.user_id != user_id:
                raise Forbidden("You can edit only your own messages")
            edited: Message = await uow.chat.edit(message_id, content)
            await uow.commit()
            return edited

        edited = await self._uow.run(change)
        await self._publisher.publish(MessageEdited(edited))
        return edited

    async def delete(self, user_id: int, message_id: int) -> int:

        async def remove(uow: UnitOfWork) -> Message:
            message = await self._own_message(uow, user_id, message_id)
            membership = await uow.groups.membership(message.group_id, user_id)
            if message.user_id != user_id and (membership is None or membership.role != "leader"):
                raise Forbidden("You can delete only your own messages")
            await uow.chat.delete(message_id)
            await uow.commit()
            return message

        message = await self._uow.run(remove)
        await self._publisher.publish(MessageDeleted(message.group_id, message_id))
        return message.group_id

    async def mark_read(self, user_id: int, group_id: int, message_id: int) -> int:
        """Move the read marker forward (never back); returns the unread count."""

        async def move_marker(uow: UnitOfWork) -> int:
            await GroupService.active_membership(uow, user_id, group_id)
            message = await uow.chat.get(message_id)
            if message is None or message.group_id != group_id:
                raise NotFound("Message not found in this group")
            await uow.chat.mark_read(group_id, user_id, message_id)
            unread: int = await uow.chat.unread_count(group_id, user_id)
            await uow.commit()
            return unread

        return await self._uow.run(move_marker)
