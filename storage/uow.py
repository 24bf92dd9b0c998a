"""Unit of work: one connection, one transaction, repositories created on first use."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.errors import Unavailable
from storage.repositories import REPOSITORIES


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._repositories: dict[str, Any] = {}

    async def __aenter__(self) -> SqlUnitOfWork:
        try:
            self._connection = await self._engine.connect()
            await self._connection.begin()
        except (exc.OperationalError, exc.InterfaceError, OSError) as error:
            await self._close()
            raise Unavailable("The database is unavailable; nothing was stored") from error
        return self

    def __getattr__(self, name: str) -> Any:
        factory = REPOSITORIES.get(name)
        if factory is None or self._connection is None:
            raise AttributeError(name)
        if name not in self._repositories:
            self._repositories[name] = factory(self._connection)
        return self._repositories[name]

    async def commit(self) -> None:
        assert self._connection is not None
        try:
            await self._connection.commit()
        except (exc.OperationalError, exc.InterfaceError) as error:
            raise Unavailable("The database is unavailable; nothing was stored") from error

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._close()
        if isinstance(error, exc.OperationalError | exc.InterfaceError):
            raise Unavailable("The database is unavailable; nothing was stored") from error

    async def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(exc.SQLAlchemyError, OSError):
                await self._connection.close()  # rolls back anything not committed
            self._connection = None


def unit_of_work_factory(engine: AsyncEngine) -> Callable[[], SqlUnitOfWork]:
    return lambda: SqlUnitOfWork(engine)
