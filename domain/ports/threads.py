"""Issue 16: replies, mentions and pins; message search; the group directory and invites."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the records' modules hold the services, which import these ports
    from domain.chat import Message
    from domain.groups import Group
    from domain.invites import DirectoryFilter, Invite
    from domain.search import SearchHit
    from domain.threads import Parent, ReplyRef


class ThreadRepository(Protocol):
    """Replies, mentions and pins (issue 16)."""

    async def parent(self, message_id: int) -> Parent | None: ...
    async def active_members_among(self, group_id: int, user_ids: Sequence[int]) -> set[int]: ...
    async def add(
        self, message: Message, reply: ReplyRef | None, mentions: tuple[int, ...]
    ) -> Message: ...
    async def pin(self, group_id: int, message_id: int, user_id: int) -> bool: ...
    async def unpin(self, message_id: int) -> bool: ...
    async def pinned(self, group_id: int, limit: int) -> list[Message]: ...


class SearchRepository(Protocol):
    async def messages(
        self,
        user_id: int,
        terms: list[str],
        group_id: int | None,
        before: int | None,
        limit: int,
    ) -> tuple[list[SearchHit], bool]: ...


class InviteRepository(Protocol):
    async def directory(self, wanted: DirectoryFilter) -> tuple[list[Group], bool]: ...
    async def add(
        self, code: str, group_id: int, created_by: int, max_uses: int | None, expires_at: datetime
    ) -> Invite: ...
    async def get(self, code: str, lock: bool = False) -> Invite | None: ...
    async def for_group(self, group_id: int) -> list[Invite]: ...
    async def revoke(self, code: str, now: datetime) -> None: ...
    async def use(self, code: str, now: datetime) -> bool: ...
