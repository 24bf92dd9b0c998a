"""What services publish to: the event publisher, and the change feed between workers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol


class Publisher(Protocol):
    async def publish(self, *events: object) -> None: ...


ChangeHandler = Callable[[str, dict[str, Any]], Awaitable[None]]


class ChangeFeed(Protocol):
    """Notices between workers (Redis pub/sub): publish(kind, payload) reaches the subscribers
    of every worker, this one included."""

    def subscribe(self, subscriber: ChangeHandler) -> None: ...
    async def publish(self, kind: str, payload: dict[str, Any]) -> None: ...
