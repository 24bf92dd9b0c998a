"""Per-user bounds on expensive work, so one client cannot hold the event loop.

`KeyedBulkhead.slot(key)`: at most `concurrency` holders per key at once, at most `queue` more
waiting their turn; beyond that the call is refused at once with `RateLimited` (HTTP 429 /
ack `rate_limited`, Retry-After 1). Per process, like the event loop it protects. A key's state
is dropped as soon as nobody holds or waits for it, so it never grows with the number of users.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from domain.errors import RateLimited


@dataclass
class _Lane:
    running: asyncio.Semaphore
    inside: int = 0  # holders and waiters


class KeyedBulkhead:
    def __init__(self, concurrency: int, queue: int, what: str = "requests") -> None:
        self.concurrency = concurrency
        self.queue = queue
        self._what = what
        self._lanes: dict[object, _Lane] = {}
        self.refused = 0

    def __len__(self) -> int:
        return len(self._lanes)

    @asynccontextmanager
    async def slot(self, key: object) -> AsyncIterator[None]:
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(asyncio.Semaphore(self.concurrency))
        if lane.inside >= self.concurrency + self.queue:
            self.refused += 1
            raise RateLimited(f"Too many {self._what} at once; retry in a moment", retry_after=1)
        lane.inside += 1
        try:
            async with lane.running:
                yield
        finally:
            lane.inside -= 1
            if lane.inside == 0:
                del self._lanes[key]
