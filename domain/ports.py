"""What the domain needs from the outside: storage (a unit of work) and a publisher."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from domain.models import Credentials, NewUser, User


class UserRepository(Protocol):
    async def add(self, new_user: NewUser) -> User: ...
    async def get(self, user_id: int) -> User | None: ...
    async def get_for_token(
        self, user_id: int, token_id: str, now: datetime
    ) -> tuple[User | None, bool]: ...
    async def get_many(self, user_ids: Sequence[int]) -> list[User]: ...
    async def list_page(self, after_id: int | None, limit: int) -> list[User]: ...
    async def credentials_by_email(self, email: str) -> Credentials | None: ...
    async def update_profile(self, user_id: int, changes: dict[str, Any]) -> User | None: ...
    async def bump_token_version(self, user_id: int) -> None: ...
    async def set_calendar_token(self, user_id: int, token: str) -> None: ...


class RevocationRepository(Protocol):
    async def add(self, token_id: str, expires_at: datetime) -> None: ...
    async def prune(self, now: datetime) -> int: ...


class UnitOfWork(Protocol):
    """One transaction. Repositories hang off it; leaving without commit() rolls back."""

    users: UserRepository
    revocations: RevocationRepository

    async def commit(self) -> None: ...
    def __getattr__(self, name: str) -> Any: ...


T = TypeVar("T")


class UnitOfWorkFactory(Protocol):
    """`async with uow() as u:` opens one transaction. `await uow.run(work)` runs `work(u)` in
    one and runs all of it again (a few times, with jitter, logged) when the database aborted
    it for a deadlock or serialisation failure; then Unavailable. `work` must commit itself and
    keep its side effects (events) for after run returns, as it may be called more than once."""

    def __call__(self) -> AbstractAsyncContextManager[UnitOfWork]: ...
    async def run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T: ...


class Publisher(Protocol):
    async def publish(self, *events: object) -> None: ...
