"""The unit of work: one transaction exposing every repository port as a typed attribute."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from domain.ports.accounts import (
    AccountDataRepository,
    AccountTokenRepository,
    RevocationRepository,
    UserRepository,
)
from domain.ports.chat import ChatRepository, NotificationRepository
from domain.ports.groups import GroupRepository, GroupSessionRepository
from domain.ports.matching import MatchingRepository
from domain.ports.progress import FocusSessionRepository, PostRepository, ProgressRepository
from domain.ports.safety import BlockRepository, ModerationRepository, PushRepository
from domain.ports.threads import InviteRepository, SearchRepository, ThreadRepository
from domain.ports.uploads import UploadRepository


class UnitOfWork(Protocol):
    """One transaction, one repository per aggregate; leaving without commit() rolls back."""

    @property
    def users(self) -> UserRepository: ...
    @property
    def revocations(self) -> RevocationRepository: ...
    @property
    def account_tokens(self) -> AccountTokenRepository: ...
    @property
    def account_data(self) -> AccountDataRepository: ...
    @property
    def notifications(self) -> NotificationRepository: ...
    @property
    def matching(self) -> MatchingRepository: ...
    @property
    def groups(self) -> GroupRepository: ...
    @property
    def chat(self) -> ChatRepository: ...
    @property
    def threads(self) -> ThreadRepository: ...
    @property
    def group_sessions(self) -> GroupSessionRepository: ...
    @property
    def progress(self) -> ProgressRepository: ...
    @property
    def focus_sessions(self) -> FocusSessionRepository: ...
    @property
    def posts(self) -> PostRepository: ...
    @property
    def uploads(self) -> UploadRepository: ...
    @property
    def blocks(self) -> BlockRepository: ...
    @property
    def moderation(self) -> ModerationRepository: ...
    @property
    def push(self) -> PushRepository: ...
    @property
    def search(self) -> SearchRepository: ...
    @property
    def invites(self) -> InviteRepository: ...

    async def commit(self) -> None: ...


T = TypeVar("T")


class UnitOfWorkFactory(Protocol):
    """`async with uow() as u:` opens one transaction. `await uow.run(work)` runs `work(u)` in
    one and runs all of it again (a few times, with jitter, logged) when the database aborted
    it for a deadlock or serialisation failure; then Unavailable. `work` must commit itself and
    keep its side effects (events) for after run returns, as it may be called more than once."""

    def __call__(self) -> AbstractAsyncContextManager[UnitOfWork]: ...
    async def run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T: ...
