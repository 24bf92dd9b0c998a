"""In-process event bus: services publish after commit; transports and indexes subscribe to the
event types they handle (so no subscriber sorts events itself)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

log = logging.getLogger("studysync.events")
E = TypeVar("E")
Handler = Callable[[Any], Awaitable[None]]


class EventBus:
    """Delivers each event to the handlers of its exact type, in subscription order. Delivery
    is best-effort: the data is already committed, so a failing handler is logged and never
    fails the request that published."""

    def __init__(self) -> None:
        self._handlers: defaultdict[type, list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        self._handlers[event_type].append(handler)

    async def publish(self, *events: object) -> None:
        for event in events:
            for handler in self._handlers.get(type(event), ()):
                try:
                    await handler(event)
                except Exception:
                    log.exception("subscriber failed on %s", type(event).__name__)
