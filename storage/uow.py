"""Unit of work: one connection, one transaction, repositories created on first use; and the
retry of a whole transaction the database aborted for a deadlock or serialisation failure.
SqlUnitOfWork and UnitOfWorkFactory implement domain.ports' protocols of the same names."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from functools import cached_property
from types import TracebackType
from typing import TypeVar

from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain import ports
from domain.errors import Unavailable
from domain.socket_access import SocketAccessUnitOfWork
from storage.repositories.account_data import SqlAccountDataRepository
from storage.repositories.account_tokens import SqlAccountTokenRepository
from storage.repositories.chat import SqlChatRepository
from storage.repositories.focus_sessions import SqlFocusSessionRepository
from storage.repositories.group_sessions import SqlGroupSessionRepository
from storage.repositories.groups import SqlGroupRepository
from storage.repositories.invites import SqlInviteRepository
from storage.repositories.matching import SqlMatchingRepository
from storage.repositories.moderation import SqlBlockRepository, SqlModerationRepository
from storage.repositories.notifications import SqlNotificationRepository
from storage.repositories.posts import SqlPostRepository
from storage.repositories.progress import SqlProgressRepository
from storage.repositories.push import SqlPushRepository
from storage.repositories.revocations import SqlRevocationRepository
from storage.repositories.search import SqlSearchRepository
from storage.repositories.socket_access import SqlSocketAccessRepository
from storage.repositories.threads import SqlThreadRepository
from storage.repositories.uploads import SqlUploadRepository
from storage.repositories.users import SqlUserRepository

log = logging.getLogger("studysync.storage")
T = TypeVar("T")
Observer = Callable[[float], None]

RETRY_ATTEMPTS = 4
RETRY_BASE_SECONDS = 0.02
_MYSQL_CONFLICTS = {1213: "deadlock", 1205: "lock wait timeout"}
_POSTGRES_CONFLICTS = {"40001": "serialisation failure", "40P01": "deadlock"}
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
_DOWN = "The database is unavailable; nothing was stored"


class TransactionConflict(Unavailable):
    """The database rolled the transaction back to break a deadlock or a serialisation
    conflict: nothing was stored, and running the whole transaction again may succeed."""

    def __init__(self, reason: str) -> None:
        super().__init__("The database was busy; nothing was stored, try again")
        self.reason = reason


def conflict_reason(error: BaseException) -> str | None:
    """Why the database aborted this transaction, if retrying it is the right answer."""
    if not isinstance(error, exc.DBAPIError):
        return None
    original = error.orig
    args = getattr(original, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_CONFLICTS:
        return f"{_MYSQL_CONFLICTS[args[0]]} ({args[0]})"
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state in _POSTGRES_CONFLICTS:
        return f"{_POSTGRES_CONFLICTS[state]} ({state})"
    message = str(original).lower()
    if any(busy in message for busy in _SQLITE_BUSY):
        return "sqlite busy"
    return None


def _translated(error: BaseException) -> Unavailable | None:
    reason = conflict_reason(error)
    if reason is not None:
        return TransactionConflict(reason)
    if isinstance(error, exc.OperationalError | exc.InterfaceError | OSError):
        return Unavailable(_DOWN)
    return None


class SqlUnitOfWork:
    def __init__(
        self, engine: AsyncEngine, *, retried: bool = False, observe: Observer | None = None
    ) -> None:
        self._engine = engine
        self._retried = retried  # run() logs conflicts itself
        self._observe = observe  # gets the seconds from start to end (studysync_db_seconds)
        self._started = 0.0
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        self._started = time.perf_counter()
        try:
            self._connection = await self._engine.connect()
            await self._connection.begin()
        except (exc.SQLAlchemyError, OSError) as error:
            await self._close()
            translated = _translated(error)
            if translated is None:
                raise
            raise translated from error
        return self

    def _open_connection(self) -> AsyncConnection:
        if self._connection is None:
            raise AttributeError("repositories exist only inside `async with uow() as tx:`")
        return self._connection

    # Each repository is created on first use and kept for the rest of the transaction.
    @cached_property
    def users(self) -> SqlUserRepository:
        return SqlUserRepository(self._open_connection())

    @cached_property
    def revocations(self) -> SqlRevocationRepository:
        return SqlRevocationRepository(self._open_connection())

    @cached_property
    def account_tokens(self) -> SqlAccountTokenRepository:
        return SqlAccountTokenRepository(self._open_connection())

    @cached_property
    def account_data(self) -> SqlAccountDataRepository:
        return SqlAccountDataRepository(self._open_connection())

    @cached_property
    def notifications(self) -> SqlNotificationRepository:
        return SqlNotificationRepository(self._open_connection())

    @cached_property
    def matching(self) -> SqlMatchingRepository:
        return SqlMatchingRepository(self._open_connection())

    @cached_property
    def groups(self) -> SqlGroupRepository:
        return SqlGroupRepository(self._open_connection())

    @cached_property
    def chat(self) -> SqlChatRepository:
        return SqlChatRepository(self._open_connection())

    @cached_property
    def threads(self) -> SqlThreadRepository:
        return SqlThreadRepository(self._open_connection())

    @cached_property
    def group_sessions(self) -> SqlGroupSessionRepository:
        return SqlGroupSessionRepository(self._open_connection())

    @cached_property
    def progress(self) -> SqlProgressRepository:
        return SqlProgressRepository(self._open_connection())

    @cached_property
    def focus_sessions(self) -> SqlFocusSessionRepository:
        return SqlFocusSessionRepository(self._open_connection())

    @cached_property
    def posts(self) -> SqlPostRepository:
        return SqlPostRepository(self._open_connection())

    @cached_property
    def uploads(self) -> SqlUploadRepository:
        return SqlUploadRepository(self._open_connection())

    # issue 17: moderation and push
    @cached_property
    def blocks(self) -> SqlBlockRepository:
        return SqlBlockRepository(self._open_connection())

    @cached_property
    def moderation(self) -> SqlModerationRepository:
        return SqlModerationRepository(self._open_connection())

    @cached_property
    def push(self) -> SqlPushRepository:
        return SqlPushRepository(self._open_connection())

    @cached_property
    def search(self) -> SqlSearchRepository:
        return SqlSearchRepository(self._open_connection())

    @cached_property
    def invites(self) -> SqlInviteRepository:
        return SqlInviteRepository(self._open_connection())

    @cached_property  # the connect path (domain/socket_access.py has its protocol)
    def socket_access(self) -> SqlSocketAccessRepository:
        return SqlSocketAccessRepository(self._open_connection())

    async def commit(self) -> None:
        assert self._connection is not None
        try:
            await self._connection.commit()
        except exc.SQLAlchemyError as error:
            translated = _translated(error)
            if translated is None:
                raise
            raise translated from error

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._close()
        if self._observe is not None:
            self._observe(time.perf_counter() - self._started)
        if error is None:
            return
        translated = error if isinstance(error, TransactionConflict) else _translated(error)
        if isinstance(translated, TransactionConflict) and not self._retried:
            log.warning("transaction aborted by the database (%s); not retried", translated.reason)
        if translated is not None and translated is not error:
            raise translated from error

    async def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(exc.SQLAlchemyError, OSError):
                await self._connection.close()  # rolls back anything not committed
            self._connection = None


class UnitOfWorkFactory:
    """What services hold: `uow()` for one transaction, `uow.run(work)` for a retried one."""

    def __init__(
        self,
        engine: AsyncEngine,
        attempts: int = RETRY_ATTEMPTS,
        base_delay: float = RETRY_BASE_SECONDS,
        observe: Observer | None = None,
    ) -> None:
        self._engine = engine
        self.attempts = attempts
        self.base_delay = base_delay
        self._observe = observe

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine, observe=self._observe)

    async def run(self, work: Callable[[SqlUnitOfWork], Awaitable[T]]) -> T:
        """work(uow) in a transaction; all of it again after a deadlock or serialisation
        failure, with exponential backoff and jitter so the contenders do not meet again."""
        for attempt in range(1, self.attempts + 1):
            try:
                async with SqlUnitOfWork(self._engine, retried=True, observe=self._observe) as uow:
                    return await work(uow)
            except TransactionConflict as conflict:
                name = getattr(work, "__qualname__", "transaction")
                if attempt == self.attempts:
                    log.error(
                        "%s aborted by the database (%s) %d times; answering unavailable",
                        name,
                        conflict.reason,
                        attempt,
                    )
                    raise
                delay = self.base_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
                log.warning(
                    "%s aborted by the database (%s), attempt %d of %d; retrying in %.0f ms",
                    name,
                    conflict.reason,
                    attempt,
                    self.attempts,
                    delay * 1000,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


def unit_of_work_factory(
    engine: AsyncEngine, observe: Observer | None = None
) -> ports.UnitOfWorkFactory:
    """The factory the composition root hands to the services; mypy checks here that it (and
    every repository) implements the domain's ports. `observe(seconds)` times each one."""
    return UnitOfWorkFactory(engine, observe=observe)


def socket_access_factory(
    factory: ports.UnitOfWorkFactory,
) -> Callable[[], SocketAccessUnitOfWork]:
    """The connect path's view of the same factory (domain/socket_access.py); mypy checks here
    that SqlUnitOfWork implements that protocol too."""
    if not isinstance(factory, UnitOfWorkFactory):
        raise TypeError("the connect path reads through storage.uow.UnitOfWorkFactory")
    return factory
