"""Sliding-window event counters: login failures per account and address, sends per user."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Protocol


class WindowCounter(Protocol):
    async def count(self, key: str) -> tuple[int, float]:
        """(events inside the window, seconds until the oldest one leaves it)."""
        ...

    async def record(self, key: str) -> None: ...
    async def reset(self, key: str) -> None: ...


class MemoryWindowCounter:
    """Per-process counter; the Redis-backed one shares counts between workers."""

    def __init__(self, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window_seconds
        self._clock = clock
        self._events: dict[str, deque[float]] = defaultdict(deque)

    def _prune(self, key: str) -> deque[float]:
        events = self._events[key]
        horizon = self._clock() - self.window
        while events and events[0] <= horizon:
            events.popleft()
        if not events:
            del self._events[key]
            return deque()
        return events

    async def count(self, key: str) -> tuple[int, float]:
        events = self._prune(key)
        if not events:
            return 0, 0.0
        return len(events), events[0] + self.window - self._clock()

    async def record(self, key: str) -> None:
        self._events[key].append(self._clock())

    async def reset(self, key: str) -> None:
        self._events.pop(key, None)


def retry_after_seconds(remaining: float) -> int:
    return max(1, math.ceil(remaining))
