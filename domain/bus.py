"""In-process event bus: services publish after commit; transports and indexes subscribe."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("studysync.events")
Subscriber = Callable[[object], Awaitable[None]]


class EventBus:
    """Delivers each event to every subscriber. Delivery is best-effort: the data is already
    committed, so a failing subscriber is logged and never fails the request that published."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def publish(self, *events: object) -> None:
        for event in events:
            for subscriber in self._subscribers:
                try:
                    await subscriber(event)
                except Exception:
                    log.exception("subscriber failed on %s", type(event).__name__)
