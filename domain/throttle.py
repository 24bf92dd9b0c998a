"""Sliding-window limits that hold under concurrency: reserve a slot first, then act.

`reserve` checks and records in one atomic step (one Redis script, or one synchronous block of
the event loop in memory), so N requests fired at once never get more than `limit` through.
A reservation that turns out not to count (the send was refused, the password was right) is
handed back with `release`.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Reservation:
    """The outcome of `reserve`: granted with a `slot` to release, or refused for `retry_after`
    seconds (until the oldest event inside the window leaves it)."""

    granted: bool
    slot: str = ""
    retry_after: float = 0.0
    used: int = 0  # events inside the window before this one


class WindowCounter(Protocol):
    window: float

    async def reserve(self, key: str, limit: int) -> Reservation:
        """Take one of `limit` slots in the window for `key`, atomically."""
        ...

    async def release(self, key: str, slot: str) -> None:
        """Give a granted slot back (it never happened)."""
        ...

    async def count(self, key: str) -> tuple[int, float]:
        """(events inside the window, seconds until the oldest one leaves it)."""
        ...

    async def reset(self, key: str) -> None: ...


class MemoryWindowCounter:
    """Per process; the Redis-backed one (storage/kv.py) shares counts between workers.
    No await between the check and the record: atomic within the event loop."""

    def __init__(self, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window_seconds
        self._clock = clock
        self._events: dict[str, dict[str, float]] = defaultdict(dict)  # slot -> time, in order
        self._swept_at = clock()

    def _sweep(self) -> None:
        """Once per window, forget keys nobody used since: one-off keys (a made-up email, a
        passing address) would otherwise stay in memory for good."""
        now = self._clock()
        if now - self._swept_at < self.window:
            return
        self._swept_at = now
        horizon = now - self.window
        stale = [key for key, events in self._events.items() if _newest(events) <= horizon]
        for key in stale:
            del self._events[key]

    def _prune(self, key: str) -> dict[str, float]:
        events = self._events.get(key)
        if not events:
            self._events.pop(key, None)
            return {}
        horizon = self._clock() - self.window
        for slot in [slot for slot, at in events.items() if at <= horizon]:
            del events[slot]
        if not events:
            del self._events[key]
        return events

    def _retry_after(self, events: dict[str, float]) -> float:
        return min(events.values()) + self.window - self._clock() if events else 0.0

    async def reserve(self, key: str, limit: int) -> Reservation:
        self._sweep()
        events = self._prune(key)
        used = len(events)
        if used >= limit:
            return Reservation(False, retry_after=self._retry_after(events), used=used)
        slot = uuid.uuid4().hex
        self._events[key][slot] = self._clock()
        return Reservation(True, slot, used=used)

    async def release(self, key: str, slot: str) -> None:
        events = self._events.get(key)
        if events is not None:
            events.pop(slot, None)

    async def count(self, key: str) -> tuple[int, float]:
        events = self._prune(key)
        return len(events), self._retry_after(events)

    async def reset(self, key: str) -> None:
        self._events.pop(key, None)


def _newest(events: dict[str, float]) -> float:
    return max(events.values(), default=float("-inf"))


def retry_after_seconds(remaining: float) -> int:
    return max(1, math.ceil(remaining))
